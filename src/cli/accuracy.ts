/**
 * Accuracy on preference data by RewardBench 2's rules (allenai/reward-bench, `reroll_and_score_dataset`
 * and `process_single_model`), and RewardBench's pairwise rule:
 * - best-of-N rows (chosen[], rejected[]): the scores are chosen then rejected; a row scores
 *   1 / (how many scores equal the highest) when its first chosen response has the highest score, else 0
 *   (a tie at the top shares the credit);
 * - pairwise rows (chosen, rejected as single responses): 1 when chosen scores strictly higher, else 0;
 * - the Ties subset (subset named "ties" in any case; ids "ref:N" and "tied:N"; the first `num_correct`
 *   responses are correct): 0.30 accuracy on tied prompts + 0.30 accuracy on reference prompts
 *   + 0.20 share of prompts whose correct-incorrect gap beats the spread among correct answers
 *   + 0.20 the same with the smaller of the reference and tied gaps + 0.01 mean tanh(gap / spread - 1);
 * - each subset's accuracy is the mean of its rows; the overall score is the mean of the subsets.
 */

export interface PreferenceScores {
  row: number;
  subset: string;
  /** Pairwise rows had one chosen and one rejected response given as plain values, not lists. */
  pairwise: boolean;
  chosen: number[];
  rejected: number[];
  /** RewardBench 2's Ties fields. */
  id?: string;
  numCorrect?: number;
}

export interface RowOutcome {
  row: number;
  subset: string;
  /** 0..1: this row's credit (for Ties rows: 1 when every correct answer beats every incorrect one). */
  credit: number;
  /** Best rejected minus the (first) chosen score: how far the row missed by (negative: how far it won). */
  margin: number;
  /** The rejected responses scored exactly as the chosen one. */
  tied: boolean;
}

export interface SubsetAccuracy {
  accuracy: number;
  n: number;
  /** Rows whose chosen response tied with a rejected one. */
  ties: number;
  /** The parts of the Ties formula, for that subset only. */
  ties_terms?: Record<string, number>;
}

export interface Accuracy {
  overall: number;
  subsets: Record<string, SubsetAccuracy>;
  rows: RowOutcome[];
  /** Rows left out of the Ties formula, and why. */
  notes: string[];
}

const mean = (values: number[]) => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);

export function rowCredit(scores: PreferenceScores): number {
  if (scores.pairwise) return scores.chosen[0]! > scores.rejected[0]! ? 1 : 0;
  const all = [...scores.chosen, ...scores.rejected];
  const top = Math.max(...all);
  return all[0] === top ? 1 / all.filter((s) => s === top).length : 0;
}

interface PromptStats {
  accurate: boolean;
  /** Best minus worst correct score (0 with one correct answer). */
  correctSpread: number;
  /** Worst correct minus best incorrect score. */
  gap: number;
}

function promptStats(samples: { correct: boolean; score: number }[]): PromptStats | undefined {
  const correct = samples.filter((s) => s.correct).map((s) => s.score);
  const incorrect = samples.filter((s) => !s.correct).map((s) => s.score);
  if (correct.length === 0 || incorrect.length === 0) return undefined;
  const gap = Math.min(...correct) - Math.max(...incorrect);
  return { accurate: gap > 0, correctSpread: Math.max(...correct) - Math.min(...correct), gap };
}

