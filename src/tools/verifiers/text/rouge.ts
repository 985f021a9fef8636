import { boundedCache } from '../../../util/bounded-cache.ts';

/**
 * ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum (Lin, 2004) as Google's rouge-score package computes them,
 * with its default tokenizer and optional Porter stemming.
 */

export type RougeVariant = 'rouge1' | 'rouge2' | 'rougeL' | 'rougeLsum';

export const ROUGE_VARIANTS: readonly RougeVariant[] = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'];

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

// ---------------------------------------------------------------------------------------------------
// Porter stemmer, in the mode rouge-score uses: NLTK's PorterStemmer() default, NLTK_EXTENSIONS
// (Porter 1980 plus Martin Porter's and NLTK's amendments). Rule order and the "first matching suffix
// decides, even when its condition fails" behaviour follow NLTK's implementation.

const IRREGULAR_FORMS = new Map<string, string>([
  ['sky', 'sky'],
  ['skies', 'sky'],
  ['dying', 'die'],
  ['lying', 'lie'],
  ['tying', 'tie'],
  ['news', 'news'],
  ['innings', 'inning'],
  ['inning', 'inning'],
  ['outings', 'outing'],
  ['outing', 'outing'],
  ['cannings', 'canning'],
  ['canning', 'canning'],
  ['howe', 'howe'],
  ['proceed', 'proceed'],
  ['exceed', 'exceed'],
  ['succeed', 'succeed'],
]);

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u']);

/** Porter's consonant: not a vowel, and a 'y' only at the start or after a vowel. */
function isConsonant(word: string, i: number): boolean {
  // 'y' takes the opposite of its predecessor; walk back over a run of y's instead of recursing
  let flips = 0;
  while (i > 0 && word[i] === 'y') {
    i--;
    flips++;
  }
  const consonant = word[i] === 'y' || !VOWELS.has(word[i]!);
  return flips % 2 === 0 ? consonant : !consonant;
}

/** m in [C](VC){m}[V]: the number of vowel-consonant transitions. */
function measure(stem: string): number {
  let m = 0;
  let afterVowel = false;
  for (let i = 0; i < stem.length; i++) {
    const consonant = isConsonant(stem, i);
    if (consonant && afterVowel) m++;
    afterVowel = !consonant;
  }
  return m;
}

const positiveMeasure = (stem: string): boolean => measure(stem) > 0;
const measureAboveOne = (stem: string): boolean => measure(stem) > 1;

function containsVowel(stem: string): boolean {
  for (let i = 0; i < stem.length; i++) if (!isConsonant(stem, i)) return true;
  return false;
}

function endsDoubleConsonant(word: string): boolean {
  const n = word.length;
  return n >= 2 && word[n - 1] === word[n - 2] && isConsonant(word, n - 1);
}

/** *o: consonant-vowel-consonant ending, the last not w, x or y (NLTK also accepts a 2-letter vowel-consonant word). */
function endsCvc(word: string): boolean {
  const n = word.length;
  if (n === 2) return !isConsonant(word, 0) && isConsonant(word, 1);
  return (
    n >= 3 &&
    isConsonant(word, n - 3) &&
    !isConsonant(word, n - 2) &&
    isConsonant(word, n - 1) &&
    !'wxy'.includes(word[n - 1]!)
  );
}

type Rule = readonly [suffix: string, replacement: string, condition?: (stem: string) => boolean];

/** The first rule whose suffix matches decides: replaced if its condition holds, else the word is kept. */
function applyRules(word: string, rules: readonly Rule[]): string {
  for (const [suffix, replacement, condition] of rules) {
    if (word.endsWith(suffix)) {
      const stem = word.slice(0, word.length - suffix.length);
      return condition === undefined || condition(stem) ? stem + replacement : word;
    }
  }
  return word;
}

const STEP1A: readonly Rule[] = [
  ['sses', 'ss'],
  ['ies', 'i'],
  ['ss', 'ss'],
  ['s', ''],
];

