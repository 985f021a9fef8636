/**
 * math_answer speed: per-item verification time on MATH-500 solutions (boxed LaTeX answers) and on
 * GSM8K-style answers (and on Math-Verify's own cases and our graded MATH forms, which reach the CAS
 * more often), single core in-process, split into the fast path (decided without the CAS:
 * strings, exact rationals, structure) and the CAS path; and samples per second through `POST /reward` (the built
 * service, embedded mode) against the single-core rate measured in the same run.
 *
 * Run: npm run build && node bench/math-verify.ts
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { mathAnswer } from '../src/tools/verifiers/math/index.ts';
import type { ScoringItem } from '../src/tools/types.ts';
import { readFileSync } from 'node:fs';
import { gradedGsm8k, gradedMath, loadMath500 } from '../test/helpers/graded-math.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

interface Timed {
  micros: number;
  fast: boolean;
}

function timeItems(items: ScoringItem[]): Timed[] {
  for (const item of items.slice(0, 200)) mathAnswer.score(item, {}); // warm-up (JIT, CAS start)
  return items.map((item) => {
    const started = performance.now();
    const outcome = mathAnswer.score(item, {}) as { detail?: { cas?: boolean } };
    const micros = (performance.now() - started) * 1000;
    return { micros, fast: outcome.detail?.cas !== true };
  });
}

function summarize(name: string, timed: Timed[]): number {
  const line = (label: string, subset: Timed[]) => {
    const sorted = subset.map((t) => t.micros).sort((a, b) => a - b);
    console.log(
      `${name.padEnd(10)} ${label.padEnd(10)} n=${String(subset.length).padEnd(5)} median ${percentile(sorted, 0.5).toFixed(1).padStart(7)} us` +
        `   p90 ${percentile(sorted, 0.9).toFixed(1).padStart(7)} us`,
    );
  };
  line('all', timed);
  line('fast path', timed.filter((t) => t.fast));
  line('CAS', timed.filter((t) => !t.fast));
  const total = timed.reduce((sum, t) => sum + t.micros, 0);
  return timed.length / (total / 1e6);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function throughHttp(sets: [string, ScoringItem[]][]): Promise<Record<string, number>> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/cli.js', 'serve'], {
    cwd: ROOT,
    env: { RLAR_DATA_DIR: ':memory:', ...process.env, PORT: String(port), RLAR_LOG_LEVEL: 'warn' },
    stdio: 'inherit',
  });
  const url = `http://127.0.0.1:${port}/reward`;
  try {
    for (let tries = 0; ; tries++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
      } catch {
        if (tries > 200) throw new Error('service did not start');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const rates: Record<string, number> = {};
    for (const [name, items] of sets) {
      const body = JSON.stringify({ items });
      const samples: number[] = [];
      for (let round = 0; round < 4; round++) {
        const started = performance.now();
        const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const json = (await response.json()) as { rewards: number[] };
        if (json.rewards.length !== items.length) throw new Error('reward count mismatch');
        if (round > 0) samples.push(items.length / ((performance.now() - started) / 1000));
      }
      rates[name] = samples.sort((a, b) => a - b)[1]!;
    }
    return rates;
  } finally {
    child.kill('SIGTERM');
  }
}

const math: ScoringItem[] = loadMath500().map((row) => ({
  prompt: row.problem,
  response: row.solution,
  reference: row.answer,
  task: 'lighteval/MATH',
}));
const gsm8k: ScoringItem[] = gradedGsm8k().map((g) => ({ prompt: g.problem, response: g.response, reference: g.reference, task: 'openai/gsm8k' }));

const forms: ScoringItem[] = gradedMath().map((g) => ({ prompt: g.problem, response: g.response, reference: g.reference }));
const cases: { gold: string; pred: string }[] = JSON.parse(
  readFileSync(new URL('../test/fixtures/math_equivalence_cases.json', import.meta.url), 'utf8'),
);
// Math-Verify's own cases: relations, sets, matrices, symbolic forms; the most CAS-heavy set we have.
summarize('MV cases', timeItems(cases.map((c) => ({ prompt: '', response: c.pred, reference: c.gold }))));
summarize('MATH forms', timeItems(forms));
const singleCore = {
  'MATH-500': summarize('MATH-500', timeItems(math)),
  'GSM8K': summarize('GSM8K', timeItems(gsm8k)),
};
const http = await throughHttp([
  ['MATH-500', math],
  ['GSM8K', gsm8k],
]);
for (const name of Object.keys(singleCore) as (keyof typeof singleCore)[]) {
  console.log(
    `${name.padEnd(10)} single core ${singleCore[name].toFixed(0).padStart(6)} samples/s   POST /reward ${http[name]!.toFixed(0).padStart(6)} samples/s   ratio ${(http[name]! / singleCore[name]).toFixed(2)}`,
  );
}
