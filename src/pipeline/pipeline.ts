import type { Runner } from '../execution/runner.ts';
import { taskSignature } from '../planning/signature.ts';
import { DECLARED } from '../planning/planner.ts';
import type { Recipes } from '../planning/recipes.ts';
import { combine, component, cachedToolsetHash, STAND_IN, type Component, type ItemScore, type Toolset, type ToolSpec, type ToolTimings } from '../tools/toolset.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import type { ScoringItem, ToolOutcome, ToolParams } from '../tools/types.ts';
import { asError, messageOf } from '../util/errors.ts';
import type { DriftMonitor } from './drift-monitor.ts';
import { MAX_TASK_ITEMS, TaskCoalescer, unscored } from './task-coalescer.ts';
import type { ToolsetResolver } from './toolset-resolver.ts';

export interface ScoredItem extends ItemScore {
  signature: string;
  /** The stored version of the toolset that scored the item (0: not stored) and its content hash. */
  toolsetVersion: number;
  toolsetHash: string;
}

export interface PipelineLimits {
  /**
   * Longest prompt, response or reference scored; a longer one gets an error instead of tool runs.
   * This bounds what any tool can be asked to chew on (memory and time).
   */
  maxTextChars: number;
  /**
   * Longest a task may run, from the moment it starts, before it is stopped and its items are retried
   * one by one (a backstop for tools that hang).
   */
  taskTimeoutMs: number;
  /** Deadline of a whole request unless the request sets its own. */
  requestTimeoutMs: number;
}

/** What the pipeline reports as it goes; the server turns it into Prometheus metrics. */
export interface PipelineObserver {
  itemsScored(count: number, failed: number): void;
  toolTimings(timings: ToolTimings): void;
  /** A task of this many items went to the runner. */
  taskStarted(items: number): void;
  /** Items of a signature whose toolset judges format only (no reference, reward model or judge). */
  formatOnly?(signature: string, count: number): void;
}

/**
 * Open-ended items whose toolset has no quality signal: scored on format (flagged `formatOnly`), or
 * not scored at all (`abstain`: the fallback reward, flagged `abstained`).
 */
export type OpenEndedPolicy = 'format' | 'abstain';

const PLANNING_SAMPLES = 3;

interface ToolsetSplit {
  inService(spec: ToolSpec): boolean;
  serviceTools: ToolSpec[];
  pooled: Toolset;
}

/** The value of `work`, or undefined when the deadline (epoch ms) passes first. */
async function withinDeadline<T>(work: Promise<T>, deadline: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()))));
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

function referenceChars(reference: ScoringItem['reference']): number {
  if (reference === undefined) return 0;
  if (typeof reference === 'string') return reference.length;
  if (Array.isArray(reference)) return reference.reduce((sum, r) => sum + String(r).length, 0);
  return JSON.stringify(reference).length;
}

/** Why an item is too large to score, or undefined when it is not. */
function oversizeError(item: ScoringItem, limit: number): string | undefined {
  const sizes: [string, number][] = [
    ['response', item.response.length],
    ['prompt', item.prompt.length],
    ['reference', referenceChars(item.reference)],
  ];
  const over = sizes.find(([, size]) => size > limit);
  return over && `${over[0]} has ${over[1]} characters, over the limit of ${limit} (RLAR_MAX_TEXT_CHARS)`;
}

/**
 * score(items): signature per item -> toolset per signature -> tasks on the runner -> rewards.
 * Embedded and distributed modes share this code and differ only in the runner and the store.
 * Nothing an item or a tool does fails the batch: every item comes back with a reward, some with an
 * `error`.
 */
export class ScoringPipeline {
  readonly #registry: ToolRegistry;
  readonly #resolver: ToolsetResolver;
  readonly #runner: Runner;
  readonly #limits: PipelineLimits;
  readonly #observer: PipelineObserver | undefined;
  readonly #monitor: DriftMonitor | undefined;
  readonly #openEnded: OpenEndedPolicy;
  readonly #recipes: Recipes | undefined;
  /** Tasks in flight, at most the runner's parallelism (so a task's timeout runs only while it runs). */
  readonly #tasks: TaskCoalescer;
  readonly #splits = new WeakMap<Toolset, ToolsetSplit>();

