import {
  ANSWER_MARKERS,
  boxes,
  type Box,
  lastMatch,
  phraseAfter,
  stripThinking,
  trimAnswerPhrase,
  type AnswerSource,
} from '../answer.ts';
import { isFunctionWord } from './normalize.ts';

/**
 * Where a math answer is in a text (the rules Math-Verify and the graders of GSM8K and MATH use): the
 * last run of `\boxed{}`, an answer phrase ("final answer is", "Answer:", GSM8K `#### N`, "the answer
 * is"), the last run of LaTeX math (`$..$`, `$$..$$`, `\(..\)`, `\[..\]`), then the last number. Every
 * scan is linear in the text: closing delimiters are searched once and remembered.
 */

export interface MathCandidate {
  text: string;
  source: AnswerSource;
  /** Found as LaTeX: commas separate list items. Plain text: a comma may be a decimal or thousands mark. */
  latex: boolean;
}

interface Span {
  start: number;
  end: number;
  content: string;
}

/** Longest LaTeX span read, and most answers joined into one list. */
const MAX_SPAN = 5_000;
const MAX_RUN = 20;

const CORRECTION = /\b(?:no|not|wait|hmm|but|actually|instead|wrong|incorrect|mistake)\b/i;

/** Words that take back an answer already given ("Wait, I made an error"): a later answer statement then wins over a box. */
const RETRACTION =
  /\b(?:wait|actually|oops|correction|I made (?:a|an) (?:mistake|error)|(?:that|this|it) (?:is|was|'s) (?:wrong|incorrect)|re-?check\w*|re-?calculat\w*|recomput\w*)\b/i;

/** Chinese answer phrases ("最终答案是", "答案为"), after full-width punctuation was made ASCII. */
const CJK_MARKERS: [RegExp, AnswerSource][] = [
  [/最终答案[是为為]?\s*:?/g, 'final_answer'],
  [/答案[是为為]?\s*:?/g, 'answer_is'],
];

/** Full-width forms (U+FF01..FF5E: `７`, `＝`, `：`) and CJK punctuation (`。`, `、`) and spaces. */
const FULL_WIDTH = /[\u3000-\u3002\uff01-\uff5e]/g;

/**
 * The text with full-width digits, operators and punctuation as their ASCII forms, so that "The answer is
 * 7。" or "x＝５" read like any other answer. One regex test keeps the usual (ASCII) text untouched.
 */
export function asciiForms(text: string): string {
  if (!/[\u3000-\u3002\uff01-\uff5e]/.test(text)) return text;
  return text.replace(FULL_WIDTH, (c) => {
    if (c === '\u3000') return ' ';
    if (c === '\u3001') return ', ';
    if (c === '\u3002') return '. ';
    return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
  });
}

/**
 * Text between two answers that still reads as one list of answers: connectives, punctuation,
 * spacing and `\text{..}` remarks, plus at most a short word ("\boxed{1} papers and \boxed{2} bins"),
 * and no sign of a correction ("\boxed{3}. Hmm, no: \boxed{5}").
 */
function joinable(gap: string): boolean {
  if (gap.length > 200 || CORRECTION.test(gap)) return false;
  const rest = gap
    .replace(/\\text\{[^{}]*\}/g, ' ')
    .replace(/\\q?quad|\\[,;:! ]|\\\[|\\\]|\\\(|\\\)|\$/g, ' ')
    .replace(/\b(?:and|or)\b|[,;.]/g, ' ')
    .replace(/\s+/g, '');
  return rest.length <= 8;
}

function joinSpans(spans: Span[]): string {
  return spans
    .map((s) => s.content.trim())
    .filter((c) => c !== '')
    .join(', ');
}

/** The spans that end the text as one list: the last span and those before it with joinable gaps. */
function lastRun(text: string, spans: Span[]): string | undefined {
  if (spans.length === 0) return undefined;
  let first = spans.length - 1;
  while (first > 0 && spans.length - first < MAX_RUN && joinable(text.slice(spans[first - 1]!.end, spans[first]!.start))) {
    first--;
  }
  return joinSpans(spans.slice(first));
}

/** The spans that start the text as one list, and where that list ends. */
function firstRun(text: string, spans: Span[]): { text: string; end: number } | undefined {
  if (spans.length === 0) return undefined;
  let last = 0;
  while (last + 1 < Math.min(spans.length, MAX_RUN) && joinable(text.slice(spans[last]!.end, spans[last + 1]!.start))) {
    last++;
  }
  return { text: joinSpans(spans.slice(0, last + 1)), end: spans[last]!.end };
}

/** The next index of `needle` at or after `from`, remembering the last answer so repeated searches stay linear. */
function nextFinder(text: string, needle: string): (from: number) => number {
  let found = -2;
  return (from) => {
    if (found === -1 || found >= from) return found;
    found = text.indexOf(needle, from);
    return found;
  };
}

/** The next unescaped `$` at or after `from`, or -1. */
function nextDollar(text: string, from: number): number {
  for (let i = text.indexOf('$', from); i !== -1; i = text.indexOf('$', i + 1)) {
    if (text[i - 1] !== '\\') return i;
  }
  return -1;
}

/** LaTeX math spans: `$$..$$` and `\[..\]` may cross lines, `$..$` and `\(..\)` may not; `\$` is a dollar. */
function mathSpans(text: string): Span[] {
  const spans: Span[] = [];
  const next = {
    $$: nextFinder(text, '$$'),
    '\\[': nextFinder(text, '\\]'),
    '\\(': nextFinder(text, '\\)'),
    newline: nextFinder(text, '\n'),
  };
  let dollar = -2;
  const opener = /\$\$|\$|\\\[|\\\(/g;
  for (let m = opener.exec(text); m !== null; m = opener.exec(text)) {
    if (m[0].startsWith('$') && text[m.index - 1] === '\\') continue;
    const from = m.index + m[0].length;
    let close: number;
    if (m[0] === '$') {
      if (dollar !== -1 && dollar < from) dollar = nextDollar(text, from);
      const newline = next.newline(from);
      close = dollar !== -1 && (newline === -1 || dollar < newline) ? dollar : -1;
    } else {
      close = next[m[0] as '$$' | '\\[' | '\\('](from);
      if (m[0] === '\\(' && close !== -1) {
        const newline = next.newline(from);
        if (newline !== -1 && newline < close) close = -1;
      }
    }
    if (close === -1 || close - from > MAX_SPAN) continue;
    const closeLength = m[0] === '$' ? 1 : 2;
    spans.push({ start: m.index, end: close + closeLength, content: text.slice(from, close) });
    opener.lastIndex = close + closeLength;
  }
  return spans;
}

const NUMBER =
  /(?<![A-Za-z\d.])[-−]?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?: \d{3})+(?:\.\d+)?|\d+ ?\/ ?\d+|\d+(?:[.,]\d+)?|\.\d+)/g;

/** A formula cut short by a currency sign: "$x = $200" opens math at the first `$` and closes it at the second. */
const DANGLING = /(?:=|<|>|\\[lg]eq?|\\approx)\s*$/;

/** A later statement of the value in words: "$\\angle B$, which is 52 degrees". */
const STATED_LATER = /\b(?:is|are|equals?|measures?)\s+(?=\$?-?\.?\d)/g;

/**
 * The answer inside a phrase such as "The largest $n$ is 34. I hope it is correct.": math at its
 * start (unless it names what a number stated later in the sentence measures); else, in its first
 * sentence, what follows the last " is "; else that sentence's bare LaTeX or last number; else the
 * sentence. "The answer is not 5" states no answer; "5!" ending a sentence is an exclamation.
 */
function phraseAnswer(phrase: string): Omit<MathCandidate, 'source'> | undefined {
  const trimmed = phrase.trim();
  if (/^not\b/i.test(trimmed)) return undefined;
  const spans = mathSpans(trimmed);
  if (spans[0]?.start === 0) {
    const run = firstRun(trimmed, spans);
    if (run && DANGLING.test(run.text)) return phraseAnswer(trimmed.replace(/\$(?=\s*-?\d)|(?<=[=<>]\s*)\$/g, ''));
    if (run && !/\d/.test(run.text)) {
      const rest = trimAnswerPhrase(trimmed.slice(run.end));
      const later = lastMatch(STATED_LATER, rest);
      if (later) return phraseAnswer(rest.slice(later.index + later[0].length));
    }
    if (run) return { text: run.text, latex: true };
  }
  const sentence = trimAnswerPhrase(trimmed.replace(/\\boxed\{?|\\\]|\\\)|\\\[|\\\(/g, ' ')).replace(/(\d)!(?:\s+[^=\s].*)?$/s, '$1');
  const is = sentence.lastIndexOf(' is ');
  if (is !== -1) return phraseAnswer(sentence.slice(is + 4));
  const math = firstRun(sentence, mathSpans(sentence));
  if (math) return { text: math.text, latex: true };
  // Bare LaTeX, without `$`: "The answer is: \\frac{3}{2}".
  if (/\\[a-zA-Z]/.test(sentence) && looksLikeMath(sentence)) return { text: sentence, latex: true };
  if (/[a-zA-Z]{3,}.*\d|\d.*[a-zA-Z]{3,}/.test(sentence)) {
    const number = lastMatch(NUMBER, sentence);
    if (number) return { text: number[0], latex: false };
  }
  return sentence ? { text: sentence, latex: false } : undefined;
}

interface Located extends MathCandidate {
  /** Where in the text the answer was stated. */
  at: number;
}

/** Box runs: boxes with joinable gaps between them form one list ("\\boxed{2} and \\boxed{3}"). */
function boxRuns(text: string, boxList: Box[]): Located[] {
  const runs: Located[] = [];
  let first = 0;
  for (let i = 1; i <= boxList.length; i++) {
    if (i < boxList.length && i - first < MAX_RUN && joinable(text.slice(boxList[i - 1]!.end, boxList[i]!.start))) continue;
    runs.push({ text: joinSpans(boxList.slice(first, i)), source: 'boxed', latex: true, at: boxList[i - 1]!.start });
    first = i;
  }
  return runs;
}

/**
 * The answers the text states, in order: each run of boxes and the last statement after each answer
 * marker. Next to a box, a marker's phrase counts only when it holds math ("...so our answer is
 * correct." states nothing), and only when it is a final-answer statement ("Final Answer: ...",
 * "#### N") or follows a retraction of the box ("\\boxed{5}. Wait, that is wrong: the answer is 6").
 */
export function statedAnswers(raw: string): Located[] {
  const text = asciiForms(stripThinking(raw));
  const boxList = boxes(text).filter((b) => b.content.trim() !== '');
  const stated = boxRuns(text, boxList);
  const lastBox = boxList[boxList.length - 1];
  const markers = text.includes('答案') ? [...ANSWER_MARKERS, ...CJK_MARKERS] : ANSWER_MARKERS;
  for (const [marker, source] of markers) {
    const found = phraseAfter(text, marker);
    if (!found) continue;
    const final = source === 'final_answer' || source === 'gsm8k_hash';
    if (lastBox && !final && !(found.at > lastBox.end && RETRACTION.test(text.slice(lastBox.end, found.at)))) continue;
    const answer = phraseAnswer(found.phrase);
    if (answer && (!lastBox || /[\d\\]/.test(answer.text))) stated.push({ ...answer, source, at: found.at });
  }
  return stated.sort((a, b) => a.at - b.at);
}

/** Short text that is all math: no word of two or more letters but function names and LaTeX commands. */
function looksLikeMath(text: string): boolean {
  if (text === '' || text.length > 200) return false;
  const words = text.replace(/\\[a-zA-Z]+/g, ' ').match(/[a-zA-Z]{2,}/g) ?? [];
  return words.every(isFunctionWord);
}

/**
 * The answer of a response (`whole` false) or of a reference (`whole` true: a reference with no
 * delimited answer is an answer as a whole, like `10/9` or `-2,1`).
 */
export function extractMath(raw: string, whole: boolean): MathCandidate | undefined {
  const stated = statedAnswers(raw);
  if (stated.length > 0) {
    const { at: _at, ...latest } = stated[stated.length - 1]!;
    return latest;
  }
  const text = asciiForms(stripThinking(raw));
  const trimmed = text.trim();
  if (!whole && looksLikeMath(trimmed)) return { text: trimmed, source: 'whole_text', latex: trimmed.includes('\\') };
  const spans = mathSpans(text);
  const number = lastMatch(NUMBER, text);
  const lastSpan = spans[spans.length - 1];
  // A number stated after the last formula ("... so there are 12 sequences.") is the answer.
  if (!whole && number && (!lastSpan || number.index >= lastSpan.end)) {
    return { text: number[0], source: 'last_number', latex: false };
  }
  const latex = lastRun(text, spans);
  if (latex) return { text: latex, source: 'latex', latex: true };
  if (whole && trimmed !== '' && trimmed.length <= 300) return { text: trimmed, source: 'whole_text', latex: false };
  return number && { text: number[0], source: 'last_number', latex: false };
}
