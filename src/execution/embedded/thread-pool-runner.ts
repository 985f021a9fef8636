import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { removeLeftoverWorkDirs } from '../../sandbox/process-sandbox.ts';
import type { Runner, RunLimits } from '../runner.ts';
import type { ToolSettings } from '../../tools/settings.ts';
import type { ScoreTask, ScoreTaskResult } from '../score-task.ts';

export interface ThreadPoolOptions {
  threads: number;
  /** Heap limit of each thread: a tool that allocates without end kills its thread, not the service. */
  maxHeapMb: number;
  /** Endpoints and keys of tools that call outside services. */
  tools?: ToolSettings;
}

/**
 * Embedded mode's runner: CPU-bound tools run on a pool of worker threads (piscina), so one process
 * uses every core and the event loop stays free for HTTP. An aborted task terminates its thread.
 */
export class ThreadPoolRunner implements Runner {
  readonly parallelism: number;
  readonly minChunk = 1;
  readonly #pool: Piscina<ScoreTask, ScoreTaskResult>;

  constructor(options: ThreadPoolOptions) {
    this.parallelism = options.threads;
    // The worker has the extension of this file: .js when built, .ts when run from source in tests.
    const worker = new URL(`./pool-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
    this.#pool = new Piscina({
      filename: worker.href,
      minThreads: options.threads,
      maxThreads: options.threads,
      idleTimeout: Number.POSITIVE_INFINITY,
      resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb },
      // An idle thread waits with its event loop running (not blocked in Atomics.wait), so what a
      // task leaves to finish goes on: sandboxes reaped, their directories removed.
      atomics: 'async',
      workerData: options.tools ?? {},
    });
    // A thread stopped mid-task (its task overran or its request was cancelled) never reaches its own
    // clean-up: its sandboxes die with it; its work directories go here, and again a little later (one
    // being made as the thread stopped).
    // A thread that died (out of memory, exit) already reports its id as -1 here: the ids come from
    // when the threads started, and every one no longer alive is swept.
    const started = new Set<number>();
    this.#pool.on('workerCreate', (worker: { id: number }) => started.add(worker.id));
    this.#pool.on('workerDestroy', (worker: { id: number }) => {
      const alive = new Set(this.#pool.threads.map((thread) => thread.threadId));
      const gone = [...started].filter((thread) => thread === worker.id || !alive.has(thread));
      for (const thread of gone) {
        started.delete(thread);
        const sweep = () => void removeLeftoverWorkDirs({ thread });
        sweep();
        setTimeout(sweep, 2_000).unref();
      }
    });
  }

  /** The caller starts this only when a thread is free, so the timeout counts running time. */
  run(task: ScoreTask, limits: RunLimits): Promise<ScoreTaskResult> {
    return this.#pool.run(task, { signal: AbortSignal.any([limits.signal, AbortSignal.timeout(limits.taskTimeoutMs)]) });
  }

  async close(): Promise<void> {
    await this.#pool.close({ force: true });
  }
}
