/**
 * Finding the final answer in a free-form response. Shared by the verifiers that compare an answer
 * with a reference (math, exact match, multiple choice). Responses are hostile and may be megabytes
 * long: every pattern here is written to scan in linear time (no nested or adjacent unbounded
 * repetitions that can backtrack over the same characters).
 */

export type AnswerRule =
  | 'boxed'
  | 'final_answer'
  | 'answer_label'
  | 'gsm8k_hash'
  | 'answer_is'
  | 'last_number'
  | 'whole_text';

export interface ExtractedAnswer {
  text: string;
  rule: AnswerRule;
}

/** The part a model offers as its answer: after the last `</think>` when it thought aloud. */
export function stripThinking(response: string): string {
  const end = response.lastIndexOf('</think>');
  return end === -1 ? response : response.slice(end + '</think>'.length);
}

/** Longest brace group read: no answer is longer, and the bound keeps unclosed braces linear. */
const MAX_GROUP = 20_000;

/**
 * The group opened by the `{` at `open`, braces matched by counting (escaped braces do not count):
 * its content and the index after its closing brace.
 */
export function braceGroup(text: string, open: number): { content: string; end: number } | undefined {
  let depth = 0;
  const limit = Math.min(text.length, open + MAX_GROUP);
  for (let j = open; j < limit; j++) {
    const c = text[j];
    if (c === '\\') {
      j++;
    } else if (c === '{') {
      depth++;
    } else if (c === '}') {
      depth--;
      if (depth === 0) return { content: text.slice(open + 1, j), end: j + 1 };
    }
  }
  return undefined;
}

export interface Box {
  start: number;
  end: number;
  content: string;
}

/** The box (`\\boxed{..}`, `\\fbox{..}` or `\\boxed 5`) whose command starts at `start`. */
function boxAt(text: string, start: number): Box | undefined {
  let i = start + (text.startsWith('\\boxed', start) ? '\\boxed'.length : '\\fbox'.length);
  while (text[i] === ' ') i++;
  if (text[i] === '{') {
    const group = braceGroup(text, i);
    return group && { start, end: group.end, content: group.content };
  }
  // `\boxed 5`: the argument is the next token.
  const token = /^[^\s$]+/.exec(text.slice(i, i + 200));
  return token ? { start, end: i + token[0].length, content: token[0] } : undefined;
}

/** Every box in the text, in order (a box inside another is part of the outer one's content). */
export function boxes(text: string): Box[] {
  const found: Box[] = [];
  const command = /\\(?:boxed|fbox)(?![a-zA-Z])/g;
  for (let m = command.exec(text); m !== null; m = command.exec(text)) {
    const box = boxAt(text, m.index);
    if (box) {
      found.push(box);
      command.lastIndex = box.end;
    }
  }
  return found;
}

/** Content of the last `\\boxed{...}` or `\\fbox{...}`. */
export function lastBoxed(text: string): string | undefined {
  const start = Math.max(text.lastIndexOf('\\boxed'), text.lastIndexOf('\\fbox'));
  return start === -1 ? undefined : boxAt(text, start)?.content;
}

/** The last match of a global pattern. */
export function lastMatch(pattern: RegExp, text: string): RegExpExecArray | undefined {
  let found: RegExpExecArray | undefined;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) found = m;
  return found;
}

const FINAL_ANSWER = /final answer[ \t]*(?:is|:)[ \t]*([^\n]{1,200})/gi;
const ANSWER_LABEL = /^[ \t]*\**answer\**[ \t]*(?::|is)[ \t]*([^\n]{1,200})/gim;
const GSM8K_HASH = /####[ \t]*([^\n]{1,100})/g;
const ANSWER_IS = /\banswer is[ \t]*:?[ \t]*([^\n]{1,200})/gi;
const NUMBER = /[-−]?\d(?:[\d,]*\d)?(?:\.\d+)?|[-−]?\.\d+/g;

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

/**
 * The response's final answer, by priority: `\boxed{}`, "final answer is", "Answer:", GSM8K
 * `#### N`, "the answer is", then (with `lastNumber`) the last number in the text.
 */
export function extractAnswer(response: string, options: { lastNumber: boolean }): ExtractedAnswer | undefined {
  const text = stripThinking(response);
  const boxed = lastBoxed(text)?.trim();
  if (boxed) return { text: boxed, rule: 'boxed' };
  const labelled: [RegExp, AnswerRule][] = [
    [FINAL_ANSWER, 'final_answer'],
    [ANSWER_LABEL, 'answer_label'],
    [GSM8K_HASH, 'gsm8k_hash'],
    [ANSWER_IS, 'answer_is'],
  ];
  for (const [pattern, rule] of labelled) {
    const m = lastMatch(pattern, text);
    const phrase = m?.[1] === undefined ? '' : trimAnswerPhrase(m[1]);
    if (phrase !== '') return { text: phrase, rule };
  }
  if (options.lastNumber) {
    const m = lastMatch(NUMBER, text);
    if (m) return { text: m[0], rule: 'last_number' };
  }
  return undefined;
}
