/**
 * Single-sample requests, as OpenRLHF (since 0.9.1) and slime send them: 256 concurrent 1-item
 * requests in the OpenRLHF and slime dialects against the same 256 items in one native request, to
 * the built service (embedded mode, 2 worker threads). Both are measured in this run, round after
 * round; the ratios are what to compare. CPU time of the service process per item comes from
 * /proc/PID/stat, so it does not count the client's own work; the client's CPU per item (this process)
 * is printed beside it, since on a small machine both share the cores and the client's share bounds the
 * wall-clock throughput. The client is kept as cheap as a trainer's (which runs on other machines):
 * node:http over a keep-alive pool of up to 256 connections (like aiohttp's in OpenRLHF and slime),
 * bodies serialized once, answers read for their status only.
 *
 * Also: p99 latency of the concurrent requests against a lone 1-item request.
 *
 * Run: npm run build && node bench/single-sample.ts   (BENCH_ROUNDS=N: measured rounds, default 7; BENCH_WARMUP=N: 60)
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { startService } from '../test/helpers/service.ts';
import { cpuByThread, cpuPressure, cpuSeconds } from './machine.ts';

const ITEMS = 256;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
/**
 * Rounds of every kind before the measured ones. V8 goes on re-optimizing the request path for tens of
 * rounds (concurrent compiles on its helper threads: 30-50 µs per one-sample request in the first
 * rounds, ~10 after 60); a service in a training job has long passed that point.
 */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 60);

interface MathRow {
  problem: string;
  answer: string;
}

const rows: MathRow[] = readFileSync(new URL('./data/math500.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line));
const items = rows.slice(0, ITEMS).map((row, i) => ({
  prompt: row.problem,
  response: `Working it out, the final answer is $\\boxed{${i % 4 === 0 ? '0' : row.answer}}$.`,
  reference: row.answer,
}));

/** CPU figures are means: one round's CPU is counted in 10 ms ticks, too coarse for a median. */
const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.ceil(p * values.length) - 1]!;

const agent = new Agent({ keepAlive: true, maxSockets: ITEMS });

/** One POST /reward; resolves with its latency in ms once the whole answer has arrived. */
function post(url: string, body: Buffer): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${url}/reward`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (response) => {
        if (response.statusCode !== 200) {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.on('end', () => reject(new Error(`status ${response.statusCode}: ${text}`)));
          return;
        }
        response.on('end', () => resolve(performance.now() - started)).resume();
      },
    );
    outgoing.on('error', reject).end(body);
  });
}

const serialize = (value: unknown) => Buffer.from(JSON.stringify(value));
const bodies = {
  batch: [serialize({ items })],
  openrlhf: items.map((it) => serialize({ query: [`${it.prompt}${it.response}`], prompts: [it.prompt], labels: [it.reference] })),
  slime: items.map((it) => serialize({ prompt: it.prompt, response: it.response, label: it.reference })),
};

const service = await startService({ RLAR_DATA_DIR: ':memory:' });
const pid = service.pid;
try {
  // Plans the signature, then warms every path (see WARMUP).
  for (let round = 0; round < WARMUP; round++) {
    for (const list of Object.values(bodies)) await Promise.all(list.map((b) => post(service.url, b)));
  }
  const threadCpu: Record<string, Map<string, number>> = { batch: new Map(), openrlhf: new Map(), slime: new Map() };
  const rate: Record<string, number[]> = { batch: [], openrlhf: [], slime: [] };
  const cpu: Record<string, number[]> = { batch: [], openrlhf: [], slime: [] };
  const clientCpu: Record<string, number[]> = { batch: [], openrlhf: [], slime: [] };
  const latencies: Record<string, number[]> = { openrlhf: [], slime: [], lone: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, list] of Object.entries(bodies)) {
      const threadsBefore = cpuByThread(pid);
      const cpuBefore = cpuSeconds(pid);
      const clientBefore = process.cpuUsage();
      const started = performance.now();
      const times = await Promise.all(list.map((b) => post(service.url, b)));
      const wall = (performance.now() - started) / 1000;
      rate[name]!.push(ITEMS / wall);
      for (const [kind, seconds] of cpuByThread(pid)) {
        threadCpu[name]!.set(kind, (threadCpu[name]!.get(kind) ?? 0) + seconds - (threadsBefore.get(kind) ?? 0));
      }
      cpu[name]!.push(((cpuSeconds(pid) - cpuBefore) / ITEMS) * 1e6);
      const client = process.cpuUsage(clientBefore);
      clientCpu[name]!.push((client.user + client.system) / ITEMS);
      if (name !== 'batch') latencies[name]!.push(...times);
    }
    for (let i = 0; i < 16; i++) latencies.lone!.push(await post(service.url, bodies.slime[i]!));
  }
  const pressure = cpuPressure();
  console.log(`${ITEMS} MATH-500 answers (math_answer), ${WARMUP} warm-up and ${ROUNDS} measured rounds, medians (CPU: means); cpu pressure: ${pressure}`);
  console.log(`one ${ITEMS}-item native request     ${median(rate.batch!).toFixed(0).padStart(6)} items/s   service CPU ${mean(cpu.batch!).toFixed(0)} µs/item   client CPU ${mean(clientCpu.batch!).toFixed(0)} µs/item`);
  for (const name of ['openrlhf', 'slime'] as const) {
    console.log(
      `${ITEMS} concurrent 1-item ${name.padEnd(9)}  ${median(rate[name]!).toFixed(0).padStart(6)} items/s   service CPU ${mean(cpu[name]!).toFixed(0)} µs/item   client CPU ${mean(clientCpu[name]!).toFixed(0)} µs/item` +
        `   ratio ${(median(rate[name]!) / median(rate.batch!)).toFixed(2)} (throughput), ${(mean(cpu.batch!) / mean(cpu[name]!)).toFixed(2)} (per service CPU-second)` +
        `   p99 ${percentile(latencies[name]!, 0.99).toFixed(1)} ms`,
    );
  }
  const perItem = (seconds: number) => `${((seconds / ROUNDS / ITEMS) * 1e6).toFixed(0)} µs`;
  for (const [name, byKind] of Object.entries(threadCpu)) {
    console.log(`service CPU per item, ${name}: ${[...byKind].filter(([, s]) => s > 0).map(([kind, s]) => `${kind} ${perItem(s)}`).join(', ')}`);
  }
  console.log(`lone 1-item request                 p50 ${median(latencies.lone!).toFixed(1)} ms, p99 ${percentile(latencies.lone!, 0.99).toFixed(1)} ms`);
} finally {
  agent.destroy();
  await service.stop();
}