  constructor(parts: {
    registry: ToolRegistry;
    resolver: ToolsetResolver;
    runner: Runner;
    limits: PipelineLimits;
    observer?: PipelineObserver;
    monitor?: DriftMonitor;
    openEnded?: OpenEndedPolicy;
    /** Declared rules, which win over the stored and planned toolsets. */
    recipes?: Recipes;
  }) {
    this.#openEnded = parts.openEnded ?? 'format';
    this.#registry = parts.registry;
    this.#resolver = parts.resolver;
    this.#runner = parts.runner;
    this.#limits = parts.limits;
    this.#observer = parts.observer;
    this.#monitor = parts.monitor;
    this.#recipes = parts.recipes;
    this.#tasks = new TaskCoalescer(parts.runner, parts.registry, parts.limits.taskTimeoutMs, parts.observer);
  }

  /**
   * `declared[i]`, when given, is the toolset of item i (from the request); otherwise a recipe rule
   * that matches the item decides, and otherwise the stored or planned toolset of its signature.
   */
  async score(items: ScoringItem[], timeoutMs?: number, declared: readonly (Toolset | undefined)[] = []): Promise<ScoredItem[]> {
    const deadline = Date.now() + (timeoutMs ?? this.#limits.requestTimeoutMs);
    // Items of one signature and one given toolset (or none) form a group.
    const groups = new Map<string, { signature: string; given: Toolset | undefined; indices: number[] }>();
    items.map(taskSignature).forEach((signature, index) => {
      const given = declared[index] ?? this.#recipes?.match(items[index]!, signature);
      const key = given ? `${signature}\0${cachedToolsetHash(given)}` : signature;
      const group = groups.get(key);
      if (group) group.indices.push(index);
      else groups.set(key, { signature, given, indices: [index] });
    });
    const results = new Array<ScoredItem>(items.length);
    await Promise.all(
      [...groups.values()].map(async ({ signature, given, indices }) => {
        let toolset: Toolset;
        if (given) {
          toolset = { ...given, signature };
        } else {
          try {
            const samples = indices.slice(0, PLANNING_SAMPLES).map((i) => items[i]!);
            toolset = await this.#resolver.resolve(signature, samples, deadline);
          } catch (error) {
            const failed = { reward: STAND_IN.fallback, components: [], error: `planning ${signature} failed: ${messageOf(error)}` };
            for (const i of indices) results[i] = { ...failed, signature, toolsetVersion: 0, toolsetHash: cachedToolsetHash(STAND_IN) };
            return;
          }
        }
        const stamp = { signature, toolsetVersion: toolset.version, toolsetHash: cachedToolsetHash(given ?? toolset) };
        // A toolset someone declared is scored as declared, even when it checks format only.
        const formatOnly = !given && toolset.planner !== DECLARED && this.#formatOnly(toolset);
        if (formatOnly) this.#observer?.formatOnly?.(signature, indices.length);
        if (formatOnly && this.#openEnded === 'abstain') {
          const abstained = { reward: toolset.fallback, components: [], formatOnly: true as const, abstained: true as const };
          for (const i of indices) results[i] = { ...abstained, ...stamp };
          return;
        }
        const groupItems = indices.map((i) => items[i]!);
        const scores = await this.scoreWithToolset(toolset, groupItems, deadline);
        if (!given) this.#monitor?.record(toolset, groupItems, scores);
        indices.forEach(
          (itemIndex, k) => (results[itemIndex] = { ...scores[k]!, ...stamp, ...(formatOnly && { formatOnly: true as const }) }),
        );
      }),
    );
    return results;
  }

  /** A toolset whose every tool judges form only gives no signal of quality. */
  #formatOnly(toolset: Toolset): boolean {
    return toolset.tools.length > 0 && toolset.tools.every((spec) => this.#registry.get(spec.tool)?.formatOnly === true);
  }

  /** Raw scores of one tool with the given params: the path of `POST /tools/{name}/score`. */
  scoreWithTool(tool: string, params: ToolParams, items: ScoringItem[]): Promise<ItemScore[]> {
    const toolset: Toolset = {
      signature: `tool.${tool}`,
      version: 0,
      planner: 'direct',
      tools: [{ tool, weight: 1, params }],
      fallback: 0,
      rationale: [],
      createdAt: new Date().toISOString(),
    };
    return this.scoreWithToolset(toolset, items);
  }

  /**
   * Scores items with a given toolset. Tools that call outside services run here, in the service
   * process, on all items at once (so their calls can be batched with other requests'); the others run
   * on the runner in chunks. The components are merged in toolset order and combined by weight.
   */
  async scoreWithToolset(
    toolset: Toolset,
    items: ScoringItem[],
    deadline = Date.now() + this.#limits.requestTimeoutMs,
  ): Promise<ItemScore[]> {
    const scores = new Array<ItemScore>(items.length);
    const runnable: number[] = [];
    items.forEach((item, i) => {
      const error = oversizeError(item, this.#limits.maxTextChars);
      if (error === undefined) runnable.push(i);
      else scores[i] = { reward: toolset.fallback, components: [], error };
    });
    const { inService, serviceTools, pooled } = this.#split(toolset);
    const runnableItems = runnable.map((i) => items[i]!);
    // An empty toolset still goes to the runner, which answers each item with the fallback and why.
    const poolNeeded = pooled.tools.length > 0 || toolset.tools.length === 0;
    const [pooledScores, serviceComponents] = await Promise.all([
      poolNeeded
        ? this.#scorePooled(pooled, runnableItems, deadline)
        : Promise.resolve(runnableItems.map((): ItemScore => ({ reward: 0, components: [] }))),
      // No deadline timer when there is nothing to wait for (most toolsets: no outside service).
      serviceTools.length === 0
        ? []
        : withinDeadline(Promise.all(serviceTools.map((spec) => this.#scoreInService(spec, runnableItems, toolset.signature))), deadline),
    ]);
    runnable.forEach((itemIndex, k) => {
      // Outside services that did not answer by the deadline leave every item unscored.
      if (serviceComponents === undefined) {
        scores[itemIndex] = unscored(toolset);
        return;
      }
      const pooledScore = pooledScores[k]!;
      // An item that never ran (deadline, crash) keeps its error; otherwise merge in toolset order.
      if (serviceComponents.length === 0 || (pooledScore.error !== undefined && pooledScore.components.length === 0)) {
        scores[itemIndex] = pooledScore;
        return;
      }
      const fromPool = [...pooledScore.components];
      let service = 0;
      const merged = toolset.tools.map((spec) => (inService(spec) ? serviceComponents[service++]![k]! : fromPool.shift()!));
      scores[itemIndex] = combine(toolset, merged);
    });
    const failed = scores.filter((s) => s.error !== undefined).length;
    this.#observer?.itemsScored(items.length, failed);
    return scores;
  }

  /**
   * The toolset's tools that run here, and a toolset of the others for the runner: the toolset itself
   * when no tool runs here. Kept per toolset object (a store hands out the same one until a new
   * version), so the pooled toolset's hash, which the task coalescer keys on, is computed once.
   */
  #split(toolset: Toolset): ToolsetSplit {
    let split = this.#splits.get(toolset);
    if (split === undefined) {
      const inService = (spec: ToolSpec) => this.#registry.get(spec.tool)?.runsInService === true;
      const serviceTools = toolset.tools.filter(inService);
      const pooled = serviceTools.length === 0 ? toolset : { ...toolset, tools: toolset.tools.filter((spec) => !inService(spec)) };
      split = { inService, serviceTools, pooled };
      this.#splits.set(toolset, split);
    }
    return split;
  }

  async #scorePooled(toolset: Toolset, items: ScoringItem[], deadline: number): Promise<ItemScore[]> {
    const scores = new Array<ItemScore>(items.length);
    const spread = Math.ceil(items.length / (this.#runner.parallelism * 4));
    const chunkSize = Math.min(MAX_TASK_ITEMS, Math.max(this.#runner.minChunk, spread));
    const starts: number[] = [];
    for (let start = 0; start < items.length; start += chunkSize) starts.push(start);
    await Promise.all(
      starts.map(async (start) => {
        const chunkScores = await this.#tasks.run(toolset, items.slice(start, start + chunkSize), deadline);
        chunkScores.forEach((score, k) => (scores[start + k] = score));
      }),
    );
    return scores;
  }

  /** One in-service tool on every item: a batch call, its failures turned into per-item errors. */
  async #scoreInService(spec: ToolSpec, items: ScoringItem[], signature: string): Promise<Component[]> {
    const tool = this.#registry.get(spec.tool)!;
    const started = performance.now();
    let outcomes: (ToolOutcome | Error)[];
    try {
      outcomes = await tool.scoreBatch!(items, spec.params ?? {}, { signature });
    } catch (error) {
      outcomes = items.map(() => asError(error));
    }
    const each = (performance.now() - started) / Math.max(1, items.length);
    this.#observer?.toolTimings({ [spec.tool]: items.map(() => each) });
    return outcomes.map((outcome) => component(spec, outcome instanceof Error ? { error: outcome } : outcome));
  }
}
