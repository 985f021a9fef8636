import fp from 'fastify-plugin';
import type { Config } from '../../../config.ts';
import { ThreadPoolRunner } from '../../../execution/embedded/thread-pool-runner.ts';
import { ScoringPipeline } from '../../../pipeline/pipeline.ts';
import { ToolsetResolver } from '../../../pipeline/toolset-resolver.ts';
import { HeuristicPlanner } from '../../../planning/heuristic.ts';
import { MemoryToolsetStore } from '../../../store/memory.ts';
import type { ToolsetStore } from '../../../store/toolset-store.ts';
import { builtinRegistry } from '../../../tools/builtin.ts';
import type { ToolRegistry } from '../../../tools/registry.ts';

/** The domain services the routes use. */
export interface Scoring {
  mode: 'embedded';
  registry: ToolRegistry;
  store: ToolsetStore;
  pipeline: ScoringPipeline;
}

declare module 'fastify' {
  interface FastifyInstance {
    scoring: Scoring;
  }
}

/** Wires the pipeline for embedded mode: memory store, heuristic planner, worker-thread runner. */
export default fp(
  async (app, { config }: { config: Config }) => {
    const registry = builtinRegistry();
    const store = new MemoryToolsetStore();
    const resolver = new ToolsetResolver(store, new HeuristicPlanner(registry), (hit) => app.metrics.toolsetLookup(hit));
    const runner = new ThreadPoolRunner({ threads: config.threads, maxHeapMb: config.threadHeapMb });
    const pipeline = new ScoringPipeline(
      resolver,
      runner,
      {
        maxTextChars: config.maxTextChars,
        taskTimeoutMs: config.taskTimeoutMs,
        requestTimeoutMs: config.requestTimeoutMs,
      },
      app.metrics,
    );
    app.decorate('scoring', { mode: 'embedded', registry, store, pipeline });
    app.addHook('onClose', async () => {
      await runner.close();
      await store.close();
    });
  },
  { name: 'scoring', dependencies: ['metrics'] },
);
