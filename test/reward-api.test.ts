import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { postJson, startService, type RunningService } from './helpers/service.ts';

const GSM8K_REFERENCE =
  'Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72';

let service: RunningService;

beforeAll(async () => {
  service = await startService();
});

afterAll(async () => {
  await service.stop();
});

describe('POST /reward, native dialect', () => {
  it('scores a correct GSM8K answer 1 and a wrong one 0', async () => {
    const reference = 'Weng earns 12/60 = $0.2 per minute.\nWorking 50 minutes, she earned 0.2 x 50 = $10.\n#### 18';
    const { status, json } = await postJson(`${service.url}/reward`, {
      items: [
        { id: 'right', prompt: 'How much did she earn?', response: 'So the answer is 18.', reference, task: 'openai/gsm8k' },
        { id: 'wrong', prompt: 'How much did she earn?', response: 'So the answer is 26.', reference, task: 'openai/gsm8k' },
      ],
    });
    expect(status).toBe(200);
    expect(json.rewards).toEqual([1, 0]);
    expect(json.results.map((r: any) => r.id)).toEqual(['right', 'wrong']);
    expect(json.results[0].components[0]).toMatchObject({ tool: 'math_answer', score: 1, weight: 1 });
    expect(json.results[1].components[0].detail).toMatchObject({ extracted: '26', gold: '18' });
  });

  it('answers a mixed batch with one reward per item, in order, with components', async () => {
    const items = [
      { prompt: 'Natalia sold clips to 48 friends...', response: 'In total 72 clips.\n#### 72', reference: GSM8K_REFERENCE },
      { prompt: 'Q: capital of France?\nA) Paris\nB) Rome\nC) Oslo', response: 'The answer is (A).', reference: 'A' },
      { prompt: 'Compute 1/2 + 1/4.', response: 'We get $\\boxed{\\dfrac{3}{4}}$.', reference: '\\frac{3}{4}' },
      { prompt: 'Q: capital of France?\nA) Paris\nB) Rome\nC) Oslo', response: 'I pick C.', reference: 'A' },
      { prompt: 'Write a short poem about the sea.', response: 'Waves fold silver light\nover the patient dark stones.' },
      { prompt: 'Who wrote Hamlet?', response: 'William Shakespeare', reference: ['Shakespeare', 'William Shakespeare'] },
    ];
    const { status, json } = await postJson(`${service.url}/reward`, { items });
    expect(status).toBe(200);
    expect(json.rewards).toHaveLength(items.length);
    expect(json.rewards).toEqual([1, 1, 1, 0, 1, 1]);
    const signatures = json.results.map((r: any) => r.signature);
    expect(signatures[0]).toMatch(/^math\./);
    expect(signatures[1]).toMatch(/^choice\./);
    expect(signatures[1]).toBe(signatures[3]);
    expect(signatures[4]).toMatch(/^dialogue\./);
    expect(signatures[5]).toMatch(/^qa\./);
    for (const result of json.results) {
      expect(result.components.length).toBeGreaterThan(0);
      const total = result.components.reduce((sum: number, c: any) => sum + c.weight, 0);
      expect(total).toBeCloseTo(1, 12);
    }
  });

  it('gives an item whose tool throws its fallback reward and an error, and scores the rest', async () => {
    const { status, json } = await postJson(`${service.url}/reward`, {
      items: [
        { prompt: 'Pick one.', response: 'A', reference: 'not a letter at all', task: 'cais/mmlu' },
        { prompt: 'What is 2+2?', response: '\\boxed{4}', reference: '4' },
      ],
    });
    expect(status).toBe(200);
    expect(json.rewards).toEqual([0, 1]);
    expect(json.results[0].error).toMatch(/^choice: .*option letter/);
    expect(json.results[0].components[0].error).toBeDefined();
    expect(json.results[1].error).toBeUndefined();
  });

  it('scores an empty batch as an empty answer', async () => {
    const { status, json } = await postJson(`${service.url}/reward`, { items: [] });
    expect(status).toBe(200);
    expect(json).toEqual({ rewards: [], results: [] });
  });

  it('turns a 10 MB response into a per-item error, not a failed batch', async () => {
    const huge = '9'.repeat(10 * 1024 * 1024);
    const { status, json } = await postJson(`${service.url}/reward`, {
      items: [
        { prompt: 'What is 2+2?', response: huge, reference: '4' },
        { prompt: 'What is 2+2?', response: 'It is 4.', reference: '4' },
      ],
    });
    expect(status).toBe(200);
    expect(json.rewards).toEqual([0, 1]);
    expect(json.results[0].error).toBe('response has 10485760 characters, over the limit of 1000000 (RLAR_MAX_TEXT_CHARS)');
  });
});