function step1a(word: string): string {
  if (word.length === 4 && word.endsWith('ies')) return `${word[0]}ie`; // NLTK: 'dies' -> 'die', 'flies' -> 'fli'
  return applyRules(word, STEP1A);
}

function step1b(word: string): string {
  if (word.endsWith('ied')) return word.slice(0, -3) + (word.length === 4 ? 'ie' : 'i');
  if (word.endsWith('eed')) {
    const stem = word.slice(0, -3);
    return measure(stem) > 0 ? `${stem}ee` : word;
  }
  let stem: string | undefined;
  for (const suffix of ['ed', 'ing']) {
    if (word.endsWith(suffix) && containsVowel(word.slice(0, -suffix.length))) {
      stem = word.slice(0, -suffix.length);
      break;
    }
  }
  if (stem === undefined) return word;
  if (stem.endsWith('at') || stem.endsWith('bl') || stem.endsWith('iz')) return `${stem}e`;
  if (endsDoubleConsonant(stem)) return 'lsz'.includes(stem[stem.length - 1]!) ? stem : stem.slice(0, -1);
  return measure(stem) === 1 && endsCvc(stem) ? `${stem}e` : stem;
}

function step1c(word: string): string {
  // NLTK: y -> i after a consonant that is not the whole stem ('happy' -> 'happi', 'by' stays)
  return applyRules(word, [['y', 'i', (stem) => stem.length > 1 && isConsonant(stem, stem.length - 1)]]);
}

function step2(word: string): string {
  // NLTK applies alli -> al first and runs step 2 again on the result
  if (word.endsWith('alli') && positiveMeasure(word.slice(0, -4))) return step2(`${word.slice(0, -4)}al`);
  return applyRules(word, [
    ['ational', 'ate', positiveMeasure],
    ['tional', 'tion', positiveMeasure],
    ['enci', 'ence', positiveMeasure],
    ['anci', 'ance', positiveMeasure],
    ['izer', 'ize', positiveMeasure],
    ['bli', 'ble', positiveMeasure],
    ['alli', 'al', positiveMeasure],
    ['entli', 'ent', positiveMeasure],
    ['eli', 'e', positiveMeasure],
    ['ousli', 'ous', positiveMeasure],
    ['ization', 'ize', positiveMeasure],
    ['ation', 'ate', positiveMeasure],
    ['ator', 'ate', positiveMeasure],
    ['alism', 'al', positiveMeasure],
    ['iveness', 'ive', positiveMeasure],
    ['fulness', 'ful', positiveMeasure],
    ['ousness', 'ous', positiveMeasure],
    ['aliti', 'al', positiveMeasure],
    ['iviti', 'ive', positiveMeasure],
    ['biliti', 'ble', positiveMeasure],
    ['fulli', 'ful', positiveMeasure],
    // the 'l' counts with the stem, so 'geologi' and 'theologi' reduce like 'archaeologi'
    ['logi', 'log', () => positiveMeasure(word.slice(0, -3))],
  ]);
}

const STEP3: readonly Rule[] = [
  ['icate', 'ic', positiveMeasure],
  ['ative', '', positiveMeasure],
  ['alize', 'al', positiveMeasure],
  ['iciti', 'ic', positiveMeasure],
  ['ical', 'ic', positiveMeasure],
  ['ful', '', positiveMeasure],
  ['ness', '', positiveMeasure],
];

const STEP4: readonly Rule[] = [
  ['al', '', measureAboveOne],
  ['ance', '', measureAboveOne],
  ['ence', '', measureAboveOne],
  ['er', '', measureAboveOne],
  ['ic', '', measureAboveOne],
  ['able', '', measureAboveOne],
  ['ible', '', measureAboveOne],
  ['ant', '', measureAboveOne],
  ['ement', '', measureAboveOne],
  ['ment', '', measureAboveOne],
  ['ent', '', measureAboveOne],
  ['ion', '', (stem) => measureAboveOne(stem) && (stem.endsWith('s') || stem.endsWith('t'))],
  ['ou', '', measureAboveOne],
  ['ism', '', measureAboveOne],
  ['ate', '', measureAboveOne],
  ['iti', '', measureAboveOne],
  ['ous', '', measureAboveOne],
  ['ive', '', measureAboveOne],
  ['ize', '', measureAboveOne],
];

