import type { ToolRegistry } from '../../tools/registry.ts';
import { MAX_SOURCE } from '../../tools/synthesized/index.ts';
import { normalizeWeights, weightProblem, type ToolSpec, type ToolsetPlan } from '../../tools/toolset.ts';
import type { ScoringItem } from '../../tools/types.ts';
import { messageOf } from '../../util/errors.ts';
import { markAgentFallback, type Planner } from '../planner.ts';
import type { RewardModelEndpoint } from '../../tools/settings.ts';
import { findRewardModels } from './hub.ts';
import { validateIsolated } from './validation.ts';
import { PYTHON_VERIFIER_LIMITS, validatePython } from './validation-python.ts';
import type { LlmClient } from '../../tools/models/llm.ts';

/**
 * RLAR's planner: an LLM classifies the task from sample items, picks built-in tools by their
 * descriptions, and writes 1-5 verifiers in JavaScript (run in QuickJS) or Python (run by the `python`
 * tool in the process sandbox). Each verifier is validated where it will run before use: it must run
 * without error on the samples, return numbers in [0, 1], and score the reference above an empty and a
 * corrupted response. Anything that fails is dropped and recorded. On any failure
 * of the whole, `FallbackPlanner` serves the heuristic toolset instead.
 */

type VerifierLanguage = 'javascript' | 'python';

interface AgentAnswer {
  label: string;
  basic_tasks: string[];
  tools: { tool: string; weight: number; params?: Record<string, unknown> }[];
  verifiers: { name: string; description: string; code: string; weight: number; language?: VerifierLanguage }[];
  rationale: string;
}

const ANSWER_SCHEMA = {
  type: 'object',
  required: ['label', 'basic_tasks', 'tools', 'verifiers', 'rationale'],
  properties: {
    label: { type: 'string', description: 'the task in at most three words' },
    basic_tasks: { type: 'array', items: { type: 'string' } },
    tools: {
      type: 'array',
      items: {
        type: 'object',
        required: ['tool', 'weight'],
        properties: { tool: { type: 'string' }, weight: { type: 'number', minimum: 0 }, params: { type: 'object' } },
      },
    },
    verifiers: {
      type: 'array',
      maxItems: 5,
      items: {
        type: 'object',
        required: ['name', 'description', 'code', 'weight'],
        properties: {
          name: { type: 'string' },
          description: { type: 'string' },
          code: { type: 'string', description: 'function score(prompt, response, reference) returning a number in [0, 1]' },
          language: { type: 'string', enum: ['javascript', 'python'], description: 'javascript unless said otherwise' },
          weight: { type: 'number', minimum: 0 },
        },
      },
    },
    rationale: { type: 'string' },
  },
} as const;

const SYSTEM = `You design reward functions for reinforcement learning of language models (RLAR).
Given sample items of one kind of task (prompt, model response, reference answer), you:
1. name the task in at most three words, and list the basic tasks it combines;
2. choose built-in tools (by name, from the list given) with weights and params;
3. write 1 to 5 verifiers, each defining score(prompt, response, reference) that returns a number from 0
   to 1 (rule- or metric-based: exact match, length range, keyword checks...). Write them in plain
   JavaScript (language "javascript", the default: a bare JavaScript engine, no require, no process, no
   network, no timers), or in Python 3 (language "python": def score(prompt, response, reference), the
   standard library and numpy, no network, no files) when Python's regex or libraries are needed.
Weights need not sum to 1. Explain your choices in the rationale.`;

const SAMPLE_CHARS = 1_500;
/** Weights are relative: any positive finite number up to this; anything else says the plan is broken. */
const MAX_WEIGHT = 1_000;
/** An answer longer than this is not a plan (a model looping, or a hostile endpoint): the heuristic serves. */
const MAX_ANSWER_CHARS = 200_000;
/** Params of one tool, as JSON: they travel with every task. */
const MAX_PARAMS_CHARS = 16_384;
const MAX_TEXT_CHARS = 2_000;

/** Why a weight is unusable, or undefined when it is a positive finite number up to MAX_WEIGHT. */
function badWeight(weight: unknown): string | undefined {
  const problem = weightProblem(weight, undefined, MAX_WEIGHT);
  return problem && `its weight ${problem}`;
}

function short(text: string): string {
  return text.length <= MAX_TEXT_CHARS ? text : `${text.slice(0, MAX_TEXT_CHARS)}...`;
}

function clip(text: string): string {
  return text.length <= SAMPLE_CHARS ? text : `${text.slice(0, SAMPLE_CHARS)}...`;
}

