import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryToolsetStore } from '../src/store/memory.ts';
import { RedisToolsetStore } from '../src/store/redis.ts';
import { SqliteToolsetStore } from '../src/store/sqlite.ts';
import type { ToolsetStore } from '../src/store/toolset-store.ts';
import type { ToolsetPlan } from '../src/tools/toolset.ts';
import { startRedis, type RunningRedis } from './helpers/service.ts';

// The same behaviour from every store: memory (embedded, RLAR_DATA_DIR=:memory:), SQLite (embedded,
// the default) and Redis (distributed, a real redis-server).

let redis: RunningRedis;
let dir: string;
let stores = 0;

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'rlar-store-'));
});
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh, empty store of each kind. */
const kinds: [string, () => ToolsetStore][] = [
  ['memory', () => new MemoryToolsetStore()],
  ['sqlite', () => new SqliteToolsetStore(join(dir, `store-${++stores}`))],
  // A database of its own per store (redis-server has 16).
  ['redis', () => new RedisToolsetStore(new Redis(`${redis.url}/${++stores % 16}`))],
];

function plan(signature: string, tool: string): ToolsetPlan {
  return { signature, planner: 'test', tools: [{ tool, weight: 1 }], fallback: 0, rationale: [tool] };
}

describe.each(kinds)('%s toolset store', (_kind, open) => {
  it('numbers versions, serves the latest, lists signatures in order and keeps every version', async () => {
    const store = open();
    try {
      expect(await store.get('math.a.number')).toBeUndefined();
      expect((await store.put(plan('math.a.number', 'math_answer'))).version).toBe(1);
      const second = await store.put(plan('math.a.number', 'exact_match'));
      expect(second.version).toBe(2);
      await store.put(plan('choice.any.letter', 'choice'));
      expect(await store.get('math.a.number')).toEqual(second);
      expect((await store.list()).map((t) => [t.signature, t.version])).toEqual([
        ['choice.any.letter', 1],
        ['math.a.number', 2],
      ]);
      expect((await store.versions('math.a.number')).map((t) => t.tools[0]!.tool)).toEqual(['math_answer', 'exact_match']);
    } finally {
      await store.close();
    }
  });

  it('forgets a deleted toolset but never reuses its version numbers', async () => {
    const store = open();
    try {
      await store.put(plan('qa.x.short_text', 'exact_match'));
      await store.put(plan('qa.x.short_text', 'exact_match'));
      expect(await store.delete('qa.x.short_text')).toBe(true);
      expect(await store.delete('qa.x.short_text')).toBe(false);
      expect(await store.get('qa.x.short_text')).toBeUndefined();
      expect(await store.list()).toEqual([]);
      expect((await store.versions('qa.x.short_text')).length).toBe(2);
      expect((await store.put(plan('qa.x.short_text', 'exact_match'))).version).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('gives the planning lock to one holder at a time', async () => {
    const store = open();
    try {
      const release = await store.lockPlanning('qa.y.short_text', 60_000);
      expect(release).toBeDefined();
      // The memory store serves one process, whose resolver already plans each signature once.
      if (store instanceof MemoryToolsetStore) return;
      expect(await store.lockPlanning('qa.y.short_text', 60_000)).toBeUndefined();
      expect(await store.lockPlanning('qa.z.short_text', 60_000)).toBeDefined();
      await release!();
      expect(await store.lockPlanning('qa.y.short_text', 60_000)).toBeDefined();
    } finally {
      await store.close();
    }
  });
});

describe('sqlite toolset store', () => {
  it('keeps every version when reopened, and shares its lock with another process on the same directory', async () => {
    const path = join(dir, 'reopened');
    const first = new SqliteToolsetStore(path);
    await first.put(plan('math.a.number', 'math_answer'));
    const latest = await first.put(plan('math.a.number', 'exact_match'));
    const other = new SqliteToolsetStore(path);
    const release = await first.lockPlanning('math.a.number', 60_000);
    expect(await other.lockPlanning('math.a.number', 60_000)).toBeUndefined();
    await release!();
    await first.close();
    expect(await other.get('math.a.number')).toEqual(latest);
    expect((await other.versions('math.a.number')).map((t) => t.version)).toEqual([1, 2]);
    // An expired lock (its holder died) is free.
    expect(await other.lockPlanning('math.b.number', 1)).toBeDefined();
    const until = Date.now() + 5_000;
    let retaken;
    while (!(retaken = await other.lockPlanning('math.b.number', 60_000)) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    expect(retaken).toBeDefined();
    await other.close();
  });
});
