import type { ChatMessage, ScoringItem } from '../tools/types.ts';
import { splitQuery, stripTrailingTokens, textMessages, toReference, type PromptMatch, type WireContent } from './cleanup.ts';
import { RequestError } from './errors.ts';
import type { NativeItem } from './schemas.ts';

/** Deeper structures are refused: they serve no reward and would overflow stacks when copied. */
export const MAX_NESTING = 32;

/** Throws when `value` nests objects or arrays deeper than MAX_NESTING (checked without recursion). */
export function checkNesting(value: unknown, path: string): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > MAX_NESTING) throw new RequestError(`${path} is nested deeper than ${MAX_NESTING} levels`);
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
}

/** A conversation as plain text: each message's content, in order, separated by blank lines. */
export function promptText(prompt: string | ChatMessage[]): string {
  return typeof prompt === 'string' ? prompt : prompt.map((m) => m.content).filter((c) => c !== '').join('\n\n');
}

/** The clean-up every dialect applies: special tokens stripped from the end of responses (none: off). */
export interface CleanupOptions {
  stripTokens: readonly string[];
}

/** What the clean-up changed in an item, returned as the item's `detail` so nothing happens unseen. */
export interface ItemDetail {
  /** Special tokens removed from the end of the response. */
  stripped_tokens?: string[];
  /** How the response was found in an OpenRLHF query, when the prompt was not its exact prefix. */
  prompt_match?: Exclude<PromptMatch, 'prefix'>;
  /** Chat content that is not text (images, tool calls), dropped. */
  content?: string;
}

export interface DecodedItem {
  item: ScoringItem;
  detail: ItemDetail;
}

/** An item as a dialect carries it, before clean-up: content blocks and references of any JSON type. */
export type WireItem = Omit<NativeItem, 'id' | 'prompt' | 'reference'> & {
  prompt?: string | (Record<string, unknown> & { role: string; content?: WireContent })[];
  reference?: unknown;
  /** OpenRLHF: the decoded prompt + response, from which the response is cut. */
  query?: string;
};

/** The item the tools see; `path` names it in errors (e.g. `body/items/3`). */
export function decodeItem(wire: WireItem, path: string, cleanup: CleanupOptions): DecodedItem {
  const detail: ItemDetail = {};
  let prompt = '';
  let messages: ChatMessage[] | undefined;
  if (typeof wire.prompt === 'string') prompt = wire.prompt;
  else if (wire.prompt !== undefined) {
    const text = textMessages(wire.prompt);
    messages = text.messages;
    prompt = promptText(messages);
    if (text.note) detail.content = text.note;
  }
  let response = wire.response;
  if (wire.query !== undefined) {
    const split = splitQuery(wire.query, prompt);
    response = split.response;
    if (split.match !== 'prefix') detail.prompt_match = split.match;
  }
  const stripped = stripTrailingTokens(response, cleanup.stripTokens);
  if (stripped.stripped.length > 0) detail.stripped_tokens = stripped.stripped;
  const item: ScoringItem = { prompt, response: stripped.text };
  if (messages) item.messages = messages;
  checkNesting(wire.reference, `${path}/reference`); // before toReference, which serializes nested lists
  const reference = toReference(wire.reference);
  if (reference !== undefined) item.reference = reference;
  if (wire.task !== undefined) item.task = wire.task;
  if (wire.metadata !== undefined) {
    checkNesting(wire.metadata, `${path}/metadata`);
    item.metadata = wire.metadata;
  }
  return { item, detail };
}
