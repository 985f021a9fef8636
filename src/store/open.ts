import { MemoryToolsetStore } from './memory.ts';
import { RedisToolsetStore } from './redis.ts';
import { redisClient } from './redis-connection.ts';
import { SqliteToolsetStore } from './sqlite.ts';
import type { ToolsetStore } from './toolset-store.ts';

/** `RLAR_DATA_DIR=:memory:`: toolsets live only as long as the process. */
export const IN_MEMORY = ':memory:';

/**
 * The store of a configuration: Redis when there is a REDIS_URL, else the data directory's file (or
 * memory). `command`: for a one-shot CLI command, which waits for Redis's first connection.
 */
export function openToolsetStore(settings: { redisUrl: string | undefined; dataDir: string }, kind: 'request' | 'command' = 'request'): ToolsetStore {
  if (settings.redisUrl !== undefined) return new RedisToolsetStore(redisClient(settings.redisUrl, kind));
  if (settings.dataDir === IN_MEMORY) return new MemoryToolsetStore();
  return new SqliteToolsetStore(settings.dataDir);
}
