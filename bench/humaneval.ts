/**
 * HumanEval through `POST /reward` against bare `python3`, both measured in this run: 164 programs
 * (Qwen2.5-Coder-7B's completions from test/fixtures/humaneval-judged, one per problem), each scored
 * by `code_tests` in one request to the built service (2 worker threads), and each run as the official
 * evaluator runs it (prompt + completion + test + `check(entry_point)`) by `python3` directly, two at a
 * time. Rounds alternate between the two, so drift in the machine's speed hits both alike.
 *
 * Reported per round: wall time and the machine's CPU time (/proc/stat: a sandbox's processes are
 * killed, not waited for, so no per-process counter sees all of them; other work on the machine counts
 * too, so read it with the CPU pressure), and the ratios bare / service (above 1: the service is
 * faster; goal >= 1.5 in wall time).
 *
 * Run: npm run build && node bench/humaneval.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadHumanEvalJudged } from '../test/helpers/graded-code.ts';
import { postJson, startService } from '../test/helpers/service.ts';
import { cpuPressure } from './machine.ts';

const ROUNDS = 5;
const MODEL = 'qwen2.5-coder_7b';

const rows = loadHumanEvalJudged().filter((row) => row.model === MODEL);
const items = rows.map((row) => row.item);
const TICK_MS = 10; // USER_HZ = 100 on Linux

/** Busy CPU milliseconds of the whole machine so far, from /proc/stat (all but idle and iowait). */
function machineCpuMs(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) * TICK_MS;
}

/** The program HumanEval's evaluator runs for a completion. */
function evaluatorProgram(item: (typeof items)[number]): string {
  const reference = item.reference as { test: string; entry_point: string };
  return `${item.prompt}${item.response}\n\n${reference.test}\n\ncheck(${reference.entry_point})\n`;
}

const dir = mkdtempSync(join(tmpdir(), 'rlar-bench-humaneval-'));
const files = items.map((item, i) => {
  const file = join(dir, `p${i}.py`);
  writeFileSync(file, evaluatorProgram(item));
  return file;
});

function runBare(file: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/python3', ['-B', file], { stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/** All programs, two python3 processes at a time; returns wall ms, CPU ms and passes. */
async function bareRound(): Promise<{ wall: number; cpu: number; passed: number }> {
  const cpuBefore = machineCpuMs();
  const started = performance.now();
  let next = 0;
  let passed = 0;
  await Promise.all(
    [0, 1].map(async () => {
      for (let i = next++; i < files.length; i = next++) if (await runBare(files[i]!)) passed++;
    }),
  );
  return { wall: performance.now() - started, cpu: machineCpuMs() - cpuBefore, passed };
}

const service = await startService({ RLAR_THREADS: '2' });
try {
  const toolset = { tools: [{ tool: 'code_tests', weight: 1 }] };
  const serviceRound = async () => {
    const cpuBefore = machineCpuMs();
    const started = performance.now();
    const { status, json } = await postJson(`${service.url}/reward`, { items, options: { toolset, timeout_ms: 600_000 } });
    if (status !== 200) throw new Error(`status ${status}: ${JSON.stringify(json).slice(0, 300)}`);
    return { wall: performance.now() - started, cpu: machineCpuMs() - cpuBefore, passed: (json.rewards as number[]).filter((r) => r === 1).length };
  };
  console.log(`cpu pressure before: ${cpuPressure()}`);
  await serviceRound();
  await bareRound();
  const expected = rows.filter((row) => row.passed).length;
  console.log(`${items.length} programs of ${MODEL} (${expected} judged to pass); 2 service threads against 2 python3 processes at a time`);
  console.log('round | bare wall / CPU ms | service wall / CPU ms | passed bare / service | ratio bare/service wall / CPU');
  const ratios: { wall: number; cpu: number }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const bare = await bareRound();
    const scored = await serviceRound();
    ratios.push({ wall: bare.wall / scored.wall, cpu: bare.cpu / scored.cpu });
    console.log(
      `${round} | ${bare.wall.toFixed(0)} / ${bare.cpu} | ${scored.wall.toFixed(0)} / ${scored.cpu} | ${bare.passed} / ${scored.passed} | ` +
        `${ratios.at(-1)!.wall.toFixed(2)} / ${ratios.at(-1)!.cpu.toFixed(2)}`,
    );
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(`median ratio bare/service: wall ${median(ratios.map((r) => r.wall)).toFixed(2)}, CPU ${median(ratios.map((r) => r.cpu)).toFixed(2)} (goal >= 1.5)`);
  console.log(`cpu pressure after: ${cpuPressure()}`);
} finally {
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
}
