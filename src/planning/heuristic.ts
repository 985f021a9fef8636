import type { ToolRegistry } from '../tools/registry.ts';
import { normalizeWeights, type ToolSpec, type ToolsetPlan } from '../tools/toolset.ts';
import type { Planner } from './planner.ts';
import { parseSignature, type Domain } from './signature.ts';

interface Route {
  tools: ToolSpec[];
  why: string;
}

const OPEN_ENDED: Route = {
  tools: [
    { tool: 'length_penalty', weight: 0.5 },
    { tool: 'repetition_penalty', weight: 0.5 },
  ],
  why:
    'format only, no quality signal: no reference, reward model or judge, so the reward checks that the response is ' +
    'non-empty, not overlong and not looping, not whether it is good (RLAR_OPEN_ENDED=abstain gives no reward instead)',
};

/** The built-in tools for each domain, in order of preference. */
const ROUTES: Record<Domain, Route> = {
  math: { tools: [{ tool: 'math_answer', weight: 1 }], why: 'math: final-answer equivalence with the reference' },
  choice: { tools: [{ tool: 'choice', weight: 1 }], why: 'multiple choice: the chosen option letter against the reference' },
  qa: { tools: [{ tool: 'exact_match', weight: 1 }], why: 'short answer: normalized exact match against the reference(s)' },
  translation: {
    tools: [
      { tool: 'chrf', weight: 0.6 },
      { tool: 'bleu', weight: 0.4 },
    ],
    why: 'translation: chrF (robust at sentence level) and sentence BLEU against the reference(s)',
  },
  summarization: {
    tools: [{ tool: 'rouge', weight: 1, params: { variant: 'rougeLsum', use_stemmer: true } }],
    why: 'summarization: ROUGE-Lsum F1 with stemming, as summarization papers report it',
  },
  text: {
    tools: [
      { tool: 'chrf', weight: 0.5 },
      { tool: 'rouge', weight: 0.5, params: { variant: 'rougeL' } },
    ],
    why: 'free text with a reference: chrF and ROUGE-L overlap',
  },
  code: { tools: [{ tool: 'code_tests', weight: 1 }], why: 'code: run the program against the reference tests' },
  instructions: {
    tools: [{ tool: 'instructions', weight: 1 }],
    why: 'instruction following: fraction of the IFEval-style instructions followed (strict)',
  },
  json: { tools: [{ tool: 'json_schema', weight: 1 }], why: 'structured output: the response validates against the JSON schema' },
  dialogue: OPEN_ENDED,
};

/** Open-ended items when a reward model is configured. */
const WITH_REWARD_MODEL: Route = {
  tools: [
    { tool: 'reward_model', weight: 0.6 },
    { tool: 'length_penalty', weight: 0.2 },
    { tool: 'repetition_penalty', weight: 0.2 },
  ],
  why: 'no reference to compare with: the configured reward model, with format and length sanity',
};

/**
 * The offline planner: a fixed map from the signature's domain to built-in tools. It needs no LLM and
 * always answers; tools missing from this build are replaced by the open-ended sanity tools, and the
 * rationale says so.
 */
export class HeuristicPlanner implements Planner {
  readonly name = 'heuristic';
  readonly #registry: ToolRegistry;
  readonly #rewardModel: boolean;

  /** With `rewardModel`, open-ended items (no reference) are scored by the configured reward model too. */
  constructor(registry: ToolRegistry, options: { rewardModel?: boolean } = {}) {
    this.#registry = registry;
    this.#rewardModel = options.rewardModel === true;
  }

  async plan(signature: string): Promise<ToolsetPlan> {
    const parts = parseSignature(signature);
    const rationale: string[] = [];
    let route = parts ? ROUTES[parts.domain] : undefined;
    if (route === OPEN_ENDED && this.#rewardModel) route = WITH_REWARD_MODEL;
    if (!parts || !route) {
      rationale.push(`signature "${signature}" is not one this planner reads`);
      route = OPEN_ENDED;
    }
    const missing = route.tools.filter((t) => !this.#registry.has(t.tool)).map((t) => t.tool);
    if (missing.length > 0) {
      rationale.push(`${route.why}; but ${missing.join(', ')} not available in this build`);
      route = OPEN_ENDED;
    }
    rationale.push(route.why);
    const tools: ToolSpec[] = route.tools.filter((t) => this.#registry.has(t.tool)).map((t) => ({ ...t }));
    if (tools.length === 0) rationale.push('no tool of this route is available: items get the fallback reward');
    const opened = parts?.cues.includes('think_open') ?? false;
    if ((opened || parts?.cues.includes('think')) && this.#registry.has('think_format')) {
      tools.forEach((t) => (t.weight *= 0.8));
      tools.push({ tool: 'think_format', weight: 0.2, ...(opened && { params: { opened_in_prompt: true } }) });
      rationale.push(
        opened
          ? 'the prompt opens a <think> block for the response: think_format (opened in prompt) at weight 0.2'
          : 'the prompt asks for <think> blocks: think_format at weight 0.2',
      );
    }
    return { signature, planner: this.name, tools: normalizeWeights(tools), fallback: 0, rationale };
  }
}