const CHOICE_SCHEMA = {
  type: 'object',
  required: ['model', 'weight', 'reason'],
  properties: {
    model: { type: ['string', 'null'], description: 'the chosen model id, or null when none fits' },
    weight: { type: 'number', minimum: 0 },
    reason: { type: 'string' },
  },
} as const;

interface Choice {
  model: string | null;
  weight: number;
  reason: string;
}

export interface AgentOptions {
  timeoutMs: number;
  /** Where to look for reward models; searched only when a reward-model endpoint can serve the pick. */
  hubUrl: string;
  rewardModel?: RewardModelEndpoint;
}

export class AgentPlanner implements Planner {
  readonly name = 'agent';
  readonly #llm: LlmClient;
  readonly #registry: ToolRegistry;
  readonly #options: AgentOptions;

  constructor(llm: LlmClient, registry: ToolRegistry, options: AgentOptions) {
    this.#llm = llm;
    this.#registry = registry;
    this.#options = options;
  }

  /**
   * The Hub's reward models for the task, reranked by the LLM: a sequence-classification model it
   * judges fit is bound to the `reward_model` tool. Failures here cost only this step.
   */
  async #bindRewardModel(label: string, signal: AbortSignal): Promise<{ spec?: ToolSpec; record: Record<string, unknown>; note: string }> {
    const endpoint = this.#options.rewardModel;
    if (!endpoint || !this.#registry.has('reward_model')) return { record: {}, note: 'no reward-model endpoint: no Hub search' };
    try {
      const candidates = await findRewardModels(this.#options.hubUrl, label, signal);
      if (candidates.length === 0) return { record: { candidates: [] }, note: 'the Hub has no reward model for this task' };
      const list = candidates.map((c) => `- ${c.id} (downloads ${c.downloads}, tags: ${c.tags.slice(0, 8).join(', ')})`).join('\n');
      const { value } = await this.#llm.json<Choice>(
        'You pick reward models (sequence-classification models that output one preference score) for RL training.',
        `Task: ${label}\nCandidates from the Hugging Face Hub:\n${list}\nPick the one that best scores responses for this task, or null.`,
        'reward_model_choice',
        CHOICE_SCHEMA,
        signal,
      );
      const record = { candidates: candidates.map((c) => c.id), chosen: value.model, reason: value.reason };
      if (value.model === null || !candidates.some((c) => c.id === value.model)) {
        return { record, note: `no Hub reward model chosen: ${value.reason}` };
      }
      // A TEI endpoint serves one fixed model: the pick can be bound only where the endpoint takes any model.
      if (endpoint.protocol !== 'hf-inference') {
        return { record: { ...record, bound: false }, note: `chose ${value.model}, but the ${endpoint.protocol} endpoint serves a fixed model` };
      }
      return {
        spec: { tool: 'reward_model', weight: value.weight, params: { model: value.model } },
        record: { ...record, bound: true },
        note: `reward model ${value.model} from the Hub: ${value.reason}`,
      };
    } catch (error) {
      return { record: { error: messageOf(error) }, note: `Hub search failed: ${messageOf(error)}` };
    }
  }

