import { createHash } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import { Type, type Static } from 'typebox';
import type { ToolRegistry } from './registry.ts';
import type { ScoringItem, ToolOutcome } from './types.ts';
import { messageOf } from '../util/errors.ts';

/**
 * A toolset is the reward function of one task signature: weighted tools, like a rubric. It is plain
 * JSON so it can be stored (memory, Redis) and shipped to worker threads and queue workers. The
 * schemas here are the one definition: the types, the API's validation and its OpenAPI document.
 */

const OpenObject = Type.Record(Type.String(), Type.Unknown());

const Gate = Type.Number({
  minimum: 0,
  maximum: 1,
  description: "A gate: when the tool scores below this, the item's reward is 0 whatever the other tools say.",
});

export const ToolSpec = Type.Object({
  tool: Type.String(),
  weight: Type.Number({ description: 'Relative weight in the weighted mean; 0 only for a gate, which then only gates.' }),
  params: Type.Optional(OpenObject),
  gate: Type.Optional(Gate),
});

const Combination = Type.Union([Type.Literal('mean'), Type.Literal('min'), Type.Literal('max'), Type.Literal('product')], {
  description:
    'How the scores of the tools of positive weight make the reward: their weighted mean (the default), ' +
    'the lowest, the highest, or the product. Gates apply first.',
});

export const Toolset = Type.Object(
  {
    signature: Type.String(),
    version: Type.Integer(),
    planner: Type.String({ description: 'Which planner made it (heuristic, agent).' }),
    tools: Type.Array(ToolSpec),
    combination: Type.Optional(Combination),
    fallback: Type.Number({ description: 'Reward of an item whose tools fail.' }),
    rationale: Type.Array(Type.String(), { description: "The planner's reasons, one line per decision." }),
    provenance: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'How an agent planned it: model, raw answers, synthesized code, validation results, timings.',
      }),
    ),
    createdAt: Type.String({ format: 'date-time' }),
    toolset_hash: Type.Optional(
      Type.String({ description: 'Content hash of what determines the rewards; shown by the API, never stored.' }),
    ),
  },
  { title: 'Toolset' },
);

export const Component = Type.Object({
  tool: Type.String(),
  score: Type.Number({ description: 'Raw tool score in [0, 1].' }),
  weight: Type.Number(),
  detail: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'What the tool saw and decided.' })),
  error: Type.Optional(Type.String()),
  abstained: Type.Optional(
    Type.Boolean({ description: "The tool gave no score (a Python function returned None); its weight went to the others'." }),
  ),
});

/**
 * A toolset as users declare it (recipe files, `PUT /toolsets/{signature}`, a request's `toolset`):
 * the scoring part is required, everything the service owns (version, time, hash) is optional and
 * ignored, so a toolset read from `GET /toolsets/{signature}` can be sent back as it is.
 */
