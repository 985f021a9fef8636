/**
 * Python reward functions: what the service adds per item over the same function in a plain python3
 * loop, both measured in this run. Two functions over 10,000 items: a trivial one and a realistic one
 * (verl's gsm8k style, regex answer extraction: test/fixtures/python-fn/gsm8k_reward.py). The service
 * side is one HTTP request of 10,000 items to the built service (`rlar serve`, 2 worker threads), through
 * `POST /tools/python/score`: the native `POST /reward` cannot carry a toolset on this branch (the
 * `options.toolset` of the recipes work), and both routes run the same pipeline, runner and tool.
 * A few hundred items with `isolation: "call"` (a process per call) show that mode's price, and a
 * built-in tool (`exact_match`) on the same items the service's own cost per item, Python or not.
 *
 * Run: npm run build && node bench/python-fn.ts   (only on a quiet machine: cat /proc/pressure/cpu)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startService } from '../test/helpers/service.ts';
import { cpuPressure } from './machine.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ITEMS = 10_000;
const CALL_ITEMS = 300;
const ROUNDS = 5;

const TRIVIAL = 'def compute_score(data_source, solution_str, ground_truth, extra_info=None):\n    return 1.0\n';
const GSM8K = readFileSync(join(ROOT, 'test/fixtures/python-fn/gsm8k_reward.py'), 'utf8');

/** The same calls as the service makes (verl keywords), in one python3 process; prints µs per item. */
const LOOP = String.raw`
import json, sys, time, types, io, contextlib
module = types.ModuleType("reward_fn")
exec(compile(open(sys.argv[1]).read(), "reward_fn.py", "exec"), module.__dict__)
fn = module.compute_score
items = [json.loads(line) for line in open(sys.argv[2])]
rounds = int(sys.argv[3])
times = []
with contextlib.redirect_stdout(io.StringIO()):
    for _ in range(rounds + 1):
        started = time.perf_counter()
        for item in items:
            fn(data_source=item["task"], solution_str=item["response"], ground_truth=item["reference"], extra_info=None)
        times.append((time.perf_counter() - started) / len(items) * 1e6)
times = sorted(times[1:])
print(times[len(times) // 2])
`;

interface Item {
  prompt: string;
  response: string;
  reference: string;
  task: string;
}

function makeItems(count: number): Item[] {
  return Array.from({ length: count }, (_, i) => {
    const answer = String((i * 7919) % 100_000);
    const response =
      i % 4 === 3
        ? `Let me think step by step. The total is ${answer} apples, I believe.`
        : `Step 1: count the apples.\nStep 2: add ${i % 97} and more.\nSo the total is ${answer}.\n#### ${i % 4 === 2 ? '1' + answer : answer}`;
    return { prompt: `Problem ${i}: how many apples?`, response, reference: answer, task: 'openai/gsm8k' };
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}


function plainLoop(source: string, items: Item[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'rlar-bench-'));
  try {
    writeFileSync(join(dir, 'reward_fn.py'), source);
    writeFileSync(join(dir, 'items.jsonl'), items.map((item) => JSON.stringify(item)).join('\n'));
    writeFileSync(join(dir, 'loop.py'), LOOP);
    const out = execFileSync('/usr/bin/python3', ['-B', join(dir, 'loop.py'), join(dir, 'reward_fn.py'), join(dir, 'items.jsonl'), String(ROUNDS)]);
    return Number(out.toString().trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Median µs per item of one request of all the items (after a first request that warms the sessions). */
async function throughService(url: string, source: string, items: Item[], params: Record<string, unknown> = {}, tool = 'python'): Promise<number> {
  const body = JSON.stringify({ items, params: tool === 'python' ? { source, ...params } : params });
  const times: number[] = [];
  for (let round = 0; round < ROUNDS + 1; round++) {
    const started = performance.now();
    const response = await fetch(`${url}/tools/${tool}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const json = (await response.json()) as { scores: number[]; details: { error?: string }[] };
    if (json.scores?.length !== items.length) throw new Error(`expected ${items.length} scores: ${JSON.stringify(json).slice(0, 300)}`);
    const failed = json.details.find((d) => d.error !== undefined);
    if (failed) throw new Error(`an item failed: ${failed.error}`);
    if (round > 0) times.push(((performance.now() - started) / items.length) * 1000);
  }
  return median(times);
}

const items = makeItems(ITEMS);
const service = await startService({ RLAR_LOG_LEVEL: 'warn' });
const url = service.url;
try {
  console.log(`pressure before: ${cpuPressure()}`);
  console.log(`items ${ITEMS}, median of ${ROUNDS} rounds, µs per item`);
  for (const [name, source] of [
    ['trivial', TRIVIAL],
    ['gsm8k regex', GSM8K],
  ] as const) {
    const loop = plainLoop(source, items);
    const served = await throughService(url, source, items);
    console.log(
      `${name.padEnd(12)} python3 loop ${loop.toFixed(2).padStart(7)}   service ${served.toFixed(2).padStart(7)}   ` +
        `added ${(served - loop).toFixed(2).padStart(7)}   ratio ${(served / loop).toFixed(1)}`,
    );
  }
  // The service's own cost per item, whatever the tool: a built-in on the same items.
  const builtin = await throughService(url, '', items, {}, 'exact_match');
  console.log(`exact_match (built-in, for the service's own per-item cost): ${builtin.toFixed(2)} µs per item`);
  const few = items.slice(0, CALL_ITEMS);
  const isolated = await throughService(url, GSM8K, few, { isolation: 'call' });
  console.log(`gsm8k regex, isolation "call" (${CALL_ITEMS} items): service ${isolated.toFixed(1)} µs per item`);
  console.log(`pressure after:  ${cpuPressure()}`);
} finally {
  await service.stop();
}
