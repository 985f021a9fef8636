import { setTimeout as sleep } from 'node:timers/promises';

/**
 * POST with the retry policy of model endpoints: 429 and 5xx are retried with exponential backoff
 * (honouring a short Retry-After), anything else fails at once; every attempt has a timeout.
 */
export interface Endpoint {
  apiKey?: string;
  timeoutMs: number;
}

const ATTEMPTS = 3;

/** The endpoint refused the request itself (4xx other than 429): retrying the same body cannot help. */
export class EndpointRejected extends Error {
  readonly status: number;
  constructor(status: number, text: string) {
    super(`the endpoint answered ${status}: ${text}`);
    this.status = status;
  }
}

export async function postWithRetries(url: string, body: unknown, endpoint: Endpoint): Promise<unknown> {
  let last = '';
  let retryAfterMs: number | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(retryAfterMs ?? 200 * 2 ** (attempt - 1));
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(endpoint.apiKey && { authorization: `Bearer ${endpoint.apiKey}` }) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(endpoint.timeoutMs),
    });
    if (response.ok) return response.json();
    const text = (await response.text()).slice(0, 200);
    if (response.status !== 429 && response.status < 500) throw new EndpointRejected(response.status, text);
    const retryAfter = Number(response.headers.get('retry-after'));
    retryAfterMs = Number.isFinite(retryAfter) && retryAfter > 0 && retryAfter <= 5 ? retryAfter * 1000 : undefined;
    last = `${response.status}: ${text}`;
  }
  throw new Error(`the endpoint kept failing after ${ATTEMPTS} tries (${last})`);
}
