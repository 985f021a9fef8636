import { toolSettings, type RewardModelEndpoint } from '../settings.ts';
import { ToolInputError, type ToolDefinition } from '../types.ts';

/**
 * `reward_model`: a sequence-classification reward model served over HTTP scores (prompt, response).
 * Protocols: `tei` (Text Embeddings Inference `POST /predict` with raw scores; one fixed model) and
 * `hf-inference` (the Hugging Face inference API `POST /models/{model}`: any model the server hosts,
 * which is what lets the agent bind a model it found on the Hub). The raw score (a logit) becomes a
 * reward in [0, 1] by a sigmoid with `temperature`.
 */

/** The text a reward model reads: the conversation's prompt, then the response. */
function modelInput(prompt: string, response: string): string {
  return `${prompt}\n\n${response}`;
}

async function post(url: string, body: unknown, target: RewardModelEndpoint): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(target.apiKey && { authorization: `Bearer ${target.apiKey}` }) },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(target.timeoutMs),
  });
  if (!response.ok) throw new Error(`the reward model endpoint answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  return response.json();
}

/** The first score in a classification answer: `[{score}]`, `[[{score}]]` or `{score}`. */
function firstScore(answer: unknown): number {
  let value: unknown = answer;
  while (Array.isArray(value)) value = value[0];
  const score = (value as { score?: unknown } | undefined)?.score;
  if (typeof score !== 'number' || !Number.isFinite(score)) throw new Error('the reward model endpoint answered no score');
  return score;
}

export const rewardModel: ToolDefinition = {
  name: 'reward_model',
  kind: 'reward_model',
  description:
    'A reward model (sequence classification) scores the response to the prompt; its raw score goes through a sigmoid ' +
    '(temperature) into [0, 1]. Needs a reward-model endpoint (RLAR_RM_URL).',
  needsReference: false,
  params: {
    type: 'object',
    properties: {
      model: { type: 'string', description: 'Hugging Face model id (hf-inference protocol)' },
      temperature: { type: 'number', default: 1 },
    },
  },
  async score(item, params) {
    const target = toolSettings().rewardModel;
    if (!target) throw new ToolInputError('reward_model needs a reward-model endpoint: set RLAR_RM_URL and RLAR_RM_PROTOCOL');
    const model = typeof params.model === 'string' ? params.model : target.model;
    if (target.protocol === 'hf-inference' && !model) throw new ToolInputError('reward_model needs a model (params.model or RLAR_RM_MODEL)');
    const inputs = modelInput(item.prompt, item.response);
    const base = target.url.replace(/\/$/, '');
    const raw =
      target.protocol === 'tei'
        ? firstScore(await post(`${base}/predict`, { inputs, raw_scores: true }, target))
        : firstScore(await post(`${base}/models/${model}`, { inputs }, target));
    const temperature = typeof params.temperature === 'number' && params.temperature > 0 ? params.temperature : 1;
    return { score: 1 / (1 + Math.exp(-raw / temperature)), detail: { raw, model: model ?? null } };
  },
};
