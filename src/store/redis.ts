import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Toolset, ToolsetPlan } from '../tools/toolset.ts';
import type { ReleaseLock, ToolsetStore } from './toolset-store.ts';

const PREFIX = 'rlar:toolset:';
const INDEX = 'rlar:toolsets';

// Deletes the lock only if it still holds our token: an expired lock taken by another planner stays.
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Toolsets in Redis, for distributed mode: the current toolset of each signature, every version
 * kept for rollback, an index of signatures, and the cluster-wide planning lock.
 *
 * Keys: `rlar:toolset:{sig}` (current JSON), `rlar:toolset:{sig}:versions` (hash version -> JSON),
 * `rlar:toolset:{sig}:counter` (last version), `rlar:toolset:{sig}:lock`, and the set `rlar:toolsets`.
 */
export class RedisToolsetStore implements ToolsetStore {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async get(signature: string): Promise<Toolset | undefined> {
    const json = await this.#redis.get(PREFIX + signature);
    return json === null ? undefined : (JSON.parse(json) as Toolset);
  }

  async put(plan: ToolsetPlan): Promise<Toolset> {
    const key = PREFIX + plan.signature;
    const version = await this.#redis.incr(`${key}:counter`);
    const toolset: Toolset = { ...plan, version, createdAt: new Date().toISOString() };
    const json = JSON.stringify(toolset);
    await this.#redis.multi().set(key, json).hset(`${key}:versions`, String(version), json).sadd(INDEX, plan.signature).exec();
    return toolset;
  }

  async list(): Promise<Toolset[]> {
    const signatures = (await this.#redis.smembers(INDEX)).sort();
    if (signatures.length === 0) return [];
    const values = await this.#redis.mget(signatures.map((s) => PREFIX + s));
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as Toolset);
  }

  async versions(signature: string): Promise<Toolset[]> {
    const all = await this.#redis.hgetall(`${PREFIX}${signature}:versions`);
    return Object.values(all)
      .map((json) => JSON.parse(json) as Toolset)
      .sort((a, b) => a.version - b.version);
  }

  async delete(signature: string): Promise<boolean> {
    const [[, removed] = []] = (await this.#redis.multi().del(PREFIX + signature).srem(INDEX, signature).exec()) ?? [];
    return removed === 1;
  }

  async lockPlanning(signature: string, ttlMs: number): Promise<ReleaseLock | undefined> {
    const key = `${PREFIX}${signature}:lock`;
    const token = randomUUID();
    const taken = await this.#redis.set(key, token, 'PX', ttlMs, 'NX');
    if (taken !== 'OK') return undefined;
    return async () => {
      await this.#redis.eval(RELEASE, 1, key, token);
    };
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }
}
