import type { ToolRegistry } from '../tools/registry.ts';
import { applyToolset, type ItemScore, type Toolset, type ToolTimings } from '../tools/toolset.ts';
import type { ScoringItem, ToolOutcome } from '../tools/types.ts';
import { asError } from '../util/errors.ts';

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

/**
 * Tools that score many items at once (a Python function in a warm interpreter) run first, on every
 * item of the task; the outcomes, by tool index and then item, go to applyToolset.
 */
async function batchOutcomes(registry: ToolRegistry, task: ScoreTask, timings: ToolTimings): Promise<Map<number, (ToolOutcome | Error)[]>> {
  const outcomes = new Map<number, (ToolOutcome | Error)[]>();
  for (const [index, spec] of task.toolset.tools.entries()) {
    const tool = registry.get(spec.tool);
    if (!tool?.scoreBatch) continue;
    const started = performance.now();
    try {
      outcomes.set(index, await tool.scoreBatch(task.items, spec.params ?? {}));
    } catch (error) {
      outcomes.set(index, task.items.map(() => asError(error)));
    }
    const each = (performance.now() - started) / Math.max(1, task.items.length);
    (timings[spec.tool] ??= []).push(...task.items.map(() => each));
  }
  return outcomes;
}

/** Scores a task's items one after another; whichever runner executes it, this is the code that runs. */
export async function scoreTask(registry: ToolRegistry, task: ScoreTask): Promise<ScoreTaskResult> {
  const timings: ToolTimings = {};
  const batched = await batchOutcomes(registry, task, timings);
  const scores: ItemScore[] = [];
  for (const [k, item] of task.items.entries()) {
    const done = batched.size === 0 ? undefined : new Map([...batched].map(([index, outcomes]) => [index, outcomes[k]!] as const));
    scores.push(await applyToolset(registry, task.toolset, item, timings, done));
  }
  return { scores, timings };
}
