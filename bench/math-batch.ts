/**
 * Service overhead: rewards per second for a 4096-item math batch through `POST /reward` (the built
 * service, embedded mode, as `rlar serve` runs it) versus the same tool function called in-process,
 * single-threaded, on the same items. Both are measured in this run; the ratio is what to compare.
 *
 * Run: npm run bench   (builds first; needs Node 22.18+ to run this TypeScript file directly)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { applyToolset, type Toolset, type ToolTimings } from '../src/tools/toolset.ts';
import { builtinRegistry } from '../src/tools/builtin.ts';
import type { ScoringItem } from '../src/tools/types.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BATCH = 4096;
const ROUNDS = 5;

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

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function inProcess(items: ScoringItem[]): Promise<number> {
  const registry = builtinRegistry();
  const toolset: Toolset = {
    signature: 'bench',
    version: 1,
    planner: 'bench',
    tools: [{ tool: 'math_answer', weight: 1 }],
    fallback: 0,
    rationale: [],
    createdAt: '',
  };
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    const timings: ToolTimings = {};
    const started = performance.now();
    for (const item of items) await applyToolset(registry, toolset, item, timings);
    if (round > 0) rates.push(items.length / ((performance.now() - started) / 1000)); // round 0 warms up
  }
  return median(rates);
}

async function throughHttp(items: ScoringItem[]): Promise<{ rate: number; threads: string }> {
  const port = await freePort();
  const threads = process.env.RLAR_THREADS ?? '';
  const child = spawn(process.execPath, ['dist/cli.js', 'serve'], {
    cwd: ROOT,
    env: { RLAR_DATA_DIR: ':memory:', ...process.env, PORT: String(port), RLAR_LOG_LEVEL: 'warn' },
    stdio: 'inherit',
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let tries = 0; ; tries++) {
      try {
        if ((await fetch(`${url}/healthz`)).ok) break;
      } catch {
        if (tries > 200) throw new Error('service did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const body = JSON.stringify({ items });
    const rates: number[] = [];
    for (let round = 0; round < ROUNDS + 1; round++) {
      const started = performance.now();
      const response = await fetch(`${url}/reward`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const json = (await response.json()) as { rewards: number[] };
      if (json.rewards.length !== items.length) throw new Error(`expected ${items.length} rewards`);
      if (round > 0) rates.push(items.length / ((performance.now() - started) / 1000));
    }
    return { rate: median(rates), threads: threads || 'all cores' };
  } finally {
    child.kill('SIGTERM');
  }
}

const items = loadItems();
const baseline = await inProcess(items);
const http = await throughHttp(items);
console.log(`items per batch            ${BATCH} (MATH-500 solutions, math_answer), median of ${ROUNDS} rounds`);
console.log(`in-process, one thread     ${baseline.toFixed(0)} items/s`);
console.log(`POST /reward (${http.threads})  ${http.rate.toFixed(0)} items/s`);
console.log(`ratio HTTP / in-process    ${(http.rate / baseline).toFixed(2)}`);