describe('POST /reward, OpenRLHF dialect', () => {
  it('splits each query into prompt and response and answers rewards, scores and extra_logs', async () => {
    const prompts = ['<|user|>What is 6*7?<|assistant|>', '<|user|>What is 6*7?<|assistant|>'];
    const query = [`${prompts[0]}6*7 = \\boxed{42}`, `${prompts[1]}6*7 = \\boxed{48}`];
    const { status, json } = await postJson(`${service.url}/reward`, { query, prompts, labels: ['42', '42'] });
    expect(status).toBe(200);
    expect(json).toEqual({ rewards: [1, 0], scores: [1, 0], extra_logs: { error: [0, 0], unscored: [0, 0], format_only: [0, 0], prompt_not_found: [0, 0] } });
  });

  it('answers empty lists with empty lists', async () => {
    const { status, json } = await postJson(`${service.url}/reward`, { query: [], prompts: [], labels: [] });
    expect(status).toBe(200);
    expect(json).toEqual({ rewards: [], scores: [], extra_logs: { error: [], unscored: [], format_only: [], prompt_not_found: [] } });
  });

  it('rejects lists of different lengths, naming them', async () => {
    const { status, json } = await postJson(`${service.url}/reward`, { query: ['a', 'b'], prompts: ['a'], labels: ['x', 'y'] });
    expect(status).toBe(400);
    expect(json.message).toMatch(/prompts has 1 entries but query has 2/);
  });
});

describe('POST /reward, slime dialect', () => {
  it('scores one sample and answers a reward', async () => {
    const { status, json } = await postJson(`${service.url}/reward`, {
      prompt: 'What is 3+4?',
      response: 'The final answer is 7.',
      label: '7',
    });
    expect(status).toBe(200);
    expect(json.reward).toBe(1);
    expect(json.signature).toMatch(/^math\./);
  });
});

describe('bad input', () => {
  it.each([
    ['malformed JSON', '{"items": [', /not valid JSON/],
    ['a body that is no dialect', { foo: 1 }, /"items" \(native\), "query" \(OpenRLHF\)/],
    ['a JSON array', [1, 2], /"items" \(native\)/],
    ['a missing response', { items: [{ prompt: 'x' }] }, /body\/items\/0 must have required property 'response'/],
    ['a number as response', { items: [{ prompt: 'x', response: 5 }] }, /body\/items\/0\/response must be string/],
    ['a wrong prompt type', { items: [{ prompt: { a: 1 }, response: 'x' }] }, /body\/items\/0\/prompt must be one of/],
    ['an unknown item field', { items: [{ prompt: 'x', response: 'y', scroe: 1 }] }, /additional properties \("scroe"\)/],
    ['query that is not a list', { query: 'abc' }, /body\/query must be array/],
    ['items that is not a list', { items: {} }, /body\/items must be array/],
    [
      'a reference nested 100,000 deep',
      `{"items":[{"prompt":"x","response":"y","reference":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}]}`,
      /body\/items\/0\/reference is nested deeper than 32 levels/,
    ],
  ])('answers 400 naming the problem for %s', async (_name, body, message) => {
    const { status, json } = await postJson(`${service.url}/reward`, body);
    expect(status).toBe(400);
    expect(json.statusCode).toBe(400);
    expect(json.message).toMatch(message);
  });

  it('answers 415 for a media type it does not read, and 400 for plain text', async () => {
    const xml = await fetch(`${service.url}/reward`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
    expect(xml.status).toBe(415);
    expect((await xml.json()).message).toMatch(/content-type/i);
    const text = await fetch(`${service.url}/reward`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect(text.status).toBe(400);
    expect((await text.json()).message).toMatch(/must be a JSON object/);
  });

  it('answers 404 with JSON for an unknown route', async () => {
    const response = await fetch(`${service.url}/rewards`);
    expect(response.status).toBe(404);
    expect((await response.json()).message).toBe('no route GET /rewards');
  });

  it('keeps serving after all of the above', async () => {
    const { status, json } = await postJson(`${service.url}/reward`, { prompt: 'x', response: '\\boxed{1}', label: '1' });
    expect(status).toBe(200);
    expect(json.reward).toBe(1);
  });
});

describe('oversize bodies', () => {
  it('answers 413 naming the limit', async () => {
    const small = await startService({ RLAR_BODY_LIMIT_MB: '1' });
    try {
      const { status, json } = await postJson(`${small.url}/reward`, {
        items: [{ prompt: 'x', response: 'y'.repeat(2 * 1024 * 1024) }],
      });
      expect(status).toBe(413);
      expect(json.message).toMatch(/RLAR_BODY_LIMIT_MB/);
    } finally {
      await small.stop();
    }
  });
});

describe('docs', () => {
  it('serves Swagger UI at /docs', async () => {
    const response = await fetch(`${service.url}/docs`, { redirect: 'follow' });
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/swagger/i);
  });

  it('serves at /docs/json exactly the committed openapi.yaml', async () => {
    const served = await (await fetch(`${service.url}/docs/json`)).json();
    const committed = parse(readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8'));
    expect(served).toEqual(committed);
    expect(Object.keys(served.paths)).toEqual(
      expect.arrayContaining(['/reward', '/tools', '/tools/{name}/score', '/toolsets', '/toolsets/{signature}', '/healthz', '/readyz', '/metrics']),
    );
  });
});
