import type { ToolDefinition } from '../types.ts';
import { extractAnswer, stripThinking } from './answer.ts';
import { referenceTexts } from './reference.ts';

interface MatchOptions {
  ignoreCase: boolean;
  ignorePunctuation: boolean;
  ignoreArticles: boolean;
}

/**
 * SQuAD's answer normalization: case, punctuation (deleted, so `U.S.A.` is `usa` and `1,000` is
 * `1000`), English articles, whitespace.
 */
function normalizeText(text: string, options: MatchOptions): string {
  let s = text.normalize('NFKC');
  if (options.ignoreCase) s = s.toLowerCase();
  if (options.ignorePunctuation) s = s.replace(/[\p{P}\p{S}]/gu, '');
  if (options.ignoreArticles) s = s.replace(/\b(?:a|an|the)\b/gi, ' ');
  return s.replace(/\s+/g, ' ').trim();
}

export const exactMatch: ToolDefinition = {
  name: 'exact_match',
  kind: 'verifier',
  description:
    'Short exact answers: the response (or its final answer, when it states one) equals one of the references ' +
    'after normalization of case, punctuation, articles and whitespace; 1 or 0.',
  needsReference: true,
  params: {
    type: 'object',
    properties: {
      extract: { type: 'boolean', default: true, description: 'compare the stated final answer, not the whole response' },
      ignore_case: { type: 'boolean', default: true },
      ignore_punctuation: { type: 'boolean', default: true },
      ignore_articles: { type: 'boolean', default: true },
    },
  },
  score(item, params) {
    const options: MatchOptions = {
      ignoreCase: params.ignore_case !== false,
      ignorePunctuation: params.ignore_punctuation !== false,
      ignoreArticles: params.ignore_articles !== false,
    };
    const extracted = params.extract === false ? undefined : extractAnswer(item.response);
    const answer = normalizeText(extracted?.text ?? stripThinking(item.response), options);
    const references = referenceTexts(item.reference, 'exact_match').map((r) => normalizeText(r, options));
    const matched = references.find((r) => r === answer);
    return {
      score: matched === undefined ? 0 : 1,
      detail: { answer, references, found_by: extracted?.rule ?? 'whole_text' },
    };
  },
};
