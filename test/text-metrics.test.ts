import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { ToolInputError, type Reference, type ScoringItem } from '../src/tools/types.ts';
import { corpusBleu, sentenceBleu } from '../src/tools/verifiers/text/bleu.ts';
import { corpusChrf, sentenceChrf } from '../src/tools/verifiers/text/chrf.ts';
import { textTools } from '../src/tools/verifiers/text/index.ts';
import { porterStem, rouge, rougeMulti, type RougeScore } from '../src/tools/verifiers/text/rouge.ts';
import { TOKENIZERS, tokenize13a } from '../src/tools/verifiers/text/tokenizers.ts';

interface VectorCase {
  hyp: string;
  refs: string[];
  tok13a: string;
  sentence_bleu: number;
  sentence_bleu_lowercase: number;
  sentence_chrf: number;
  sentence_chrfpp: number;
}

interface Vectors {
  cases: VectorCase[];
  corpus: { hyps: string[]; refs: string[][]; bleu: number; chrf: number; chrfpp: number };
}

const vectors = JSON.parse(
  readFileSync(new URL('./fixtures/sacrebleu_vectors.json', import.meta.url), 'utf8'),
) as Vectors;

const TOLERANCE = 1e-9;
const close = (a: number, b: number, tolerance = TOLERANCE) => Math.abs(a - b) < tolerance;

/** Runs `check` on every vector case and returns the cases that failed, so a failure names them all. */
function failures(check: (c: VectorCase) => boolean): number[] {
  return vectors.cases.flatMap((c, i) => (check(c) ? [] : [i]));
}

describe('sacrebleu 2.6 vectors', () => {
  it('has the expected number of cases', () => {
    expect(vectors.cases).toHaveLength(300);
  });

  it('tokenizes every case as 13a', () => {
    expect(failures((c) => tokenize13a(c.hyp) === c.tok13a)).toEqual([]);
  });

  it('matches sentence_bleu on every case', () => {
    expect(failures((c) => close(sentenceBleu(c.hyp, c.refs).score, c.sentence_bleu))).toEqual([]);
  });

  it('matches sentence_bleu(lowercase=True) on every case', () => {
    expect(
      failures((c) => close(sentenceBleu(c.hyp, c.refs, { lowercase: true }).score, c.sentence_bleu_lowercase)),
    ).toEqual([]);
  });

  it('matches sentence_chrf on every case', () => {
    expect(failures((c) => close(sentenceChrf(c.hyp, c.refs).score, c.sentence_chrf))).toEqual([]);
  });

  it('matches sentence_chrf(word_order=2) (chrF++) on every case', () => {
    expect(failures((c) => close(sentenceChrf(c.hyp, c.refs, { wordOrder: 2 }).score, c.sentence_chrfpp))).toEqual([]);
  });

  it('matches corpus_bleu and corpus_chrf (two reference streams, some references empty)', () => {
    const { hyps, refs } = vectors.corpus;
    expect(refs).toHaveLength(2);
    expect(corpusBleu(hyps, refs).score).toSatisfy((s: number) => close(s, vectors.corpus.bleu));
    expect(corpusChrf(hyps, refs)).toSatisfy((s: number) => close(s, vectors.corpus.chrf));
    expect(corpusChrf(hyps, refs, { wordOrder: 2 })).toSatisfy((s: number) => close(s, vectors.corpus.chrfpp));
  });
});

