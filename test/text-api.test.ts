import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startApp } from './helpers/service.ts';

let service: { url: string; close(): Promise<void> };

beforeAll(async () => {
  service = await startApp();
});
afterAll(async () => {
  await service.close();
});

describe('text rewards through POST /reward', () => {
  it('routes translation, summarization, IFEval and JSON-schema items to their tools', async () => {
    const { status, json } = await postJson(`${service.url}/reward`, {
      items: [
        {
          prompt: 'Translate to French: The cat sits on the mat.',
          response: 'Le chat est assis sur le tapis.',
          reference: ['Le chat est assis sur le tapis.', 'Le chat se trouve sur le tapis.'],
          task: 'wmt14-en-fr',
        },
        {
          prompt: 'Summarize the article.',
          response: 'The council approved the new park.\nWork starts in May.',
          reference: 'The city council approved a new park.\nConstruction begins in May.',
          task: 'cnn_dailymail',
        },
        {
          prompt: 'Write about spring in lowercase, without commas, mentioning "blossom".',
          response: 'spring brings blossom and light to every street',
          metadata: {
            instruction_id_list: ['change_case:english_lowercase', 'punctuation:no_comma', 'keywords:existence'],
            kwargs: [{}, {}, { keywords: ['blossom', 'rain'] }],
          },
        },
        {
          prompt: 'Reply with a JSON object with a numeric "x".',
          response: '```json\n{"x": 3}\n```',
          reference: { type: 'object', properties: { x: { type: 'number' } }, required: ['x'] },
        },
      ],
    });
    expect(status).toBe(200);
    const [translation, summary, ifeval, structured] = json.results;
    expect(translation.signature).toMatch(/^translation\./);
    expect(translation.components.map((c: any) => [c.tool, c.score])).toEqual([
      ['chrf', 1],
      ['bleu', 1],
    ]);
    expect(summary.components[0]).toMatchObject({ tool: 'rouge', weight: 1 });
    expect(summary.reward).toBeGreaterThan(0.4);
    expect(summary.reward).toBeLessThan(0.9);
    expect(ifeval.signature).toBe('instructions.any.instructions');
    expect(ifeval.reward).toBeCloseTo(2 / 3, 12);
    expect(ifeval.components[0].detail.instructions).toEqual([
      { id: 'change_case:english_lowercase', followed: true },
      { id: 'punctuation:no_comma', followed: true },
      { id: 'keywords:existence', followed: false },
    ]);
    expect(structured).toMatchObject({ signature: 'json.any.json_schema', reward: 1 });
  });

  it('scores corpus-style multi-reference BLEU and chrF++ directly, as sacrebleu would', async () => {
    const { json } = await postJson(`${service.url}/tools/bleu/score`, {
      items: [{ prompt: '', response: 'the cat is on the mat', reference: ['the cat is on the mat', 'a cat sits on a mat'] }],
      params: { lowercase: true, tokenize: 'intl' },
    });
    expect(json.scores[0]).toBeCloseTo(1, 12);
    const chrfpp = await postJson(`${service.url}/tools/chrf_pp/score`, {
      items: [{ prompt: '', response: 'completely different words', reference: 'the cat is on the mat' }],
    });
    expect(chrfpp.json.scores[0]).toBeLessThan(0.2);
    const bad = await postJson(`${service.url}/tools/bleu/score`, {
      items: [{ prompt: '', response: 'x', reference: 'x' }],
      params: { tokenize: 'klingon' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/^body\/params\/tokenize must be equal to one of the allowed values/);
  });
});
