/**
 * chrF (Popović, 2015) and chrF++ (Popović, 2017) as sacrebleu 2.6 computes them with its defaults:
 * character n-grams up to 6 with whitespace removed, word n-grams up to `wordOrder` (0 for chrF, 2 for
 * chrF++), beta 2, and sacrebleu's default effective-order averaging (`eps_smoothing=False`: precision
 * and recall are averaged over the orders both sides have n-grams of). Scores are on the 0–100 scale.
 */
import { checkStreams } from './bleu.ts';
import { splitWhitespace } from './tokenizers.ts';

const CHAR_ORDER = 6;
const BETA = 2;

/** Python's `string.punctuation`, which chrF++ splits off word ends. */
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

export interface ChrfOptions {
  /** Word n-gram order: 0 is chrF (default), 2 is chrF++. */
  wordOrder?: number;
  /** Lowercase hypothesis and references first (default false). */
  lowercase?: boolean;
}

export interface ChrfScore {
  /** 0–100. */
  score: number;
  /** Index of the reference that scored best (sacrebleu keeps the best per sentence; first on ties). */
  bestReference: number;
}

/** Per order (character orders first, then word orders): n-gram counts and their sum. */
interface Ngrams {
  counts: Map<string, number>[];
  totals: number[];
}

/**
 * sacrebleu's CHRF._remove_punctuation (after m-popovic/chrF): one punctuation character is split
 * off the end of a word, or else off its start; one-character words stay whole.
 */
function splitPunctuation(text: string): string[] {
  const words: string[] = [];
  for (const word of splitWhitespace(text)) {
    if (word.length === 1) {
      words.push(word);
    } else if (PUNCTUATION.has(word[word.length - 1]!)) {
      words.push(word.slice(0, -1), word[word.length - 1]!);
    } else if (PUNCTUATION.has(word[0]!)) {
      words.push(word[0]!, word.slice(1));
    } else {
      words.push(word);
    }
  }
  return words;
}

function extractNgrams(sentence: string, options: ChrfOptions): Ngrams {
  const text = options.lowercase === true ? sentence.toLowerCase() : sentence;
  const chars = splitWhitespace(text).join('');
  // UTF-16 offsets of code point starts, plus the end: n-grams count code points as Python does.
  const starts: number[] = [];
  for (let i = 0; i < chars.length; i += (chars.codePointAt(i) ?? 0) > 0xffff ? 2 : 1) starts.push(i);
  starts.push(chars.length);

  const ngrams: Ngrams = { counts: [], totals: [] };
  const add = (count: number, gramAt: (k: number) => string) => {
    const counts = new Map<string, number>();
    for (let k = 0; k < count; k++) {
      const gram = gramAt(k);
      counts.set(gram, (counts.get(gram) ?? 0) + 1);
    }
    ngrams.counts.push(counts);
    ngrams.totals.push(Math.max(0, count));
  };
  for (let n = 1; n <= CHAR_ORDER; n++) add(starts.length - n, (k) => chars.slice(starts[k], starts[k + n]));
  const wordOrder = options.wordOrder ?? 0;
  if (wordOrder > 0) {
    const words = splitPunctuation(text);
    for (let n = 1; n <= wordOrder; n++) add(words.length - n + 1, (k) => words.slice(k, k + n).join(' '));
  }
  return ngrams;
}

/** [hypothesis n-grams, reference n-grams, matches] per order, as sacrebleu's _get_match_statistics. */
function matchStats(hyp: Ngrams, ref: Ngrams): number[] {
  const stats: number[] = [];
  hyp.counts.forEach((hypCounts, order) => {
    const refCounts = ref.counts[order]!;
    const [small, large] = hypCounts.size <= refCounts.size ? [hypCounts, refCounts] : [refCounts, hypCounts];
    let matches = 0;
    for (const [gram, count] of small) matches += Math.min(count, large.get(gram) ?? 0);
    // sacrebleu does not count hypothesis n-grams of an order the reference has none of
    stats.push(refCounts.size > 0 ? hyp.totals[order]! : 0, ref.totals[order]!, matches);
  });
  return stats;
}

/** sacrebleu's CHRF._compute_f_score without eps smoothing: F-beta of the averaged precision and recall. */
function fScore(stats: readonly number[]): number {
  const factor = BETA ** 2;
  let precision = 0;
  let recall = 0;
  let effectiveOrder = 0;
  for (let i = 0; i < stats.length; i += 3) {
    const hyp = stats[i]!;
    const ref = stats[i + 1]!;
    const matches = stats[i + 2]!;
    if (hyp > 0 && ref > 0) {
      precision += matches / hyp;
      recall += matches / ref;
      effectiveOrder++;
    }
  }
  if (effectiveOrder === 0) return 0;
  precision /= effectiveOrder;
  recall /= effectiveOrder;
  if (precision + recall === 0) return 0;
  let score = (1 + factor) * precision * recall;
  score /= factor * precision + recall;
  return 100 * score;
}

/** The statistics of the best-scoring reference (the first on ties), as sacrebleu picks it. */
function bestStats(hypothesis: string, references: readonly string[], options: ChrfOptions) {
  const hyp = extractNgrams(hypothesis, options);
  let best = { stats: [] as number[], score: -1, index: -1 };
  references.forEach((reference, index) => {
    const stats = matchStats(hyp, extractNgrams(reference, options));
    const score = fScore(stats);
    if (score > best.score) best = { stats, score, index };
  });
  return best;
}

/** sacrebleu's `sentence_chrf` (chrF++ with `wordOrder: 2`); `references` holds one or more. */
export function sentenceChrf(hypothesis: string, references: readonly string[], options: ChrfOptions = {}): ChrfScore {
  if (references.length === 0) throw new RangeError('at least one reference is needed');
  const best = bestStats(hypothesis, references, options);
  return { score: best.score, bestReference: best.index };
}

/**
 * sacrebleu's `corpus_chrf`: the best reference's statistics of each segment, summed, then scored.
 * `referenceStreams[k][i]` is the k-th reference of segment `i`, as in sacrebleu.
 */
export function corpusChrf(
  hypotheses: readonly string[],
  referenceStreams: readonly (readonly string[])[],
  options: ChrfOptions = {},
): number {
  checkStreams(hypotheses, referenceStreams);
  const orders = CHAR_ORDER + (options.wordOrder ?? 0);
  const total = new Array<number>(3 * orders).fill(0);
  hypotheses.forEach((hypothesis, i) => {
    const { stats } = bestStats(hypothesis, referenceStreams.map((stream) => stream[i]!), options);
    stats.forEach((value, k) => (total[k]! += value));
  });
  return fScore(total);
}
