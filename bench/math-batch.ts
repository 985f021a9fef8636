/**
 * Service overhead on a cheap tool: 4096 MATH-500 answers (math_answer) in one `POST /reward` to the
 * built service (embedded mode, as `rlar serve` runs it) against the same tool function called
 * in-process on the same items. Both are measured in this run, round after round.
 *
 * The comparison is per CPU-second, so it holds on a shared machine and for any thread count: the
 * service's CPU time (main thread and its worker threads, from /proc/PID/stat) against the CPU time of
 * the in-process loop (one thread, process.cpuUsage). A service on N threads that keeps them busy
 * reaches N times the in-process single-thread rate when the ratio is 1. The wall-clock rates are
 * printed too, the in-process one scaled to the service's thread count.
 *
 * A second baseline runs the same loop on as many threads as the service (each holding its share of
 * the items): the goal is stated against "the in-process rate on the same number of threads",
 * and two threads of one process cost more CPU per item than one (their garbage collections compete).
 *
 * Run: npm run build && node bench/math-batch.ts          (RLAR_THREADS=N: the service's threads)
 *      BENCH_COMPACT=1 ...                                  (ask for rewards only: options.compact)
 *      BENCH_WARMUP=N ...                                   (warm-up rounds, default 20)
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { applyToolset, type Toolset, type ToolTimings } from '../src/tools/toolset.ts';
import { builtinRegistry } from '../src/tools/builtin.ts';
import type { ScoringItem } from '../src/tools/types.ts';
import { startService } from '../test/helpers/service.ts';
import { cpuByThread, cpuPressure, cpuSeconds } from './machine.ts';

const BATCH = 4096;
/** Rounds before the measured ones: V8 goes on re-optimizing the request path for ~20 rounds (see BENCHMARKS.md). */
const WARM_UP_ROUNDS = Number(process.env.BENCH_WARMUP ?? 20);
const ROUNDS = 10;
const COMPACT = process.env.BENCH_COMPACT === '1';

interface MathRow {
  problem: string;
  solution: string;
  answer: string;
}