function step5a(word: string): string {
  if (!word.endsWith('e')) return word;
  const stem = word.slice(0, -1);
  const m = measure(stem);
  return m > 1 || (m === 1 && !endsCvc(stem)) ? stem : word;
}

function step5b(word: string): string {
  return word.endsWith('ll') && measure(word.slice(0, -1)) > 1 ? word.slice(0, -1) : word;
}

/** Porter stem of a lowercase word (NLTK_EXTENSIONS mode). */
export function porterStem(word: string): string {
  const irregular = IRREGULAR_FORMS.get(word);
  if (irregular !== undefined) return irregular;
  if (word.length <= 2) return word;
  return step5b(step5a(applyRules(applyRules(step2(step1c(step1b(step1a(word)))), STEP3), STEP4)));
}

// ---------------------------------------------------------------------------------------------------
// rouge-score's default tokenizer and scoring.

// Stems of frequent words are reused across calls.
const stems = boundedCache<string>(100_000);

function cachedStem(word: string): string {
  return stems(word, () => porterStem(word));
}

/**
 * rouge-score's tokenize: lowercase, every run of characters outside [a-z0-9] separates tokens, and
 * with `useStemmer` only tokens longer than 3 characters are stemmed.
 */
function rougeTokenize(text: string, useStemmer: boolean): string[] {
  const tokens = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return useStemmer ? tokens.map((t) => (t.length > 3 ? cachedStem(t) : t)) : tokens;
}

function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

const ZERO: RougeScore = { precision: 0, recall: 0, fmeasure: 0 };

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const gram = n === 1 ? tokens[i]! : tokens.slice(i, i + n).join(' ');
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}

