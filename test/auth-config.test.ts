import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, runCli, startService, type RunningService } from './helpers/service.ts';

const KEY = 'sk-test-4f2b9c1d-do-not-log';
const sample = { prompt: 'What is 1+1?', response: '\\boxed{2}', label: '2' };

describe('API keys (RLAR_API_KEYS)', () => {
  let service: RunningService;
  beforeAll(async () => {
    // Every request is logged at debug: the lines that could carry a key are all written.
    service = await startService({ RLAR_API_KEYS: `other-key, ${KEY}`, RLAR_LOG_LEVEL: 'debug' });
  });
  afterAll(async () => {
    await service.stop();
  });

  it('refuses a request without a key with 401 and a JSON error', async () => {
    const { status, json } = await postJson(`${service.url}/reward`, sample);
    expect(status).toBe(401);
    expect(json.message).toMatch(/Authorization: Bearer/);
  });

  it('refuses a wrong key', async () => {
    const { status, json } = await postJson(`${service.url}/reward`, sample, { authorization: 'Bearer nope' });
    expect(status).toBe(401);
    expect(json.message).toBe('the API key is not valid');
  });

  it('accepts the key as a bearer token or as x-api-key', async () => {
    const bearer = await postJson(`${service.url}/reward`, sample, { authorization: `Bearer ${KEY}` });
    const header = await postJson(`${service.url}/reward`, sample, { 'x-api-key': KEY });
    expect(bearer.status).toBe(200);
    expect(header.json.reward).toBe(1);
    const tools = await fetch(`${service.url}/tools`, { headers: { 'x-api-key': KEY } });
    expect(tools.status).toBe(200);
  });

  it('guards every route but health and docs', async () => {
    for (const path of ['/tools', '/toolsets', '/metrics']) expect((await fetch(`${service.url}${path}`)).status).toBe(401);
    for (const path of ['/healthz', '/readyz', '/docs/json']) expect((await fetch(`${service.url}${path}`)).status).toBe(200);
  });

  it('never writes a key to the log', async () => {
    await postJson(`${service.url}/reward`, sample, { authorization: `Bearer ${KEY}` });
    // Logged once the answer is sent, through the child's stdout pipe: it may arrive after the answer.
    await expect.poll(() => service.output(), { timeout: 10_000 }).toMatch(/request completed/);
    expect(service.output()).toMatch(/incoming request/);
    expect(service.output()).not.toContain(KEY);
  });
});

describe('request logs', () => {
  it('at info, logs failed requests only (one-sample trainers send thousands a second)', async () => {
    const service = await startService({ RLAR_LOG_LEVEL: 'info' });
    try {
      const requestLines = () => service.output().split('\n').filter((line) => /"url":"\/reward"|request completed|incoming request/.test(line));
      for (let i = 0; i < 5; i++) expect((await postJson(`${service.url}/reward`, sample)).status).toBe(200);
      expect((await postJson(`${service.url}/reward`, { prompt: 'p' })).status).toBe(400);
      // The failed request's line comes after the answer, through the child's stdout pipe.
      await expect.poll(() => requestLines().length, { timeout: 10_000 }).toBeGreaterThan(0);
      const lines = requestLines().map((line) => JSON.parse(line));
      expect(lines).toEqual([expect.objectContaining({ level: 30, msg: 'request completed', res: { statusCode: 400 } })]);
    } finally {
      await service.stop();
    }
  });
});

describe('configuration', () => {
  it.each([
    ['PORT', 'eighty', /PORT="eighty" is not valid/],
    ['PORT', '70000', /PORT="70000" is not valid: expected an integer from 0 to 65535/],
    ['RLAR_BODY_LIMIT_MB', '-3', /RLAR_BODY_LIMIT_MB="-3"/],
    ['RLAR_LOG_LEVEL', 'loud', /RLAR_LOG_LEVEL="loud"/],
    ['REDIS_URL', 'localhost:6379', /REDIS_URL="localhost:6379" is not valid/],
    ['RLAR_PYTHON', 'python3', /RLAR_PYTHON="python3" is not valid: expected the absolute path/],
  ])('stops at start when %s=%s, naming the variable', async (name, value, message) => {
    const { code, output } = await runCli(['serve'], { [name]: value });
    expect(code).toBe(2);
    expect(output).toMatch(/^configuration error: /);
    expect(output).toMatch(message);
  });

  it('refuses to start a worker without REDIS_URL', async () => {
    const { code, output } = await runCli(['worker']);
    expect(code).toBe(2);
    expect(output).toMatch(/rlar worker needs REDIS_URL/);
  });

  it('names a bad --workers value', async () => {
    const { code, output } = await runCli(['serve', '--workers', 'many']);
    expect(code).toBe(2);
    expect(output).toMatch(/--workers=many is not valid/);
  });

  it('prints the usage for --help on any command and starts nothing (serve --help once started the service)', async () => {
    for (const args of [['serve', '--help'], ['worker', '-h'], ['toolsets', 'export', '--help'], ['--help']]) {
      // A service started by mistake would keep running until the timeout and be killed (code -1).
      const { code, stdout } = await runCli(args, { PORT: '0' }, 8_000);
      expect(code, args.join(' ')).toBe(0);
      expect(stdout, args.join(' ')).toMatch(/^rlar [0-9.]+: reward service/);
    }
  });

  it('explains an unknown command', async () => {
    const { code, output } = await runCli(['srve']);
    expect(code).toBe(2);
    expect(output).toMatch(/rlar serve/);
  });
});
