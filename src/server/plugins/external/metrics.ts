import fp from 'fastify-plugin';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PipelineObserver } from '../../../pipeline/pipeline.ts';
import type { ToolTimings } from '../../../tools/toolset.ts';
import type { LlmUsage } from '../../../tools/models/llm.ts';

/** Prometheus metrics (prom-client), one registry per app so several apps can share a process. */
export interface ServiceMetrics extends PipelineObserver {
  readonly registry: Registry;
  toolsetLookup(hit: boolean): void;
  httpRequest(method: string, route: string, status: number): void;
  llmUsage(usage: LlmUsage): void;
  formatOnly(signature: string, count: number): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics;
  }
}

function createMetrics(): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'rlar_' });
  const requests = new Counter({
    name: 'rlar_http_requests_total',
    help: 'HTTP requests by route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const items = new Counter({ name: 'rlar_items_scored_total', help: 'Items scored', registers: [registry] });
  const itemErrors = new Counter({
    name: 'rlar_item_errors_total',
    help: 'Items that got their fallback reward because of an error',
    registers: [registry],
  });
  const toolDuration = new Histogram({
    name: 'rlar_tool_duration_seconds',
    help: 'Time of one tool call on one item',
    labelNames: ['tool'] as const,
    buckets: [1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
    registers: [registry],
  });
  const tasks = new Counter({
    name: 'rlar_score_tasks_total',
    help: 'Score tasks sent to the runner (worker threads or queue); concurrent requests of one toolset share tasks',
    registers: [registry],
  });
  const taskItems = new Counter({ name: 'rlar_score_task_items_total', help: 'Items carried by score tasks', registers: [registry] });
  const lookups = new Counter({
    name: 'rlar_toolset_lookups_total',
    help: 'Toolset lookups by result: hit (stored) or miss (planned)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'rlar_llm_tokens_total',
    help: 'Tokens the planner LLM read (prompt) and wrote (completion)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const formatOnly = new Counter({
    name: 'rlar_format_only_items_total',
    help: 'Items scored on format only (no reference, reward model or judge), by task signature',
    labelNames: ['signature'] as const,
    registers: [registry],
  });
  const llmCalls = new Counter({ name: 'rlar_llm_calls_total', help: 'Chat completions the planner made', registers: [registry] });
  // Labelled series looked up once: prom-client hashes the label values on every labels() call, and
  // these run per request (a 1-item request costs little else).
  const lookupHit = lookups.labels('hit');
  const lookupMiss = lookups.labels('miss');
  const requestSeries = new Map<string, Counter.Internal>();
  const toolSeries = new Map<string, Histogram.Internal<'tool'>>();
  return {
    registry,
    llmUsage(usage: LlmUsage) {
      llmCalls.inc();
      tokens.labels('prompt').inc(usage.promptTokens);
      tokens.labels('completion').inc(usage.completionTokens);
    },
    itemsScored(count: number, failed: number) {
      items.inc(count);
      itemErrors.inc(failed);
    },
    toolTimings(timings: ToolTimings) {
      for (const [tool, durations] of Object.entries(timings)) {
        let histogram = toolSeries.get(tool);
        if (histogram === undefined) toolSeries.set(tool, (histogram = toolDuration.labels(tool)));
        for (const ms of durations) histogram.observe(ms / 1000);
      }
    },
    formatOnly(signature: string, count: number) {
      formatOnly.labels(signature).inc(count);
    },
    taskStarted(count: number) {
      tasks.inc();
      taskItems.inc(count);
    },
    toolsetLookup(hit: boolean) {
      (hit ? lookupHit : lookupMiss).inc();
    },
    httpRequest(method: string, route: string, status: number) {
      const key = `${method} ${route} ${status}`;
      let series = requestSeries.get(key);
      if (series === undefined) requestSeries.set(key, (series = requests.labels(method, route, String(status))));
      series.inc();
    },
  };
}

export default fp(
  async (app) => {
    const metrics = createMetrics();
    app.decorate('metrics', metrics);
    // A callback hook, not an async one: no promise per request.
    app.addHook('onResponse', (request, reply, done) => {
      metrics.httpRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode);
      done();
    });
  },
  { name: 'metrics' },
);