// Expected outputs below were produced by sacrebleu 2.6.0.
describe('tokenizers', () => {
  it('13a drops <skipped>, joins hyphenated line breaks and unescapes entities in order', () => {
    expect(tokenize13a('a<skipped>b co-\nop')).toBe('ab coop');
    expect(tokenize13a('&amp;lt;b&gt; &quot;x&quot;')).toBe('< b > " x "');
    expect(tokenize13a('Hello, world. It costs $3.50, i.e. 1,000.5 (approx)-5 12-3')).toBe(
      'Hello , world . It costs $ 3.50 , i . e . 1,000.5 ( approx ) -5 12 - 3',
    );
    expect(tokenize13a('Year 2024. Ends 5.')).toBe('Year 2024 . Ends 5 .');
  });

  it('intl separates Unicode punctuation and symbols, keeping number separators', () => {
    expect(TOKENIZERS.intl('Hello, world! It costs $3.50 (approx.) — 1,000.5 «x»')).toBe(
      'Hello , world ! It costs $ 3.50 ( approx . ) — 1,000.5 « x »',
    );
    // mteval-v14's quirk, kept by sacrebleu: a final period after a number stays attached
    expect(TOKENIZERS.intl('Year 2024.')).toBe('Year 2024.');
  });

  it('zh isolates CJK characters (and, as sacrebleu, U+2001–U+2A6D), without 13a padding or unescaping', () => {
    expect(TOKENIZERS.zh('我爱北京天安门。')).toBe('我 爱 北 京 天 安 门 。');
    expect(TOKENIZERS.zh('a—b 5.')).toBe('a — b 5.');
    expect(TOKENIZERS.zh('&amp; 東京 𠀀x')).toBe('& amp ; 東 京 𠀀x');
    expect(TOKENIZERS.zh('  中文 ')).toBe('中 文');
  });

  it('char splits code points; none keeps the line', () => {
    expect(TOKENIZERS.char('ab c😀')).toBe('a b   c 😀');
    expect(TOKENIZERS.none(' a  b ')).toBe(' a  b ');
  });
});

describe('BLEU details', () => {
  it('clips n-gram counts by the maximum over references', () => {
    const result = sentenceBleu('the cat sat on the mat', ['the cat sat on a mat', 'a cat is sitting on the mat']);
    expect(result.counts).toEqual([5, 5, 3, 1]);
    expect(result.totals).toEqual([6, 5, 4, 3]);
    expect(close(result.score, 67.56000774035174)).toBe(true);
  });

  it('uses the closest reference length and the effective order', () => {
    const result = sentenceBleu('the cat', ['the cat sat on the mat', 'the dog']);
    expect(result.refLen).toBe(2);
    expect(close(result.score, 100)).toBe(true);
    expect(close(sentenceBleu('the cat sat', ['the cat sat on the mat']).bp, 0.36787944117144233)).toBe(true);
  });

  it('scores an empty hypothesis 0 and honours tokenizer and case options', () => {
    expect(sentenceBleu('', ['the cat']).score).toBe(0);
    expect(close(sentenceBleu('我爱北京', ['我爱北京天安门'], { tokenize: 'zh' }).score, 47.23665527410149)).toBe(true);
    const intl = sentenceBleu('Hello, World!', ['hello world !'], { tokenize: 'intl', lowercase: true });
    expect(close(intl.score, 35.35533905932737)).toBe(true);
  });

  it('chrF keeps the best reference', () => {
    const result = sentenceChrf('abc', ['xyz', 'abd']);
    expect(result.bestReference).toBe(1);
    expect(close(result.score, 38.888888888888886)).toBe(true);
    expect(close(sentenceChrf('abc', ['xyz', 'abd'], { wordOrder: 2 }).score, 29.166666666666664)).toBe(true);
  });

  it('rejects reference streams of the wrong length', () => {
    expect(() => corpusBleu(['a', 'b'], [['a']])).toThrow(RangeError);
  });
});

function expectRouge(actual: RougeScore, precision: number, recall: number, fmeasure: number, tolerance = TOLERANCE) {
  const { precision: p, recall: r, fmeasure: f } = actual;
  expect({ p, r, f }).toSatisfy(
    () => close(p, precision, tolerance) && close(r, recall, tolerance) && close(f, fmeasure, tolerance),
  );
}

// From rouge-score's testdata (target.txt, prediction.txt, pyrouge_files/*_multi.0.txt): random words
// with suffixes that exercise the stemmer. Its tests check them against ROUGE-1.5.5 to 5 places.
const TARGETS = [
  "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L",
  "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN",
];
const PREDICTIONS = [
  "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi",
  "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD",
];
const TARGET_MULTI = [
  ...TARGETS,
  "NhETebUbBk'er WOvoHMTjSRizKgH'vHiing Xu,hWxfs VkNE QhgKiLHE -HidivzoM.dO anhtion jbLQiSGDTCsuhREebUaKM dv J dVN tmbOT",
  "vMR HDm,xOAetion D,tion HJtodT.mHl UIv-p VjWH'BdyWjnfGU-OjT aEMdFICyLWfQMtion wEMfdOKing AwkeKbO 'DxqNOHBH qKtVvm OYJl mM",
].join('\n');
const PREDICTION_MULTI = [
  ...PREDICTIONS,
  "xfs VkJE QhgKiLHE -HidivzoM.dO anhing jbLQiSGDTCsuhREebUaKM dv J",
  "VjWH'BdyWjnfGU-OjTNaEMdFICyLWfQMing wEMfdOKijg AwkeKbO 'DxqNO",
].join('\n');

