import type { ScoreTask, ScoreTaskResult } from './score-task.ts';

/**
 * Executes score tasks: a worker-thread pool in embedded mode, BullMQ workers in distributed mode.
 * A run that is aborted or whose executor dies rejects; the pipeline decides what to retry.
 */
export interface Runner {
  /** How many tasks it runs at once; the pipeline sizes chunks from it. */
  readonly parallelism: number;
  run(task: ScoreTask, signal: AbortSignal): Promise<ScoreTaskResult>;
  close(): Promise<void>;
}
