import type { Config } from '../config.ts';
import { decodeRequest, encodeResponse } from '../protocol/dialects.ts';
import type { ItemResult, NativeItem } from '../protocol/schemas.ts';
import { buildApp } from '../server/app.ts';
import { messageOf } from '../util/errors.ts';

/** One scored item as the native `POST /reward` answers it, plus the version of its toolset. */
export type ScoredRow = ItemResult & { toolset_version?: number } & Record<string, unknown>;

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
  score(items: NativeItem[], options?: Record<string, unknown>): Promise<(ScoredRow | NotScored)[]>;
  close(): Promise<void>;
}

export function isScored(result: ScoredRow | NotScored): result is ScoredRow {
  return !('notScored' in result);
}

const DEADLINE_PASSED = 'the request deadline passed before this item was scored';

/** Adds the current version of each signature's toolset to its results. */
async function withVersions(
  results: (ScoredRow | NotScored)[],
  version: (signature: string) => Promise<number | undefined>,
): Promise<(ScoredRow | NotScored)[]> {
  const signatures = [...new Set(results.filter(isScored).map((r) => r.signature))];
  const versions = new Map(await Promise.all(signatures.map(async (s) => [s, await version(s)] as const)));
  return results.map((r) => {
    if (!isScored(r)) return r;
    const v = versions.get(r.signature);
    return v === undefined ? r : { ...r, toolset_version: v };
  });
}

export async function inProcessScorer(config: Config): Promise<Scorer> {
  // Warnings (a tool failing, a re-plan) go to stderr; stdout carries the command's own output.
  const app = await buildApp(config, { logger: { level: 'warn', stream: process.stderr } });
  await app.ready();
  return {
    where: `in process (${app.scoring.mode} mode)`,
    async score(items) {
      const body = { items };
      const { items: scoringItems } = decodeRequest('native', body);
      const scored = await app.scoring.pipeline.score(scoringItems);
      const { results } = encodeResponse('native', body, scored) as { results: ScoredRow[] };
      const marked = results.map(({ id: _id, ...r }, i): ScoredRow | NotScored => (scored[i]!.unscored ? { notScored: DEADLINE_PASSED } : r));
      return withVersions(marked, async (signature) => (await app.scoring.store.get(signature))?.version);
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

const RETRYABLE = new Set([0, 429, 502, 503, 504]);

/** Scores against a running service: native `POST /reward` batches. */
export function httpScorer(baseUrl: string, options: HttpScorerOptions): Scorer {
  const url = baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
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
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new HttpFailure(response.status, `${method} ${path}: ${response.status} ${message}`, Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined);
    }
    return JSON.parse(text);
  }

  async function postBatch(items: NativeItem[], extra: Record<string, unknown> | undefined): Promise<(ScoredRow | NotScored)[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = (await request('POST', '/reward', { items, ...(extra && { options: extra }) })) as { results: ScoredRow[] };
        return answer.results.map(({ id: _id, ...result }) => result as ScoredRow);
      } catch (error) {
        if (!(error instanceof HttpFailure)) throw error;
        if (RETRYABLE.has(error.status) && attempt < attempts) {
          await new Promise((r) => setTimeout(r, Math.min(30_000, error.retryAfterMs ?? 500 * 2 ** attempt)));
          continue;
        }
        // A batch the service refuses as a whole (too large, one item it will not take): halve it, so
        // one bad item costs only itself.
        if ((error.status === 400 || error.status === 413) && items.length > 1) {
          const half = Math.ceil(items.length / 2);
          return [...(await postBatch(items.slice(0, half), extra)), ...(await postBatch(items.slice(half), extra))];
        }
        return items.map(() => ({ notScored: error.message }));
      }
    }
  }

  return {
    where: url,
    async score(items, extra) {
      const results = await postBatch(items, extra);
      return withVersions(results, async (signature) => {
        try {
          const toolset = (await request('GET', `/toolsets/${encodeURIComponent(signature)}`)) as { version?: number };
          return toolset.version;
        } catch {
          return undefined;
        }
      });
    },
    close: async () => undefined,
  };
}
