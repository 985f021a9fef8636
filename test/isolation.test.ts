import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startService, type RunningService } from './helpers/service.ts';

// A group of items runs as one task on a worker thread. When the task overruns RLAR_TASK_TIMEOUT_MS
// its thread is terminated and the items are retried one by one, so only the slow item loses.
describe('one item that hangs its worker thread', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ RLAR_TASK_TIMEOUT_MS: '1500' });
  });
  afterAll(async () => {
    await service.stop();
  });

  it('costs only that item its reward, and the service goes on scoring', async () => {
    // ROUGE-L of two 60,000-word texts: an LCS over 3.6e9 cells, many seconds of CPU.
    const long = Array.from({ length: 60_000 }, (_, i) => `w${i % 997}`).join(' ');
    const slow = { prompt: 'p', response: long, reference: long.split(' ').reverse().join(' ') };
    const quick = { prompt: 'p', response: 'the cat sat', reference: 'the cat sat' };
    // 24 items make groups of 3 per task (2 threads x 4 tasks each), so the slow one shares its task.
    const items = Array.from({ length: 24 }, (_, i) => (i === 1 ? slow : quick));
    const { status, json } = await postJson(`${service.url}/tools/rouge/score`, { items, params: { variant: 'rougeL' } });
    expect(status).toBe(200);
    expect(json.scores).toEqual(items.map((_, i) => (i === 1 ? 0 : 1)));
    expect(json.details[1].error).toBe('scoring took longer than 1500 ms and was stopped');
    expect(json.details.filter((d: any) => d.error !== undefined)).toHaveLength(1);

    const after = await postJson(`${service.url}/reward`, { prompt: 'x', response: '\\boxed{2}', label: '2' });
    expect(after.json.reward).toBe(1);
  });
});