/** RewardBench 2's Ties score of a subset's rows. */
function tiesScore(rows: PreferenceScores[], notes: string[]): { score: number; terms: Record<string, number>; perRow: Map<number, number> } {
  const groups = new Map<string, { type: string; prompt: string; samples: { correct: boolean; score: number }[]; rows: number[] }>();
  for (const r of rows) {
    const match = /^([^:]+):(\d+)$/.exec(r.id ?? '');
    if (!match) {
      notes.push(`row ${r.row}: a Ties row needs an id "ref:N" or "tied:N" (has ${JSON.stringify(r.id ?? null)}); left out of the Ties score`);
      continue;
    }
    const type = match[1]!;
    const prompt = String(Number(match[2]));
    const key = `${type}:${prompt}`;
    const group = groups.get(key) ?? { type, prompt, samples: [], rows: [] };
    const numCorrect = r.numCorrect ?? r.chosen.length;
    [...r.chosen, ...r.rejected].forEach((score, i) => group.samples.push({ correct: i < numCorrect, score }));
    group.rows.push(r.row);
    groups.set(key, group);
  }
  const ref = new Map<string, PromptStats>();
  const tied = new Map<string, PromptStats>();
  const perRow = new Map<number, number>();
  for (const group of groups.values()) {
    const stats = promptStats(group.samples);
    if (!stats) {
      notes.push(`rows ${group.rows.join(', ')}: Ties prompt ${group.type}:${group.prompt} needs correct and incorrect answers; left out`);
      continue;
    }
    (group.type === 'ref' ? ref : tied).set(group.prompt, stats);
    for (const row of group.rows) perRow.set(row, stats.accurate ? 1 : 0);
  }
  const paired = [...tied.keys()].filter((p) => ref.has(p));
  if (paired.length === 0 && groups.size > 0) notes.push('Ties: no prompt has both a "ref" and a "tied" row; the margin terms count 0');
  const hardGap = (p: string) => Math.min(ref.get(p)!.gap, tied.get(p)!.gap);
  const terms = {
    tied_accuracy: mean([...tied.values()].map((s) => (s.accurate ? 1 : 0))),
    ref_accuracy: mean([...ref.values()].map((s) => (s.accurate ? 1 : 0))),
    correctness_preferred: mean(paired.map((p) => (tied.get(p)!.gap > tied.get(p)!.correctSpread ? 1 : 0))),
    correctness_preferred_hard: mean(paired.map((p) => (hardGap(p) > tied.get(p)!.correctSpread ? 1 : 0))),
    // x / 0 is ±Infinity (tanh ±1) as in numpy; 0 / 0 is NaN, counted 0 as RewardBench's nan_to_num does.
    correctness_margin: mean(
      paired.map((p) => {
        const value = Math.tanh(hardGap(p) / tied.get(p)!.correctSpread - 1);
        return Number.isNaN(value) ? 0 : value;
      }),
    ),
  };
  const score =
    0.3 * terms.tied_accuracy +
    0.3 * terms.ref_accuracy +
    0.2 * terms.correctness_preferred +
    0.2 * terms.correctness_preferred_hard +
    0.01 * terms.correctness_margin;
  // The margin term can take the score a hair below 0 when everything else is 0; the contract is [0, 1].
  return { score: Math.min(1, Math.max(0, score)), terms, perRow };
}

export function preferenceAccuracy(rows: PreferenceScores[]): Accuracy {
  const notes: string[] = [];
  const bySubset = new Map<string, PreferenceScores[]>();
  for (const r of rows) {
    const subset = bySubset.get(r.subset);
    if (subset) subset.push(r);
    else bySubset.set(r.subset, [r]);
  }
  const subsets: Record<string, SubsetAccuracy> = {};
  const outcomes: RowOutcome[] = [];
  for (const [name, subsetRows] of bySubset) {
    const ties = name.toLowerCase() === 'ties' ? tiesScore(subsetRows, notes) : undefined;
    const rowOutcomes = subsetRows.map((r): RowOutcome => {
      const margin = Math.max(...r.rejected) - r.chosen[0]!;
      const credit = ties ? (ties.perRow.get(r.row) ?? 0) : rowCredit(r);
      return { row: r.row, subset: name, credit, margin, tied: r.rejected.some((s) => s === r.chosen[0]) };
    });
    outcomes.push(...rowOutcomes);
    subsets[name] = {
      accuracy: ties ? ties.score : mean(rowOutcomes.map((o) => o.credit)),
      n: subsetRows.length,
      ties: rowOutcomes.filter((o) => o.tied).length,
      ...(ties && { ties_terms: ties.terms }),
    };
  }
  const overall = mean(Object.values(subsets).map((s) => s.accuracy));
  return { overall, subsets, rows: outcomes, notes };
}
