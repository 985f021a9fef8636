/**
 * Code sandbox speed: test-case executions per second for a small Python program (all cores, the way
 * code_tests runs cases), and the start-up cost of a sandboxed run against a bare `python3` run of the
 * same program, both measured in this run.
 *
 * Run: node bench/sandbox.ts
 */
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { makeWorkDir, removeWorkDir } from '../src/sandbox/process-sandbox.ts';
import { PreparedProgram } from '../src/sandbox/program.ts';

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

const program = await PreparedProgram.prepare('python', PROGRAM, 10_000);
const dir = await makeWorkDir({ 'main.py': PROGRAM });
try {
  const options = { stdin: '1 2\n', timeLimitMs: 10_000, memoryMb: 1024 };
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
  console.log(`start-up, median of ${RUNS}: bare python3 ${b.toFixed(1)} ms, sandboxed ${s.toFixed(1)} ms, ratio ${(s / b).toFixed(2)}`);

  const parallel = availableParallelism();
  const total = 200;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next++ < total) await sandboxed();
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  console.log(`test-case executions: ${(total / seconds).toFixed(1)} per second (${total} runs, ${parallel} at a time)`);
} finally {
  await program.dispose();
  await removeWorkDir(dir);
}
