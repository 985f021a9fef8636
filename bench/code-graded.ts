/**
 * Agreement of `code_tests` with the verdicts of the benchmarks' own evaluators on real model outputs
 * (test/fixtures/humaneval-judged, apps-judged, mbpp-judged): a response agrees when it scores 1
 * exactly when it was judged to pass. Prints every disagreement with the failing cases. Items are
 * scored in-process (the tool test/code-graded.test.ts runs through HTTP), two at a time.
 *
 * Run: node bench/code-graded.ts [humaneval|apps|mbpp] [module exporting codeTests, to compare another version]
 */
import { resolve } from 'node:path';
import { loadAppsJudged, loadHumanEvalJudged, loadMbppJudged, type JudgedResponse } from '../test/helpers/graded-code.ts';
import type { ToolDefinition } from '../src/tools/types.ts';
import { cpuPressure } from './machine.ts';

const [set = 'humaneval', modulePath] = process.argv.slice(2);
const { codeTests } = (await import(modulePath ? resolve(modulePath) : '../src/tools/verifiers/code/index.ts')) as { codeTests: ToolDefinition };
const loaders: Record<string, () => JudgedResponse[]> = { humaneval: loadHumanEvalJudged, apps: loadAppsJudged, mbpp: loadMbppJudged };
if (!(set in loaders)) throw new Error(`no judged set ${set}: humaneval, apps or mbpp`);
const rows = loaders[set]!();
const params = set === 'apps' ? { all_or_nothing: true, stop_on_first_failure: true } : {};

console.log(`cpu pressure before: ${cpuPressure()}`);
const started = performance.now();
const misses: string[] = [];
let next = 0;
await Promise.all(
  [0, 1].map(async () => {
    while (next < rows.length) {
      const row = rows[next++]!;
      let score = 0;
      let why = '';
      try {
        const outcome = await codeTests.score(row.item as never, params);
        score = outcome.score;
        const cases = (outcome.detail as { cases?: { status: string; message?: string }[] } | undefined)?.cases ?? [];
        why = JSON.stringify(cases.filter((c) => c.status !== 'passed').slice(0, 2)).slice(0, 300);
      } catch (error) {
        why = String(error);
      }
      if ((score === 1) !== row.passed) misses.push(`${row.id}: judged ${row.passed ? 'pass' : 'fail'}, scored ${score} ${why}`);
    }
  }),
);
for (const miss of misses.sort()) console.log(miss);
const agree = rows.length - misses.length;
console.log(`${set}: ${agree}/${rows.length} agree (${((100 * agree) / rows.length).toFixed(2)}%) in ${((performance.now() - started) / 1000).toFixed(0)} s`);
console.log(`cpu pressure after: ${cpuPressure()}`);
