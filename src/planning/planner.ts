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

/** The `planner` of a toolset a user declared (`PUT /toolsets/{signature}`): never re-planned by itself. */
export const DECLARED = 'declared';

/** How a toolset planned by the fallback, because the agent failed, is marked in its `planner`. */
const AGENT_FALLBACK = ' (agent fallback)';

export function markAgentFallback(planner: string): string {
  return `${planner}${AGENT_FALLBACK}`;
}

/** A stand-in planned while the agent failed: worth planning again once the agent may be back. */
export function isAgentFallback(plan: Pick<ToolsetPlan, 'planner'>): boolean {
  return plan.planner.endsWith(AGENT_FALLBACK);
}

/**
 * The planner of a frozen service (`rlar serve --toolsets FILE --frozen`): it plans nothing, so a
 * signature missing from the snapshot gets the stand-in's fallback and an error instead of a reward
 * that nobody pinned.
 */
export class FrozenPlanner implements Planner {
  readonly name = 'frozen';

  async plan(signature: string): Promise<ToolsetPlan> {
    throw new Error(`the service is frozen and its snapshot has no toolset for ${signature}`);
  }
}
