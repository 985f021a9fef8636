import type { ScoredItem } from '../pipeline/pipeline.ts';
import type { ScoringItem } from '../tools/types.ts';
import { RequestError } from './errors.ts';
import { decodeItem, type CleanupOptions, type DecodedItem, type ItemDetail } from './items.ts';
import type { ItemResult, NativeRequest, OpenRLHFRequest, RewardResponse, SlimeRequest } from './schemas.ts';

/**
 * The request shapes trainers send to `POST /reward`, and the answers each expects:
 * native `{items}`, OpenRLHF `{query, prompts, labels}`, slime `{prompt, response, label}`.
 */

export type Dialect = 'native' | 'openrlhf' | 'slime';

/** Which dialect a body speaks, by its keys; undefined when none fits. */
export function detectDialect(body: unknown): Dialect | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  if ('items' in body) return 'native';
  if ('query' in body) return 'openrlhf';
  if ('response' in body) return 'slime';
  return undefined;
}

export interface DecodedRequest {
  items: ScoringItem[];
  /** Per item, what the clean-up changed. */
  details: ItemDetail[];
}

/**
 * How long each trainer waits for an answer before it gives up and posts the sample again: the aiohttp
 * total timeouts of slime's `remote_rm` (120 s) and OpenRLHF's `SingleTurnAgentExecutor` (180 s). An
 * answer after that is thrown away with the work in it, so the deadline of their requests ends a margin
 * before (for the body's upload and the answer's way back). A client may state its own timeout instead
 * (the `x-rlar-client-timeout-ms` header; our Python client and `rlar score --url` do).
 */
const CALLER_TIMEOUT_MS: Readonly<Partial<Record<Dialect, number>>> = { slime: 120_000, openrlhf: 180_000 };

/** A request's deadline: a native request's own `timeout_ms`, else `configuredMs`, cut to answer before its caller gives up. */
export function requestDeadlineMs(dialect: Dialect, body: unknown, configuredMs: number, clientTimeoutMs?: number): number {
  const asked = dialect === 'native' ? ((body as NativeRequest).options?.timeout_ms ?? configuredMs) : configuredMs;
  const callerMs = clientTimeoutMs ?? CALLER_TIMEOUT_MS[dialect];
  if (callerMs === undefined) return asked;
  const margin = Math.min(10_000, callerMs / 10);
  return Math.max(1, Math.min(asked, Math.floor(callerMs - margin)));
}

function decodeOpenRLHF(request: OpenRLHFRequest, cleanup: CleanupOptions): DecodedItem[] {
  const { query, prompts, labels } = request;
  for (const [name, list] of [['prompts', prompts], ['labels', labels]] as const) {
    if (list !== undefined && list.length !== query.length) {
      throw new RequestError(`${name} has ${list.length} entries but query has ${query.length}; they must match`);
    }
  }
  return query.map((text, i) =>
    decodeItem({ prompt: prompts?.[i] ?? '', query: text, response: '', reference: labels?.[i] }, `body/labels/${i}`, cleanup),
  );
}

function decodedItems(dialect: Dialect, body: unknown, cleanup: CleanupOptions): DecodedItem[] {
  switch (dialect) {
    case 'native':
      return (body as NativeRequest).items.map((item, i) => decodeItem(item, `body/items/${i}`, cleanup));
    case 'openrlhf':
      return decodeOpenRLHF(body as OpenRLHFRequest, cleanup);
    case 'slime': {
      const { prompt, response, label, task, metadata } = body as SlimeRequest;
      return [decodeItem({ prompt, response, task, metadata, reference: label }, 'body', cleanup)];
    }
  }
}

/** The items of a body already validated against its dialect's schema. */
export function decodeRequest(dialect: Dialect, body: unknown, cleanup: CleanupOptions): DecodedRequest {
  const decoded = decodedItems(dialect, body, cleanup);
  return {
    items: decoded.map((d) => d.item),
    details: decoded.map((d) => d.detail),
  };
}

function itemResult(scored: ScoredItem, detail: ItemDetail | undefined): ItemResult {
  const merged = { ...detail, ...(scored.formatOnly && { format_only: true }) };
  return {
    reward: scored.reward,
    signature: scored.signature,
    components: scored.components,
    ...(scored.error !== undefined && { error: scored.error }),
    toolset_version: scored.toolsetVersion,
    toolset_hash: scored.toolsetHash,
    ...(scored.unscored && { unscored: true as const }),
    ...(scored.abstained && { abstained: true as const }),
    ...(Object.keys(merged).length > 0 && { detail: merged }),
  };
}

const flag = (on: boolean | undefined) => (on ? 1 : 0);

/** The answer in the request's dialect. */
export function encodeResponse(dialect: Dialect, body: unknown, scored: ScoredItem[], details: ItemDetail[]): RewardResponse {
  switch (dialect) {
    case 'native': {
      const { items, options } = body as NativeRequest;
      if (options?.compact) {
        const failed = [];
        for (let i = 0; i < scored.length; i++) {
          const s = scored[i]!;
          if (s.error === undefined && !s.abstained) continue;
          const id = items[i]?.id;
          failed.push({
            index: i,
            ...(id !== undefined && { id }),
            ...(s.error !== undefined && { error: s.error }),
            ...(s.unscored && { unscored: true as const }),
            ...(s.abstained && { abstained: true as const }),
          });
        }
        return { rewards: scored.map((s) => s.reward), failed };
      }
      return {
        rewards: scored.map((s) => s.reward),
        results: scored.map((s, i) => ({ id: items[i]?.id ?? i, ...itemResult(s, details[i]) })),
      };
    }
    case 'openrlhf': {
      const rewards = scored.map((s) => s.reward);
      // Constant keys: OpenRLHF stacks extra_logs across calls and needs the same keys each time.
      const extra_logs = {
        error: scored.map((s) => flag(s.error !== undefined)),
        unscored: scored.map((s) => flag(s.unscored)),
        format_only: scored.map((s) => flag(s.formatOnly)),
        prompt_not_found: details.map((d) => flag(d.prompt_match === 'not_found')),
      };
      return { rewards, scores: rewards, extra_logs };
    }
    case 'slime':
      return itemResult(scored[0]!, details[0]);
  }
}
