/**
 * Finding the final answer in a free-form response. Shared by the verifiers that compare an answer
 * with a reference (math, exact match, multiple choice). Responses are hostile and may be megabytes
 * long: every scan here is linear in the text (brace matching is one pass with a stack, phrase
 * patterns have no repetitions that can backtrack over the same characters).
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

export interface ExtractedAnswer {
  text: string;
  rule: AnswerSource;
}

/**
 * The part a model offers as its answer: after the last `</think>` when it thought aloud; nothing
 * when a `<think>` block never closed (a truncated response has not answered yet).
 */
export function stripThinking(response: string): string {
  const end = response.lastIndexOf('</think>');
  if (end !== -1) return response.slice(end + '</think>'.length);
  return response.includes('<think>') ? '' : response;
}

/** For each `{` of the text, the index of its matching `}` (-1 when unclosed); escaped braces skipped. */
function matchBraces(text: string): Int32Array {
  const closing = new Int32Array(text.length).fill(-1);
  const open: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === 123 /* { */) open.push(i);
    else if (c === 125 /* } */ && open.length > 0) closing[open.pop()!] = i;
  }
  return closing;
}

export interface Box {
  start: number;
  end: number;
  content: string;
}

const BOX_COMMAND = /\\(?:boxed|fbox)(?![a-zA-Z])/g;

/** Every box in the text, in order (a box inside another is part of the outer one's content). */
export function boxes(text: string): Box[] {
  const found: Box[] = [];
  let closing: Int32Array | undefined;
  BOX_COMMAND.lastIndex = 0;
  for (let m = BOX_COMMAND.exec(text); m !== null; m = BOX_COMMAND.exec(text)) {
    let i = m.index + m[0].length;
    while (text[i] === ' ') i++;
    if (text[i] === '{') {
      closing ??= matchBraces(text);
      const close = closing[i]!;
      if (close === -1) continue;
      found.push({ start: m.index, end: close + 1, content: text.slice(i + 1, close) });
      BOX_COMMAND.lastIndex = close + 1;
    } else {
      // `\boxed 5`: the argument is the next token.
      const token = /^[^\s$]+/.exec(text.slice(i, i + 200));
      if (token) found.push({ start: m.index, end: i + token[0].length, content: token[0] });
    }
  }
  return found;
}

/** Content of the last `\boxed{...}` or `\fbox{...}`. */
export function lastBoxed(text: string): string | undefined {
  return boxes(text).pop()?.content;
}

/** The last match of a global pattern. */
export function lastMatch(pattern: RegExp, text: string): RegExpExecArray | undefined {
  let found: RegExpExecArray | undefined;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) found = m;
  return found;
}

/** Markers after which a response states its answer, in order of priority; the phrase runs to the line's end. */
export const ANSWER_MARKERS: [RegExp, AnswerSource][] = [
  [/final answer[ \t]*(?:is|:)[ \t]*:?/gi, 'final_answer'],
  [/^[ \t]*\**answer\**[ \t]*(?::|is)/gim, 'answer_label'],
  [/^[ \t]*A:/gm, 'answer_label'],
  [/####/g, 'gsm8k_hash'],
  [/(?<!final\s)\banswer is[ \t]*:?/gi, 'answer_is'],
];

/** The phrase after the last match of a marker: up to the end of its line, at most 300 characters. */
export function phraseAfter(text: string, marker: RegExp): { phrase: string; at: number } | undefined {
  const m = lastMatch(marker, text);
  if (!m) return undefined;
  const from = m.index + m[0].length;
  const end = text.indexOf('\n', from);
  return { phrase: text.slice(from, end === -1 ? from + 300 : Math.min(end, from + 300)), at: m.index };
}

/** Where a sentence ends: a period and space after a word that is no two-letter abbreviation (`St.`, `Mt.`). */
function sentenceEnd(s: string): number {
  const period = /\.\s/g;
  for (let m = period.exec(s); m !== null; m = period.exec(s)) {
    const word = /\S*$/.exec(s.slice(Math.max(0, m.index - 40), m.index))![0];
    if (word.length >= 3 || /\d|\$/.test(word)) return m.index;
  }
  return -1;
}

/**
 * The answer inside a phrase such as "$12$. I hope it is correct.": a leading math span, else the text
 * up to the end of the sentence, without bold markers or a trailing period.
 */
export function trimAnswerPhrase(phrase: string): string {
  let s = phrase.trim();
  const boxed = lastBoxed(s);
  if (boxed !== undefined) return boxed.trim();
  s = s.replace(/^\*+/, '').trim();
  const math = /^\$([^$]+)\$/.exec(s);
  if (math) return `$${math[1]}$`;
  const end = sentenceEnd(s);
  if (end !== -1) s = s.slice(0, end);
  return s.replace(/\*+$/, '').replace(/[.\s]+$/, '');
}

/** The response's stated final answer, by priority: `\boxed{}`, then the answer markers. */
export function extractAnswer(response: string): ExtractedAnswer | undefined {
  const text = stripThinking(response);
  const boxed = lastBoxed(text)?.trim();
  if (boxed) return { text: boxed, rule: 'boxed' };
  for (const [marker, rule] of ANSWER_MARKERS) {
    const found = phraseAfter(text, marker);
    const phrase = found === undefined ? '' : trimAnswerPhrase(found.phrase);
    if (phrase !== '') return { text: phrase, rule };
  }
  return undefined;
}
