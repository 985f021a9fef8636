/**
 * Code sandbox speed: test-case executions per second for a small Python program (all cores), and the
 * cost of a sandboxed run against a bare `python3` run of the same program, measured in this run: a
 * new sandbox per run, and a run in a warm pooled session (a fork per run inside a sandbox that is
 * already running, reset after each run: how code_tests runs the Python programs of a batch).
 *
 * Run: node bench/sandbox.ts
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { makeWorkDir, removeWorkDir } from '../src/sandbox/process-sandbox.ts';
import { PreparedProgram } from '../src/sandbox/program.ts';
import { PythonPool } from '../src/sandbox/python-session.ts';
import { cpuPressure } from './machine.ts';

const PROGRAM = 'a, b = map(int, input().split())\nprint(a + b)\n';
const RUNS = 60;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function bare(path: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-B', path], { stdio: ['pipe', 'pipe', 'ignore'] });
    child.stdout.resume();
    child.stdin.end('1 2\n');
    child.on('error', reject);
    child.on('close', () => resolve(performance.now() - started));
  });
}

console.log(`cpu pressure before: ${cpuPressure()}`);
const program = await PreparedProgram.prepare('python', PROGRAM, 10_000);
const dir = await makeWorkDir({ 'main.py': PROGRAM });
try {
  // As code_tests runs programs: a CPU-time limit, read as the program runs.
  const options = { stdin: '1 2\n', timeLimitMs: 10_000, clock: 'cpu' as const, memoryMb: 1024 };
  const sandboxed = async () => {
    const started = performance.now();
    const { result } = await program.run(options);
    if (result.stdout.trim() !== '3') throw new Error(`unexpected output ${result.stdout}`);
    return performance.now() - started;
  };
  for (let i = 0; i < 5; i++) {
    await sandboxed();
    await bare(join(dir, 'main.py'));
  }
  // Alternate the two so that drift in the machine's speed hits both alike.
  const times = { bare: [] as number[], sandboxed: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    times.bare.push(await bare(join(dir, 'main.py')));
    times.sandboxed.push(await sandboxed());
  }
  const [b, s] = [median(times.bare), median(times.sandboxed)];
  console.log(`start-up, median of ${RUNS}: bare python3 ${b.toFixed(1)} ms, sandbox per run ${s.toFixed(1)} ms, ratio ${(s / b).toFixed(2)}`);

  // How code_tests runs Python programs: warm pooled sessions, a fork per run inside one sandbox.
  const one = new PythonPool(1, 1024);
  const inSession = async () => {
    const started = performance.now();
    const result = await one.run({ 'main.py': PROGRAM }, '1 2\n', { ms: 10_000, clock: 'cpu' });
    if (result.stdout.trim() !== '3') throw new Error(`unexpected output ${result.stdout}`);
    return performance.now() - started;
  };
  for (let i = 0; i < 5; i++) await inSession();
  const sessionTimes: number[] = [];
  const bareAgain: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    bareAgain.push(await bare(join(dir, 'main.py')));
    sessionTimes.push(await inSession());
  }
  const [b2, w] = [median(bareAgain), median(sessionTimes)];
  console.log(`per case in a warm session, median of ${RUNS}: bare python3 ${b2.toFixed(1)} ms, sandboxed ${w.toFixed(1)} ms, ratio ${(w / b2).toFixed(2)}`);
  one.close();

  const parallel = availableParallelism();
  const total = 200;
  const rate = async (runOne: (worker: number) => Promise<number>) => {
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: parallel }, async (_, worker) => {
        while (next++ < total) await runOne(worker);
      }),
    );
    return total / ((performance.now() - started) / 1000);
  };
  const perRun = await rate(() => sandboxed());
  const pool = new PythonPool(parallel, 1024);
  const warm = await rate(async () => {
    const started = performance.now();
    await pool.run({ 'main.py': PROGRAM }, '1 2\n', { ms: 10_000, clock: 'cpu' });
    return performance.now() - started;
  });
  pool.close();
  console.log(`test-case executions (${total} runs, ${parallel} at a time): ${perRun.toFixed(1)}/s with a sandbox per run, ${warm.toFixed(1)}/s in warm sessions`);
} finally {
  await program.dispose();
  await removeWorkDir(dir);
}
