import type { ScoredItem } from '../pipeline/pipeline.ts';
import type { ScoringItem } from '../tools/types.ts';
import { RequestError } from './errors.ts';
import { toScoringItem } from './items.ts';
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

/**
 * OpenRLHF sends each query as prompt + response, decoded from tokens; the response is what follows
 * the prompt. A decode that changed the prompt's leading or trailing whitespace is tolerated; a query
 * that does not contain its prompt at its start is scored whole.
 */
export function splitQuery(query: string, prompt: string): string {
  if (query.startsWith(prompt)) return query.slice(prompt.length);
  const trimmed = prompt.trim();
  const at = query.indexOf(trimmed);
  if (trimmed !== '' && at !== -1 && query.slice(0, at).trim() === '') return query.slice(at + trimmed.length);
  return query;
}

export interface DecodedRequest {
  items: ScoringItem[];
  timeoutMs?: number;
}

function decodeOpenRLHF(request: OpenRLHFRequest): ScoringItem[] {
  const { query, prompts, labels } = request;
  for (const [name, list] of [['prompts', prompts], ['labels', labels]] as const) {
    if (list !== undefined && list.length !== query.length) {
      throw new RequestError(`${name} has ${list.length} entries but query has ${query.length}; they must match`);
    }
  }
  return query.map((text, i) => {
    const prompt = prompts?.[i] ?? '';
    const label = labels?.[i];
    return toScoringItem(
      { prompt, response: splitQuery(text, prompt), ...(label != null && { reference: label }) },
      `body/labels/${i}`,
    );
  });
}

/** The items of a body already validated against its dialect's schema. */
export function decodeRequest(dialect: Dialect, body: unknown): DecodedRequest {
  switch (dialect) {
    case 'native': {
      const request = body as NativeRequest;
      return {
        items: request.items.map((item, i) => toScoringItem(item, `body/items/${i}`)),
        timeoutMs: request.options?.timeout_ms,
      };
    }
    case 'openrlhf':
      return { items: decodeOpenRLHF(body as OpenRLHFRequest) };
    case 'slime': {
      const { prompt, response, label, task, metadata } = body as SlimeRequest;
      const item = { prompt, response, task, metadata, ...(label != null && { reference: label }) };
      return { items: [toScoringItem(item, 'body')] };
    }
  }
}

function itemResult(scored: ScoredItem): ItemResult {
  return {
    reward: scored.reward,
    signature: scored.signature,
    components: scored.components,
    ...(scored.error !== undefined && { error: scored.error }),
    toolset_version: scored.toolsetVersion,
    toolset_hash: scored.toolsetHash,
  };
}

/** The answer in the request's dialect. */
export function encodeResponse(dialect: Dialect, body: unknown, scored: ScoredItem[]): RewardResponse {
  switch (dialect) {
    case 'native': {
      const items = (body as NativeRequest).items;
      return {
        rewards: scored.map((s) => s.reward),
        results: scored.map((s, i) => ({ id: items[i]?.id ?? i, ...itemResult(s) })),
      };
    }
    case 'openrlhf': {
      const rewards = scored.map((s) => s.reward);
      // One constant key: OpenRLHF stacks extra_logs across calls and needs the same keys each time.
      return { rewards, scores: rewards, extra_logs: { error: scored.map((s) => (s.error === undefined ? 0 : 1)) } };
    }
    case 'slime':
      return itemResult(scored[0]!);
  }
}
