import { Worker } from 'bullmq';
import { redisClient } from '../../store/redis-connection.ts';
import type { Runner } from '../runner.ts';
import type { ScoreTaskResult } from '../score-task.ts';
import { QUEUE_NAME, type ScoreJob } from './jobs.ts';

export interface QueueWorkerOptions {
  /** Jobs taken at once; the runner's threads do the CPU work, so this matches them. */
  concurrency: number;
  /** Lock on a job; a worker that dies holding it loses the job to another after this long. */
  jobLockMs: number;
}

/**
 * A BullMQ worker: takes score tasks from the queue and runs them on a local runner (the embedded
 * thread pool), so the event loop stays free to renew job locks while tools use every core.
 */
export class QueueWorker {
  readonly #worker: Worker<ScoreJob, ScoreTaskResult>;

  constructor(redisUrl: string, runner: Runner, options: QueueWorkerOptions) {
    this.#worker = new Worker<ScoreJob, ScoreTaskResult>(
      QUEUE_NAME,
      (job) => runner.run(job.data.task, { signal: new AbortController().signal, taskTimeoutMs: job.data.taskTimeoutMs }),
      {
        connection: redisClient(redisUrl, 'blocking'),
        concurrency: options.concurrency,
        lockDuration: options.jobLockMs,
        stalledInterval: Math.max(500, Math.floor(options.jobLockMs / 2)),
        maxStalledCount: 2,
      },
    );
    this.#worker.on('error', () => {}); // connection errors: the worker reconnects by itself
  }

  /** Resolves once the worker is connected and counted by readiness checks (Queue.getWorkersCount). */
  async ready(): Promise<void> {
    await this.#worker.waitUntilReady();
  }

  /** Stops taking jobs and waits for the ones in progress. */
  async close(): Promise<void> {
    await this.#worker.close();
  }
}
