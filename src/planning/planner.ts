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
