/**
 * What an extra test case costs in `code_tests`, per format, against a bare `python3` start, all
 * measured in this run: the same tool code the worker threads run (`codeTests.scoreBatch`), in this
 * process, on one item with 1 case and on the same item with 21 cases, alternating; the extra case
 * costs (t21 - t1) / 20. Formats: stdin/stdout, function call (APPS/TACO `fn_name`), MBPP asserts (a
 * run per assert) and HumanEval (one `check`, so its asserts share one run). Python runs go to the
 * thread's warm sandboxes, as in the service. The issue's goal: an extra case at most 5 ms.
 *
 * Run: node bench/code-cases.ts
 */
import { spawn } from 'node:child_process';
import { codeTests } from '../src/tools/verifiers/code/index.ts';
import type { ScoringItem } from '../src/tools/types.ts';
import { cpuPressure } from './machine.ts';

const ROUNDS = 9;
const EXTRA = 20;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const pairs = (count: number) => Array.from({ length: count }, (_, i) => [i, 2 * i + 1] as const);

const formats: Record<string, { program: string; reference: (cases: number) => unknown }> = {
  'stdin/stdout': {
    program: 'a, b = map(int, input().split())\nprint(a + b)',
    reference: (n) => ({ inputs: pairs(n).map(([a, b]) => `${a} ${b}\n`), outputs: pairs(n).map(([a, b]) => `${a + b}\n`) }),
  },
  'function call': {
    program: 'def add(a, b):\n    return a + b',
    reference: (n) => ({ fn_name: 'add', inputs: pairs(n).map(([a, b]) => [a, b]), outputs: pairs(n).map(([a, b]) => a + b) }),
  },
  MBPP: {
    program: 'def add(a, b):\n    return a + b',
    reference: (n) => ({ test_list: pairs(n).map(([a, b]) => `assert add(${a}, ${b}) == ${a + b}`) }),
  },
  HumanEval: {
    program: 'def add(a, b):\n    return a + b',
    reference: (n) => ({ entry_point: 'add', test: `def check(candidate):\n${pairs(n).map(([a, b]) => `    assert candidate(${a}, ${b}) == ${a + b}\n`).join('')}` }),
  },
};

function item(program: string, reference: unknown): ScoringItem {
  return { prompt: 'Add two numbers.', response: `\`\`\`python\n${program}\n\`\`\``, reference: JSON.stringify(reference), task: 'bench' };
}

async function timed(scored: ScoringItem, cases: number): Promise<number> {
  const started = performance.now();
  const [outcome] = await codeTests.scoreBatch!([scored], {});
  if (outcome instanceof Error || outcome!.score !== 1) throw new Error(`expected all ${cases} cases to pass: ${JSON.stringify(outcome)}`);
  return performance.now() - started;
}

function barePython(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', ['-c', 'a, b = map(int, input().split())\nprint(a + b)'], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.end('1 2\n');
    child.on('error', reject);
    child.on('close', () => resolve(performance.now() - started));
  });
}

const bare: number[] = [];
for (let i = 0; i < 3; i++) await barePython();
for (let i = 0; i < 21; i++) bare.push(await barePython());
console.log(`cpu pressure: ${cpuPressure()}`);
console.log(`bare python3 start (median of 21): ${median(bare).toFixed(1)} ms`);
console.log('format | 1 case (median) | 21 cases (median) | per extra case | extra case / bare python3');
for (const [name, { program, reference }] of Object.entries(formats)) {
  const one = item(program, reference(1));
  const many = item(program, reference(1 + EXTRA));
  await timed(one, 1);
  await timed(many, 1 + EXTRA);
  const times = { one: [] as number[], many: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    times.one.push(await timed(one, 1));
    times.many.push(await timed(many, 1 + EXTRA));
  }
  const extra = (median(times.many) - median(times.one)) / EXTRA;
  console.log(`${name} | ${median(times.one).toFixed(1)} ms | ${median(times.many).toFixed(1)} ms | ${extra.toFixed(2)} ms | ${(extra / median(bare)).toFixed(2)}`);
}