  async plan(signature: string, samples: ScoringItem[], deadline?: number): Promise<ToolsetPlan> {
    const started = performance.now();
    const catalogue = this.#registry
      .list()
      .filter((t) => t.kind === 'verifier')
      .map((t) => `- ${t.name}${t.needsReference ? ' (needs a reference)' : ''}: ${t.description}`)
      .join('\n');
    const shown = samples.map((s, i) =>
      [`Sample ${i + 1}`, `prompt: ${clip(s.prompt)}`, `response: ${clip(s.response)}`, `reference: ${clip(JSON.stringify(s.reference ?? null))}`].join('\n'),
    );
    const user = `Task signature: ${signature}\n\nBuilt-in tools:\n${catalogue}\n\n${shown.join('\n\n')}`;
    // Within the planner's own limit, and early enough to leave the request a second to score.
    const budget = deadline === undefined ? this.#options.timeoutMs : Math.min(this.#options.timeoutMs, deadline - Date.now() - 1_000);
    if (budget <= 0) throw new Error('no time left in the request to plan');
    const signal = AbortSignal.timeout(budget);
    const answer = await this.#llm.json<AgentAnswer>(SYSTEM, user, 'reward_plan', ANSWER_SCHEMA, signal);
    const answerChars = answer.raw.reduce((sum, raw) => sum + raw.length, 0);
    if (answerChars > MAX_ANSWER_CHARS) throw new Error(`the agent's answers hold ${answerChars} characters, more than a plan needs (${MAX_ANSWER_CHARS})`);
    const plan = answer.value;
    plan.label = plan.label.slice(0, 100);
    const hasReference = samples.some((s) => s.reference !== undefined);
    const rationale = [`agent (${this.#llm.model}): "${plan.label}" = ${short(plan.basic_tasks.join(' + ')) || plan.label}`, short(plan.rationale)];
    const tools: ToolSpec[] = [];
    for (const t of plan.tools) {
      const tool = this.#registry.get(t.tool);
      const name = t.tool.slice(0, 100);
      const weight = badWeight(t.weight);
      if (!tool || tool.kind !== 'verifier') rationale.push(`dropped tool "${name}": not a built-in verifier`);
      else if (tool.needsReference && !hasReference) rationale.push(`dropped tool "${name}": it needs a reference and the items have none`);
      else if (weight) rationale.push(`dropped tool "${name}": ${weight}`);
      else if (JSON.stringify(t.params ?? {}).length > MAX_PARAMS_CHARS) rationale.push(`dropped tool "${name}": its params are longer than ${MAX_PARAMS_CHARS} characters`);
      else tools.push({ tool: t.tool, weight: t.weight, ...(t.params && { params: t.params }) });
    }
    const rejected: string[] = [];
    const reject = (name: string, reason: string) => {
      rationale.push(`rejected verifier "${name.slice(0, 100)}": ${reason}`);
      rejected.push(`${name.slice(0, 100)}: ${reason}`);
    };
    // Verifiers with an unusable weight or an oversized source are not worth validating.
    const verifiers = plan.verifiers.filter((v) => {
      const problem = badWeight(v.weight) ?? (v.code.length > MAX_SOURCE ? `its code is longer than ${MAX_SOURCE} characters` : undefined);
      if (problem) reject(v.name, problem);
      return problem === undefined;
    });
    // Each verifier is checked on its own (a thread, or the sandbox), while the Hub is searched.
    const [validations, binding] = await Promise.all([
      Promise.all(verifiers.map((v) => (v.language === 'python' ? validatePython : validateIsolated)(v.name, v.code, samples))),
      this.#bindRewardModel(plan.label, signal),
    ]);
    verifiers.forEach((v, i) => {
      const result = validations[i]!;
      if (result.accepted && v.language === 'python') {
        tools.push({ tool: 'python', weight: v.weight, params: { name: v.name, source: v.code, entry: 'score', ...PYTHON_VERIFIER_LIMITS } });
      } else if (result.accepted) tools.push({ tool: 'synthesized', weight: v.weight, params: { name: v.name, code: v.code } });
      else reject(v.name, result.reason);
    });
    rationale.push(binding.note);
    const bindingWeight = binding.spec && badWeight(binding.spec.weight);
    if (bindingWeight) rationale.push(`dropped the Hub reward model: ${bindingWeight}`);
    else if (binding.spec) tools.push(binding.spec);
    if (tools.length === 0) {
      throw new Error(`the agent proposed no usable tool${rejected.length > 0 ? ` (rejected ${short(rejected.join('; '))})` : ''}`);
    }
    return {
      signature,
      planner: this.name,
      tools: normalizeWeights(tools),
      fallback: 0,
      rationale,
      provenance: {
        model: this.#llm.model,
        label: plan.label,
        basic_tasks: plan.basic_tasks,
        prompt: { system: SYSTEM, user },
        raw_answers: answer.raw,
        verifiers: verifiers.map((v) => ({ name: v.name, description: short(v.description), language: v.language ?? 'javascript', code: v.code })),
        validation: validations,
        reward_model: binding.record,
        planning_ms: Math.round(performance.now() - started),
      },
    };
  }
}

/** The agent when it works, the heuristic planner when it does not: planning never fails a request. */
export class FallbackPlanner implements Planner {
  readonly name = 'agent-with-fallback';
  readonly #agent: Planner;
  readonly #fallback: Planner;

  constructor(agent: Planner, fallback: Planner) {
    this.#agent = agent;
    this.#fallback = fallback;
  }

  async plan(signature: string, samples: ScoringItem[], deadline?: number): Promise<ToolsetPlan> {
    try {
      return await this.#agent.plan(signature, samples, deadline);
    } catch (error) {
      const plan = await this.#fallback.plan(signature, samples);
      return {
        ...plan,
        planner: markAgentFallback(plan.planner),
        rationale: [`agent planning failed: ${messageOf(error)}; the heuristic toolset serves`, ...plan.rationale],
      };
    }
  }
}
