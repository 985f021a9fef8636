import type { ScoreTask } from '../score-task.ts';

/** The BullMQ queue that carries score tasks from API nodes to workers. */
export const QUEUE_NAME = 'rlar-score';

/** A job's data: the task, and how long it may run once a worker starts it. */
export interface ScoreJob {
  task: ScoreTask;
  taskTimeoutMs: number;
}
