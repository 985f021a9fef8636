import type { Runner } from '../execution/runner.ts';
import { taskToolset, type ScoreTaskResult } from '../execution/score-task.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import type { PipelineObserver } from './pipeline.ts';
import { cachedToolsetHash, type ItemScore, type Toolset } from '../tools/toolset.ts';
import type { ScoringItem } from '../tools/types.ts';
import { messageOf } from '../util/errors.ts';

/** An item the request's deadline left unscored. */
export function unscored(toolset: Toolset): ItemScore {
  return { reward: toolset.fallback, components: [], error: 'the request deadline passed before this item was scored', unscored: true };
}

/** Most items one task carries, however many chunks were merged into it. */
export const MAX_TASK_ITEMS = 256;

interface PendingChunk {
  items: ScoringItem[];
  deadline: number;
  settle(scores: ItemScore[]): void;
}

interface WaitingGroup {
  toolset: Toolset;
  chunks: PendingChunk[];
}

/**
 * Runs chunks of items on the runner, at most `runner.parallelism` tasks at a time. Chunks of the same
 * toolset that arrive in one turn of the event loop, or wait together for a busy slot, leave as one
 * task (from concurrent requests: OpenRLHF and slime send one sample per request), so many small
 * requests cost a few tasks, not one each; free slots share a group's items. A lone request never waits
 * for company: with a free slot its chunk starts at the end of the current turn, not after a timer.
 *
 * A failed or hung task is retried item by item, each item as a task of its own, so one bad item costs
 * only itself; an item whose deadline passes is answered unscored at that moment, whatever it waits on.
 */
export class TaskCoalescer {
  readonly #runner: Runner;
  readonly #registry: ToolRegistry;
  readonly #taskTimeoutMs: number;
  readonly #observer: PipelineObserver | undefined;
  /** Chunks waiting for a slot, by toolset key (a retried item has a key of its own); oldest first. */
  readonly #waiting = new Map<string | symbol, WaitingGroup>();
  #running = 0;
  /** Waiting chunks will be started at the end of this turn of the event loop. */
  #startScheduled = false;

  constructor(runner: Runner, registry: ToolRegistry, taskTimeoutMs: number, observer?: PipelineObserver) {
    this.#runner = runner;
    this.#registry = registry;
    this.#taskTimeoutMs = taskTimeoutMs;
    this.#observer = observer;
  }

  /** The scores of `items` under `toolset`, in order; never rejects. */
  run(toolset: Toolset, items: ScoringItem[], deadline: number, alone = false): Promise<ItemScore[]> {
    if (deadline <= Date.now()) return Promise.resolve(items.map(() => unscored(toolset)));
    return new Promise((resolve) => {
      // Toolsets with the same content hash score alike, so their chunks may share a task.
      const key = alone ? Symbol('alone') : cachedToolsetHash(toolset);
      let group = this.#waiting.get(key);
      if (group === undefined) {
        group = { toolset, chunks: [] };
        this.#waiting.set(key, group);
      }
      let settled = false;
      const chunk: PendingChunk = {
        items,
        deadline,
        settle: (scores) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(scores);
        },
      };
      const waitingIn = group;
      const timer = setTimeout(() => {
        const at = waitingIn.chunks.indexOf(chunk);
        if (at !== -1) waitingIn.chunks.splice(at, 1);
        if (waitingIn.chunks.length === 0 && this.#waiting.get(key) === waitingIn) this.#waiting.delete(key);
        chunk.settle(items.map(() => unscored(toolset)));
      }, deadline - Date.now());
      group.chunks.push(chunk);
      if (!this.#startScheduled) {
        this.#startScheduled = true;
        setImmediate(() => {
          this.#startScheduled = false;
          this.#startWaiting();
        });
      }
    });
  }

  /**
   * Starts tasks while slots are free: each takes the oldest waiting group's chunks, its share of the
   * group's items over the free slots (so one burst of requests keeps every thread busy), at most
   * MAX_TASK_ITEMS.
   */
  #startWaiting(): void {
    while (this.#running < this.#runner.parallelism && this.#waiting.size > 0) {
      const [key, group] = this.#waiting.entries().next().value!;
      const waitingItems = group.chunks.reduce((sum, chunk) => sum + chunk.items.length, 0);
      const share = Math.min(MAX_TASK_ITEMS, Math.ceil(waitingItems / (this.#runner.parallelism - this.#running)));
      let taken = 0;
      let size = 0;
      while (taken < group.chunks.length && (taken === 0 || size + group.chunks[taken]!.items.length <= share)) {
        size += group.chunks[taken]!.items.length;
        taken++;
      }
      const batch = group.chunks.splice(0, taken);
      if (group.chunks.length === 0) this.#waiting.delete(key);
      this.#running++;
      void this.#runTask(group.toolset, batch).finally(() => {
        this.#running--;
        this.#startWaiting();
      });
    }
  }

  async #runTask(toolset: Toolset, batch: PendingChunk[]): Promise<void> {
    const items = batch.flatMap((chunk) => chunk.items);
    const remaining = Math.max(...batch.map((chunk) => chunk.deadline)) - Date.now();
    // Tools that bound their own time (code in the sandbox) may use the whole request deadline.
    const selfLimiting = toolset.tools.some((t) => this.#registry.get(t.tool)?.selfLimiting === true);
    const timeout = selfLimiting ? remaining : this.#taskTimeoutMs;
    let result: ScoreTaskResult | undefined;
    let failure: unknown;
    this.#observer?.taskStarted(items.length);
    try {
      result = await this.#runner.run({ toolset: taskToolset(toolset), items }, { signal: AbortSignal.timeout(remaining), taskTimeoutMs: timeout });
    } catch (error) {
      failure = error;
    }
    if (result) {
      this.#observer?.toolTimings(result.timings);
      let offset = 0;
      for (const chunk of batch) chunk.settle(result.scores.slice(offset, (offset += chunk.items.length)));
      return;
    }
    if (items.length > 1) {
      // Which item failed is unknown: each one runs again alone (not awaited: this slot is free now).
      for (const chunk of batch) {
        void Promise.all(chunk.items.map((item) => this.run(toolset, [item], chunk.deadline, true))).then((scores) =>
          chunk.settle(scores.flat()),
        );
      }
      return;
    }
    const chunk = batch[0]!;
    if (chunk.deadline <= Date.now()) return chunk.settle([unscored(toolset)]);
    const timedOut = failure instanceof Error && (failure.name === 'AbortError' || failure.name === 'TimeoutError');
    const error = timedOut
      ? `scoring took longer than ${timeout} ms and was stopped`
      : `the scoring worker failed: ${messageOf(failure)}`;
    chunk.settle([{ reward: toolset.fallback, components: [], error }]);
  }
}
