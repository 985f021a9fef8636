import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postJson, runCli, startRedis, startService, startWorker, tracker, waitForReady, type RunningRedis } from './helpers/service.ts';
import { GATED_GSM8K_RECIPES, mixedItems } from './helpers/mixed-items.ts';

// Recipes, PUT /toolsets/{signature} and snapshots in distributed mode: a real redis-server, two API
// nodes and a worker process.

let redis: RunningRedis;
let dir: string;
const { track, stopAll } = tracker();

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'rlar-distributed-recipes-'));
});
afterEach(stopAll);
afterAll(async () => {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ REDIS_URL: redis.url });


describe('declared rewards in distributed mode', () => {
  it('applies recipes on every node, shares a PUT toolset through Redis, and scores request toolsets on workers', async () => {
    const recipes = join(dir, 'rewards.yaml');
    writeFileSync(recipes, GATED_GSM8K_RECIPES);
    const nodes = [await track(startService(env(), ['--workers', '0', '--recipes', recipes])), await track(startService(env(), ['--workers', '0', '--recipes', recipes]))];
    await track(startWorker(env()));
    for (const node of nodes) await waitForReady(node.url);
    const gsm8k = { prompt: 'What is 2+2?', response: 'The answer is \\boxed{4}', reference: '4', task: 'openai/gsm8k' };
    for (const node of nodes) expect((await postJson(`${node.url}/reward`, { items: [gsm8k] })).json.rewards).toEqual([0]);

    const qa = { prompt: 'Capital of France?', response: 'paris', reference: 'Paris', task: 'dist_put' };
    expect((await postJson(`${nodes[0]!.url}/reward`, { items: [qa] })).json.rewards).toEqual([1]);
    const signature = 'qa.dist_put.short_text';
    const put = await fetch(`${nodes[0]!.url}/toolsets/${signature}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tools: [{ tool: 'exact_match', params: { ignore_case: false } }] }),
    });
    const declared = await put.json();
    expect(declared.version).toBe(2);
    const other = await postJson(`${nodes[1]!.url}/reward`, { items: [qa] });
    expect(other.json.rewards).toEqual([0]);
    expect(other.json.results[0]).toMatchObject({ toolset_version: 2, toolset_hash: declared.toolset_hash });

    const gated = await postJson(`${nodes[1]!.url}/reward`, {
      items: [gsm8k, { ...gsm8k, response: '<think>2+2</think> \\boxed{4}' }],
      options: { toolset: { tools: [{ tool: 'math_answer' }, { tool: 'think_format', weight: 0, gate: 1 }], combination: 'product' } },
    });
    expect(gated.json.rewards).toEqual([0, 1]);
  });

  it('exports the Redis store and serves the snapshot frozen with identical rewards', async () => {
    const items = mixedItems(200);
    const original = await track(startService(env()));
    await waitForReady(original.url);
    const run = await postJson(`${original.url}/reward`, { items });
    expect(run.status).toBe(200);
    const exported = await runCli(['toolsets', 'export'], env());
    expect(exported.code, exported.output).toBe(0);
    const file = join(dir, 'run.json');
    writeFileSync(file, exported.stdout);
    const frozen = await track(startService(env(), ['--toolsets', file, '--frozen']));
    await waitForReady(frozen.url);
    const replay = await postJson(`${frozen.url}/reward`, { items });
    expect(JSON.stringify(replay.json.rewards)).toBe(JSON.stringify(run.json.rewards));
    expect(replay.json.results.map((r: any) => r.toolset_hash)).toEqual(run.json.results.map((r: any) => r.toolset_hash));
    const unknown = await postJson(`${frozen.url}/reward`, { items: [{ prompt: 'q', response: 'a', reference: 'a', task: 'never-seen' }] });
    expect(unknown.json.results[0].error).toMatch(/frozen/);
    // The frozen node changes nothing in the shared store.
    const { toolsets } = await (await fetch(`${original.url}/toolsets`)).json();
    expect(toolsets.some((t: any) => t.signature.includes('never_seen'))).toBe(false);
  });
});
