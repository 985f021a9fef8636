import { afterEach, describe, expect, it } from 'vitest';
import { startFakeLlm } from './helpers/fake-llm.ts';
import { startFakeHfInference, startFakeHub, startFakeTei } from './helpers/fake-models.ts';
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
});
