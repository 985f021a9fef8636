import { Type, type Static } from 'typebox';
import type { ToolRegistry } from './registry.ts';
import type { ScoringItem, ToolOutcome, ToolParams } from './types.ts';
import { messageOf } from '../util/errors.ts';

/**
 * A toolset is the reward function of one task signature: weighted tools, like a rubric. It is plain
 * JSON so it can be stored (memory, Redis) and shipped to worker threads and queue workers. The
 * schemas here are the one definition: the types, the API's validation and its OpenAPI document.
 */

const OpenObject = Type.Record(Type.String(), Type.Unknown());

export const ToolSpec = Type.Object({
  tool: Type.String(),
  weight: Type.Number({ description: 'Non-negative; the weights of a toolset sum to 1.' }),
  params: Type.Optional(OpenObject),
});

export const Toolset = Type.Object(
  {
    signature: Type.String(),
    version: Type.Integer(),
    planner: Type.String({ description: 'Which planner made it (heuristic, agent).' }),
    tools: Type.Array(ToolSpec),
    fallback: Type.Number({ description: 'Reward of an item whose tools fail.' }),
    rationale: Type.Array(Type.String(), { description: "The planner's reasons, one line per decision." }),
    provenance: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'How an agent planned it: model, raw answers, synthesized code, validation results, timings.',
      }),
    ),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Toolset' },
);

export const Component = Type.Object({
  tool: Type.String(),
  score: Type.Number({ description: 'Raw tool score in [0, 1].' }),
  weight: Type.Number(),
  detail: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'What the tool saw and decided.' })),
  error: Type.Optional(Type.String()),
});

export type ToolSpec = Static<typeof ToolSpec>;
export type Toolset = Static<typeof Toolset>;
export type Component = Static<typeof Component>;

/** A toolset before the store gives it a version and a time. */
export type ToolsetPlan = Omit<Toolset, 'version' | 'createdAt'>;

export interface ItemScore {
  reward: number;
  components: Component[];
  error?: string;
  /** Set when the request's deadline passed before the item was scored. */
  unscored?: true;
}

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
  try {
    const score = clampScore(outcome.score);
    return { tool: spec.tool, score, weight: spec.weight, ...(outcome.detail && { detail: outcome.detail }) };
  } catch (error) {
    return component(spec, { error });
  }
}

/**
 * An item's reward from its components, in toolset order: the weighted sum, or the toolset's fallback
 * and an `error` naming the tools that failed. A failing tool never throws out of here.
 */
export function combine(toolset: Pick<Toolset, 'fallback'>, components: Component[]): ItemScore {
  const errors = components.filter((c) => c.error !== undefined).map((c) => c.error!);
  if (errors.length > 0) return { reward: toolset.fallback, components, error: errors.join('; ') };
  if (components.length === 0) return { reward: toolset.fallback, components, error: 'the toolset has no tools' };
  return { reward: components.reduce((sum, c) => sum + c.weight * c.score, 0), components };
}

/** Runs every tool of a toolset on one item, one after another, and combines the scores by weight. */
export async function applyToolset(
  registry: ToolRegistry,
  toolset: Pick<Toolset, 'tools' | 'fallback'>,
  item: ScoringItem,
  timings: ToolTimings,
): Promise<ItemScore> {
  const components: Component[] = [];
  for (const spec of toolset.tools) {
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
