import type { ChatMessage, ScoringItem } from '../tools/types.ts';
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
  return typeof prompt === 'string' ? prompt : prompt.map((m) => m.content).join('\n\n');
}

/** The item the tools see; `path` names it in errors (e.g. `body/items/3`). */
export function toScoringItem(item: Omit<NativeItem, 'id'>, path: string): ScoringItem {
  const scoring: ScoringItem = { prompt: promptText(item.prompt), response: item.response };
  if (typeof item.prompt !== 'string') scoring.messages = item.prompt;
  if (item.reference !== undefined) {
    checkNesting(item.reference, `${path}/reference`);
    scoring.reference = item.reference;
  }
  if (item.task !== undefined) scoring.task = item.task;
  if (item.metadata !== undefined) {
    checkNesting(item.metadata, `${path}/metadata`);
    scoring.metadata = item.metadata;
  }
  return scoring;
}
