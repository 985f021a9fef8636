import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm } from './helpers/fake-llm.ts';
import {
  postJson,
  startRedis,
  startService,
  startWorker,
  type RunningRedis,
  type RunningService,
  type RunningWorker,
} from './helpers/service.ts';

// Distributed mode on a real Redis (a private redis-server per file) with real worker processes.

let redis: RunningRedis;
const running: { stop(): Promise<void> }[] = [];

async function track<T extends { stop(): Promise<void> }>(started: Promise<T>): Promise<T> {
  const value = await started;
  running.push(value);
  return value;
}

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});
afterAll(async () => {
  await redis.stop();
});

const MIXED = [
  ...Array.from({ length: 20 }, (_, i) => ({
    prompt: `Natalia sold ${i} clips...`,
    response: i % 3 === 0 ? `So ${i * 2 + 1} in total.` : `So the total is ${i * 2}.\n#### ${i * 2}`,
    reference: `${i} + ${i} = ${i * 2}\n#### ${i * 2}`,
    task: 'openai/gsm8k',
  })),
  ...Array.from({ length: 10 }, (_, i) => ({
    prompt: 'Pick:\nA) one\nB) two\nC) three',
    response: `The answer is (${'ABC'[i % 3]}).`,
    reference: 'B',
  })),
  ...Array.from({ length: 10 }, (_, i) => ({
    prompt: 'Translate to French: the cat sat on the mat',
    response: i % 2 === 0 ? 'le chat était assis sur le tapis' : 'un chien dort',
    reference: 'le chat était assis sur le tapis',
    task: 'wmt14-en-fr',
  })),
  ...Array.from({ length: 10 }, (_, i) => ({ prompt: 'Tell me a story.', response: 'once upon a time '.repeat(i) })),
];

const env = () => ({ REDIS_URL: redis.url, RLAR_JOB_LOCK_MS: '1000' });

/**
 * A worker that takes one job and holds it until released: alive for readiness, no use for scoring.
 * Released, it takes no more jobs and fails the one it holds, which BullMQ then retries elsewhere.
 */
async function hungWorker(): Promise<{ stop(): Promise<void>; release(): Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const worker = new Worker(
    'rlar-score',
    async () => {
      await released;
      throw new Error('released by the test');
    },
    { connection: new Redis(redis.url, { maxRetriesPerRequest: null }), lockDuration: 60_000 },
  );
  await worker.waitUntilReady();
  return {
    stop: () => worker.close(true),
    release: async () => {
      const closed = worker.close();
      release();
      await closed;
    },
  };
}

