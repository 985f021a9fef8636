/**
 * BLEU (Papineni et al., 2002) as sacrebleu 2.6 computes it: n-grams up to 4, counts clipped by the
 * maximum count over the references, brevity penalty against the closest reference length (the
 * shorter on ties), `exp` smoothing (mteval-v13a's NIST smoothing). Scores are on sacrebleu's 0–100 scale.
 */
import { TOKENIZERS, rstripWhitespace, splitWhitespace, type TokenizerName } from './tokenizers.ts';

const MAX_ORDER = 4;

export interface BleuOptions {
  /** Lowercase hypothesis and references before tokenizing (default false). */
  lowercase?: boolean;
  /** Default `13a`. */
  tokenize?: TokenizerName;
}

export interface BleuScore {
  /** 0–100. */
  score: number;
  /** Clipped n-gram matches, orders 1–4. */
  counts: number[];
  /** Hypothesis n-grams, orders 1–4. */
  totals: number[];
  /** Smoothed n-gram precisions, 0–100 (0 for orders past the effective order). */
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
}

interface ReferenceInfo {
  /** Per order, each n-gram's maximum count over the references. */
  ngrams: Map<string, number>[];
  lengths: number[];
}

// Segment statistics, summed over a corpus: [sys_len, ref_len, counts x4, totals x4] as sacrebleu.
const SYS_LEN = 0;
const REF_LEN = 1;
const COUNTS = 2;
const TOTALS = 2 + MAX_ORDER;
const STATS_SIZE = 2 + 2 * MAX_ORDER;

function preprocess(sentence: string, options: BleuOptions): string[] {
  const text = options.lowercase === true ? sentence.toLowerCase() : sentence;
  return splitWhitespace(TOKENIZERS[options.tokenize ?? '13a'](rstripWhitespace(text)));
}

/** Counts of every n-gram of orders 1–4, one map per order; keys are tokens joined by spaces. */
function countNgrams(tokens: readonly string[]): Map<string, number>[] {
  const maps = Array.from({ length: MAX_ORDER }, () => new Map<string, number>());
  for (let i = 0; i < tokens.length; i++) {
    // the n-grams starting at i, each extending the previous by one token
    let key = tokens[i]!;
    for (let n = 0; n < MAX_ORDER && i + n < tokens.length; n++) {
      if (n > 0) key += ` ${tokens[i + n]}`;
      const counts = maps[n]!;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return maps;
}

function referenceInfo(references: readonly string[], options: BleuOptions): ReferenceInfo {
  const ngrams = Array.from({ length: MAX_ORDER }, () => new Map<string, number>());
  const lengths: number[] = [];
  for (const reference of references) {
    const tokens = preprocess(reference, options);
    lengths.push(tokens.length);
    countNgrams(tokens).forEach((counts, order) => {
      const merged = ngrams[order]!;
      for (const [key, count] of counts) {
        if (count > (merged.get(key) ?? 0)) merged.set(key, count);
      }
    });
  }
  return { ngrams, lengths };
}

function closestRefLength(hypLength: number, refLengths: readonly number[]): number {
  let bestDiff = -1;
  let best = -1;
  for (const length of refLengths) {
    const diff = Math.abs(hypLength - length);
    if (bestDiff === -1 || diff < bestDiff || (diff === bestDiff && length < best)) {
      bestDiff = diff;
      best = length;
    }
  }
  return best;
}

/** Adds one segment's statistics to `stats`. */
function addSegmentStats(hypothesis: string, refs: ReferenceInfo, options: BleuOptions, stats: Float64Array): void {
  const tokens = preprocess(hypothesis, options);
  stats[SYS_LEN]! += tokens.length;
  stats[REF_LEN]! += closestRefLength(tokens.length, refs.lengths);
  countNgrams(tokens).forEach((counts, order) => {
    const refCounts = refs.ngrams[order]!;
    let matched = 0;
    for (const [key, count] of counts) matched += Math.min(count, refCounts.get(key) ?? 0);
    stats[COUNTS + order]! += matched;
    stats[TOTALS + order]! += Math.max(0, tokens.length - order);
  });
}

/**
 * sacrebleu's BLEU.compute_bleu with `exp` smoothing: an order without matches gets precision
 * 100 / (2^k * total) for its k-th occurrence. With `effectiveOrder` the geometric mean stops at the
 * highest order the hypothesis has n-grams of (sentence BLEU); without it, missing orders give 0.
 */
function computeBleu(stats: Float64Array, effectiveOrder: boolean): BleuScore {
  const sysLen = stats[SYS_LEN]!;
  const refLen = stats[REF_LEN]!;
  const counts = Array.from(stats.subarray(COUNTS, COUNTS + MAX_ORDER));
  const totals = Array.from(stats.subarray(TOTALS, TOTALS + MAX_ORDER));
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(MAX_ORDER).fill(0);
  const result = { counts, totals, precisions, bp, sysLen, refLen };
  if (counts.every((c) => c === 0)) return { score: 0, ...result };

  let smooth = 1;
  let order = MAX_ORDER;
  for (let n = 0; n < MAX_ORDER; n++) {
    const total = totals[n]!;
    if (total === 0) break;
    if (effectiveOrder) order = n + 1;
    if (counts[n] === 0) {
      smooth *= 2;
      precisions[n] = 100 / (smooth * total);
    } else {
      precisions[n] = (100 * counts[n]!) / total;
    }
  }
  // A zero precision (only without effective order) gives log 0 = -Infinity and a score of 0, as
  // sacrebleu's floored log does.
  let logSum = 0;
  for (let n = 0; n < order; n++) logSum += Math.log(precisions[n]!);
  return { score: bp * Math.exp(logSum / order), ...result };
}

/** sacrebleu's `sentence_bleu`: effective order, `exp` smoothing; `references` holds one or more. */
export function sentenceBleu(hypothesis: string, references: readonly string[], options: BleuOptions = {}): BleuScore {
  if (references.length === 0) throw new RangeError('at least one reference is needed');
  const stats = new Float64Array(STATS_SIZE);
  addSegmentStats(hypothesis, referenceInfo(references, options), options, stats);
  return computeBleu(stats, true);
}

/**
 * sacrebleu's `corpus_bleu` (`exp` smoothing, no effective order): statistics summed over segments.
 * `referenceStreams` is laid out as sacrebleu's: `referenceStreams[k][i]` is the k-th reference of
 * segment `i`. An empty string is a reference of length 0 (it still competes for the closest length).
 */
export function corpusBleu(
  hypotheses: readonly string[],
  referenceStreams: readonly (readonly string[])[],
  options: BleuOptions = {},
): BleuScore {
  checkStreams(hypotheses, referenceStreams);
  const stats = new Float64Array(STATS_SIZE);
  hypotheses.forEach((hypothesis, i) => {
    const refs = referenceInfo(referenceStreams.map((stream) => stream[i]!), options);
    addSegmentStats(hypothesis, refs, options, stats);
  });
  return computeBleu(stats, false);
}

/** Every reference stream must have one entry per hypothesis (sacrebleu would silently truncate). */
export function checkStreams(hypotheses: readonly string[], referenceStreams: readonly (readonly string[])[]): void {
  if (referenceStreams.length === 0) throw new RangeError('at least one reference stream is needed');
  for (const stream of referenceStreams) {
    if (stream.length !== hypotheses.length) {
      throw new RangeError(`a reference stream has ${stream.length} segments for ${hypotheses.length} hypotheses`);
    }
  }
}
