import { boxes, lastMatch, stripThinking, trimAnswerPhrase, type Box } from '../answer.ts';

/**
 * Where a math answer is in a text, by priority (the order Math-Verify and the graders of GSM8K and
 * MATH use): the last run of `\boxed{}`, "final answer is", "Answer:", GSM8K `#### N`, "the answer is",
 * the last run of LaTeX math (`$..$`, `$$..$$`, `\(..\)`, `\[..\]`), then the last number.
 * Every scan is linear, and delimited searches are bounded, so hostile text cannot stall it.
 */

export type AnswerSource =
  | 'boxed'
  | 'final_answer'
  | 'answer_label'
  | 'gsm8k_hash'
  | 'answer_is'
  | 'latex'
  | 'last_number'
  | 'whole_text';

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

const MAX_SPAN = 5_000;

/**
 * Text between two answers that still reads as one list of answers: connectives, punctuation,
 * spacing and `\text{..}` remarks, plus at most a short word ("\boxed{1} papers and \boxed{2} bins").
 */
function joinable(gap: string): boolean {
  if (gap.length > 200) return false;
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
  while (first > 0 && joinable(text.slice(spans[first - 1]!.end, spans[first]!.start))) first--;
  return joinSpans(spans.slice(first));
}

/** The spans that start the text as one list. */
function firstRun(text: string, spans: Span[]): string | undefined {
  if (spans.length === 0) return undefined;
  let last = 0;
  while (last + 1 < spans.length && joinable(text.slice(spans[last]!.end, spans[last + 1]!.start))) last++;
  return joinSpans(spans.slice(0, last + 1));
}

/** LaTeX math spans: `$$..$$` and `\[..\]` may cross lines, `$..$` and `\(..\)` may not; `\$` is a dollar. */
export function mathSpans(text: string): Span[] {
  const spans: Span[] = [];
  const opener = /\$\$|\$|\\\[|\\\(/g;
  for (let m = opener.exec(text); m !== null; m = opener.exec(text)) {
    if (m.index > 0 && text[m.index - 1] === '\\' && m[0].startsWith('$')) continue;
    const from = m.index + m[0].length;
    const window = text.slice(from, from + MAX_SPAN);
    let close = -1;
    let closeLength = 0;
    if (m[0] === '$$' || m[0] === '\\[') {
      closeLength = 2;
      close = window.indexOf(m[0] === '$$' ? '$$' : '\\]');
    } else if (m[0] === '\\(') {
      closeLength = 2;
      close = window.indexOf('\\)');
      if (close !== -1 && window.slice(0, close).includes('\n')) close = -1;
    } else {
      closeLength = 1;
      const line = window.split('\n', 1)[0]!;
      for (let i = 0; i < line.length; i++) {
        if (line[i] === '\\') i++;
        else if (line[i] === '$') {
          close = i;
          break;
        }
      }
    }
    if (close === -1) continue;
    spans.push({ start: m.index, end: from + close + closeLength, content: window.slice(0, close) });
    opener.lastIndex = from + close + closeLength;
  }
  return spans;
}

/** Markers after which a response states its answer; the text up to the line's end is the phrase. */
const MARKERS: [RegExp, AnswerSource][] = [
  [/final answer[ \t]*(?:is|:)[ \t]*:?/gi, 'final_answer'],
  [/^[ \t]*\**answer\**[ \t]*(?::|is)/gim, 'answer_label'],
  [/####/g, 'gsm8k_hash'],
  [/^[ \t]*A:/gm, 'answer_label'],
  [/(?<!final\s)\banswer is[ \t]*:?/gi, 'answer_is'],
];

/**
 * The answer inside a phrase such as "The largest $n$ is 34. I hope it is correct.": math at its
 * start; else, in its first sentence, what follows the last " is "; else that sentence's last number;
 * else the sentence.
 */
function phraseAnswer(phrase: string): Omit<MathCandidate, 'source'> | undefined {
  const trimmed = phrase.trim();
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

const NUMBER =
  /(?<![A-Za-z\d.])-?(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,3}(?: \d{3})+(?:\.\d+)?|\d+\/\d+|\d+(?:[.,]\d+)?|\.\d+)/g;

interface Located extends MathCandidate {
  /** Where in the text the answer was stated: the latest statement wins. */
  at: number;
}

function statedAnswers(text: string): Located[] {
  const found: Located[] = [];
  const boxList = boxes(text).filter((b: Box) => b.content.trim() !== '');
  const boxed = lastRun(text, boxList);
  if (boxed) found.push({ text: boxed, source: 'boxed', latex: true, at: boxList[boxList.length - 1]!.start });
  for (const [marker, source] of MARKERS) {
    const m = lastMatch(marker, text);
    if (!m) continue;
    const from = m.index + m[0].length;
    const end = text.indexOf('\n', from);
    const answer = phraseAnswer(text.slice(from, end === -1 ? from + 300 : Math.min(end, from + 300)));
    if (answer) found.push({ ...answer, source, at: m.index });
  }
  return found;
}

const FUNCTION_NAMES = new Set(['sin', 'cos', 'tan', 'cot', 'sec', 'csc', 'log', 'ln', 'exp', 'sqrt', 'pi', 'max', 'min', 'mod']);

/** Short text that is all math: no word of two or more letters but function names and LaTeX commands. */
function looksLikeMath(text: string): boolean {
  if (text === '' || text.length > 200) return false;
  const words = text.replace(/\\[a-zA-Z]+/g, ' ').match(/[a-zA-Z]{2,}/g) ?? [];
  return words.every((w) => FUNCTION_NAMES.has(w.toLowerCase()));
}

/**
 * The answer of a response (`whole` false) or of a reference (`whole` true: a reference with no
 * delimited answer is an answer as a whole, like `10/9` or `1,22`).
 */
export function extractMath(raw: string, whole: boolean): MathCandidate | undefined {
  const text = stripThinking(raw);
  const all = statedAnswers(text);
  // "...so our answer is correct." after a box states no answer: with a box, a phrase needs math in it.
  const boxed = all.some((c) => c.source === 'boxed');
  const stated = all.filter((c) => !boxed || c.source === 'boxed' || /[\d\\]/.test(c.text));
  if (stated.length > 0) {
    const { at: _at, ...latest } = stated.reduce((a, b) => (b.at > a.at ? b : a));
    return latest;
  }
  const trimmed = text.trim();
  if (!whole && looksLikeMath(trimmed)) {
    return { text: trimmed, source: 'whole_text', latex: trimmed.includes('\\') };
  }
  const spans = mathSpans(text);
  const number = lastMatch(NUMBER, text);
  const lastSpan = spans[spans.length - 1];
  // A number stated after the last formula ("... so there are 12 sequences.") is the answer.
  if (!whole && number && (!lastSpan || number.index >= lastSpan.end)) return { text: number[0], source: 'last_number', latex: false };
  const latex = lastRun(text, spans);
  if (latex) return { text: latex, source: 'latex', latex: true };
  if (whole && trimmed !== '' && trimmed.length <= 300) return { text: trimmed, source: 'whole_text', latex: false };
  return number && { text: number[0], source: 'last_number', latex: false };
}
