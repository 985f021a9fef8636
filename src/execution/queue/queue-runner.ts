import { Queue, QueueEvents, type Job } from 'bullmq';
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
  /** Workers run in this process: no need to ask Redis whether any worker is alive. */
  localWorkers: boolean;
}

/** A job Redis no longer holds: it restarted without its data while the job was in flight. */
class LostJobError extends Error {
  override name = 'LostJobError';
}

/** Times a lost job is queued again before its items fail. */
const REQUEUES = 3;
/** How long a count of live workers is trusted (a readiness check runs on every scoring request). */
const WORKER_SEEN_MS = 1_000;

/**
 * Distributed mode's runner: each task becomes a BullMQ job that any `rlar worker` may take; the
 * result comes back through the queue's event stream. A job whose worker dies is taken up again once
 * its lock expires (BullMQ's stalled-job check), so its items are still scored, once. A job that Redis
 * lost (a restart without persistence) is noticed when the connection comes back and queued again.
 */
export class QueueRunner implements Runner {
  readonly parallelism: number;
  readonly minChunk = 16;
  readonly queue: Queue<ScoreJob, ScoreTaskResult>;
  readonly #events: QueueEvents;
  readonly #connection: Redis;
  readonly #maxDepth: number;
  readonly #localWorkers: boolean;
  readonly #inFlight = new Map<Job, (error: LostJobError) => void>();
  #workerSeen: number | undefined;

  constructor(redisUrl: string, options: QueueRunnerOptions) {
    this.parallelism = options.inFlight;
    this.#maxDepth = options.maxDepth;
    this.#localWorkers = options.localWorkers;
    this.#connection = redisClient(redisUrl, 'request');
    let dropped = false;
    this.#connection.on('close', () => (dropped = true));
    this.#connection.on('ready', () => {
      if (dropped) void this.#findLostJobs();
      dropped = false;
    });
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
    for (let attempt = 1; ; attempt++) {
      limits.signal.throwIfAborted();
      const job = await this.queue.add('score', { task, taskTimeoutMs: limits.taskTimeoutMs });
      try {
        return await this.#finished(job, limits.signal);
      } catch (error) {
        if (!(error instanceof LostJobError) || attempt === REQUEUES) throw error;
      }
    }
  }

  #finished(job: Job<ScoreJob, ScoreTaskResult>, signal: AbortSignal): Promise<ScoreTaskResult> {
    const finished = job.waitUntilFinished(this.#events) as Promise<ScoreTaskResult>;
    return new Promise<ScoreTaskResult>((resolve, reject) => {
      // Abandoned or lost, `finished` may never settle: stop tracking the job on every way out.
      const done = () => {
        signal.removeEventListener('abort', abandon);
        this.#inFlight.delete(job);
      };
      const abandon = () => {
        done();
        reject(signal.reason);
        // A job nobody has started yet is no longer wanted.
        void job.remove().catch(() => {});
      };
      signal.addEventListener('abort', abandon, { once: true });
      this.#inFlight.set(job, (error) => {
        done();
        reject(error);
      });
      finished.then(resolve, (error: unknown) => reject(asError(error))).finally(done);
    });
  }

  /** After a reconnection: the jobs in flight that Redis no longer knows fail with LostJobError (and are queued again). */
  async #findLostJobs(): Promise<void> {
    for (const [job, lost] of this.#inFlight) {
      const state = await job.getState().catch(() => undefined);
      if (state === 'unknown') lost(new LostJobError(`Redis lost job ${job.id} (restarted without its data)`));
    }
  }

  /** Whether any worker is connected to the queue; a yes is trusted for a second (this runs on every scoring request). */
  async #anyWorker(): Promise<boolean> {
    if (this.#localWorkers) return true;
    const now = Date.now();
    if (this.#workerSeen !== undefined && now - this.#workerSeen < WORKER_SEEN_MS) return true;
    // A Redis that refuses CLIENT LIST (some managed services) cannot say: assume a worker.
    const count = await this.queue.getWorkersCount().catch(() => undefined);
    if (count === 0) return false;
    this.#workerSeen = now;
    return true;
  }

  /** Why this node cannot take work now, or undefined when it can. */
  async unavailable(): Promise<string | undefined> {
    if (this.#connection.status !== 'ready') return `Redis is not reachable (connection ${this.#connection.status})`;
    try {
      const waiting = await this.queue.getWaitingCount();
      if (waiting >= this.#maxDepth) return `the queue holds ${waiting} waiting jobs (RLAR_QUEUE_MAX_DEPTH is ${this.#maxDepth}); retry shortly`;
      if (!(await this.#anyWorker())) return 'no worker is taking jobs from the queue: start `rlar worker` (or `rlar serve --workers N`)';
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
