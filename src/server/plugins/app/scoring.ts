import type { Queue } from 'bullmq';
import fp from 'fastify-plugin';
import type { Config } from '../../../config.ts';
import { ThreadPoolRunner } from '../../../execution/embedded/thread-pool-runner.ts';
import { QueueRunner } from '../../../execution/queue/queue-runner.ts';
import { QueueWorker } from '../../../execution/queue/queue-worker.ts';
import type { Runner } from '../../../execution/runner.ts';
import { ScoringPipeline } from '../../../pipeline/pipeline.ts';
import { DriftMonitor } from '../../../pipeline/drift-monitor.ts';
import { ToolsetResolver } from '../../../pipeline/toolset-resolver.ts';
import { AgentPlanner, FallbackPlanner } from '../../../planning/agent/agent-planner.ts';
import { LlmClient } from '../../../tools/models/llm.ts';
import { HeuristicPlanner } from '../../../planning/heuristic.ts';
import { MemoryToolsetStore } from '../../../store/memory.ts';
import { RedisToolsetStore } from '../../../store/redis.ts';
import { redisClient } from '../../../store/redis-connection.ts';
import type { ToolsetStore } from '../../../store/toolset-store.ts';
import { builtinRegistry } from '../../../tools/builtin.ts';
import { configureTools } from '../../../tools/settings.ts';
import type { ToolRegistry } from '../../../tools/registry.ts';
import type { Toolset } from '../../../tools/toolset.ts';

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

/**
 * Wires one pipeline for both modes. Embedded: memory store, worker-thread runner. Distributed
 * (REDIS_URL): Redis store, queue runner, and optionally queue workers in this process.
 */
export default fp(
  async (app, { config, inProcessWorkers }: ScoringOptions) => {
    configureTools(config.tools);
    const registry = builtinRegistry();
    const closers: (() => Promise<void>)[] = [];
    let store: ToolsetStore;
    let runner: Runner;
    let unavailable: () => Promise<string | undefined> = async () => undefined;
    let queue: Queue | undefined;
    if (config.redisUrl === undefined) {
      store = new MemoryToolsetStore();
      runner = new ThreadPoolRunner({ threads: config.threads, maxHeapMb: config.threadHeapMb, tools: config.tools });
    } else {
      store = new RedisToolsetStore(redisClient(config.redisUrl, 'request'));
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
    const planner = config.planner
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
      observer: app.metrics,
      ...((config.driftWindow > 0 || config.fallbackRetryMs > 0) && { monitor }),
    });
    const replan = (signature: string, reason: string) => resolver.replan(signature, monitor.samples(signature), reason);
    const mode = config.redisUrl === undefined ? 'embedded' : 'distributed';
    app.decorate('scoring', { mode, registry, store, pipeline, unavailable, replan, ...(queue && { queue }) });
    app.addHook('onClose', async () => {
      for (const close of closers) await close();
      await runner.close();
      await store.close();
    });
  },
  { name: 'scoring', dependencies: ['metrics'] },
);
