import type { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ConfigError, type Config } from '../../../config.ts';
import { ThreadPoolRunner } from '../../../execution/embedded/thread-pool-runner.ts';
import { QueueRunner } from '../../../execution/queue/queue-runner.ts';
import { QueueWorker } from '../../../execution/queue/queue-worker.ts';
import type { Runner } from '../../../execution/runner.ts';
import { decodeRequest, encodeResponse, requestDeadlineMs, type Dialect } from '../../../protocol/dialects.ts';
import type { CleanupOptions } from '../../../protocol/items.ts';
import type { NativeRequest, RewardResponse } from '../../../protocol/schemas.ts';
import { requestToolsets } from '../../../protocol/toolsets.ts';
import { ScoringPipeline, type PipelineObserver, type ScoredItem } from '../../../pipeline/pipeline.ts';
import { DriftMonitor } from '../../../pipeline/drift-monitor.ts';
import { ToolsetResolver } from '../../../pipeline/toolset-resolver.ts';
import { AgentPlanner, FallbackPlanner } from '../../../planning/agent/agent-planner.ts';
import { LlmClient } from '../../../tools/models/llm.ts';
import { HeuristicPlanner } from '../../../planning/heuristic.ts';
import { FrozenPlanner, type Planner } from '../../../planning/planner.ts';
import { loadRecipes, type Recipes } from '../../../planning/recipes.ts';
import { MemoryToolsetStore } from '../../../store/memory.ts';
import { IN_MEMORY, openToolsetStore } from '../../../store/open.ts';
import { storeFile } from '../../../store/sqlite.ts';
import { readSnapshot } from '../../../store/snapshot.ts';
import type { ToolsetStore } from '../../../store/toolset-store.ts';
import { builtinRegistry } from '../../../tools/builtin.ts';
import { configureTools } from '../../../tools/settings.ts';
import type { ToolRegistry } from '../../../tools/registry.ts';
import type { Toolset, ToolsetPlan } from '../../../tools/toolset.ts';
import { messageOf } from '../../../util/errors.ts';
import { FileError } from '../../../util/structured-file.ts';

/** The domain services the routes use. */
export interface Scoring {
  mode: 'embedded' | 'distributed';
  registry: ToolRegistry;
  store: ToolsetStore;
  pipeline: ScoringPipeline;
  /** Why the service cannot take scoring work now (Redis away, queue full), or undefined. */
  unavailable(): Promise<string | undefined>;
  /** Plans a signature again now (a new version), saying why. */
  replan(signature: string, reason: string): Promise<Toolset>;
  /** The clean-up every dialect applies to items (RLAR_STRIP_TOKENS). */
  cleanup: CleanupOptions;
  /**
   * What `POST /reward` does with a body valid in its dialect: decode and clean its items, score them
   * (with the toolsets a native body declares), and answer in the same dialect. `rlar score` and
   * `rlar eval` call it in process, so there is one scoring path.
   */
  reward(dialect: Dialect, body: unknown, clientTimeoutMs?: number): Promise<{ scored: ScoredItem[]; answer: RewardResponse; deadlineMs: number }>;
  /** Stores a declared toolset as its signature's next version (kept as is when it scores the same). */
  declare(plan: ToolsetPlan): Promise<Toolset>;
  /** Serving a snapshot frozen: nothing is planned, re-planned or declared. */
  frozen: boolean;
  /** The BullMQ queue, in distributed mode (for the dashboard). */
  queue?: Queue;
}

declare module 'fastify' {
  interface FastifyInstance {
    scoring: Scoring;
  }
}

export interface ScoringOptions {
  config: Config;
  /** Distributed mode: BullMQ workers to run inside this process (0: a pure API node). */
  inProcessWorkers: number;
}

/** The metrics, plus one warning per signature whose rewards check format only: a user must not miss it. */
function formatOnlyWarnings(app: FastifyInstance): PipelineObserver {
  const warned = new Set<string>();
  return {
    ...app.metrics,
    formatOnly(signature, count) {
      app.metrics.formatOnly(signature, count);
      if (warned.has(signature)) return;
      warned.add(signature);
      app.log.warn(
        { signature },
        'items of this signature have no reference, reward model or judge: their reward checks format only ' +
          '(give references, set RLAR_RM_URL or a judge, or RLAR_OPEN_ENDED=abstain)',
      );
    },
  };
}

/** Reads a settings file (recipes, snapshot); a bad one stops the start with the file, line and field. */
function readSettingsFile<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof FileError) throw new ConfigError(error.message);
    throw error;
  }
}

/** The configured store; a data directory that cannot hold it stops the start, naming RLAR_DATA_DIR. */
function openStore(config: Config): ToolsetStore {
  try {
    return openToolsetStore(config);
  } catch (error) {
    throw new ConfigError(`RLAR_DATA_DIR="${config.dataDir}": the toolset store cannot be opened there: ${messageOf(error)}`);
  }
}

/**
 * Wires one pipeline for both modes. Embedded: file-backed (or memory) store, worker-thread runner.
 * Distributed (REDIS_URL): Redis store, queue runner, and optionally queue workers in this process.
 * A frozen snapshot replaces the store with the snapshot's toolsets, in memory, in both modes.
 */
