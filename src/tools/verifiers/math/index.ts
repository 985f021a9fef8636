import { ToolInputError, type Reference, type ToolDefinition } from '../../types.ts';
import { referenceTexts } from '../reference.ts';
import { equal } from './compare.ts';
import { extractMath, statedAnswers, type MathCandidate } from './extract.ts';
import { dropThousands, MAX_ANSWER_CHARS, normalizeLatex, plainNumber } from './normalize.ts';
import { Deadline, squeeze } from './scalar.ts';
import { parseAnswer } from './structure.ts';

/**
 * `math_answer`: extract the final answer of the response and of the reference, normalize both, parse
 * their shape and compare them in layers (string, exact rational, CAS). The behaviour follows Hugging
 * Face Math-Verify (the rules were read from its documentation and tests; the code is ours).
 */

const DEFAULT_TIMEOUT_MS = 2000;

/**
 * What to do with a response that states several different final answers (boxes, "Final answer:", "####"):
 * `last` scores the last one (a self-correction counts; a list in one statement is compared as a whole, so
 * "5 or 6" never matches 5); `reject` scores 0, the policy against hedging as a reward hack.
 */
const HEDGING_POLICIES = ['last', 'reject'] as const;
type HedgingPolicy = (typeof HEDGING_POLICIES)[number];

function hedgingPolicy(value: unknown): HedgingPolicy {
  if (value === undefined) return 'last';
  if (typeof value === 'string' && (HEDGING_POLICIES as readonly string[]).includes(value)) return value as HedgingPolicy;
  throw new ToolInputError(`math_answer: param "hedging" must be one of ${HEDGING_POLICIES.join(', ')}`);
}

/** References as numbers (`42`, `[0.5, 1]`) read as their decimal text. */
function referenceAnswers(reference: unknown): string[] {
  if (typeof reference === 'number' && Number.isFinite(reference)) return [String(reference)];
  if (Array.isArray(reference) && reference.some((r) => typeof r === 'number')) {
    return reference.flatMap((r) => (typeof r === 'number' && Number.isFinite(r) ? [String(r)] : typeof r === 'string' ? [r] : []));
  }
  return referenceTexts(reference as Reference, 'math_answer');
}

/** Whether the answers stated differ from one another (compared as answers, not as text). */
function hedges(candidates: MathCandidate[], deadline: Deadline): boolean {
  const answers = [...new Set(candidates.map((c) => normalized(c, false)))];
  if (answers.length < 2) return false;
  const parsed = answers.map((a) => (a.length <= MAX_ANSWER_CHARS ? parseAnswer(a) : undefined));
  return parsed.some((a, i) => i > 0 && (!a || !parsed[0] || equal(parsed[0], a, deadline) === undefined));
}

/**
 * In LaTeX, and in references (MATH writes `-2,1` for a list), a comma separates items unless it
 * separates thousands; in a response's plain text it may also be a decimal mark (`2,74`).
 */
function normalized(candidate: MathCandidate, reference: boolean): string {
  const latex = normalizeLatex(candidate.text);
  return candidate.latex || reference ? dropThousands(latex) : plainNumber(latex);
}

export const mathAnswer: ToolDefinition = {
  name: 'math_answer',
  kind: 'verifier',
  description:
    'Math final answer, at Math-Verify quality: extracts the answer (\\boxed{}, "final answer is", "Answer:", ' +
    '#### N, LaTeX, last number) from response and reference, normalizes LaTeX, units and number formats, and ' +
    'checks equivalence (exact rationals, 6-decimal floats, sets, tuples, intervals, matrices, relations, ' +
    'symbolic equality by CAS); 1 if equivalent, else 0.',
  needsReference: true,
  params: {
    type: 'object',
    properties: {
      timeout_ms: { type: 'number', default: DEFAULT_TIMEOUT_MS, description: 'deadline of one comparison' },
      hedging: {
        type: 'string',
        enum: [...HEDGING_POLICIES],
        default: 'last',
        description: 'several different final answers in one response: `last` scores the last, `reject` scores 0',
      },
    },
  },
  score(item, params) {
    const timeout = typeof params.timeout_ms === 'number' && params.timeout_ms > 0 ? params.timeout_ms : DEFAULT_TIMEOUT_MS;
    const deadline = new Deadline(timeout);
    const hedging = hedgingPolicy(params.hedging);
    const golds = referenceAnswers(item.reference)
      .map((r) => extractMath(r, true))
      .filter((g): g is MathCandidate => g !== undefined)
      .map((g) => normalized(g, true));
    const found = extractMath(item.response, false);
    if (!found) return { score: 0, detail: { extracted: null, gold: golds[0] ?? null, rule: 'no_answer' } };
    const predicted = normalized(found, false);
    if (hedging === 'reject' && hedges(statedAnswers(item.response), deadline)) {
      return { score: 0, detail: { extracted: predicted, gold: golds[0] ?? null, rule: 'hedging', found_by: found.source } };
    }
    // An overlong answer is compared as text only (see MAX_ANSWER_CHARS).
    const answer = predicted.length <= MAX_ANSWER_CHARS ? parseAnswer(predicted) : undefined;
    for (const gold of golds) {
      const rule =
        squeeze(gold) === squeeze(predicted)
          ? 'string'
          : answer && gold.length <= MAX_ANSWER_CHARS
            ? equal(parseAnswer(gold), answer, deadline)
            : undefined;
      if (rule) return { score: 1, detail: { extracted: predicted, gold, rule, found_by: found.source, cas: deadline.usedCas } };
    }
    return {
      score: 0,
      detail: { extracted: predicted, gold: golds[0] ?? null, rule: 'no_match', found_by: found.source, cas: deadline.usedCas },
    };
  },
};
