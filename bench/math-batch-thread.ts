/**
 * A thread of math-batch.ts's in-process baseline on N threads: it holds its share of the items in its
 * own heap (no copies per round) and scores them with the same toolset code whenever asked.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { builtinRegistry } from '../src/tools/builtin.ts';
import { applyToolset, type Toolset, type ToolTimings } from '../src/tools/toolset.ts';
import type { ScoringItem } from '../src/tools/types.ts';

const { items, toolset } = workerData as { items: ScoringItem[]; toolset: Toolset };
const registry = builtinRegistry();

parentPort!.on('message', async () => {
  const timings: ToolTimings = {};
  let total = 0;
  for (const item of items) total += (await applyToolset(registry, toolset, item, timings)).reward;
  parentPort!.postMessage(total);
});
