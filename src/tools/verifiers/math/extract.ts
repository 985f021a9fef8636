import {
  ANSWER_MARKERS,
  boxes,
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

/** The spans that start the text as one list. */
function firstRun(text: string, spans: Span[]): string | undefined {
  if (spans.length === 0) return undefined;
  let last = 0;
  while (last + 1 < Math.min(spans.length, MAX_RUN) && joinable(text.slice(spans[last]!.end, spans[last + 1]!.start))) {
    last++;
  }
  return joinSpans(spans.slice(0, last + 1));
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

/**
 * The answer inside a phrase such as "The largest $n$ is 34. I hope it is correct.": math at its
 * start; else, in its first sentence, what follows the last " is "; else that sentence's last number;
 * else the sentence. "The answer is not 5" states no answer.
 */
function phraseAnswer(phrase: string): Omit<MathCandidate, 'source'> | undefined {
  const trimmed = phrase.trim();
  if (/^not\b/i.test(trimmed)) return undefined;
  const spans = mathSpans(trimmed);
  if (spans[0]?.start === 0) {
    const run = firstRun(trimmed, spans);
    if (run) return { text: run, latex: true };
  }
  const sentence = trimAnswerPhrase(trimmed.replace(/\\boxed\{?|\\\]|\\\)|\\\[|\\\(/g, ' '));
  const is = sentence.lastIndexOf(' is ');
  if (is !== -1) return phraseAnswer(sentence.slice(is + 4));
  const math = firstRun(sentence, mathSpans(sentence));
  if (math) return { text: math, latex: true };
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

/**
 * The answers the text states, and where. A box is overridden only by a later final-answer statement
 * ("Final Answer: ...", "#### N"), never by a passing "the answer is" or "Answer:" after it.
 */
function statedAnswer(text: string): MathCandidate | undefined {
  const boxList = boxes(text).filter((b) => b.content.trim() !== '');
  const boxed = lastRun(text, boxList);
  const stated: Located[] = [];
  if (boxed) stated.push({ text: boxed, source: 'boxed', latex: true, at: boxList[boxList.length - 1]!.start });
  for (const [marker, source] of ANSWER_MARKERS) {
    if (boxed && source !== 'final_answer' && source !== 'gsm8k_hash') continue;
    const found = phraseAfter(text, marker);
    const answer = found && phraseAnswer(found.phrase);
    // "...so our answer is correct." after a box states no answer: next to a box, a phrase needs math in it.
    if (answer && (!boxed || /[\d\\]/.test(answer.text))) stated.push({ ...answer, source, at: found.at });
  }
  if (stated.length === 0) return undefined;
  const { at: _at, ...latest } = stated.reduce((a, b) => (b.at > a.at ? b : a));
  return latest;
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
  const text = stripThinking(raw);
  const stated = statedAnswer(text);
  if (stated) return stated;
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