function scoreNgrams(target: readonly string[], prediction: readonly string[], n: number): RougeScore {
  const targetCounts = ngramCounts(target, n);
  const predictionCounts = ngramCounts(prediction, n);
  let overlap = 0;
  for (const [gram, count] of targetCounts) overlap += Math.min(count, predictionCounts.get(gram) ?? 0);
  const precision = overlap / Math.max(prediction.length - n + 1, 1);
  const recall = overlap / Math.max(target.length - n + 1, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Tokens as dense integer ids, so the LCS tables compare numbers. */
class Vocabulary {
  readonly #ids = new Map<string, number>();

  encode(tokens: readonly string[]): Int32Array {
    const ids = new Int32Array(tokens.length);
    tokens.forEach((token, i) => {
      let id = this.#ids.get(token);
      if (id === undefined) {
        id = this.#ids.size;
        this.#ids.set(token, id);
      }
      ids[i] = id;
    });
    return ids;
  }

  get size(): number {
    return this.#ids.size;
  }
}

/** LCS length keeping one row of the DP table, as long as the shorter sequence. */
function lcsLength(x: Int32Array, y: Int32Array): number {
  const [a, b] = x.length >= y.length ? [x, y] : [y, x];
  const row = new Int32Array(b.length + 1);
  for (let i = 0; i < a.length; i++) {
    let diagonal = 0; // table[i][j], before row[j] is overwritten with table[i + 1][j]
    for (let j = 0; j < b.length; j++) {
      const above = row[j + 1]!;
      row[j + 1] = a[i] === b[j] ? diagonal + 1 : Math.max(above, row[j]!);
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function scoreLcs(target: readonly string[], prediction: readonly string[]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return ZERO;
  const vocabulary = new Vocabulary();
  const lcs = lcsLength(vocabulary.encode(target), vocabulary.encode(prediction));
  const precision = lcs / prediction.length;
  const recall = lcs / target.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/**
 * Adds to `into` the indices into `ref` of one LCS with `can`, read back from the full DP table with
 * rouge-score's tie breaking (_backtrack_norec), which decides which tokens the union LCS holds.
 */
function lcsIndices(ref: Int32Array, can: Int32Array, into: Set<number>): void {
  const cols = can.length + 1;
  const size = (ref.length + 1) * cols;
  // entries never exceed the shorter length: 16 bits halve the table for all but huge sentences
  const table = Math.min(ref.length, can.length) < 0xffff ? new Uint16Array(size) : new Int32Array(size);
  for (let i = 1; i <= ref.length; i++) {
    for (let j = 1; j <= can.length; j++) {
      table[i * cols + j] =
        ref[i - 1] === can[j - 1]
          ? table[(i - 1) * cols + j - 1]! + 1
          : Math.max(table[(i - 1) * cols + j]!, table[i * cols + j - 1]!);
    }
  }
  let i = ref.length;
  let j = can.length;
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      into.add(i - 1);
      i--;
      j--;
    } else if (table[i * cols + j - 1]! > table[(i - 1) * cols + j]!) {
      j--;
    } else {
      i--;
    }
  }
}

/**
 * Summary-level LCS (ROUGE paper §3.2) as rouge-score's _summary_level_lcs: for each reference
 * sentence, the union of its LCS with every candidate sentence; a token counts as a hit at most as
 * often as it occurs in both summaries (ROUGE-1.5.5's guard against double counting).
 */
function scoreSummaryLcs(target: readonly string[][], prediction: readonly string[][]): RougeScore {
  const m = target.reduce((sum, s) => sum + s.length, 0);
  const n = prediction.reduce((sum, s) => sum + s.length, 0);
  if (m === 0 || n === 0) return ZERO;
  const vocabulary = new Vocabulary();
  const refs = target.map((s) => vocabulary.encode(s));
  const cans = prediction.map((s) => vocabulary.encode(s));
  const refLeft = new Int32Array(vocabulary.size);
  const canLeft = new Int32Array(vocabulary.size);
  for (const s of refs) for (const id of s) refLeft[id]!++;
  for (const s of cans) for (const id of s) canLeft[id]!++;

  let hits = 0;
  for (const ref of refs) {
    const union = new Set<number>();
    for (const can of cans) lcsIndices(ref, can, union);
    for (const index of [...union].sort((a, b) => a - b)) {
      const id = ref[index]!;
      if (canLeft[id]! > 0 && refLeft[id]! > 0) {
        hits++;
        canLeft[id]!--;
        refLeft[id]!--;
      }
    }
  }
  const precision = hits / n;
  const recall = hits / m;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Non-empty lines (rouge-score splits rougeLsum summaries on '\n' only), each tokenized. */
function sentenceTokens(text: string, useStemmer: boolean): string[][] {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => rougeTokenize(line, useStemmer));
}

/** rouge-score's RougeScorer([variant], useStemmer).score(target, prediction). */
export function rouge(target: string, prediction: string, variant: RougeVariant, useStemmer = false): RougeScore {
  if (variant === 'rougeLsum') {
    return scoreSummaryLcs(sentenceTokens(target, useStemmer), sentenceTokens(prediction, useStemmer));
  }
  const targetTokens = rougeTokenize(target, useStemmer);
  const predictionTokens = rougeTokenize(prediction, useStemmer);
  if (variant === 'rougeL') return scoreLcs(targetTokens, predictionTokens);
  return scoreNgrams(targetTokens, predictionTokens, variant === 'rouge1' ? 1 : 2);
}

/**
 * Several references: the score against the reference with the highest F-measure (the first on
 * ties), as rouge-score's RougeScorer.score_multi.
 */
export function rougeMulti(
  targets: readonly string[],
  prediction: string,
  variant: RougeVariant,
  useStemmer = false,
): RougeScore & { bestReference: number } {
  if (targets.length === 0) throw new RangeError('at least one reference is needed');
  let best = { ...rouge(targets[0]!, prediction, variant, useStemmer), bestReference: 0 };
  for (let k = 1; k < targets.length; k++) {
    const score = rouge(targets[k]!, prediction, variant, useStemmer);
    if (score.fmeasure > best.fmeasure) best = { ...score, bestReference: k };
  }
  return best;
}
