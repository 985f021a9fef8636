import type { ChatMessage, ScoringItem } from '../tools/types.ts';
import type { NativeItem } from './schemas.ts';

/** A conversation as plain text: each message's content, in order, separated by blank lines. */
export function promptText(prompt: string | ChatMessage[]): string {
  return typeof prompt === 'string' ? prompt : prompt.map((m) => m.content).join('\n\n');
}

export function toScoringItem(item: Omit<NativeItem, 'id'>): ScoringItem {
  const scoring: ScoringItem = { prompt: promptText(item.prompt), response: item.response };
  if (typeof item.prompt !== 'string') scoring.messages = item.prompt;
  if (item.reference !== undefined) scoring.reference = item.reference;
  if (item.task !== undefined) scoring.task = item.task;
  if (item.metadata !== undefined) scoring.metadata = item.metadata;
  return scoring;
}
