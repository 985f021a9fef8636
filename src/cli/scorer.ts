import { ConfigError, type Config } from '../config.ts';
import { RequestError } from '../protocol/errors.ts';
import type { ItemResult, NativeItem, NativeRequest } from '../protocol/schemas.ts';
import { checkDeclaration } from '../protocol/toolsets.ts';
import { buildApp } from '../server/app.ts';
import type { ToolsetDeclaration } from '../tools/toolset.ts';
import { messageOf } from '../util/errors.ts';

/** One scored item as the native `POST /reward` answers it (reward, signature, components, toolset version and hash). */
export type ScoredRow = ItemResult;

/** An item that was not scored (the deadline passed, the service refused it): worth trying again later. */
export interface NotScored {
  notScored: string;
}

/**
 * Scores native items: in this process, with the service's own pipeline built by `buildApp` as
 * `rlar serve` builds it (no HTTP in between), or against a running service with `POST /reward`.
 */
export interface Scorer {
  /** Where scoring happens, for messages. */
  readonly where: string;
  /** With `toolset`, every item is scored by that declared toolset (the request's `options.toolset`). */
  score(items: NativeItem[], toolset?: ToolsetDeclaration): Promise<(ScoredRow | NotScored)[]>;
  close(): Promise<void>;
}

export function isScored(result: ScoredRow | NotScored): result is ScoredRow {
  return !('notScored' in result);
}

/**
 * Scores a batch. A failure of the whole batch marks each of its items not scored (to be tried again
 * later); a configuration error (a declared toolset the service refuses) stops the command.
 */
export async function scoreBatch(scorer: Scorer, items: NativeItem[], toolset?: ToolsetDeclaration): Promise<(ScoredRow | NotScored)[]> {
  try {
    return await scorer.score(items, toolset);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    return items.map(() => ({ notScored: messageOf(error) }));
  }
}

const DEADLINE_PASSED = 'the request deadline passed before this item was scored';

/** An item result as the output keeps it; one the deadline left unscored is to be scored again later. */
function rowOf({ id: _id, ...result }: ScoredRow & { id: unknown }): ScoredRow | NotScored {
  return result.unscored ? { notScored: DEADLINE_PASSED } : result;
}

export async function inProcessScorer(config: Config): Promise<Scorer> {
  // Warnings (a tool failing, a re-plan) go to stderr; stdout carries the command's own output.
  const app = await buildApp(config, { logger: { level: 'warn', stream: process.stderr } });
  await app.ready();
  return {
    where: `in process (${app.scoring.mode} mode)`,
    // What the POST /reward route does with a native body, without the HTTP around it.
    async score(items, toolset) {
      if (toolset) {
        try {
          checkDeclaration(toolset, app.scoring.registry, 'toolset');
        } catch (error) {
          if (error instanceof RequestError) throw new ConfigError(`the declared toolset: ${error.message}`);
          throw error;
        }
      }
      const body: NativeRequest = { items, ...(toolset && { options: { toolset } }) };
      const { answer } = await app.scoring.reward('native', body);
      const { results } = answer as { results: (ScoredRow & { id: unknown })[] };
      return results.map(rowOf);
    },
    close: () => app.close(),
  };
}

export interface HttpScorerOptions {
  apiKey?: string;
  /** Longest one request may take, in ms. */
  timeoutMs: number;
  /** Tries of a batch the service refuses for now (429, 503, 504) or that fails in transit. */
  attempts?: number;
}

class HttpFailure extends Error {
  readonly status: number;
  readonly retryAfterMs: number | undefined;

  constructor(status: number, message: string, retryAfterMs?: number) {
    super(message);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

// Not 504: a deadline answers 200 with its unscored items flagged; sending the batch again would double the load.
const RETRYABLE = new Set([0, 429, 502, 503]);

/** Scores against a running service: native `POST /reward` batches. */
export function httpScorer(baseUrl: string, options: HttpScorerOptions): Scorer {
  const url = baseUrl.replace(/\/+$/, '');
  // The service ends a request's deadline before this client gives up, so no scored work is lost to the timeout.
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-rlar-client-timeout-ms': String(options.timeoutMs) };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  const attempts = options.attempts ?? 4;

  async function request(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, {
        method,
        headers,
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      throw new HttpFailure(0, `${method} ${url}${path} failed: ${messageOf(error)}`);
    }
    const text = await response.text();
    if (!response.ok) {
      let message = text.slice(0, 500);
      try {
        message = String(JSON.parse(text).message ?? message);
      } catch {
        // not JSON: keep the text
      }
      const retryAfter = response.headers.get('retry-after');
      const retryAfterMs = retryAfter !== null && Number.isFinite(Number(retryAfter)) ? Number(retryAfter) * 1000 : undefined;
      throw new HttpFailure(response.status, `${method} ${path}: ${response.status} ${message}`, retryAfterMs);
    }
    return JSON.parse(text);
  }

  async function postBatch(items: NativeItem[], toolset: ToolsetDeclaration | undefined): Promise<(ScoredRow | NotScored)[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = (await request('POST', '/reward', { items, ...(toolset && { options: { toolset } }) })) as {
          results: (ScoredRow & { id: unknown })[];
        };
        if (!Array.isArray(answer?.results) || answer.results.length !== items.length) {
          throw new Error(`the service answered ${answer?.results?.length ?? 'no'} results for ${items.length} items`);
        }
        return answer.results.map(rowOf);
      } catch (error) {
        if (!(error instanceof HttpFailure)) throw error;
        // What fails every batch alike stops the command with its message: a declared toolset the
        // service refuses, a missing or wrong key, a URL where no service answers POST /reward.
        if ((error.status === 400 && error.message.includes('body/options/')) || [401, 403, 404].includes(error.status)) {
          throw new ConfigError(`${url}: ${error.message}`);
        }
        if (RETRYABLE.has(error.status) && attempt < attempts) {
          await new Promise((r) => setTimeout(r, Math.min(30_000, error.retryAfterMs ?? 500 * 2 ** attempt)));
          continue;
        }
        // A batch the service refuses as a whole (too large, one item it will not take): halve it, so
        // one bad item costs only itself.
        if ((error.status === 400 || error.status === 413) && items.length > 1) {
          const half = Math.ceil(items.length / 2);
          return [...(await postBatch(items.slice(0, half), toolset)), ...(await postBatch(items.slice(half), toolset))];
        }
        return items.map(() => ({ notScored: error.message }));
      }
    }
  }

  return { where: url, score: postBatch, close: async () => undefined };
}
