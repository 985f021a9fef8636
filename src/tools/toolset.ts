import { Type, type Static } from 'typebox';
import type { ToolRegistry } from './registry.ts';
import type { ScoringItem, ToolParams } from './types.ts';
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

/** Scales weights to sum to 1; all-zero weights become equal ones. */
export function normalizeWeights(tools: ToolSpec[]): ToolSpec[] {
  const total = tools.reduce((sum, t) => sum + Math.max(0, t.weight), 0);
  return tools.map((t) => ({ ...t, weight: total > 0 ? Math.max(0, t.weight) / total : 1 / tools.length }));
}

/**
 * Runs every tool of a toolset on one item and combines the scores by weight. A failing tool never
 * throws out of here: the item gets the toolset's fallback reward and an `error` naming the tool.
 */
export async function applyToolset(
  registry: ToolRegistry,
  toolset: Toolset,
  item: ScoringItem,
  timings: ToolTimings,
): Promise<ItemScore> {
  const components: Component[] = [];
  const errors: string[] = [];
  let reward = 0;
  for (const spec of toolset.tools) {
    const tool = registry.get(spec.tool);
    const started = performance.now();
    try {
      if (!tool) throw new Error('no such tool in this process');
      const outcome = await tool.score(item, spec.params ?? {});
      const score = clampScore(outcome.score);
      reward += spec.weight * score;
      components.push({ tool: spec.tool, score, weight: spec.weight, ...(outcome.detail && { detail: outcome.detail }) });
    } catch (error) {
      const message = `${spec.tool}: ${messageOf(error)}`;
      errors.push(message);
      components.push({ tool: spec.tool, score: 0, weight: spec.weight, error: message });
    }
    (timings[spec.tool] ??= []).push(performance.now() - started);
  }
  if (errors.length > 0) return { reward: toolset.fallback, components, error: errors.join('; ') };
  if (toolset.tools.length === 0) return { reward: toolset.fallback, components, error: 'the toolset has no tools' };
  return { reward, components };
}