describe('ROUGE (rouge-score)', () => {
  it("reproduces rouge-score's README example (RougeScorer(['rouge1', 'rougeL'], use_stemmer=True))", () => {
    const target = 'The quick brown fox jumps over the lazy dog';
    const prediction = 'The quick brown dog jumps on the log.';
    // rouge1: 6 shared unigrams (the x2, quick, brown, dog, jumps) of 8 predicted and 9 target tokens
    expectRouge(rouge(target, prediction, 'rouge1', true), 0.75, 0.6666666666666666, 0.7058823529411765);
    // rougeL: LCS "the quick brown jumps the" has 5 tokens
    expectRouge(rouge(target, prediction, 'rougeL', true), 0.625, 0.5555555555555556, 0.5882352941176471);
  });

  it("passes rouge-score's unit tests", () => {
    expectRouge(rouge('testing one two', 'testing', 'rouge1'), 1, 1 / 3, 1 / 2);
    expectRouge(rouge('testing one two', 'testing one', 'rouge2'), 1, 1 / 2, 2 / 3);
    expectRouge(rouge('testing one two', 'testing one', 'rougeL'), 1, 2 / 3, 4 / 5);
    expectRouge(rouge('testing one two', 'testing two', 'rougeL'), 1, 2 / 3, 4 / 5);
    for (const variant of ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'] as const) {
      expectRouge(rouge('testing one two', '', variant), 0, 0, 0);
    }
    // summary-level example of the ROUGE paper, section 3.2
    expectRouge(rouge('w1 w2 w3 w4 w5', 'w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5', 'rougeLsum'), 0.4, 0.8, 0.5333333333333333);
    expectRouge(rouge('', 'w1', 'rougeLsum'), 0, 0, 0);
    expectRouge(rouge('w1 w2 w3 w4 w5', '/', 'rougeLsum'), 0, 0, 0);
  });

  it('agrees with ROUGE-1.5.5 on rouge-score test data, with and without stemming', () => {
    const places = 1e-5;
    expectRouge(rouge(TARGETS[0]!, PREDICTIONS[0]!, 'rouge1'), 0.6875, 0.40741, 0.51163, places);
    expectRouge(rouge(TARGETS[1]!, PREDICTIONS[1]!, 'rouge1'), 0.65385, 0.40476, 0.5, places);
    expectRouge(rouge(TARGETS[0]!, PREDICTIONS[0]!, 'rouge1', true), 0.6875, 0.40741, 0.51163, places);
    expectRouge(rouge(TARGETS[1]!, PREDICTIONS[1]!, 'rouge1', true), 0.69231, 0.42857, 0.52941, places);
    expectRouge(rouge(TARGETS[0]!, PREDICTIONS[0]!, 'rouge2'), 0.53333, 0.30769, 0.39024, places);
    expectRouge(rouge(TARGETS[1]!, PREDICTIONS[1]!, 'rouge2', true), 0.48, 0.29268, 0.36364, places);
    expectRouge(rouge(TARGETS[0]!, PREDICTIONS[0]!, 'rougeL'), 0.6875, 0.40741, 0.51163, places);
    expectRouge(rouge(TARGETS[1]!, PREDICTIONS[1]!, 'rougeL'), 0.65385, 0.40476, 0.5, places);
    expectRouge(rouge(TARGET_MULTI, PREDICTION_MULTI, 'rougeLsum', true), 0.66667, 0.36538, 0.47205, places);
  });

  it('rougeLsum takes the union LCS per reference sentence, unlike rougeL', () => {
    // "the cat sat" meets "the cat" in the first candidate sentence and "the ... sat" in the second:
    // every token is a hit once, so Lsum is perfect while the flat LCS (the cat the dog) is 4 of 6.
    const target = 'the cat sat\nthe dog ran';
    const prediction = 'the cat ran\nthe dog sat';
    expectRouge(rouge(target, prediction, 'rougeLsum'), 1, 1, 1);
    expectRouge(rouge(target, prediction, 'rougeL'), 4 / 6, 4 / 6, 4 / 6);
    // empty lines are skipped; a line of punctuation is an empty sentence
    expectRouge(rouge('the cat sat\n\n!!', 'the cat\n', 'rougeLsum'), 1, 2 / 3, 0.8);
  });

  it('stems only tokens longer than 3 characters, as rouge-score', () => {
    expectRouge(rouge('running dogs', 'runs dog', 'rouge1'), 0, 0, 0);
    expectRouge(rouge('running dogs', 'runs dog', 'rouge1', true), 1, 1, 1);
    // Porter would map "was" to "wa", but 3-letter tokens are left alone
    expectRouge(rouge('was', 'wa', 'rouge1', true), 0, 0, 0);
  });

  it('Porter stemmer follows NLTK in its default NLTK_EXTENSIONS mode', () => {
    const expected: Record<string, string> = {
      caresses: 'caress', ponies: 'poni', ties: 'tie', dies: 'die', flies: 'fli', spied: 'spi', died: 'die',
      agreed: 'agre', feed: 'feed', plastered: 'plaster', motoring: 'motor', sing: 'sing', hopping: 'hop',
      tanned: 'tan', falling: 'fall', hissing: 'hiss', fizzed: 'fizz', failing: 'fail', filing: 'file',
      conflated: 'conflat', troubled: 'troubl', sized: 'size', happy: 'happi', enjoy: 'enjoy', sky: 'sky',
      skies: 'sky', dying: 'die', news: 'news', generalization: 'gener', relational: 'relat',
      conditional: 'condit', hopefulness: 'hope', electrical: 'electr', adoption: 'adopt',
      controlling: 'control', generously: 'gener', geology: 'geolog', theology: 'theolog',
      archaeology: 'archaeolog', formaliti: 'formal', oed: 'o', summarization: 'summar', running: 'run',
    };
    const actual = Object.fromEntries(Object.keys(expected).map((word) => [word, porterStem(word)]));
    expect(actual).toEqual(expected);
  });

  it('with several references keeps the one with the best F1', () => {
    const result = rougeMulti(['a b c d', 'the cat sat', 'the cat'], 'the cat sat', 'rouge1');
    expect(result.bestReference).toBe(1);
    expectRouge(result, 1, 1, 1);
  });
});

