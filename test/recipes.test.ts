import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startService, type RunningService } from './helpers/service.ts';

// Declared rewards through HTTP: request toolsets, combinations and gates, hashes.

let service: RunningService;

beforeAll(async () => {
  service = await startService();
});
afterAll(async () => {
  await service.stop();
});

const formatted = { prompt: 'What is 2+2?', response: '<think>2 and 2</think> The answer is \\boxed{4}', reference: '4' };
const unformatted = { prompt: 'What is 2+2?', response: 'The answer is \\boxed{4}', reference: '4' };
const wrong = { prompt: 'What is 2+2?', response: '<think>hm</think> \\boxed{5}', reference: '4' };

const R1 = {
  tools: [
    { tool: 'math_answer', weight: 0.9 },
    { tool: 'think_format', weight: 0.1, gate: 1 },
  ],
};

describe('a toolset in the request', () => {
  it('scores every item with options.toolset, and a gate zeroes the reward when its check fails', async () => {
    const { status, json } = await postJson(`${service.url}/reward`, { items: [formatted, unformatted, wrong], options: { toolset: R1 } });
    expect(status).toBe(200);
    expect(json.rewards[0]).toBeCloseTo(1, 12);
    // Right answer, no <think> block: the gate shuts, though math_answer scored 1.
    expect(json.rewards[1]).toBe(0);
    expect(json.results[1].components.map((c: any) => c.score)).toEqual([1, 0]);
    expect(json.rewards[2]).toBeCloseTo(0.1, 12);
    for (const result of json.results) {
      expect(result.toolset_version).toBe(0);
      expect(result.toolset_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
    expect(new Set(json.results.map((r: any) => r.toolset_hash)).size).toBe(1);
  });

  it('lets an item carry its own toolset, which wins over the request\'s', async () => {
    const own = { ...unformatted, toolset: { tools: [{ tool: 'math_answer' }] } };
    const { json } = await postJson(`${service.url}/reward`, { items: [unformatted, own], options: { toolset: R1 } });
    expect(json.rewards).toEqual([0, 1]);
    expect(json.results[0].toolset_hash).not.toBe(json.results[1].toolset_hash);
  });

  it('combines by min, max and product', async () => {
    const tools = [
      { tool: 'math_answer' },
      { tool: 'length_penalty', params: { max_length: 8, buffer: 4 } },
    ];
    const item = { prompt: 'p', response: 'so the answer is six hence \\boxed{6}', reference: '6' };
    const rewards: Record<string, number> = {};
    for (const combination of ['mean', 'min', 'max', 'product']) {
      const { json } = await postJson(`${service.url}/reward`, { items: [item], options: { toolset: { tools, combination } } });
      const [answer, length] = json.results[0].components.map((c: any) => c.score);
      expect(answer).toBe(1);
      expect(length).toBeGreaterThan(0);
      expect(length).toBeLessThan(1);
      rewards[combination] = json.rewards[0];
      if (combination === 'mean') expect(rewards.mean).toBeCloseTo((answer + length) / 2, 12);
      if (combination === 'min' || combination === 'product') expect(json.rewards[0]).toBe(length);
      if (combination === 'max') expect(json.rewards[0]).toBe(1);
    }
  });

  it('gives the same hash to the same scoring content, whatever the rationale or key order', async () => {
    const a = { tools: [{ tool: 'exact_match', weight: 2, params: { ignore_case: true, ignore_articles: false } }], fallback: 0 };
    const b = { rationale: ['why not'], fallback: 0, tools: [{ params: { ignore_articles: false, ignore_case: true }, weight: 2, tool: 'exact_match' }] };
    const c = { tools: [{ tool: 'exact_match', weight: 2, params: { ignore_case: false } }] };
    const item = { prompt: 'p', response: 'Paris', reference: 'paris' };
    const hashes = [];
    for (const toolset of [a, b, c]) hashes.push((await postJson(`${service.url}/reward`, { items: [item], options: { toolset } })).json.results[0].toolset_hash);
    expect(hashes[0]).toBe(hashes[1]);
    expect(hashes[2]).not.toBe(hashes[0]);
  });

  it('answers 400 naming the field for an unknown tool, an unknown param, a bad param or a bad weight', async () => {
    const cases: [unknown, RegExp][] = [
      [{ tools: [{ tool: 'math_answr' }] }, /body\/options\/toolset\/tools\/0\/tool no tool named "math_answr"/],
      [{ tools: [{ tool: 'math_answer', params: { timeout: 5 } }] }, /tools\/0\/params\/timeout math_answer has no param "timeout"; it takes timeout_ms/],
      [{ tools: [{ tool: 'rouge', params: { variant: 'rouge9' } }] }, /tools\/0\/params\/variant must be equal to one of the allowed values/],
      [{ tools: [{ tool: 'math_answer', weight: 0 }] }, /tools\/0\/weight must be a finite number above 0, not 0/],
      [{ tools: [{ tool: 'math_answer', weight: -1 }] }, /tools\/0\/weight must be a finite number above 0/],
      [{ tools: [] }, /toolset\/tools must NOT have fewer than 1 items/],
      [{ tools: [{ tool: 'math_answer' }], combination: 'median' }, /combination/],
    ];
    for (const [toolset, message] of cases) {
      const { status, json } = await postJson(`${service.url}/reward`, { items: [unformatted], options: { toolset } });
      expect(status, JSON.stringify(toolset)).toBe(400);
      expect(json.message).toMatch(message);
    }
    const perItem = await postJson(`${service.url}/reward`, { items: [unformatted, { ...unformatted, toolset: { tools: [{ tool: 'nope' }] } }] });
    expect(perItem.status).toBe(400);
    expect(perItem.json.message).toMatch(/body\/items\/1\/toolset\/tools\/0\/tool no tool named "nope"/);
  });

  it('stamps planned results with the stored version and hash of their toolset', async () => {
    const { json } = await postJson(`${service.url}/reward`, { items: [{ ...unformatted, task: 'stamp-test/gsm8k' }] });
    const stored = await (await fetch(`${service.url}/toolsets/${json.results[0].signature}`)).json();
    expect(json.results[0].toolset_version).toBe(stored.version);
    expect(json.results[0].toolset_hash).toMatch(/^sha256:/);
  });
});
