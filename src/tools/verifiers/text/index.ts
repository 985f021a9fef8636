import { ToolInputError, type ToolDefinition, type ToolParams } from '../../types.ts';
import { referenceTexts } from '../reference.ts';
import { sentenceBleu } from './bleu.ts';
import { sentenceChrf } from './chrf.ts';
import { ROUGE_VARIANTS, rougeMulti } from './rouge.ts';
import { TOKENIZER_NAMES } from './tokenizers.ts';

/** An optional string parameter restricted to `allowed`; anything else is the caller's mistake. */
function enumParam<T extends string>(
  params: ToolParams,
  name: string,
  allowed: readonly T[],
  fallback: T,
  tool: string,
): T {
  const value = params[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ToolInputError(`${tool}: "${name}" must be one of ${allowed.join(', ')}`);
}

/** sacrebleu scores are 0–100; float rounding can put a perfect match a hair above 100. */
function unit(score: number): number {
  return Math.min(1, score / 100);
}

export const bleu: ToolDefinition = {
  name: 'bleu',
  kind: 'verifier',
  description:
    'Sentence BLEU of the response against the reference(s), exactly as sacrebleu 2.6 sentence_bleu ' +
    '(13a tokenization by default, exp smoothing, effective order), scaled to [0, 1]. For translation-like outputs.',
  needsReference: true,
  params: {
    type: 'object',
    properties: {
      tokenize: {
        type: 'string',
        enum: TOKENIZER_NAMES,
        default: '13a',
        description: "sacrebleu tokenizer: 13a (default), intl (Unicode punctuation), zh (Chinese), char, none",
      },
      lowercase: { type: 'boolean', default: false, description: 'case-insensitive BLEU' },
    },
  },
  score(item, params) {
    const tokenize = enumParam(params, 'tokenize', TOKENIZER_NAMES, '13a', 'bleu');
    const lowercase = params.lowercase === true;
    const result = sentenceBleu(item.response, referenceTexts(item.reference, 'bleu'), { tokenize, lowercase });
    return {
      score: unit(result.score),
      detail: {
        precisions: result.precisions.map((p) => p / 100),
        bp: result.bp,
        sys_len: result.sysLen,
        ref_len: result.refLen,
        counts: result.counts,
        totals: result.totals,
      },
    };
  },
};

function chrfTool(name: 'chrf' | 'chrf_pp', wordOrder: number): ToolDefinition {
  const metric = wordOrder === 0 ? 'chrF' : 'chrF++';
  return {
    name,
    kind: 'verifier',
    description:
      `${metric} of the response against the reference(s), exactly as sacrebleu 2.6 sentence_chrf ` +
      `(character 6-grams${wordOrder === 0 ? '' : ' plus word 1-2-grams'}, beta 2; the best reference counts), ` +
      'scaled to [0, 1]. Tolerant of morphology and small wording changes.',
    needsReference: true,
    params: {
      type: 'object',
      properties: {
        lowercase: { type: 'boolean', default: false, description: 'case-insensitive comparison' },
      },
    },
    score(item, params) {
      const references = referenceTexts(item.reference, name);
      const result = sentenceChrf(item.response, references, { wordOrder, lowercase: params.lowercase === true });
      return { score: unit(result.score), detail: { best_reference: result.bestReference } };
    },
  };
}

export const chrf = chrfTool('chrf', 0);
export const chrfPlusPlus = chrfTool('chrf_pp', 2);

export const rouge: ToolDefinition = {
  name: 'rouge',
  kind: 'verifier',
  description:
    "ROUGE F1 of the response against the reference(s), exactly as Google's rouge-score " +
    '(rouge1/rouge2 n-gram overlap, rougeL longest common subsequence, rougeLsum summary-level LCS over ' +
    'newline-separated sentences). With several references, the one with the highest F1 counts. For summaries.',
  needsReference: true,
  params: {
    type: 'object',
    properties: {
      variant: { type: 'string', enum: ROUGE_VARIANTS, default: 'rougeL' },
      use_stemmer: { type: 'boolean', default: false, description: 'Porter-stem words longer than 3 letters' },
    },
  },
  score(item, params) {
    const variant = enumParam(params, 'variant', ROUGE_VARIANTS, 'rougeL', 'rouge');
    const references = referenceTexts(item.reference, 'rouge');
    const result = rougeMulti(references, item.response, variant, params.use_stemmer === true);
    return {
      score: result.fmeasure,
      detail: {
        precision: result.precision,
        recall: result.recall,
        fmeasure: result.fmeasure,
        best_reference: result.bestReference,
      },
    };
  },
};

export const textTools: ToolDefinition[] = [bleu, chrf, chrfPlusPlus, rouge];