describe('text tools', () => {
  const tool = (name: string) => textTools.find((t) => t.name === name)!;
  const item = (response: string, reference?: unknown): ScoringItem => ({
    prompt: 'p',
    response,
    reference: reference as Reference,
  });

  it('defines bleu, chrf, chrf_pp and rouge as reference-based verifiers', () => {
    expect(textTools.map((t) => t.name)).toEqual(['bleu', 'chrf', 'chrf_pp', 'rouge']);
    for (const t of textTools) {
      expect(t.kind).toBe('verifier');
      expect(t.needsReference).toBe(true);
      expect(t.params).toMatchObject({ type: 'object' });
    }
  });

  it('scores in [0, 1], a perfect match 1', async () => {
    for (const t of textTools) {
      const perfect = await t.score(item('The cat sat on the mat.', 'The cat sat on the mat.'), {});
      expect(perfect.score).toBe(1);
      const partial = await t.score(item('A cat sat on a mat.', ['The dog ran.', 'The cat sat on the mat.']), {});
      expect(partial.score).toBeGreaterThan(0);
      expect(partial.score).toBeLessThan(1);
    }
  });

  it('reports the metric details', async () => {
    const bleu = await tool('bleu').score(item('the cat sat on the mat', 'the cat sat on a mat'), {});
    expect(bleu.detail).toMatchObject({ sys_len: 6, ref_len: 6, counts: [5, 3, 2, 1], bp: 1 });
    const rougeResult = await tool('rouge').score(item('running dogs', 'runs dog'), { variant: 'rouge1', use_stemmer: true });
    expect(rougeResult).toEqual({ score: 1, detail: { precision: 1, recall: 1, fmeasure: 1, best_reference: 0 } });
  });

  it('rejects a missing or non-text reference and unknown parameter values', () => {
    for (const t of textTools) {
      expect(() => t.score(item('text'), {})).toThrow(ToolInputError);
      expect(() => t.score(item('text', [1, 2]), {})).toThrow(ToolInputError);
    }
    expect(() => tool('rouge').score(item('a', 'a'), { variant: 'rouge3' })).toThrow(ToolInputError);
    expect(() => tool('bleu').score(item('a', 'a'), { tokenize: 'moses' })).toThrow(ToolInputError);
  });
});
