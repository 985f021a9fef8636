import type { ChatMessage, Reference } from '../tools/types.ts';

/**
 * What trainers send is not always what the model meant: a response decoded with its special tokens
 * kept (OpenRLHF), a prompt cut on the left, chat content as multimodal blocks, a reference that is a
 * number. Every dialect goes through these helpers once, and each change is reported in the item's
 * `detail`, so a reward never silently depends on a template's tokens.
 */

/** End-of-turn, end-of-sequence and padding tokens of common chat templates, as they decode. */
export const DEFAULT_STRIP_TOKENS: readonly string[] = [
  '<|im_end|>', // Qwen, ChatML
  '<|endoftext|>', // Qwen, GPT-2, Phi
  '<|eot_id|>', // Llama 3
  '<|eom_id|>', // Llama 3 (tool turn)
  '<|end_of_text|>', // Llama 3
  '<|finetune_right_pad_id|>', // Llama 3.1 padding
  '</s>', // Llama 2, Mistral
  '<|end|>', // Phi-3, gpt-oss
  '<|return|>', // gpt-oss
  '<end_of_turn>', // Gemma
  '<eos>', // Gemma
  '<｜end▁of▁sentence｜>', // DeepSeek
  '<|end▁of▁sentence|>', // DeepSeek (ASCII bars)
  '<|END_OF_TURN_TOKEN|>', // Cohere
  '<|user|>', // GLM: generation stops at the next turn
  '<|observation|>', // GLM
  '<end_of_utterance>', // SmolLM / Idefics
  '<|pad|>',
  '<pad>',
  '[PAD]',
  '[EOS]',
];

/** Tokens a decoded sequence may start with that are not part of the prompt text. */
const LEADING_TOKENS = ['<s>', '<|begin_of_text|>', '<bos>', '<｜begin▁of▁sentence｜>', '<|begin▁of▁sentence|>', '<|startoftext|>'];

/** Removes trailing special tokens (and the whitespace between them); returns the tokens removed, in text order. */
export function stripTrailingTokens(text: string, tokens: readonly string[]): { text: string; stripped: string[] } {
  const stripped: string[] = [];
  let rest = text;
  for (;;) {
    const trimmed = rest.trimEnd();
    const token = tokens.find((t) => t !== '' && trimmed.endsWith(t));
    if (token === undefined) break;
    rest = trimmed.slice(0, trimmed.length - token.length);
    if (!stripped.includes(token)) stripped.unshift(token);
  }
  return { text: stripped.length > 0 ? rest : text, stripped };
}

/** How an OpenRLHF response was found in its query. */
export type PromptMatch = 'prefix' | 'tail' | 'overlap' | 'not_found';

/** The tail of the prompt looked for in the query: long enough to be unique, short enough to survive a cut. */
const TAIL_CHARS = 256;
/** The shortest prompt suffix accepted as the start of a left-truncated query. */
const MIN_OVERLAP = 32;

/** Length of the longest prefix of `text` that is also a suffix of `prompt` (KMP failure function, linear). */
function overlapLength(prompt: string, text: string): number {
  const joined = `${text.slice(0, prompt.length)}\u0000${prompt}`;
  const failure = new Int32Array(joined.length);
  for (let i = 1; i < joined.length; i++) {
    let k = failure[i - 1]!;
    while (k > 0 && joined[i] !== joined[k]) k = failure[k - 1]!;
    if (joined[i] === joined[k]) k++;
    failure[i] = k;
  }
  return failure[joined.length - 1] ?? 0;
}

/**
 * OpenRLHF sends each query as the decoded prompt + response tokens; the response is what follows
 * the prompt. Found, in order: the prompt as an exact prefix; the prompt's tail (its last 256
 * characters) anywhere in the query, which survives decode changes earlier in the prompt; the longest
 * suffix of a prompt that OpenRLHF cut on the left (at least 32 characters) at the query's start,
 * after a leading BOS token or a broken first character. When none fits, the whole query is scored
 * and the match is `not_found`.
 */
