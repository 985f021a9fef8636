import type { ToolsetPlan } from '../tools/toolset.ts';
import type { ScoringItem } from '../tools/types.ts';

/**
 * Plans the toolset of a task signature from a few sample items of it, by `deadline` (epoch ms) when
 * one is given: planning must leave the request time to score.
 */
export interface Planner {
  readonly name: string;
  plan(signature: string, samples: ScoringItem[], deadline?: number): Promise<ToolsetPlan>;
}

/** How a toolset planned by the fallback, because the agent failed, is marked in its `planner`. */
const AGENT_FALLBACK = ' (agent fallback)';

export function markAgentFallback(planner: string): string {
  return `${planner}${AGENT_FALLBACK}`;
}

/** A stand-in planned while the agent failed: worth planning again once the agent may be back. */
export function isAgentFallback(plan: Pick<ToolsetPlan, 'planner'>): boolean {
  return plan.planner.endsWith(AGENT_FALLBACK);
}