function loadItems(): ScoringItem[] {
  const rows: MathRow[] = readFileSync(new URL('./data/math500.jsonl', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  // Reference solutions as responses (boxed LaTeX answers); every third one with a wrong final answer.
  return Array.from({ length: BATCH }, (_, i) => {
    const row = rows[i % rows.length]!;
    const response = i % 3 === 2 ? row.solution.replace(/\\boxed\{/g, '\\boxed{9') : row.solution;
    return { prompt: row.problem, response, reference: row.answer, task: 'lighteval/MATH' };
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Rates {
  /** Items per wall-clock second. */
  wall: number;
  /** CPU-seconds the round took (the service's are counted in 10 ms ticks: summed over rounds, not a median). */
  cpuSeconds: number;
}

const toolset: Toolset = {
  signature: 'bench',
  version: 1,
  planner: 'bench',
  tools: [{ tool: 'math_answer', weight: 1 }],
  fallback: 0,
  rationale: [],
  createdAt: '',
};

/** The tool over the items in-process; with `body`, the items are first parsed from the request's JSON text, as the service must. */
async function inProcessRound(items: ScoringItem[], body?: string): Promise<Rates> {
  const registry = builtinRegistry();
  const timings: ToolTimings = {};
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const scored = body === undefined ? items : (JSON.parse(body) as { items: ScoringItem[] }).items;
  for (const item of scored) await applyToolset(registry, toolset, item, timings);
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { wall: items.length / wall, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** The in-process loop on `threads` worker threads, each scoring its share of the items (already in its heap). */
function startThreads(items: ScoringItem[], threads: number): { round(): Promise<Rates>; close(): Promise<void> } {
  const share = Math.ceil(items.length / threads);
  const workers = Array.from(
    { length: threads },
    (_, t) => new Worker(new URL('./math-batch-thread.ts', import.meta.url), { workerData: { items: items.slice(t * share, (t + 1) * share), toolset } }),
  );
  const ask = (worker: Worker) =>
    new Promise<void>((resolve, reject) => {
      // Each round's listeners go with it (they piled up, one pair per round, past Node's warning).
      const done = () => {
        worker.off('error', fail);
        resolve();
      };
      const fail = (error: Error) => {
        worker.off('message', done);
        reject(error);
      };
      worker.once('message', done).once('error', fail);
      worker.postMessage('score');
    });
  return {
    async round() {
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      await Promise.all(workers.map(ask));
      const wall = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      return { wall: items.length / wall, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

async function httpRound(url: string, pid: number, body: string, count: number): Promise<Rates> {
  const cpuBefore = cpuSeconds(pid);
  const started = performance.now();
  const response = await fetch(`${url}/reward`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const json = (await response.json()) as { rewards: number[] };
  const wall = (performance.now() - started) / 1000;
  if (json.rewards.length !== count) throw new Error(`expected ${count} rewards, got status ${response.status}`);
  return { wall: count / wall, cpuSeconds: cpuSeconds(pid) - cpuBefore };
}

const items = loadItems();
const threads = Number(process.env.RLAR_THREADS ?? availableParallelism());
const body = JSON.stringify({ items, ...(COMPACT && { options: { compact: true } }) });
const service = await startService({ RLAR_LOG_LEVEL: 'warn', RLAR_DATA_DIR: ':memory:', RLAR_THREADS: String(threads) });
const pool = startThreads(items, threads);
const local: Rates[] = [];
const localParsed: Rates[] = [];
const localThreads: Rates[] = [];
const http: Rates[] = [];
let perRequest: string[] = [];
try {
  // Warm-up, both sides: compiled code and heap sizes as in a service that has run for a while.
  for (let round = 0; round < WARM_UP_ROUNDS; round++) {
    await inProcessRound(items);
    await inProcessRound(items, body);
    await pool.round();
    await httpRound(service.url, service.pid, body, items.length);
  }
  const threadsBefore = cpuByThread(service.pid);
  // Alternating rounds: both sides see the same machine load.
  for (let round = 0; round < ROUNDS; round++) {
    local.push(await inProcessRound(items));
    localParsed.push(await inProcessRound(items, body));
    localThreads.push(await pool.round());
    http.push(await httpRound(service.url, service.pid, body, items.length));
  }
  const threadsAfter = cpuByThread(service.pid);
  perRequest = [...threadsAfter].map(([kind, seconds]) => `${kind} ${(((seconds - (threadsBefore.get(kind) ?? 0)) * 1000) / ROUNDS).toFixed(0)} ms`);
} finally {
  await service.stop();
  await pool.close();
}
const pressure = cpuPressure();
const perCpuSecond = (rounds: Rates[]) => (rounds.length * items.length) / rounds.reduce((sum, r) => sum + r.cpuSeconds, 0);
const localCpu = perCpuSecond(local);
const httpCpu = perCpuSecond(http);
const localWall = median(local.map((r) => r.wall));
const httpWall = median(http.map((r) => r.wall));
console.log(`${BATCH} MATH-500 solutions (math_answer) per batch${COMPACT ? ', compact results' : ''}; ${WARM_UP_ROUNDS} warm-up and ${ROUNDS} measured rounds (wall: medians; CPU: totals)`);
console.log(`cpu pressure: ${pressure}`);
console.log(`service CPU per request: ${perRequest.join(', ')}; in-process per batch ${((1000 * local.reduce((sum, r) => sum + r.cpuSeconds, 0)) / ROUNDS).toFixed(0)} ms`);
console.log(`per CPU-second   in-process ${localCpu.toFixed(0)} items/s   POST /reward ${httpCpu.toFixed(0)} items/s   ratio ${(httpCpu / localCpu).toFixed(2)}`);
const parsedCpu = perCpuSecond(localParsed);
console.log(`per CPU-second   in-process from the JSON body ${parsedCpu.toFixed(0)} items/s (ratio ${(parsedCpu / localCpu).toFixed(2)}: what any design that parses the body can reach)   POST /reward against it ${(httpCpu / parsedCpu).toFixed(2)}`);
const threadsCpu = perCpuSecond(localThreads);
console.log(
  `per CPU-second   in-process on ${threads} threads ${threadsCpu.toFixed(0)} items/s (ratio ${(threadsCpu / localCpu).toFixed(2)} of one thread)   POST /reward against it ${(httpCpu / threadsCpu).toFixed(2)} (the issue's goal: 0.8)`,
);
console.log(
  `wall clock       in-process x ${threads} threads ${(localWall * threads).toFixed(0)} items/s   POST /reward (${threads} threads) ${httpWall.toFixed(0)} items/s   ratio ${(httpWall / (localWall * threads)).toFixed(2)}`,
);
