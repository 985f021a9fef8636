import { toolSettings, type RewardModelEndpoint } from '../settings.ts';
import { ToolInputError, type ScoringItem, type ToolDefinition, type ToolOutcome, type ToolParams } from '../types.ts';
import { Template } from '@huggingface/jinja';
import { asError } from '../../util/errors.ts';
import { boundedCache } from '../../util/bounded-cache.ts';
import { MicroBatcher } from './batcher.ts';
import { EndpointRejected, postWithRetries } from './http.ts';

/**
 * `reward_model`: a sequence-classification reward model served over HTTP scores (prompt, response).
 * Protocols: `tei` (Text Embeddings Inference `POST /predict`, raw scores; one fixed model), `vllm`
 * (`POST /classify`), and `hf-inference` (the Hugging Face inference API `POST /models/{id}`: any
 * model the server hosts, which lets the agent bind a model it found on the Hub). Calls from
 * concurrent requests are coalesced into batches per model. The conversation is rendered with the
 * model's chat template when one is given. The raw score becomes a reward in [0, 1] by a sigmoid with
 * `temperature`, by a sigmoid of its running z-score, or clamped (`normalize: "none"`).
 */

/** Compiled chat templates (one per configured endpoint in practice). */
const templates = boundedCache<Template>(8);

/**
 * The text a reward model reads: the conversation rendered with the model's chat template (Jinja, as
 * the model card uses it) when one is configured, else the prompt, a blank line and the response.
 */
function modelInput(item: ScoringItem, chatTemplate: string | undefined): string {
  if (chatTemplate === undefined) return `${item.prompt}\n\n${item.response}`;
  const template = templates(chatTemplate, () => new Template(chatTemplate));
  const messages = [...(item.messages ?? [{ role: 'user', content: item.prompt }]), { role: 'assistant', content: item.response }];
  return template.render({ messages, bos_token: '', eos_token: '', add_generation_prompt: false });
}

/** Running mean and variance of raw scores (Welford), for z-score normalization per model and signature. */
class RunningStats {
  count = 0;
  mean = 0;
  #m2 = 0;

  add(x: number): void {
    this.count++;
    const delta = x - this.mean;
    this.mean += delta / this.count;
    this.#m2 += delta * (x - this.mean);
  }

