import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startService, type RunningService } from './helpers/service.ts';

// The HTTP path of POST /reward: compact answers, and hostile JSON bodies refused (prototype keys,
// escaped or nested, are a 400).

let service: RunningService;
/** A reward model that never answers: items scored with it wait until their deadline. */
let silent: Server;

beforeAll(async () => {
  silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const rmUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  service = await startService({ RLAR_MAX_TEXT_CHARS: '400', RLAR_RM_URL: rmUrl });
});

afterAll(async () => {
  await service.stop();
  silent.closeAllConnections();
  await new Promise((resolve) => silent.close(resolve));
});

const item = (response: string, id?: string) => ({
  ...(id !== undefined && { id }),
  prompt: 'Compute 1/2 + 1/4.',
  response,
  reference: '\\frac{3}{4}',
  task: 'lighteval/MATH',
});

describe('POST /reward with options.compact', () => {
  it('answers rewards and the failed items only, with their index, id and why', async () => {
    const items = [item('We get $\\boxed{\\frac{3}{4}}$.', 'a'), item(`${'x'.repeat(500)} $\\boxed{1}$`, 'long'), item('$\\boxed{1}$')];
    const { status, json } = await postJson(`${service.url}/reward`, { items, options: { compact: true } });
    expect(status).toBe(200);
    expect(Object.keys(json).sort()).toEqual(['failed', 'rewards']);
    expect(json.rewards).toEqual([1, 0, 0]);
    expect(json.failed).toHaveLength(1);
    expect(json.failed[0]).toMatchObject({ index: 1, id: 'long' });
    expect(json.failed[0].error).toMatch(/RLAR_MAX_TEXT_CHARS/);
  });

  it('gives the same rewards as the full answer', async () => {
    const items = [item('We get $\\boxed{\\frac{3}{4}}$.'), item('So $\\boxed{0.75}$'), item('$\\boxed{3}$')];
    const full = await postJson(`${service.url}/reward`, { items });
    const compact = await postJson(`${service.url}/reward`, { items, options: { compact: true } });
    expect(full.json.results).toHaveLength(3);
    expect(compact.json.rewards).toEqual(full.json.rewards);
    expect(compact.json.failed).toEqual([]);
  });

  it('flags items the deadline left unscored', async () => {
    const items = [item('$\\boxed{1}$', 'a'), item('$\\boxed{2}$', 'b')];
    const options = { compact: true, timeout_ms: 500, toolset: { tools: [{ tool: 'reward_model' }] } };
    const { status, json } = await postJson(`${service.url}/reward`, { items, options });
    expect(status).toBe(200);
    expect(json.rewards).toEqual([0, 0]);
    expect(json.failed).toEqual([
      { index: 0, id: 'a', error: 'the request deadline passed before this item was scored', unscored: true },
      { index: 1, id: 'b', error: 'the request deadline passed before this item was scored', unscored: true },
    ]);
  });

  it('lists abstained items among the failed ones (RLAR_OPEN_ENDED=abstain)', async () => {
    const abstaining = await startService({ RLAR_OPEN_ENDED: 'abstain' });
    try {
      const items = [{ id: 'poem', prompt: 'Write a haiku about rain.', response: 'ok' }, item('$\\boxed{\\frac{3}{4}}$')];
      const { status, json } = await postJson(`${abstaining.url}/reward`, { items, options: { compact: true } });
      expect(status).toBe(200);
      expect(json).toEqual({ rewards: [0, 1], failed: [{ index: 0, id: 'poem', abstained: true }] });
    } finally {
      await abstaining.stop();
    }
  });

  it('refuses a compact flag that is not a boolean, naming it', async () => {
    const { status, json } = await postJson(`${service.url}/reward`, { items: [item('1')], options: { compact: 'yes' } });
    expect(status).toBe(400);
    expect(json.message).toBe('body/options/compact must be boolean');
  });
});

describe('POST /reward body parsing', () => {
  const valid = JSON.stringify({ items: [item('We get $\\boxed{\\frac{3}{4}}$.')] });

  it.each([
    ['a __proto__ key', valid.replace('{"items"', '{"__proto__":{"polluted":true},"items"'), /"__proto__" key/],
    ['a __proto__ key spelled with escapes', valid.replace('"task"', '"metadata":{"\\u005f_pr\\u006fto__":{"polluted":true}},"task"'), /"__proto__" key/],
    ['a nested __proto__ key', valid.replace('"task"', '"metadata":{"a":[{"__proto__":{"x":1}}]},"task"'), /"__proto__" key/],
    ['a constructor.prototype key', valid.replace('"task"', '"metadata":{"constructor":{"prototype":{"x":1}}},"task"'), /"constructor" with a "prototype" key/],
    ['an escaped constructor.prototype key', valid.replace('"task"', '"metadata":{"c\\u006fnstructor":{"prototype":{"x":1}}},"task"'), /"constructor" with a "prototype" key/],
    ['an empty body', '', /the body is empty/],
    ['invalid JSON', '{"items": [', /the body is not valid JSON/],
  ])('refuses %s with a 400 that names it', async (_name, body, message) => {
    const { status, json } = await postJson(`${service.url}/reward`, body);
    expect(status).toBe(400);
    expect(json.statusCode).toBe(400);
    expect(json.message).toMatch(message);
    expect(({} as any).polluted).toBeUndefined();
  });

  it('scores bodies that only mention the names, or use other escapes', async () => {
    const items = [
      item('The constructor of __proto__ chains: $\\boxed{\\frac{3}{4}}$'),
      { ...item('caf\u00e9 $\\boxed{\\frac{3}{4}}$'), metadata: { constructor: 'a string is not a prototype' } },
    ];
    // JSON.stringify keeps é as is; spell it as an escape, as Python's json.dumps does.
    const body = JSON.stringify({ items }).replace('é', '\\u00e9');
    expect(body).toContain('\\u00e9');
    const { status, json } = await postJson(`${service.url}/reward`, body);
    expect(status).toBe(200);
    expect(json.rewards).toEqual([1, 1]);
  });

  it('takes a body that starts with a byte-order mark', async () => {
    const { status, json } = await postJson(`${service.url}/reward`, `\ufeff${valid}`);
    expect(status).toBe(200);
    expect(json.rewards).toEqual([1]);
  });
});
