import type { ScoreTask, ScoreTaskResult } from './score-task.ts';

export interface RunLimits {
  /** Aborts when the request's deadline passes: stop waiting for this task. */
  signal: AbortSignal;
  /** Longest the task may run once it has started (a backstop for tools that hang). */
  taskTimeoutMs: number;
}

/**
 * Executes score tasks: a worker-thread pool in embedded mode, BullMQ workers in distributed mode.
 * A run that is aborted, times out or whose executor dies rejects; the pipeline decides what to retry.
 */
export interface Runner {
  /** How many tasks it runs at once; the pipeline sizes chunks from it and caps tasks in flight to it. */
  readonly parallelism: number;
  /** Fewest items worth a task: a queue job costs Redis round trips, a thread task almost nothing. */
  readonly minChunk: number;
  run(task: ScoreTask, limits: RunLimits): Promise<ScoreTaskResult>;
  close(): Promise<void>;
}