describe('distributed mode', () => {
  it('scores a batch on two worker processes exactly as embedded mode does', async () => {
    const embedded = await track(startService());
    const api = await track(startService(env(), ['--workers', '0']));
    await track(startWorker(env()));
    await track(startWorker(env()));
    const local = await postJson(`${embedded.url}/reward`, { items: MIXED });
    const remote = await postJson(`${api.url}/reward`, { items: MIXED });
    expect(remote.status).toBe(200);
    expect(remote.json.rewards).toEqual(local.json.rewards);
    expect(remote.json.results).toEqual(local.json.results);
    expect((await (await fetch(`${api.url}/readyz`)).json()).mode).toBe('distributed');
  });

  it('completes a batch with every item once when a worker is killed mid-batch', async () => {
    const api = await track(startService(env(), ['--workers', '0']));
    const victim: RunningWorker = await track(startWorker(env()));
    await track(startWorker(env()));
    // Identical long texts: ROUGE-L is 1 for each, after an LCS of ~16 million cells (tens of ms).
    const text = Array.from({ length: 4000 }, (_, i) => `w${i % 50}`).join(' ');
    const items = Array.from({ length: 48 }, () => ({ prompt: 'p', response: text, reference: text }));
    const pending = postJson(`${api.url}/tools/rouge/score`, { items, params: { variant: 'rougeL' } });
    await new Promise((r) => setTimeout(r, 400));
    await victim.stop('SIGKILL');
    const { status, json } = await pending;
    expect(status).toBe(200);
    expect(json.scores).toEqual(items.map(() => 1));
    expect(json.details.filter((d: any) => d.error !== undefined)).toEqual([]);
  });

  it('lets a worker stopped with SIGTERM finish the job it holds before it exits', async () => {
    const api = await track(startService(env(), ['--workers', '0']));
    const leaving = await startWorker(env());
    const text = Array.from({ length: 4000 }, (_, i) => `w${i % 50}`).join(' ');
    const items = Array.from({ length: 32 }, () => ({ prompt: 'p', response: text, reference: text }));
    const pending = postJson(`${api.url}/tools/rouge/score`, { items, params: { variant: 'rougeL' } });
    await new Promise((r) => setTimeout(r, 500));
    const exited = new Promise<number | null>((resolve) => leaving.child.once('exit', resolve));
    leaving.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // 'exit' may come before the last of the child's stderr is read.
    await expect.poll(() => leaving.output(), { timeout: 10_000 }).toMatch(/SIGTERM: finishing the work in flight/);
    await track(startWorker(env())); // takes the jobs still waiting
    const { status, json } = await pending;
    expect(status).toBe(200);
    expect(json.scores).toEqual(items.map(() => 1));
  });

  it('plans each new signature once across API nodes meeting it at the same time', async () => {
    const apis = [await track(startService(env())), await track(startService(env()))];
    const items = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'].map((name) => ({
      prompt: 'q',
      response: '\\boxed{1}',
      reference: '1',
      task: `single-flight/${name}`,
    }));
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => postJson(`${apis[i % 2]!.url}/reward`, { items })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    const { toolsets } = await (await fetch(`${apis[0]!.url}/toolsets`)).json();
    const planned = toolsets.filter((t: any) => t.signature.includes('.single_flight_') || /\.(alpha|beta|gamma|delta|epsilon)\./.test(t.signature));
    expect(planned).toHaveLength(5);
    expect(planned.map((t: any) => t.version)).toEqual([1, 1, 1, 1, 1]);
  });

  it('holds the planning lock for longer than a slow agent may plan, so no second node plans meanwhile', async () => {
    const llm = await startFakeLlm({ answer: () => '{"label": "incomplete"}', delayMs: 1500 });
    const client = new Redis(redis.url);
    try {
      const api = await track(startService({ ...env(), OPENAI_BASE_URL: llm.url, RLAR_PLANNER_TIMEOUT_MS: '90000' }));
      const reply = postJson(`${api.url}/reward`, { items: [{ prompt: 'q', response: 'a', reference: 'a', task: 'slow-plan' }] });
      let ttl = -2;
      // The lock appears once the service starts planning; on a busy machine that may take a while.
      let answered = false;
      void reply.finally(() => (answered = true));
      while (ttl < 0 && !answered) {
        await new Promise((r) => setTimeout(r, 20));
        const [key] = await client.keys('rlar:toolset:*slow_plan*:lock');
        if (key) ttl = await client.pttl(key);
      }
      expect(ttl).toBeGreaterThan(90_000);
      expect((await reply).status).toBe(200);
    } finally {
      client.disconnect();
      await llm.close();
    }
  });

  it('answers 200 with the unscored items flagged when no worker takes the jobs before the deadline', async () => {
    const api = await track(startService(env(), ['--workers', '0']));
    await track(hungWorker());
    await track(hungWorker()); // both items' job is held, whichever worker takes it
    const { status, json } = await postJson(`${api.url}/reward`, {
      items: [
        { prompt: 'q', response: '1', reference: '1' },
        { prompt: 'q', response: '2', reference: '2' },
      ],
      options: { timeout_ms: 700 },
    });
    expect(status).toBe(200);
    expect(json.rewards).toEqual([0, 0]);
    expect(json.results.map((r: any) => [r.unscored, r.error])).toEqual([
      [true, 'the request deadline passed before this item was scored'],
      [true, 'the request deadline passed before this item was scored'],
    ]);
  });

  it('returns the items workers scored when others miss the deadline', async () => {
    // A reward model that never answers holds the open-ended item; the worker scores the choice items.
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const client = new Redis(redis.url);
    await client.flushall(); // no toolset stored by earlier tests: open-ended items meet the reward model
    client.disconnect();
    try {
      const rm = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      const api = await track(startService({ ...env(), RLAR_RM_URL: rm, RLAR_REQUEST_TIMEOUT_MS: '3000' }, ['--workers', '0']));
      await track(startWorker(env()));
      const choice = { prompt: 'Pick one:\nA) red\nB) blue', response: 'The answer is (B).', reference: 'B' };
      let warm = await postJson(`${api.url}/reward`, { items: [choice] });
      for (let tries = 0; tries < 20 && warm.json.results[0].unscored; tries++) warm = await postJson(`${api.url}/reward`, { items: [choice] });
      const { status, json } = await postJson(`${api.url}/reward`, {
        query: [choice.prompt + choice.response, 'Write a haiku about rain. Rain on the roof.'],
        prompts: [choice.prompt, 'Write a haiku about rain.'],
        labels: ['B', null],
      });
      expect(status).toBe(200);
      expect(json.rewards).toEqual([1, 0]);
      expect(json.extra_logs.unscored).toEqual([0, 1]);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('turns requests away with 503 while the queue is full', async () => {
    const api = await track(startService({ ...env(), RLAR_QUEUE_MAX_DEPTH: '2' }, ['--workers', '0']));
    const client = new Redis(redis.url);
    await client.flushall(); // no jobs left waiting by earlier tests
    const held = await track(hungWorker());
    try {
      // 64 items make 4 jobs (16 items each): one is held, three wait until the second request is refused.
      const items = Array.from({ length: 64 }, (_, i) => ({ prompt: 'q', response: `${i}`, reference: `${i}`, task: 'queue-full' }));
      let answered = false;
      const first = postJson(`${api.url}/reward`, { items, options: { timeout_ms: 120_000 } }).finally(() => (answered = true));
      while (!answered && (await client.llen('bull:rlar-score:wait')) < 2) await new Promise((r) => setTimeout(r, 20));
      const second = await postJson(`${api.url}/reward`, { items, options: { timeout_ms: 120_000 } });
      expect(second.status).toBe(503);
      expect(second.json.message).toMatch(/waiting jobs \(RLAR_QUEUE_MAX_DEPTH is 2\)/);
      await track(startWorker(env()));
      await held.release(); // its job fails once and is retried on the real worker
      const reply = await first;
      expect(reply.status).toBe(200);
      expect(reply.json.rewards).toEqual(items.map(() => 1));
    } finally {
      client.disconnect();
    }
  });

  it('puts the queue dashboard behind an admin key, which an API key is not', async () => {
    const api = await track(startService({ ...env(), RLAR_API_KEYS: 'user-key', RLAR_ADMIN_KEYS: 'admin-key' }));
    expect((await fetch(`${api.url}/admin/queues`)).status).toBe(401);
    const user = await fetch(`${api.url}/admin/queues`, { headers: { authorization: 'Bearer user-key' } });
    expect(user.status).toBe(403);
    expect((await user.json()).message).toMatch(/RLAR_ADMIN_KEYS/);
    const board = await fetch(`${api.url}/admin/queues`, { headers: { authorization: 'Bearer admin-key' } });
    expect(board.status).toBe(200);
    expect(await board.text()).toMatch(/bull/i);
    const scored = await postJson(`${api.url}/reward`, { prompt: 'q', response: '\\boxed{1}', label: '1' }, { 'x-api-key': 'admin-key' });
    expect(scored.status).toBe(200);
    const sole = await track(startService({ ...env(), RLAR_API_KEYS: 'user-key' }));
    expect((await fetch(`${sole.url}/admin/queues`, { headers: { authorization: 'Bearer user-key' } })).status).toBe(403);
  });

  it('is not ready, and answers 503 at once, while no worker takes jobs', async () => {
    const api = await track(startService(env(), ['--workers', '0']));
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(503);
    expect((await ready.json()).reason).toMatch(/no worker/);
    const refused = await postJson(`${api.url}/reward`, { items: [{ prompt: 'q', response: '\\boxed{3}', reference: '3' }] });
    expect(refused.status).toBe(503);
    expect(refused.json.message).toMatch(/rlar worker/);
    await track(startWorker(env()));
    expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
    const scored = await postJson(`${api.url}/reward`, { items: [{ prompt: 'q', response: '\\boxed{3}', reference: '3' }] });
    expect(scored.json.rewards).toEqual([1]);
  });

  it('queues the jobs of a batch again when Redis restarts empty mid-batch, and finishes it', async () => {
    const api = await track(startService({ ...env(), RLAR_REQUEST_TIMEOUT_MS: '60000' }, ['--workers', '0']));
    await track(startWorker(env()));
    const text = Array.from({ length: 4000 }, (_, i) => `w${i % 50}`).join(' ');
    const items = Array.from({ length: 48 }, () => ({ prompt: 'p', response: text, reference: text }));
    const pending = postJson(`${api.url}/tools/rouge/score`, { items, params: { variant: 'rougeL' } });
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    try {
      for (let i = 0; i < 200 && (await client.llen('bull:rlar-score:active')) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    } finally {
      client.disconnect();
    }
    await redis.restart();
    const { status, json } = await pending;
    expect(status).toBe(200);
    expect(json.scores).toEqual(items.map(() => 1));
    expect(json.details.filter((d: any) => d.error !== undefined)).toEqual([]);
  });

  it('fails fast while Redis is down and recovers when it is back, without a restart', async () => {
    const api: RunningService = await track(startService(env()));
    const item = { prompt: 'q', response: '\\boxed{3}', reference: '3' };
    expect((await postJson(`${api.url}/reward`, { items: [item] })).status).toBe(200);

    await redis.stop();
    let ready = await fetch(`${api.url}/readyz`);
    for (let i = 0; i < 50 && ready.status === 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ready = await fetch(`${api.url}/readyz`);
    }
    expect(ready.status).toBe(503);
    expect((await ready.json()).reason).toMatch(/Redis/);
    const started = Date.now();
    const refused = await postJson(`${api.url}/reward`, { items: [item] });
    expect(refused.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(5_000);

    await redis.restart();
    for (let i = 0; i < 100 && ready.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ready = await fetch(`${api.url}/readyz`);
    }
    expect(ready.status).toBe(200);
    const again = await postJson(`${api.url}/reward`, { items: [item] });
    expect(again.status).toBe(200);
    expect(again.json.rewards).toEqual([1]);
  });
});
