import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, type FakeLlm } from './helpers/fake-llm.ts';
import { GATED_GSM8K_RECIPES, mixedItems } from './helpers/mixed-items.ts';
import { postJson, runCli, startService, tracker } from './helpers/service.ts';

// Reproducible rewards: the embedded store survives a SIGKILL, and a snapshot served frozen gives
// bit-identical rewards to the run it was exported from.

let dir: string;
const { track, stopAll } = tracker();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rlar-snapshots-'));
});
afterEach(stopAll);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});


async function json(url: string) {
  return (await fetch(url)).json();
}

/** Every current toolset with all its versions: what a restart must bring back. */
async function storeState(url: string) {
  const { toolsets } = await json(`${url}/toolsets`);
  const versions = await Promise.all(toolsets.map((t: any) => json(`${url}/toolsets/${t.signature}/versions`)));
  return { toolsets, versions };
}

const put = (url: string, signature: string, body: unknown) =>
  fetch(`${url}/toolsets/${signature}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('the embedded store', () => {
  it('serves the same toolsets, versions and hashes after the service is killed (SIGKILL) and started again', async () => {
    const data = join(dir, 'killed');
    const items = mixedItems(80);
    const first = await track(startService({ RLAR_DATA_DIR: data }));
    const before = await postJson(`${first.url}/reward`, { items });
    expect(before.status).toBe(200);
    const declared = await put(first.url, 'qa.squad.short_text', { tools: [{ tool: 'exact_match', params: { ignore_case: false } }] });
    expect((await declared.json()).version).toBe(2);
    const state = await storeState(first.url);
    expect(state.toolsets.length).toBeGreaterThanOrEqual(8);
    await first.kill();

    const second = await track(startService({ RLAR_DATA_DIR: data }));
    expect(await storeState(second.url)).toEqual(state);
    const after = await postJson(`${second.url}/reward`, { items });
    for (const [i, result] of after.json.results.entries()) {
      const stored = state.toolsets.find((t: any) => t.signature === result.signature);
      expect(result.toolset_version).toBe(stored.version);
      expect(result.toolset_hash).toBe(stored.toolset_hash);
      if (result.signature !== 'qa.squad.short_text') expect(result.reward).toBe(before.json.results[i].reward);
    }
    // Scoring again planned nothing new.
    expect(await storeState(second.url)).toEqual(state);
  });

  it('keeps nothing with RLAR_DATA_DIR=:memory:, and then has nothing to export', async () => {
    const service = await track(startService({ RLAR_DATA_DIR: ':memory:' }));
    await postJson(`${service.url}/reward`, { items: mixedItems(8) });
    const exported = await runCli(['toolsets', 'export'], { RLAR_DATA_DIR: ':memory:' });
    expect(exported.code).toBe(2);
    expect(exported.output).toMatch(/RLAR_DATA_DIR is :memory:: there is no store to export/);
    const missing = await runCli(['toolsets', 'export'], { RLAR_DATA_DIR: join(dir, 'never-used') });
    expect(missing.code).toBe(2);
    expect(missing.output).toMatch(/no toolset store in RLAR_DATA_DIR/);
  });
});

describe('snapshots', () => {
  let llm: FakeLlm;
  beforeAll(async () => {
    llm = await startFakeLlm({ answer: () => '{}' });
  });
  afterAll(async () => {
    await llm.close();
  });

  it('export, then serve frozen: 1,000 mixed items get bit-identical rewards, and nothing is planned', async () => {
    const data = join(dir, 'original');
    const recipes = join(dir, 'rewards.yaml');
    writeFileSync(recipes, GATED_GSM8K_RECIPES);
    const items = mixedItems(1000);
    const original = await track(startService({ RLAR_DATA_DIR: data }, ['--recipes', recipes]));
    const run = await postJson(`${original.url}/reward`, { items, options: { timeout_ms: 600_000 } });
    expect(run.status).toBe(200);
    expect(new Set(run.json.results.map((r: any) => r.signature)).size).toBeGreaterThanOrEqual(10);
    expect(new Set(run.json.rewards).size).toBeGreaterThan(5);
    expect((await put(original.url, 'dialogue.any.none', { tools: [{ tool: 'length_penalty', params: { max_length: 20, buffer: 10 } }] })).status).toBe(200);
    const reference = await postJson(`${original.url}/reward`, { items, options: { timeout_ms: 600_000 } });

    // Exported while the original service still runs on the same store.
    const exported = await runCli(['toolsets', 'export'], { RLAR_DATA_DIR: data });
    expect(exported.code, exported.output).toBe(0);
    const snapshot = JSON.parse(exported.stdout);
    expect(snapshot.rlar_snapshot).toBe(1);
    expect(snapshot.toolsets.find((t: any) => t.signature === 'dialogue.any.none')).toMatchObject({ version: 2, planner: 'declared' });
    const file = join(dir, 'run.json');
    writeFileSync(file, exported.stdout);

    // The frozen service has an agent planner configured: had it planned anything, it would differ.
    const frozen = await track(startService({ OPENAI_BASE_URL: `${llm.url}/v1`, RLAR_HUB_URL: llm.url }, ['--toolsets', file, '--frozen', '--recipes', recipes]));
    const replay = await postJson(`${frozen.url}/reward`, { items, options: { timeout_ms: 600_000 } });
    expect(replay.status).toBe(200);
    expect(JSON.stringify(replay.json.rewards)).toBe(JSON.stringify(reference.json.rewards));
    const stamps = (r: any) => r.results.map((x: any) => [x.signature, x.toolset_version, x.toolset_hash]);
    expect(stamps(replay.json)).toEqual(stamps(reference.json));
    expect(llm.calls.length).toBe(0);

    // An unknown signature gets the fallback and an error; nothing changes the frozen toolsets.
    const unknown = await postJson(`${frozen.url}/reward`, { items: [{ prompt: 'Write JSON.', response: '{}', reference: { type: 'object', properties: {} } }] });
    expect(unknown.json.rewards).toEqual([0]);
    expect(unknown.json.results[0].error).toMatch(/frozen and its snapshot has no toolset for json\./);
    expect(unknown.json.results[0].toolset_hash).toMatch(/^sha256:/);
    expect((await put(frozen.url, 'dialogue.any.none', { tools: [{ tool: 'length_penalty' }] })).status).toBe(409);
    expect((await fetch(`${frozen.url}/toolsets/dialogue.any.none`, { method: 'DELETE' })).status).toBe(409);
    expect((await fetch(`${frozen.url}/toolsets/dialogue.any.none/replan`, { method: 'POST' })).status).toBe(409);
    expect((await json(`${frozen.url}/toolsets`)).toolsets).toEqual(snapshot.toolsets);
    expect(llm.calls.length).toBe(0);
  });

  it('refuses a snapshot whose entry was edited after export, naming the line', async () => {
    const data = join(dir, 'edited');
    const service = await track(startService({ RLAR_DATA_DIR: data }));
    await postJson(`${service.url}/reward`, { items: mixedItems(8) });
    const exported = await runCli(['toolsets', 'export'], { RLAR_DATA_DIR: data });
    const edited = exported.stdout.replace('"fallback": 0', '"fallback": 0.5');
    const file = join(dir, 'edited.json');
    writeFileSync(file, edited);
    const line = edited.split('\n').findIndex((l) => l.includes('"toolset_hash"')) + 1;
    const started = await runCli(['serve', '--toolsets', file, '--frozen'], { PORT: '0' });
    expect(started.code).toBe(2);
    expect(started.output).toContain(`edited.json:${line}: toolsets/0/toolset_hash does not match the toolset's content`);
    const noSnapshot = await runCli(['serve', '--frozen'], { PORT: '0' });
    expect(noSnapshot.code).toBe(2);
    expect(noSnapshot.output).toMatch(/--frozen needs --toolsets FILE/);
  });

  it('served unfrozen, declares its toolsets into the store as new versions', async () => {
    const source = join(dir, 'source');
    const service = await track(startService({ RLAR_DATA_DIR: source }));
    await postJson(`${service.url}/reward`, { items: mixedItems(8) });
    const file = join(dir, 'seed.json');
    writeFileSync(file, (await runCli(['toolsets', 'export'], { RLAR_DATA_DIR: source })).stdout);
    const snapshot = JSON.parse(readFileSync(file, 'utf8'));
    const target = join(dir, 'target');
    const first = await track(startService({ RLAR_DATA_DIR: target }));
    expect((await put(first.url, 'dialogue.any.none', { tools: [{ tool: 'repetition_penalty' }] })).status).toBe(200);
    await first.stop();
    const seeded = await track(startService({ RLAR_DATA_DIR: target }, ['--toolsets', file]));
    const { toolsets } = await json(`${seeded.url}/toolsets`);
    expect(toolsets.map((t: any) => t.toolset_hash).sort()).toEqual(snapshot.toolsets.map((t: any) => t.toolset_hash).sort());
    expect(toolsets.find((t: any) => t.signature === 'dialogue.any.none').version).toBe(2);
  });
});