export const ToolsetDeclaration = Type.Object(
  {
    tools: Type.Array(
      Type.Object(
        {
          tool: Type.String({ maxLength: 100 }),
          weight: Type.Optional(Type.Number({ description: 'Default 1.' })),
          params: Type.Optional(OpenObject),
          gate: Type.Optional(Gate),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 32 },
    ),
    combination: Type.Optional(Combination),
    fallback: Type.Optional(Type.Number({ description: 'Reward of an item whose tools fail; default 0.' })),
    rationale: Type.Optional(Type.Array(Type.String())),
    signature: Type.Optional(Type.String()),
    version: Type.Optional(Type.Integer()),
    planner: Type.Optional(Type.String()),
    provenance: Type.Optional(OpenObject),
    createdAt: Type.Optional(Type.String()),
    toolset_hash: Type.Optional(Type.String()),
  },
  { additionalProperties: false, title: 'Toolset declaration' },
);

export type ToolSpec = Static<typeof ToolSpec>;
export type Toolset = Static<typeof Toolset>;
type Combination = Static<typeof Combination>;
export type ToolsetDeclaration = Static<typeof ToolsetDeclaration>;
export type Component = Static<typeof Component>;

/** A toolset before the store gives it a version and a time. */
export type ToolsetPlan = Omit<Toolset, 'version' | 'createdAt'>;

export interface ItemScore {
  reward: number;
  components: Component[];
  error?: string;
  /** Set when the request's deadline passed before the item was scored. */
  unscored?: true;
  /** Set when no tool of the toolset judges quality (only format, length, repetition). */
  formatOnly?: true;
  /** Set when such a format-only item was not scored at all (RLAR_OPEN_ENDED=abstain). */
  abstained?: true;
}

/** What scores an item that has no toolset (its planning failed, or a frozen service lacks it): its fallback, 0. */
export const STAND_IN: Toolset = {
  signature: 'stand-in',
  version: 0,
  planner: 'none',
  tools: [],
  fallback: 0,
  rationale: ['no toolset could be found or planned'],
  createdAt: new Date(0).toISOString(),
};

/** Milliseconds spent per tool call, for the latency metrics. */
export type ToolTimings = Record<string, number[]>;

function clampScore(value: number): number {
  if (!Number.isFinite(value)) throw new Error(`returned ${value}, not a finite number`);
  return Math.min(1, Math.max(0, value));
}

/** Scales weights to sum to 1; all-zero weights become equal ones. Huge weights whose sum overflows are scaled down by the largest first. */
export function normalizeWeights(tools: ToolSpec[]): ToolSpec[] {
  const usable = (weight: number) => (Number.isFinite(weight) && weight > 0 ? weight : 0);
  const sum = tools.reduce((total, t) => total + usable(t.weight), 0);
  const scale = Number.isFinite(sum) ? 1 : Math.max(...tools.map((t) => usable(t.weight)));
  const total = Number.isFinite(sum) ? sum : tools.reduce((scaled, t) => scaled + usable(t.weight) / scale, 0);
  return tools.map((t) => ({ ...t, weight: total > 0 ? usable(t.weight) / scale / total : 1 / tools.length }));
}

/** A tool's outcome as a component; a failure becomes a component with an error and score 0. */
export function component(spec: ToolSpec, outcome: ToolOutcome | { error: unknown }): Component {
  if ('error' in outcome) return { tool: spec.tool, score: 0, weight: spec.weight, error: `${spec.tool}: ${messageOf(outcome.error)}` };
  if (outcome.abstained) return { tool: spec.tool, score: 0, weight: spec.weight, abstained: true, ...(outcome.detail && { detail: outcome.detail }) };
  try {
    const score = clampScore(outcome.score);
    return { tool: spec.tool, score, weight: spec.weight, ...(outcome.detail && { detail: outcome.detail }) };
  } catch (error) {
    return component(spec, { error });
  }
}

const COMBINE: Record<Combination, (scored: Component[]) => number> = {
  mean: (scored) => {
    const total = scored.reduce((sum, c) => sum + c.weight, 0);
    return scored.reduce((sum, c) => sum + c.weight * c.score, 0) / total;
  },
  min: (scored) => Math.min(...scored.map((c) => c.score)),
  max: (scored) => Math.max(...scored.map((c) => c.score)),
  product: (scored) => scored.reduce((product, c) => product * c.score, 1),
};

/**
 * An item's reward from its components, in toolset order (as R1-style format-plus-accuracy rewards):
 * 0 when a gate's tool scored below its gate, else the toolset's combination of the tools of positive
 * weight (1 when there are only gates). A tool that abstains (a Python function returned None) leaves
 * the item to the others: it neither gates nor counts, its weight becomes 0 and theirs grow in
 * proportion; when every tool of positive weight abstains, the item gets the fallback and an error
 * saying so. The toolset's fallback and an `error` naming the tools when any failed. A failing tool
 * never throws out of here.
 */
export function combine(toolset: Pick<Toolset, 'tools' | 'fallback' | 'combination'>, components: Component[]): ItemScore {
  const errors = components.filter((c) => c.error !== undefined).map((c) => c.error!);
  if (errors.length > 0) return { reward: toolset.fallback, components, error: errors.join('; ') };
  if (components.length === 0) return { reward: toolset.fallback, components, error: 'the toolset has no tools' };
  const weighted = components.filter((c) => c.weight > 0);
  const scored = weighted.filter((c) => !c.abstained);
  if (scored.length === 0 && (weighted.length > 0 || components.every((c) => c.abstained))) {
    return { reward: toolset.fallback, components, error: 'every tool abstained (gave no score)' };
  }
  const shut = components.some((c, i) => {
    const gate = toolset.tools[i]?.gate;
    return gate !== undefined && !c.abstained && c.score < gate;
  });
  if (scored.length < weighted.length) {
    const scale = weighted.reduce((sum, c) => sum + c.weight, 0) / scored.reduce((sum, c) => sum + c.weight, 0);
    components = components.map((c) => ({ ...c, weight: c.abstained ? 0 : c.weight * scale }));
  }
  if (shut) return { reward: 0, components };
  return { reward: scored.length === 0 ? 1 : COMBINE[toolset.combination ?? 'mean'](scored), components };
}

/** Sorted keys at every level, so equal values always serialize alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The content hash of what determines a toolset's rewards (tools, weights, params, gates, combination,
 * fallback), not when or why it was made: equal hashes mean equal rewards for equal items.
 */
export function toolsetHash(toolset: Pick<Toolset, 'tools' | 'fallback' | 'combination'>): string {
  const scoring = {
    tools: toolset.tools.map((t) => ({ tool: t.tool, weight: t.weight, params: t.params ?? {}, gate: t.gate })),
    combination: toolset.combination ?? 'mean',
    fallback: toolset.fallback,
  };
  return `sha256:${createHash('sha256').update(canonicalJson(scoring)).digest('hex')}`;
}

const hashes = new WeakMap<Toolset, string>();
/**
 * `toolsetHash`, remembered per toolset object. Toolsets are never changed in place (a change is a new
 * version, a new object), and the memory store hands out the same object request after request.
 */
export function cachedToolsetHash(toolset: Toolset): string {
  let hash = hashes.get(toolset);
  if (hash === undefined) hashes.set(toolset, (hash = toolsetHash(toolset)));
  return hash;
}

/** A toolset as the API shows it: with its content hash. */
export function withHash(toolset: Toolset): Toolset {
  return { ...toolset, toolset_hash: toolsetHash(toolset) };
}

/** What is wrong with a declared toolset, by path (`tools/0/weight`); empty when nothing is. */
export interface ToolsetProblem {
  path: (string | number)[];
  message: string;
}

const paramsAjv = new Ajv({ strict: false, allErrors: false, coerceTypes: false, useDefaults: false });
const paramValidators = new Map<string, ValidateFunction>();

function paramsValidator(name: string, schema: Record<string, unknown>): ValidateFunction {
  let validate = paramValidators.get(name);
  if (!validate) {
    validate = paramsAjv.compile(schema);
    paramValidators.set(name, validate);
  }
  return validate;
}

/**
 * Why a tool's weight is unusable, or undefined when it is usable: weights are relative, any finite
 * number above 0 (up to `max`); 0 only for a gate, whose tool shuts the reward without adding to it.
 */
export function weightProblem(weight: unknown, gate?: number, max = Number.MAX_VALUE): string | undefined {
  const gated = gate !== undefined;
  if (typeof weight === 'number' && weight <= max && (weight > 0 || (gated && weight === 0))) return undefined;
  const allowed = `${gated ? 'a finite number of 0 or more' : 'a finite number above 0'}${max < Number.MAX_VALUE ? ` and at most ${max}` : ''}`;
  return `must be ${allowed}, not ${String(weight).slice(0, 40)}`;
}

/**
 * Checks a toolset against this build's tools (shaped by `ToolsetDeclaration` already): each tool
 * exists, its params fit the tool's params schema and name no param it lacks (a misspelt param
 * would be ignored silently), weights are finite and positive (0 only for gates), and the fallback
 * is finite. Used for recipes, `PUT`, request toolsets, snapshots and one tool's params alike.
 */
export function toolsetProblems(declared: ToolsetDeclaration, registry: ToolRegistry): ToolsetProblem[] {
  const problems: ToolsetProblem[] = [];
  if (declared.fallback !== undefined && !Number.isFinite(declared.fallback)) {
    problems.push({ path: ['fallback'], message: `must be a finite number, not ${declared.fallback}` });
  }
  declared.tools.forEach((spec, i) => {
    const tool = registry.get(spec.tool);
    if (!tool) {
      problems.push({ path: ['tools', i, 'tool'], message: `no tool named "${spec.tool}" (GET /tools lists them)` });
      return;
    }
    if (spec.gate !== undefined && !Number.isFinite(spec.gate)) {
      problems.push({ path: ['tools', i, 'gate'], message: `must be a number from 0 to 1, not ${spec.gate}` });
    }
    const weight = weightProblem(spec.weight ?? 1, spec.gate);
    if (weight !== undefined) problems.push({ path: ['tools', i, 'weight'], message: weight });
    const params = spec.params ?? {};
    const known = (tool.params?.properties ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(params).find((key) => !(key in known));
    if (unknown !== undefined) {
      const takes = Object.keys(known);
      problems.push({
        path: ['tools', i, 'params', unknown],
        message: `${spec.tool} has no param "${unknown}"; ${takes.length > 0 ? `it takes ${takes.join(', ')}` : 'it takes none'}`,
      });
      return;
    }
    if (tool.params) {
      const validate = paramsValidator(tool.name, tool.params);
      if (!validate(params)) {
        const error = validate.errors?.[0];
        const path = (error?.instancePath ?? '').split('/').filter(Boolean);
        problems.push({ path: ['tools', i, 'params', ...path], message: `${error?.message ?? 'is not valid'}` });
      }
    }
  });
  return problems;
}

/** A problem as one line: `tools/0/weight must be ...`. */
export function formatProblem(problem: ToolsetProblem, prefix = ''): string {
  return `${[prefix, ...problem.path].filter((p) => p !== '').join('/')} ${problem.message}`;
}

/** A declared toolset as the pipeline and the store hold it (defaults filled in, service fields dropped). */
export function declaredPlan(signature: string, declared: ToolsetDeclaration, planner: string, why: string): ToolsetPlan {
  return {
    signature,
    planner,
    tools: declared.tools.map((t) => ({
      tool: t.tool,
      weight: t.weight ?? 1,
      ...(t.params !== undefined && { params: t.params }),
      ...(t.gate !== undefined && { gate: t.gate }),
    })),
    ...(declared.combination !== undefined && { combination: declared.combination }),
    fallback: declared.fallback ?? 0,
    rationale: declared.rationale ?? [why],
  };
}

/**
 * Runs every tool of a toolset on one item, one after another, and combines the scores by weight;
 * `batched` holds the outcomes, by tool index, of tools that already scored the item with others.
 */
export async function applyToolset(
  registry: ToolRegistry,
  toolset: Pick<Toolset, 'tools' | 'fallback' | 'combination'>,
  item: ScoringItem,
  timings: ToolTimings,
  batched?: Map<number, ToolOutcome | Error>,
): Promise<ItemScore> {
  const components: Component[] = [];
  for (const [index, spec] of toolset.tools.entries()) {
    const done = batched?.get(index);
    if (done !== undefined) {
      components.push(component(spec, done instanceof Error ? { error: done } : done));
      continue;
    }
    const tool = registry.get(spec.tool);
    const started = performance.now();
    try {
      if (!tool) throw new Error('no such tool in this process');
      components.push(component(spec, await tool.score(item, spec.params ?? {})));
    } catch (error) {
      components.push(component(spec, { error }));
    }
    (timings[spec.tool] ??= []).push(performance.now() - started);
  }
  return combine(toolset, components);
}
