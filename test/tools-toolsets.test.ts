import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startApp } from './helpers/service.ts';

let service: { url: string; close(): Promise<void> };

beforeAll(async () => {
  service = await startApp();
});
afterAll(async () => {
  await service.close();
});

describe('GET /tools', () => {
  it('lists the built-in tools with descriptions', async () => {
    const { tools } = await (await fetch(`${service.url}/tools`)).json();
    const names = tools.map((t: any) => t.name);
    expect(names).toEqual(expect.arrayContaining(['math_answer', 'exact_match', 'choice', 'think_format', 'length_penalty']));
    for (const tool of tools) expect(tool.description.length).toBeGreaterThan(20);
  });
});

describe('POST /tools/{name}/score', () => {
  it('runs one tool on items with params and answers raw scores and details', async () => {
    const long = Array.from({ length: 90 }, (_, i) => `w${i}`).join(' ');
    const { status, json } = await postJson(`${service.url}/tools/length_penalty/score`, {
      items: [
        { prompt: 'p', response: 'short answer' },
        { prompt: 'p', response: long },
        { prompt: 'p', response: '' },
      ],
      params: { max_length: 100, buffer: 20 },
    });
    expect(status).toBe(200);
    expect(json.scores).toEqual([1, 0.5, 0]);
    expect(json.details[1].detail).toMatchObject({ length: 90, penalty: -0.5 });
  });

  it('reports a per-item error for an item the tool cannot score', async () => {
    const { json } = await postJson(`${service.url}/tools/math_answer/score`, {
      items: [
        { prompt: 'p', response: '\\boxed{5}', reference: '5' },
        { prompt: 'p', response: '\\boxed{5}' },
      ],
    });
    expect(json.scores).toEqual([1, 0]);
    expect(json.details[1].error).toMatch(/math_answer needs a reference/);
  });

  it('answers 404 for an unknown tool and 400 for a bad body', async () => {
    const unknown = await postJson(`${service.url}/tools/no_such_tool/score`, { items: [] });
    expect(unknown.status).toBe(404);
    expect(unknown.json.message).toMatch(/no tool named "no_such_tool"/);
    const bad = await postJson(`${service.url}/tools/choice/score`, { items: [{ prompt: 'p' }] });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/response/);
  });
});

describe('toolsets', () => {
  const item = { prompt: 'Translate to French: good morning', response: 'bonjour', reference: 'bonjour', task: 'wmt14-en-fr' };

  it('plans a toolset on first sight, stores it, reuses it, and re-plans a new version after DELETE', async () => {
    const first = await postJson(`${service.url}/reward`, { items: [item] });
    const signature = first.json.results[0].signature;
    expect(signature).toBe('translation.wmt14_en_fr.short_text');

    const stored = await (await fetch(`${service.url}/toolsets/${signature}`)).json();
    expect(stored).toMatchObject({ signature, version: 1, planner: 'heuristic' });
    expect(stored.rationale.join(' ')).toMatch(/translation/);
    const list = await (await fetch(`${service.url}/toolsets`)).json();
    expect(list.toolsets.map((t: any) => t.signature)).toContain(signature);

    await postJson(`${service.url}/reward`, { items: [item] });
    expect((await (await fetch(`${service.url}/toolsets/${signature}`)).json()).version).toBe(1);

    expect((await fetch(`${service.url}/toolsets/${signature}`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${service.url}/toolsets/${signature}`)).status).toBe(404);
    expect((await fetch(`${service.url}/toolsets/${signature}`, { method: 'DELETE' })).status).toBe(404);
    await postJson(`${service.url}/reward`, { items: [item] });
    expect((await (await fetch(`${service.url}/toolsets/${signature}`)).json()).version).toBe(2);
  });

  it('rejects a signature with characters a signature never has', async () => {
    const response = await fetch(`${service.url}/toolsets/${encodeURIComponent('../etc')}`);
    expect(response.status).toBe(400);
  });
});

describe('GET /metrics', () => {
  it('counts requests, items, toolset hits and misses, and tool latency', async () => {
    const items = [
      { prompt: 'What is 10/4?', response: '\\boxed{2.5}', reference: '\\frac{5}{2}', task: 'metrics-test/math' },
      { prompt: 'What is 10/4?', response: '\\boxed{2.4}', reference: '\\frac{5}{2}', task: 'metrics-test/math' },
    ];
    await postJson(`${service.url}/reward`, { items });
    await postJson(`${service.url}/reward`, { items });
    const text = await (await fetch(`${service.url}/metrics`)).text();
    expect(text).toMatch(/rlar_http_requests_total\{method="POST",route="\/reward",status="200"\} \d+/);
    expect(text).toMatch(/rlar_toolset_lookups_total\{result="miss"\} [1-9]/);
    expect(text).toMatch(/rlar_toolset_lookups_total\{result="hit"\} [1-9]/);
    expect(text).toMatch(/rlar_tool_duration_seconds_count\{tool="math_answer"\} [1-9]/);
    const items_scored = Number(/rlar_items_scored_total (\d+)/.exec(text)?.[1]);
    expect(items_scored).toBeGreaterThanOrEqual(4);
  });
});
