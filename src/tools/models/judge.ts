import { createHash } from 'node:crypto';
import { toolSettings } from '../settings.ts';
import { ToolInputError, type ScoringItem, type ToolDefinition, type ToolOutcome, type ToolParams } from '../types.ts';
import { asError } from '../../util/errors.ts';
import { LlmClient } from './llm.ts';

/**
 * `llm_judge`: an LLM grades the response on a 1-10 rubric (pointwise), or against the reference
 * (`mode: "reference"`), through any OpenAI-compatible endpoint; the grade maps to [0, 1] as
 * (g - 1) / 9. Verdicts are cached by (model, prompt version, prompt, response, reference), so a
 * repeated rollout is not judged twice; calls go through the client's concurrency cap and per-minute
 * request and token budgets.
 */

/** Bumped whenever the wording below changes: cached verdicts of other wordings are not reused. */
const JUDGE_PROMPT_VERSION = 'judge-v1';

const SYSTEM = {
  pointwise:
    'You grade AI assistant responses. Judge helpfulness, correctness, relevance, clarity and safety. Give an integer ' +
    'grade from 1 (useless or harmful) to 10 (excellent), and one sentence of reason.',
  reference:
    'You grade AI assistant responses against a reference answer. Judge whether the response is correct and complete ' +
    'with respect to the reference. Give an integer grade from 1 (wrong) to 10 (fully matches the reference), and one ' +
    'sentence of reason.',
};

const VERDICT_SCHEMA = {
  type: 'object',
  required: ['grade', 'reason'],
  properties: { grade: { type: 'integer', minimum: 1, maximum: 10 }, reason: { type: 'string', maxLength: 1000 } },
} as const;

interface Verdict {
  grade: number;
  reason: string;
}

const CACHE_LIMIT = 100_000;
const cache = new Map<string, Verdict>();
let client: LlmClient | undefined;
let clientKey = '';

function judgeClient(): LlmClient {
  const settings = toolSettings().judge;
  if (!settings) throw new ToolInputError('llm_judge needs an OpenAI-compatible endpoint: set RLAR_JUDGE_URL (or OPENAI_BASE_URL)');
  const key = JSON.stringify(settings);
  if (!client || key !== clientKey) {
    client = new LlmClient(settings);
    clientKey = key;
  }
  return client;
}

function cacheKey(model: string, mode: string, item: ScoringItem): string {
  return createHash('sha256')
    .update(JSON.stringify([model, JUDGE_PROMPT_VERSION, mode, item.prompt, item.response, item.reference ?? null]))
    .digest('hex');
}

async function judge(llm: LlmClient, mode: 'pointwise' | 'reference', item: ScoringItem): Promise<ToolOutcome> {
  if (mode === 'reference' && item.reference === undefined) throw new ToolInputError('llm_judge in reference mode needs a reference');
  const key = cacheKey(llm.model, mode, item);
  let verdict = cache.get(key);
  const cached = verdict !== undefined;
  if (!verdict) {
    const reference = mode === 'reference' ? `\n\n[Reference answer]\n${JSON.stringify(item.reference)}` : '';
    const user = `[Question]\n${item.prompt}${reference}\n\n[Response]\n${item.response}`;
    verdict = (await llm.json<Verdict>(SYSTEM[mode], user, 'verdict', VERDICT_SCHEMA)).value;
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, verdict);
  }
  return { score: (verdict.grade - 1) / 9, detail: { grade: verdict.grade, reason: verdict.reason, cached, prompt_version: JUDGE_PROMPT_VERSION } };
}

async function scoreBatch(items: ScoringItem[], params: ToolParams): Promise<(ToolOutcome | Error)[]> {
  const llm = judgeClient();
  const mode = params.mode === 'reference' ? 'reference' : 'pointwise';
  return Promise.all(
    items.map((item) => judge(llm, mode, item).catch(asError)),
  );
}

export const llmJudge: ToolDefinition = {
  name: 'llm_judge',
  kind: 'judge',
  description:
    'An LLM grades the response 1-10 on a helpfulness/correctness rubric (mode "pointwise") or against the reference ' +
    '(mode "reference"); (grade - 1) / 9. Cached per (model, prompt, response, reference).',
  needsReference: false,
  readsPrompt: true,
  runsInService: true,
  params: { type: 'object', properties: { mode: { type: 'string', enum: ['pointwise', 'reference'], default: 'pointwise' } } },
  scoreBatch,
  async score(item, params) {
    const [outcome] = await scoreBatch([item], params);
    if (outcome instanceof Error) throw outcome;
    return outcome!;
  },
};
