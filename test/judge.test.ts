import { afterEach, describe, expect, it } from 'vitest';
import { startFakeLlm } from './helpers/fake-llm.ts';
import { postJson, startService } from './helpers/service.ts';

const running: { close?(): Promise<void>; stop?(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => (r.close ? r.close() : r.stop!())));
});
const track = <T extends { close?(): Promise<void>; stop?(): Promise<void> }>(value: T) => (running.push(value), value);

/** A judge that likes responses that say please: grade 9, else 3. */
const grade = (content: string) => JSON.stringify({ grade: /\[Response\]\n.*please/is.test(content) ? 9 : 3, reason: 'rubric' });

describe('llm_judge', () => {
  it('grades on a 1-10 rubric, judges a repeated rollout once, and uses the reference in reference mode', async () => {
    const llm = track(await startFakeLlm({ answer: (r) => grade(r.messages[1]!.content) }));
    const service = track(await startService({ RLAR_JUDGE_URL: llm.url, RLAR_JUDGE_MODEL: 'judge-1' }));
    const items = [
      { prompt: 'Ask politely.', response: 'Could you please pass the salt?' },
      { prompt: 'Ask politely.', response: 'Salt. Now.' },
    ];
    const first = await postJson(`${service.url}/tools/llm_judge/score`, { items });
    expect(first.json.scores).toEqual([8 / 9, 2 / 9]);
    expect(first.json.details[0].detail).toMatchObject({ grade: 9, cached: false, prompt_version: 'judge-v1' });
    const again = await postJson(`${service.url}/tools/llm_judge/score`, { items });
    expect(again.json.scores).toEqual([8 / 9, 2 / 9]);
    expect(again.json.details[1].detail.cached).toBe(true);
    expect(llm.calls).toHaveLength(2);
    expect(llm.calls[0]!.model).toBe('judge-1');

    await postJson(`${service.url}/tools/llm_judge/score`, {
      items: [{ prompt: 'Capital of France?', response: 'Paris, please.', reference: 'Paris' }],
      params: { mode: 'reference' },
    });
    expect(llm.calls[2]!.messages[1]!.content).toContain('[Reference answer]\n"Paris"');
    const missing = await postJson(`${service.url}/tools/llm_judge/score`, { items: [{ prompt: 'q', response: 'r' }], params: { mode: 'reference' } });
    expect(missing.json.details[0].error).toMatch(/reference mode needs a reference/);
  });

  it('retries a 429 and a 503, and gives items errors, not a failed batch, when the judge stays down', async () => {
    const busy = track(await startFakeLlm({ answer: (r) => grade(r.messages[1]!.content), failFirst: { count: 2, status: 429 } }));
    const service = track(await startService({ RLAR_JUDGE_URL: busy.url }));
    const { json } = await postJson(`${service.url}/tools/llm_judge/score`, { items: [{ prompt: 'q', response: 'please' }] });
    expect(json.scores).toEqual([8 / 9]);
    expect(busy.calls).toHaveLength(3);

    const down = track(await startFakeLlm({ answer: () => '{}', failFirst: { count: 100, status: 503 } }));
    const other = track(await startService({ RLAR_JUDGE_URL: down.url }));
    const direct = await postJson(`${other.url}/tools/llm_judge/score`, { items: [{ prompt: 'q', response: 'r' }] });
    expect(direct.status).toBe(200);
    expect(direct.json.scores).toEqual([0]);
    expect(direct.json.details[0].error).toMatch(/^llm_judge: /);
  });
});
