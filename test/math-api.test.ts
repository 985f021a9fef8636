import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mathAnswer } from '../src/tools/verifiers/math/index.ts';
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

  it('reads answers in the forms models write them: ####, bare LaTeX, full-width and CJK text, currency, exclamations, units, later values', async () => {
    const cases: [string, string][] = [
      ['So the probability is $\\boxed{\\frac{16}{27}}$.\n#### \\frac{16}{27}', '\\frac{16}{27}'],
      ['The answer is: \\frac{3}{2}', '\\frac{3}{2}'],
      ['The answer is 7。', '7'],
      ['所以答案是 ７。', '7'],
      ['因此，最终答案为：$x＝5$。', '5'],
      ['He earns $50 a day for 4 days. The answer is $x = $200', '200'],
      ['After all that work, the answer is 5!', '5'],
      ['Each bag holds 12g, so the answer is 48g', '48'],
      ['The answer is $\\angle ABC$, which is 52 degrees.', '52'],
    ];
    const { status, json } = await postJson(`${service.url}/tools/math_answer/score`, {
      items: cases.map(([response, reference]) => ({ prompt: 'p', response, reference })),
    });
    expect(status).toBe(200);
    expect(json.details.map((d: any) => d.detail.extracted)).toEqual(['\\frac{16}{27}', '\\frac{3}{2}', '7', '7', 'x=5', 'x = 200', '5', '48', '52']);
    expect(json.scores).toEqual(cases.map(() => 1));
  });

  it('compares complex numbers with i as the imaginary unit, and lets a retraction after a box stand', async () => {
    const { json } = await postJson(`${service.url}/tools/math_answer/score`, {
      items: [
        { prompt: 'p', response: 'Expanding, $\\boxed{(1+i)^2}$.', reference: '2i' },
        { prompt: 'p', response: '$\\boxed{\\frac{1}{i}}$', reference: '-i' },
        { prompt: 'p', response: '$\\boxed{i^2}$', reference: '-1' },
        { prompt: 'p', response: '$\\boxed{1+i}$', reference: '1-i' },
        { prompt: 'p', response: 'So $\\boxed{5}$.\n\nWait, I made an error in the second step. Recomputing, the answer is 6.', reference: '6' },
        { prompt: 'p', response: 'So $\\boxed{5}$.\n\nChecking: the answer is 5 as found.', reference: '5' },
      ],
    });
    expect(json.scores).toEqual([1, 1, 1, 0, 1, 1]);
    expect(json.details[4].detail).toMatchObject({ extracted: '6', found_by: 'answer_is' });
  });

  it('scores several different final answers by the hedging policy: the last one, or 0 with `reject`', async () => {
    const hedged = 'It could be $\\boxed{5}$. Hmm, it could also be $\\boxed{6}$.';
    const items = [
      { prompt: 'p', response: hedged, reference: '6' },
      { prompt: 'p', response: 'It is $\\boxed{\\frac{1}{2}}$.\n#### 0.5', reference: '0.5' },
      { prompt: 'p', response: 'The roots are $\\boxed{2}$ and $\\boxed{3}$.', reference: '2, 3' },
    ];
    const last = await postJson(`${service.url}/tools/math_answer/score`, { items });
    expect(last.json.scores).toEqual([1, 1, 1]);
    const rejected = await postJson(`${service.url}/tools/math_answer/score`, { items, params: { hedging: 'reject' } });
    expect(rejected.json.scores).toEqual([0, 1, 1]);
    expect(rejected.json.details[0].detail).toMatchObject({ rule: 'hedging' });
  });

  it("checks a lone tool's params against its schema: a bad value or a misspelt param is a 400 that names it", async () => {
    const items = [{ prompt: 'p', response: 'So $\\boxed{6}$.', reference: '6' }];
    const bad = await postJson(`${service.url}/tools/math_answer/score`, { items, params: { hedging: 'any' } });
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/^body\/params\/hedging must be equal to one of the allowed values/);
    const misspelt = await postJson(`${service.url}/tools/math_answer/score`, { items, params: { hedge: 'reject' } });
    expect(misspelt.status).toBe(400);
    expect(misspelt.json.message).toBe('body/params/hedge math_answer has no param "hedge"; it takes timeout_ms, hedging');
    const clock = await postJson(`${service.url}/tools/code_tests/score`, {
      items: [{ prompt: 'p', response: 'print(1)', reference: JSON.stringify({ inputs: [''], outputs: ['1'] }) }],
      params: { time_limit_clock: 'gpu' },
    });
    expect(clock.status).toBe(400);
    expect(clock.json.message).toMatch(/^body\/params\/time_limit_clock must be equal to one of the allowed values/);
    const good = await postJson(`${service.url}/tools/math_answer/score`, { items, params: { hedging: 'reject', timeout_ms: 500 } });
    expect(good.json.scores).toEqual([1]);
  });

  it('takes references given as numbers', () => {
    const score = (reference: unknown) =>
      (mathAnswer.score({ prompt: 'p', response: 'So $\\boxed{0.5}$.', reference: reference as string }, {}) as { score: number }).score;
    expect(score(0.5)).toBe(1);
    expect(score([2, 0.5])).toBe(1);
    expect(score(2)).toBe(0);
  });
});

