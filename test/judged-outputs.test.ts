import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startApp } from './helpers/service.ts';

/**
 * Agreement with published judgments of real model outputs (see test/fixtures/*\/README.md for the sources and
 * BENCHMARKS.md for the figures): OpenAI's grades of GPT-3 solutions to GSM8K, and the official IFEval checks'
 * verdicts on GPT-4's responses.
 */

function jsonl<T>(path: string): T[] {
  return readFileSync(new URL(path, import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as T);
}

interface GradedSolution {
  id: string;
  reference: string;
  response: string;
  correct: boolean;
}

interface JudgedResponse {
  key: number;
  prompt: string;
  response: string;
  instruction_id_list: string[];
  kwargs: Record<string, unknown>[];
  follow: boolean[];
}

/**
 * Verdicts of the official IFEval code that are no judgment: for a `letter` that is no letter (`#`, `!`) it checks
 * a letter drawn at random. Listed by "key/instruction id" in test/fixtures/ifeval_gpt4/README.md.
 */
const IFEVAL_LABEL_ERRORS = new Set(['1122/keywords:letter_frequency', '1129/keywords:letter_frequency']);

let service: { url: string; close(): Promise<void> };

beforeAll(async () => {
  service = await startApp();
});
afterAll(async () => {
  await service.close();
});

async function score(tool: string, items: unknown[]): Promise<{ scores: number[]; details: any[] }> {
  const scores: number[] = [];
  const details: any[] = [];
  for (let start = 0; start < items.length; start += 1000) {
    const { status, json } = await postJson(`${service.url}/tools/${tool}/score`, { items: items.slice(start, start + 1000) });
    expect(status).toBe(200);
    scores.push(...json.scores);
    details.push(...json.details);
  }
  return { scores, details };
}

describe('agreement with published judgments of model outputs', () => {
  it('math_answer agrees with OpenAI on at least 99.8% of 5,276 graded GSM8K solutions', async () => {
    const solutions = jsonl<GradedSolution>('./fixtures/gsm8k_model_solutions/solutions.jsonl');
    expect(solutions.length).toBe(5276);
    const { scores } = await score(
      'math_answer',
      solutions.map((s) => ({ prompt: '', response: s.response, reference: s.reference })),
    );
    const misses = solutions.filter((s, i) => (scores[i] === 1) !== s.correct).map((s) => s.id);
    expect(1 - misses.length / solutions.length, misses.join(', ')).toBeGreaterThanOrEqual(0.998);
  });

  it('instructions agrees with the official IFEval checks on at least 99.8% of the instructions in 540 GPT-4 responses', async () => {
    const responses = jsonl<JudgedResponse>('./fixtures/ifeval_gpt4/responses.jsonl');
    expect(responses.length).toBe(540);
    const { details } = await score(
      'instructions',
      responses.map((r) => ({
        prompt: r.prompt,
        response: r.response,
        metadata: { instruction_id_list: r.instruction_id_list, kwargs: r.kwargs },
      })),
    );
    let judged = 0;
    const misses: string[] = [];
    responses.forEach((r, i) => {
      details[i].detail.instructions.forEach((result: { id: string; followed: boolean }, j: number) => {
        const name = `${r.key}/${result.id}`;
        if (IFEVAL_LABEL_ERRORS.has(name)) return;
        judged++;
        if (result.followed !== r.follow[j]) misses.push(name);
      });
    });
    expect(judged).toBe(830);
    expect(1 - misses.length / judged, misses.join(', ')).toBeGreaterThanOrEqual(0.998);
  });
});
