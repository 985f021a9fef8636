import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mathAnswer } from '../src/tools/verifiers/math/index.ts';

interface Case {
  gold: string;
  pred: string;
  expected: boolean;
  source: string;
}

const cases: Case[] = JSON.parse(readFileSync(new URL('./fixtures/math_equivalence_cases.json', import.meta.url), 'utf8'));

/**
 * Where we disagree with Math-Verify's expectation, and why. Most depend on options its tests set for
 * those cases and our defaults differ from; the rest are features we do not have.
 */
const DISAGREEMENTS: Record<number, string> = {
  6: 'a reference "1,22" is the list {1, 22} for us (MATH writes lists so: "-2,1"); Math-Verify reads a decimal comma',
  17: 'a reference "0,111" is the list {0, 111} for us, for the same reason; Math-Verify reads a decimal comma',
  31: 'its test extracts LaTeX only; we fall back to the last number, so "$ \\n 9 \\n $" reads as 9',
  32: 'its test extracts LaTeX only; we fall back to the last number, so "\\( \\n 9 \\n \\)" reads as 9',
  123: 'the response states a sum of two matrices; we do not evaluate matrix arithmetic',
  124: 'the response states a product of two matrices; we do not evaluate matrix arithmetic',
  133: 'its test compares at precision 2 (0.33 = 1/3); we round at 6 decimals, its default',
  139: 'its test compares at precision 4 (2.6667 = 8/3); we round at 6 decimals, its default',
  187: 'its test sets allow_set_relation_comp=False; we always compare relations with sets (case 186, the same pair, expects True)',
  193: 'the reference is an inequality in |z|; turning it into a union of intervals needs solving, which we do not do',
  214: 'the reference has an unclosed \\boxed{ and "or" glued to its neighbours ("1orW(x)")',
};

function verdict(c: Case): boolean {
  const outcome = mathAnswer.score({ prompt: '', response: c.pred, reference: c.gold }, {}) as { score: number };
  return outcome.score === 1;
}

describe("Math-Verify's own test cases", () => {
  const results = cases.map((c, index) => ({ index, c, agrees: verdict(c) === c.expected }));

  it('agrees on at least 240 of the 252', () => {
    expect(results.filter((r) => r.agrees).length).toBeGreaterThanOrEqual(240);
  });

  it('disagrees exactly where the list above says, and nowhere else', () => {
    const disagreements = results.filter((r) => !r.agrees).map((r) => r.index);
    expect(disagreements).toEqual(Object.keys(DISAGREEMENTS).map(Number));
  });

  it.each(cases.map((c, index) => [index, c.source.split('::')[1], c] as const))('case %i (%s)', (index, _source, c) => {
    if (DISAGREEMENTS[index] === undefined) expect(verdict(c)).toBe(c.expected);
    else expect(verdict(c)).toBe(!c.expected);
  });
});
