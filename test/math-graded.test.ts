import { describe, expect, it } from 'vitest';
import { mathAnswer } from '../src/tools/verifiers/math/index.ts';
import { gradedGsm8k, gradedMath, type GradedResponse } from './helpers/graded-math.ts';

function agreement(set: GradedResponse[]): { rate: number; misses: string[] } {
  const misses: string[] = [];
  for (const g of set) {
    const { score } = mathAnswer.score({ prompt: g.problem, response: g.response, reference: g.reference }, {}) as {
      score: number;
    };
    if ((score === 1) !== g.correct) misses.push(`[${g.form}] ${g.reference} <- ${g.response.slice(-80)}`);
  }
  return { rate: 1 - misses.length / set.length, misses };
}

describe('graded model-style solutions', () => {
  it('agrees with the grades on at least 98% of MATH-500 responses', () => {
    const set = gradedMath();
    expect(set.length).toBeGreaterThan(4000);
    const { rate, misses } = agreement(set);
    expect(rate, misses.slice(0, 20).join('\n')).toBeGreaterThanOrEqual(0.98);
  });

  it('agrees with the grades on at least 99.5% of GSM8K-style responses', () => {
    const set = gradedGsm8k();
    expect(set.length).toBeGreaterThan(2000);
    const { rate, misses } = agreement(set);
    expect(rate, misses.slice(0, 20).join('\n')).toBeGreaterThanOrEqual(0.995);
  });
});
