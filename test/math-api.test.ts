import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startApp } from './helpers/service.ts';

let service: { url: string; close(): Promise<void> };

beforeAll(async () => {
  service = await startApp();
});
afterAll(async () => {
  await service.close();
});

describe('math_answer through HTTP', () => {
  it('reports the extracted answer, the normalized gold and the rule that decided', async () => {
    const { json } = await postJson(`${service.url}/reward`, {
      items: [
        { prompt: 'Simplify.', response: 'We get $\\boxed{\\dfrac{\\sqrt{3}}{2}}$.', reference: '\\frac{1}{2}\\sqrt{3}', task: 'lighteval/MATH' },
        { prompt: 'Solve.', response: 'So $x \\in \\boxed{[-1, 2)}$.', reference: '[-1,\\frac{4}{2})', task: 'lighteval/MATH' },
        { prompt: 'Roots?', response: 'The roots are $\\boxed{3, -2}$.', reference: '-2, 3', task: 'lighteval/MATH' },
        { prompt: 'How many?', response: 'Final Answer: The final answer is $1,\\!000$. I hope it is correct.', reference: '1000', task: 'lighteval/MATH' },
        { prompt: 'Solve.', response: '$\\boxed{(1, 2)}$', reference: '(2, 1)', task: 'lighteval/MATH' },
      ],
    });
    expect(json.rewards).toEqual([1, 1, 1, 1, 0]);
    const details = json.results.map((r: any) => r.components[0].detail);
    expect(details[0]).toMatchObject({ extracted: '\\frac{\\sqrt{3}}{2}', gold: '\\frac{1}{2}\\sqrt{3}', rule: 'numeric', cas: true });
    expect(details[1]).toMatchObject({ rule: 'interval', found_by: 'boxed' });
    expect(details[2]).toMatchObject({ rule: 'set' });
    expect(details[3]).toMatchObject({ extracted: '1000', rule: 'string', found_by: 'final_answer' });
    expect(details[4]).toMatchObject({ rule: 'no_match' });
  });

  it('never stalls on pathological answers and gives a deadline miss 0 with an error', async () => {
    const megabyte = `${'7 '.repeat(450_000)}\\boxed{3}`;
    const { status, json } = await postJson(`${service.url}/tools/math_answer/score`, {
      items: [
        { prompt: 'p', response: '\\boxed{2^{2^{2^{2^{2}}}}}', reference: '3' },
        { prompt: 'p', response: '\\boxed{100!}', reference: '5' },
        { prompt: 'p', response: '\\boxed{1000000!}', reference: '1000000!' },
        { prompt: 'p', response: megabyte, reference: '3' },
        { prompt: 'p', response: '\\boxed{\\frac{x+2}{7}}', reference: '\\frac{x}{7}+\\frac{2}{7}' },
      ],
    });
    expect(status).toBe(200);
    expect(json.scores).toEqual([0, 0, 1, 1, 1]);
    expect(json.details.every((d: any) => d.error === undefined)).toBe(true);

    const rushed = await postJson(`${service.url}/tools/math_answer/score`, {
      items: [{ prompt: 'p', response: '\\boxed{\\frac{x+2}{7}}', reference: '\\frac{x}{7}+\\frac{2}{7}' }],
      params: { timeout_ms: 0.000001 },
    });
    expect(rushed.json.scores).toEqual([0]);
    expect(rushed.json.details[0].error).toMatch(/math_answer: comparison exceeded its 0.000001 ms deadline/);
  });
});
