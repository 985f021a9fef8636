import type { ToolRegistry } from '../tools/registry.ts';
import { applyToolset, type ItemScore, type Toolset, type ToolTimings } from '../tools/toolset.ts';
import type { ScoringItem } from '../tools/types.ts';

/**
 * What a worker needs of a toolset: its tools, combination and fallback. Not the planner's rationale or provenance,
 * which can be large (an agent's raw answers) and would be copied with every task.
 */
export type TaskToolset = Pick<Toolset, 'signature' | 'version' | 'tools' | 'fallback' | 'combination'>;

export function taskToolset({ signature, version, tools, fallback, combination }: Toolset): TaskToolset {
  return { signature, version, tools, fallback, ...(combination !== undefined && { combination }) };
}

/** The unit of work a runner executes: items of one signature and their toolset. Plain JSON. */
export interface ScoreTask {
  toolset: TaskToolset;
  items: ScoringItem[];
}

export interface ScoreTaskResult {
  scores: ItemScore[];
  timings: ToolTimings;
}

/** Scores a task's items one after another; whichever runner executes it, this is the code that runs. */
export async function scoreTask(registry: ToolRegistry, task: ScoreTask): Promise<ScoreTaskResult> {
  const timings: ToolTimings = {};
  const scores: ItemScore[] = [];
  for (const item of task.items) scores.push(await applyToolset(registry, task.toolset, item, timings));
  return { scores, timings };
}
