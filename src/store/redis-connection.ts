import { Redis, type RedisOptions } from 'ioredis';

/**
 * ioredis clients for the service. Request-path clients fail fast while Redis is away (no offline
 * queue, one try), so a request answers 503 at once instead of hanging; they reconnect by themselves.
 * Blocking clients (BullMQ workers and event streams) must wait instead: BullMQ requires
 * `maxRetriesPerRequest: null` for them. Command clients (one-shot CLI commands) wait for the first
 * connection, then fail after one retry.
 */
export function redisClient(url: string, kind: 'request' | 'blocking' | 'command'): Redis {
  const options: RedisOptions =
    kind === 'request'
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, lazyConnect: false }
      : kind === 'command'
        ? { maxRetriesPerRequest: 1, connectTimeout: 2_000 }
        : { maxRetriesPerRequest: null, connectTimeout: 2_000 };
  const client = new Redis(url, { ...options, retryStrategy: (attempt) => Math.min(attempt * 200, 2_000) });
  // Connection errors are reported by readiness checks; without a listener ioredis would print each one.
  client.on('error', () => {});
  return client;
}