export function splitQuery(query: string, prompt: string): { response: string; match: PromptMatch } {
  if (query.startsWith(prompt)) return { response: query.slice(prompt.length), match: 'prefix' };
  const trimmed = prompt.trim();
  // The tail as sent, then without the whitespace a decode may have changed.
  for (const tail of [prompt.slice(-TAIL_CHARS), trimmed.slice(-TAIL_CHARS)]) {
    const at = tail.trim() === '' ? -1 : query.indexOf(tail);
    if (at !== -1) return { response: query.slice(at + tail.length), match: 'tail' };
  }
  let start = query.replace(/^[\s\uFFFD]+/, '');
  for (const token of LEADING_TOKENS) if (start.startsWith(token)) start = start.slice(token.length).replace(/^[\s\uFFFD]+/, '');
  for (const candidate of [prompt, trimmed]) {
    const overlap = overlapLength(candidate, start);
    if (overlap > 0 && overlap >= Math.min(MIN_OVERLAP, candidate.length)) return { response: start.slice(overlap), match: 'overlap' };
  }
  return { response: query, match: 'not_found' };
}

/** Chat content as it comes: text, null (a tool call), or content blocks ({"type": "text", "text"}, images...). */
export type WireContent = string | null | undefined | Record<string, unknown>[];

const TEXT_BLOCKS = new Set(['text', 'input_text', 'output_text']);

/** The text of chat content; other blocks are counted by type in `dropped`. */
function contentText(content: WireContent, dropped: Map<string, number>): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  const texts: string[] = [];
  for (const block of content) {
    const type = typeof block.type === 'string' ? block.type : 'untyped';
    if (TEXT_BLOCKS.has(type) && typeof block.text === 'string') texts.push(block.text);
    else dropped.set(type, (dropped.get(type) ?? 0) + 1);
  }
  return texts.join('\n');
}

/** Chat messages with text content only, and a note of what was dropped (undefined when nothing was). */
export function textMessages(messages: (Record<string, unknown> & { role: string; content?: WireContent })[]): {
  messages: ChatMessage[];
  note?: string;
} {
  const dropped = new Map<string, number>();
  let toolCalls = 0;
  const texts = messages.map((m) => {
    if ((m.content === null || m.content === undefined) && m.tool_calls !== undefined) toolCalls++;
    return { role: m.role, content: contentText(m.content, dropped) };
  });
  const parts = [...dropped].map(([type, count]) => `${count} ${type} block${count > 1 ? 's' : ''}`);
  if (toolCalls > 0) parts.push(`${toolCalls} tool-call message${toolCalls > 1 ? 's' : ''} without text`);
  return { messages: texts, ...(parts.length > 0 && { note: `kept the text only; dropped ${parts.join(', ')}` }) };
}

/** A number as its shortest exact decimal text (no exponent for the usual magnitudes). */
function numberText(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const text = String(value);
  if (!/e/i.test(text)) return text;
  // 1e-7 -> "0.0000001", 1e21 -> "1000000000000000000000": the forms answer extractors read.
  const fixed = Math.abs(value) < 1 ? value.toFixed(20).replace(/0+$/, '') : BigInt(value).toString();
  return Number(fixed) === value ? fixed : text;
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return undefined;
}

/**
 * A reference of any JSON type in the forms the tools read: numbers and booleans become their text
 * (math tools then compare them as numbers), lists become lists of acceptable answers (nested lists
 * and objects in them as JSON text, nulls left out), objects stay structured, null is no reference.
 */
export function toReference(value: unknown): Reference | undefined {
  if (value === null || value === undefined) return undefined;
  const scalar = scalarText(value);
  if (scalar !== undefined) return scalar;
  if (Array.isArray(value)) {
    return value.filter((v) => v !== null).map((v) => scalarText(v) ?? JSON.stringify(v));
  }
  return value as Record<string, unknown>;
}
