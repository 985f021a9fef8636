import { describe, expect, it } from 'vitest';
import { preferenceAccuracy, rowCredit, type PreferenceScores } from '../src/cli/accuracy.ts';

const row = (r: Partial<PreferenceScores> & Pick<PreferenceScores, 'chosen' | 'rejected'>): PreferenceScores => ({
  row: 1,
  subset: 'all',
  pairwise: false,
  ...r,
});

describe('RewardBench 2 accuracy rules', () => {
  it('best-of-N: the first chosen must be the highest; a tie at the top shares the credit', () => {
    expect(rowCredit(row({ chosen: [0.9], rejected: [0.1, 0.5, 0.2] }))).toBe(1);
    expect(rowCredit(row({ chosen: [0.5], rejected: [0.5, 0.1, 0.5] }))).toBeCloseTo(1 / 3, 12);
    expect(rowCredit(row({ chosen: [0.4], rejected: [0.5, 0.1] }))).toBe(0);
    // Only the first chosen response is compared, as RewardBench 2 does (scores[0] against the max).
    expect(rowCredit(row({ chosen: [0.1, 0.9], rejected: [0.2] }))).toBe(0);
  });

  it('pairs: chosen strictly above rejected, a tie counts 0', () => {
    expect(rowCredit(row({ pairwise: true, chosen: [0.6], rejected: [0.5] }))).toBe(1);
    expect(rowCredit(row({ pairwise: true, chosen: [0.5], rejected: [0.5] }))).toBe(0);
  });

  it('overall is the mean of the subset accuracies, not of the rows', () => {
    const result = preferenceAccuracy([
      row({ row: 1, subset: 'a', chosen: [1], rejected: [0] }),
      row({ row: 2, subset: 'a', chosen: [1], rejected: [0] }),
      row({ row: 3, subset: 'a', chosen: [1], rejected: [0] }),
      row({ row: 4, subset: 'b', chosen: [0], rejected: [1] }),
    ]);
    expect(result.subsets.a).toMatchObject({ accuracy: 1, n: 3 });
    expect(result.subsets.b).toMatchObject({ accuracy: 0, n: 1 });
    expect(result.overall).toBe(0.5);
  });

  it('Ties: 0.3 tied accuracy + 0.3 ref accuracy + 0.2 preferred + 0.2 preferred (hard) + 0.01 margin', () => {
    const ties = (id: string, correct: number[], incorrect: number[], r: number): PreferenceScores => ({
      row: r,
      subset: 'Ties',
      pairwise: false,
      id,
      numCorrect: correct.length,
      chosen: correct,
      rejected: incorrect,
    });
    const result = preferenceAccuracy([
      ties('ref:1', [1], [0.5, 0.25], 1), // gap 0.5
      ties('tied:1', [0.75, 0.5], [0.25], 2), // spread 0.25, gap 0.25: accurate, not preferred
      ties('ref:2', [0.25], [0.5], 3), // gap -0.25: not accurate
      ties('tied:2', [1, 0.75], [0.25], 4), // spread 0.25, gap 0.5: preferred; hard gap -0.25: not
    ]);
    const terms = result.subsets.Ties!.ties_terms!;
    expect(terms.tied_accuracy).toBe(1);
    expect(terms.ref_accuracy).toBe(0.5);
    expect(terms.correctness_preferred).toBe(0.5);
    expect(terms.correctness_preferred_hard).toBe(0);
    // tanh(0.25 / 0.25 - 1) = 0 and tanh(-0.25 / 0.25 - 1) = tanh(-2)
    expect(terms.correctness_margin).toBeCloseTo(Math.tanh(-2) / 2, 12);
    expect(result.subsets.Ties!.accuracy).toBeCloseTo(0.3 + 0.15 + 0.1 + 0.005 * Math.tanh(-2), 12);
    expect(result.rows.map((o) => o.credit)).toEqual([1, 1, 0, 1]);
  });

  it('Ties rows without a "ref:N" or "tied:N" id are left out with a note', () => {
    const result = preferenceAccuracy([row({ row: 7, subset: 'ties', id: 'x', chosen: [1], rejected: [0] })]);
    expect(result.notes.join('\n')).toContain('row 7');
    expect(result.subsets.ties!.accuracy).toBe(0);
  });
});
