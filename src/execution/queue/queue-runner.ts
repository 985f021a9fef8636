import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { redisClient } from '../../store/redis-connection.ts';
import type { Runner, RunLimits } from '../runner.ts';
import type { ScoreTask, ScoreTaskResult } from '../score-task.ts';
import { asError, messageOf } from '../../util/errors.ts';
import { QUEUE_NAME, type ScoreJob } from './jobs.ts';

export interface QueueRunnerOptions {
  /** Most tasks in flight from this node. */
  inFlight: number;
  /** Most jobs waiting in the queue before `admission` turns requests away. */
  maxDepth: number;
}

/**
 * Distributed mode's runner: each task becomes a BullMQ job that any `rlar worker` may take; the
 * result comes back through the queue's event stream. A job whose worker dies is taken up again once
 * its lock expires (BullMQ's stalled-job check), so its items are still scored, once.
 */
export class QueueRunner implements Runner {
  readonly parallelism: number;
  readonly minChunk = 16;
  readonly queue: Queue<ScoreJob, ScoreTaskResult>;
  readonly #events: QueueEvents;
  readonly #connection: Redis;
  readonly #maxDepth: number;

  constructor(redisUrl: string, options: QueueRunnerOptions) {
    this.parallelism = options.inFlight;
    this.#maxDepth = options.maxDepth;
    this.#connection = redisClient(redisUrl, 'request');
    this.queue = new Queue(QUEUE_NAME, {
      connection: this.#connection,
      defaultJobOptions: {
        attempts: 3,
        backoff: { type: 'fixed', delay: 200 },
        removeOnComplete: { age: 600, count: 10_000 },
        removeOnFail: { age: 3_600, count: 10_000 },
      },
    });
    this.queue.on('error', () => {}); // reported through readiness
    this.#events = new QueueEvents(QUEUE_NAME, { connection: redisClient(redisUrl, 'blocking') });
    this.#events.on('error', () => {});
  }

  async run(task: ScoreTask, limits: RunLimits): Promise<ScoreTaskResult> {
    limits.signal.throwIfAborted();
    const job = await this.queue.add('score', { task, taskTimeoutMs: limits.taskTimeoutMs });
    const finished = job.waitUntilFinished(this.#events) as Promise<ScoreTaskResult>;
    return new Promise<ScoreTaskResult>((resolve, reject) => {
      const abandon = () => {
        reject(limits.signal.reason);
        // A job nobody has started yet is no longer wanted.
        void job.remove().catch(() => {});
      };
      limits.signal.addEventListener('abort', abandon, { once: true });
      finished.then(resolve, (error: unknown) => reject(asError(error))).finally(() =>
        limits.signal.removeEventListener('abort', abandon),
      );
    });
  }

  /** Why this node cannot take work now, or undefined when it can. */
  async unavailable(): Promise<string | undefined> {
    if (this.#connection.status !== 'ready') return `Redis is not reachable (connection ${this.#connection.status})`;
    try {
      const waiting = await this.queue.getWaitingCount();
      if (waiting >= this.#maxDepth) return `the queue holds ${waiting} waiting jobs (RLAR_QUEUE_MAX_DEPTH is ${this.#maxDepth}); retry shortly`;
    } catch (error) {
      return `Redis is not reachable (${messageOf(error)})`;
    }
    return undefined;
  }

  async close(): Promise<void> {
    await this.#events.close();
    await this.queue.close();
    this.#connection.disconnect();
  }
}
