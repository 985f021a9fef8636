import { afterEach, describe, expect, it } from 'vitest';
import { startFakeLlm } from './helpers/fake-llm.ts';
import { startFakeHfInference, startFakeHub, startFakeTei, startFakeVllm } from './helpers/fake-models.ts';
import { postJson, startService } from './helpers/service.ts';

const running: { close?(): Promise<void>; stop?(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => (r.close ? r.close() : r.stop!())));
});
const track = <T extends { close?(): Promise<void>; stop?(): Promise<void> }>(value: T) => (running.push(value), value);

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe('reward models', () => {
  it('score open-ended items with the configured model when the heuristic planner serves', async () => {
    const tei = track(await startFakeTei());
    const service = track(await startService({ RLAR_RM_URL: tei.url, RLAR_RM_PROTOCOL: 'tei' }));
    const { json } = await postJson(`${service.url}/reward`, {
      items: [
        { prompt: 'Write a note to a colleague.', response: 'Thank you for your help today.' },
        { prompt: 'Write a note to a colleague.', response: 'Do it yourself next time.' },
      ],
    });
    expect(json.results[0].components.map((c: any) => [c.tool, c.weight])).toEqual([
      ['reward_model', 0.6],
      ['length_penalty', 0.2],
      ['repetition_penalty', 0.2],
    ]);
    expect(json.rewards[0]).toBeCloseTo(0.6 * sigmoid(2) + 0.4, 12);
    expect(json.rewards[1]).toBeCloseTo(0.6 * sigmoid(-2) + 0.4, 12);
    expect(tei.requests[0]).toMatchObject({ path: '/predict', body: { raw_scores: true } });
  });

  it('are found on the Hub by the agent, reranked by its LLM and bound to the reward_model tool', async () => {
    const hub = track(
      await startFakeHub([
        { id: 'OpenAssistant/reward-model-deberta-v3-large-v2', downloads: 90_000 },
        { id: 'someone/politeness-reward', downloads: 1_200 },
        { id: 'other/polite-reward-small', downloads: 50 },
        { id: 'someone/sentiment-classifier', downloads: 500_000 },
        { id: 'someone/reward-generator', downloads: 10, pipeline_tag: 'text-generation' },
      ]),
    );
    const inference = track(await startFakeHfInference());
    const llm = track(
      await startFakeLlm({
        answer: (request) =>
          JSON.stringify(
            request.messages[0]!.content.includes('You pick reward models')
              ? { model: 'someone/politeness-reward', weight: 0.5, reason: 'the task is about polite replies' }
              : { label: 'polite reply', basic_tasks: ['dialogue'], tools: [{ tool: 'length_penalty', weight: 0.5 }], verifiers: [], rationale: 'open-ended' },
          ),
      }),
    );
    const service = track(
      await startService({ OPENAI_BASE_URL: llm.url, RLAR_HUB_URL: hub.url, RLAR_RM_URL: inference.url, RLAR_RM_PROTOCOL: 'hf-inference' }),
    );
    const { json } = await postJson(`${service.url}/reward`, {
      items: [{ prompt: 'Reply to a customer.', response: 'Thank you for writing to us!' }],
    });
    const toolset = await (await fetch(`${service.url}/toolsets/${json.results[0].signature}`)).json();
    expect(toolset.tools).toContainEqual({ tool: 'reward_model', weight: 0.5, params: { model: 'someone/politeness-reward' } });
    expect(toolset.provenance.reward_model).toMatchObject({
      chosen: 'someone/politeness-reward',
      bound: true,
      // The label's words find the polite reward models first; best downloaded first.
      candidates: ['someone/politeness-reward', 'other/polite-reward-small'],
    });
    expect(inference.requests.map((r) => r.path)).toEqual(['/models/someone/politeness-reward']);
    expect(json.rewards[0]).toBeCloseTo(0.5 * 1 + 0.5 * sigmoid(2), 12);
    expect(hub.requests[0]!.path).toMatch(/pipeline_tag=text-classification/);
  });

  it('give an item an error, not a failed batch, when the endpoint is down', async () => {
    const service = track(await startService({ RLAR_RM_URL: 'http://127.0.0.1:9', RLAR_RM_PROTOCOL: 'tei', RLAR_RM_TIMEOUT_MS: '1000' }));
    const { status, json } = await postJson(`${service.url}/reward`, { items: [{ prompt: 'Hi', response: 'Hello!' }] });
    expect(status).toBe(200);
    expect(json.rewards).toEqual([0]);
    expect(json.results[0].error).toMatch(/^reward_model: /);
  });

  it('fail only the input a batch was refused for, by splitting the refused batch', async () => {
    const tei = track(await startFakeTei({ refuse: /POISON/ }));
    const service = track(await startService({ RLAR_RM_URL: tei.url, RLAR_RM_BATCH: '8', RLAR_RM_BATCH_WAIT_MS: '20' }));
    const items = Array.from({ length: 8 }, (_, i) => ({ prompt: 'Say hi.', response: i === 5 ? 'POISON' : i % 2 ? 'Thanks!' : 'Go away.' }));
    const { status, json } = await postJson(`${service.url}/reward`, { items });
    expect(status).toBe(200);
    expect(json.results[5].error).toMatch(/413/);
    for (const i of [0, 1, 2, 3, 4, 6, 7]) {
      expect(json.results[i].error).toBeUndefined();
      expect(json.rewards[i]).toBeCloseTo(0.6 * sigmoid(i % 2 ? 2 : -2) + 0.4, 12);
    }
    // 8 -> 4 + 4 -> 2 + 2 -> 1 + 1: the refused batch is bisected, not resent one input at a time.
    expect(tei.requests.length).toBeLessThan(8);
  });

  it('coalesce concurrent one-sample requests into a few upstream calls', async () => {
    const counts: Record<string, { calls: number; inputs: number }> = {};
    for (const batch of ['32', '1']) {
      const tei = track(await startFakeTei());
      // A wait that the whole burst fits in, even on a loaded machine (64 requests took over 20 ms to
      // arrive in a CI run, so 20 ms made 10 calls): full batches leave at once whatever the wait.
      const service = track(await startService({ RLAR_RM_URL: tei.url, RLAR_RM_BATCH: batch, RLAR_RM_BATCH_WAIT_MS: '2000' }));
      // Plan the signature first, so the 64 requests below meet a stored toolset.
      await postJson(`${service.url}/reward`, { query: ['Say hi. Hello!'], prompts: ['Say hi.'] });
      const before = tei.requests.length;
      const replies = await Promise.all(
        Array.from({ length: 64 }, (_, i) =>
          postJson(`${service.url}/reward`, { query: [`Say hi. ${i % 2 ? 'Thanks a lot!' : 'Go away.'}`], prompts: ['Say hi.'] }),
        ),
      );
      expect(replies.every((r) => r.status === 200 && r.json.rewards.length === 1)).toBe(true);
      const upstream = tei.requests.slice(before);
      counts[batch] = { calls: upstream.length, inputs: upstream.reduce((n, r) => n + (r.body as { inputs: string[][] }).inputs.length, 0) };
      expect(replies[1]!.json.rewards[0]).toBeCloseTo(0.6 * sigmoid(2) + 0.4, 12);
      expect(replies[0]!.json.rewards[0]).toBeCloseTo(0.6 * sigmoid(-2) + 0.4, 12);
    }
    expect(counts['1']).toEqual({ calls: 64, inputs: 64 });
    expect(counts['32']!.inputs).toBe(64);
    expect(counts['32']!.calls).toBeLessThanOrEqual(8);
  });

  it('retry 5xx and 429 with backoff, and speak vLLM /classify', async () => {
    const flaky = track(await startFakeTei({ failures: 2, status: 503 }));
    const service = track(await startService({ RLAR_RM_URL: flaky.url }));
    const { json } = await postJson(`${service.url}/tools/reward_model/score`, { items: [{ prompt: 'p', response: 'thank you' }] });
    expect(json.scores[0]).toBeCloseTo(sigmoid(2), 12);
    expect(flaky.requests).toHaveLength(3);

    const limited = track(await startFakeTei({ failures: 5, status: 429 }));
    const impatient = track(await startService({ RLAR_RM_URL: limited.url }));
    const refused = await postJson(`${impatient.url}/tools/reward_model/score`, { items: [{ prompt: 'p', response: 'x' }] });
    expect(refused.json.details[0].error).toMatch(/kept failing after 3 tries/);

    const slow = track(await startFakeTei({ delayMs: 3000 }));
    const hurried = track(await startService({ RLAR_RM_URL: slow.url, RLAR_RM_TIMEOUT_MS: '300' }));
    const timedOut = await postJson(`${hurried.url}/tools/reward_model/score`, { items: [{ prompt: 'p', response: 'x' }] });
    expect(timedOut.json.details[0].error).toMatch(/^reward_model: .*(timeout|aborted)/i);

    const vllm = track(await startFakeVllm());
    const viaVllm = track(await startService({ RLAR_RM_URL: vllm.url, RLAR_RM_PROTOCOL: 'vllm', RLAR_RM_MODEL: 'some/rm' }));
    const scored = await postJson(`${viaVllm.url}/tools/reward_model/score`, {
      items: [
        { prompt: 'p', response: 'thank you' },
        { prompt: 'p', response: 'no' },
      ],
      params: { temperature: 2 },
    });
    expect(scored.json.scores[0]).toBeCloseTo(sigmoid(1), 12);
    expect(scored.json.scores[1]).toBeCloseTo(sigmoid(-1), 12);
    expect(vllm.requests[0]!.body).toMatchObject({ model: 'some/rm', input: ['p\n\nthank you', 'p\n\nno'], activation: false });
  });

  it("render the conversation with the model's chat template, and normalize by a running z-score on request", async () => {
    const tei = track(await startFakeTei());
    const service = track(
      await startService({ RLAR_RM_URL: tei.url, RLAR_RM_CHAT_TEMPLATE: '{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}' }),
    );
    await postJson(`${service.url}/tools/reward_model/score`, {
      items: [{ prompt: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hi' }], response: 'Thank you!' }],
    });
    expect((tei.requests[0]!.body as { inputs: string[][] }).inputs).toEqual([['<|system|>Be kind.<|user|>Hi<|assistant|>Thank you!']]);

    const items = Array.from({ length: 40 }, (_, i) => ({ prompt: 'p', response: i % 2 ? 'thanks' : 'no' }));
    const { json } = await postJson(`${service.url}/tools/reward_model/score`, { items, params: { normalize: 'zscore' } });
    // Raw scores alternate +2 and -2: once warmed up, the z-score is about +-1 (sample std ~2.03).
    expect(json.details[39].detail.normalize).toMatch(/^zscore\(mean /);
    expect(json.scores[39]).toBeGreaterThan(0.7);
    expect(json.scores[39]).toBeLessThan(sigmoid(2));
    expect(json.scores[38]).toBeLessThan(0.3);
  });
});