  get std(): number {
    return this.count > 1 ? Math.sqrt(this.#m2 / (this.count - 1)) : 0;
  }
}

const stats = new Map<string, RunningStats>();
/** Raw scores seen before a z-score is trusted; until then the sigmoid applies. */
const ZSCORE_WARMUP = 16;

function scoreOf(value: unknown, where: string): number {
  let v: unknown = value;
  while (Array.isArray(v)) v = v[0];
  const score = (v as { score?: unknown } | undefined)?.score;
  if (typeof score !== 'number' || !Number.isFinite(score)) throw new Error(`the reward model answered no score for ${where}`);
  return score;
}

/** Raw scores for a batch of texts, in order, by the endpoint's protocol. */
async function rawScores(endpoint: RewardModelEndpoint, model: string | undefined, texts: string[]): Promise<number[]> {
  const base = endpoint.url.replace(/\/$/, '');
  if (endpoint.protocol === 'tei') {
    // TEI reads a flat list of two strings as one text pair: a batch is a list of one-text lists.
    const answer = (await postWithRetries(`${base}/predict`, { inputs: texts.map((t) => [t]), raw_scores: true, truncate: true }, endpoint)) as unknown[];
    return texts.map((_, i) => scoreOf(answer[i], `input ${i}`));
  }
  if (endpoint.protocol === 'vllm') {
    // activation: false asks vLLM for the raw logits instead of softmax probabilities.
    const answer = (await postWithRetries(`${base}/classify`, { model, input: texts, activation: false }, endpoint)) as {
      data?: { index: number; probs?: number[]; logits?: number[] }[];
    };
    const byIndex = new Map((answer.data ?? []).map((d) => [d.index, d]));
    return texts.map((_, i) => {
      const entry = byIndex.get(i);
      const value = entry?.logits?.[0] ?? entry?.probs?.[0];
      if (typeof value !== 'number') throw new Error(`the reward model answered no score for input ${i}`);
      return value;
    });
  }
  // function_to_apply: none asks the text-classification pipeline for the raw score, not a probability.
  const answer = (await postWithRetries(`${base}/models/${model}`, { inputs: texts, parameters: { function_to_apply: 'none' } }, endpoint)) as unknown[];
  return texts.map((_, i) => scoreOf(answer[i], `input ${i}`));
}

const batchers = new Map<string, MicroBatcher<string, number>>();

function batcherFor(endpoint: RewardModelEndpoint, model: string | undefined): MicroBatcher<string, number> {
  const key = `${endpoint.protocol} ${endpoint.url} ${model ?? ''}`;
  let batcher = batchers.get(key);
  if (!batcher) {
    batcher = new MicroBatcher((texts) => rawScores(endpoint, model, texts), {
      maxBatch: endpoint.maxBatch,
      waitMs: endpoint.batchWaitMs,
      isolate: (error) => error instanceof EndpointRejected,
    });
    batchers.set(key, batcher);
  }
  return batcher;
}

async function scoreBatch(items: ScoringItem[], params: ToolParams, context?: { signature: string }): Promise<(ToolOutcome | Error)[]> {
  const endpoint = toolSettings().rewardModel;
  if (!endpoint) throw new ToolInputError('reward_model needs a reward-model endpoint: set RLAR_RM_URL and RLAR_RM_PROTOCOL');
  const model = typeof params.model === 'string' ? params.model : endpoint.model;
  if (endpoint.protocol !== 'tei' && !model) throw new ToolInputError('reward_model needs a model (params.model or RLAR_RM_MODEL)');
  const temperature = typeof params.temperature === 'number' && params.temperature > 0 ? params.temperature : 1;
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x / temperature));
  let running: RunningStats | undefined;
  if (params.normalize === 'zscore') {
    const key = `${model ?? ''} ${context?.signature ?? ''}`;
    running = stats.get(key);
    if (!running) stats.set(key, (running = new RunningStats()));
  }
  const normalize = (raw: number): { score: number; how: string } => {
    if (params.normalize === 'none') return { score: Math.min(1, Math.max(0, raw)), how: 'none' };
    if (running) {
      running.add(raw);
      if (running.count > ZSCORE_WARMUP && running.std > 0) {
        return { score: sigmoid((raw - running.mean) / running.std), how: `zscore(mean ${running.mean.toFixed(4)}, std ${running.std.toFixed(4)})` };
      }
    }
    return { score: sigmoid(raw), how: `sigmoid(raw/${temperature})` };
  };
  // The template comes from the operator only: a template in a request would run in-process, unbounded.
  const chatTemplate = endpoint.chatTemplate;
  const batcher = batcherFor(endpoint, model);
  return Promise.all(
    items.map(async (item): Promise<ToolOutcome | Error> => {
      try {
        const raw = await batcher.submit(modelInput(item, chatTemplate));
        const { score, how } = normalize(raw);
        return { score, detail: { raw, model: model ?? null, normalize: how } };
      } catch (error) {
        return asError(error);
      }
    }),
  );
}

export const rewardModel: ToolDefinition = {
  name: 'reward_model',
  kind: 'reward_model',
  description:
    'A reward model (sequence classification) scores the response to the prompt; its raw score goes through a sigmoid ' +
    '(temperature) into [0, 1]. Needs a reward-model endpoint (RLAR_RM_URL).',
  needsReference: false,
  readsPrompt: true,
  runsInService: true,
  params: {
    type: 'object',
    properties: {
      model: { type: 'string', description: 'Hugging Face model id (vllm and hf-inference protocols)' },
      temperature: { type: 'number', default: 1 },
      normalize: {
        type: 'string',
        enum: ['sigmoid', 'zscore', 'none'],
        default: 'sigmoid',
        description: 'sigmoid(raw/temperature); zscore: sigmoid of the raw score standardized per model and signature',
      },
    },
  },
  scoreBatch,
  async score(item, params) {
    const [outcome] = await scoreBatch([item], params);
    if (outcome instanceof Error) throw outcome;
    return outcome!;
  },
};