export default fp(
  async (app, { config, inProcessWorkers }: ScoringOptions) => {
    configureTools(config.tools);
    const registry = builtinRegistry();
    const recipes: Recipes | undefined = config.recipesFile === undefined ? undefined : readSettingsFile(() => loadRecipes(config.recipesFile!, registry));
    const snapshot = config.snapshotFile === undefined ? undefined : readSettingsFile(() => readSnapshot(config.snapshotFile!, registry));
    if (config.frozen && snapshot === undefined) throw new ConfigError('--frozen needs --toolsets FILE (the snapshot to serve)');
    const closers: (() => Promise<void>)[] = [];
    const store: ToolsetStore = config.frozen ? new MemoryToolsetStore(snapshot) : openStore(config);
    let runner: Runner;
    let unavailable: () => Promise<string | undefined> = async () => undefined;
    let queue: Queue | undefined;
    if (config.redisUrl === undefined) {
      runner = new ThreadPoolRunner({ threads: config.threads, maxHeapMb: config.threadHeapMb, tools: config.tools });
    } else {
      const queueRunner = new QueueRunner(config.redisUrl, { inFlight: config.queueInFlight, maxDepth: config.queueMaxDepth, localWorkers: inProcessWorkers > 0 });
      runner = queueRunner;
      queue = queueRunner.queue;
      unavailable = () => queueRunner.unavailable();
      if (inProcessWorkers > 0) {
        const threads = new ThreadPoolRunner({ threads: config.threads, maxHeapMb: config.threadHeapMb, tools: config.tools });
        const workers = Array.from(
          { length: inProcessWorkers },
          () => new QueueWorker(config.redisUrl!, threads, { concurrency: config.threads, jobLockMs: config.jobLockMs }),
        );
        // Close order: stop taking jobs, finish those in progress, then stop the threads.
        closers.push(async () => {
          await Promise.all(workers.map((w) => w.close()));
          await threads.close();
        });
      }
    }
    const heuristic = new HeuristicPlanner(registry, { rewardModel: config.tools.rewardModel !== undefined });
    const planner: Planner = config.frozen
      ? new FrozenPlanner()
      : config.planner
      ? new FallbackPlanner(
          new AgentPlanner(new LlmClient(config.planner, (usage) => app.metrics.llmUsage(usage)), registry, {
            timeoutMs: config.planner.timeoutMs,
            hubUrl: config.hubUrl,
            ...(config.tools.rewardModel && { rewardModel: config.tools.rewardModel }),
          }),
          heuristic,
        )
      : heuristic;
    const resolver = new ToolsetResolver(store, planner, (hit) => app.metrics.toolsetLookup(hit), config.planner?.timeoutMs);
    const monitor = new DriftMonitor(resolver, { window: config.driftWindow, maxErrorRate: config.driftErrorRate, fallbackRetryMs: config.fallbackRetryMs }, (signature, message) =>
      app.log.warn({ signature }, `re-planning failed: ${message}`),
    );
    const pipeline = new ScoringPipeline({
      registry,
      resolver,
      runner,
      limits: { maxTextChars: config.maxTextChars, taskTimeoutMs: config.taskTimeoutMs, requestTimeoutMs: config.requestTimeoutMs },
      observer: formatOnlyWarnings(app),
      openEnded: config.openEnded,
      ...(!config.frozen && (config.driftWindow > 0 || config.fallbackRetryMs > 0) && { monitor }),
      ...(recipes && { recipes }),
    });
    const replan = (signature: string, reason: string) => resolver.replan(signature, monitor.samples(signature), reason);
    const declare = (plan: ToolsetPlan) => resolver.declare(plan);
    // A snapshot served unfrozen is declared into the store: its toolsets serve, and may evolve from there.
    if (snapshot && !config.frozen) {
      for (const toolset of snapshot) await declare({ ...toolset, rationale: [`declared from ${config.snapshotFile}`, ...toolset.rationale] });
    }
    const mode = config.redisUrl === undefined ? 'embedded' : 'distributed';
    const kept = config.frozen
      ? `the frozen snapshot ${config.snapshotFile} (${snapshot!.length} toolsets; nothing is planned)`
      : mode === 'distributed'
        ? 'Redis'
        : config.dataDir === IN_MEMORY
          ? 'memory only (RLAR_DATA_DIR=:memory:)'
          : storeFile(config.dataDir);
    app.log.info(`toolsets: ${kept}${recipes ? `; ${recipes.size} recipe rules from ${config.recipesFile}` : ''}`);
    const cleanup = { stripTokens: config.stripTokens };
    const reward = async (dialect: Dialect, body: unknown, clientTimeoutMs?: number) => {
      const { items, details } = decodeRequest(dialect, body, cleanup);
      const toolsets = dialect === 'native' ? requestToolsets(body as NativeRequest, registry) : [];
      const deadlineMs = requestDeadlineMs(dialect, body, config.requestTimeoutMs, clientTimeoutMs);
      const scored = await pipeline.score(items, deadlineMs, toolsets);
      return { scored, answer: encodeResponse(dialect, body, scored, details), deadlineMs };
    };
    app.decorate('scoring', {
      mode, registry, store, pipeline, unavailable, replan, declare, frozen: config.frozen, cleanup, reward, ...(queue && { queue }),
    });
    app.addHook('onClose', async () => {
      for (const close of closers) await close();
      await runner.close();
      await store.close();
    });
  },
  { name: 'scoring', dependencies: ['metrics'] },
);
