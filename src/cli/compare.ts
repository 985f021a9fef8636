import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { runEval, resultJson, writeRun, type EvalRun, type PreferenceColumns } from './eval.ts';
import type { BatchSettings } from './options.ts';
import { renderComparison } from './report.ts';
import { inProcessScorer } from './scorer.ts';

/**
 * `rlar eval --compare`: the same preference file scored under several toolsets, each by its own
 * in-process service (its own toolset store, so no plan leaks from one to the next), then ranked.
 */
interface Contender {
  name: string;
  config: Config;
}

function contender(spec: string, base: Config): Contender {
  switch (spec) {
    case 'heuristic':
      return { name: 'heuristic', config: { ...base, planner: undefined } };
    case 'agent':
      if (base.planner === undefined) throw new ConfigError('--compare agent needs the agent planner: set OPENAI_BASE_URL (and OPENAI_MODEL)');
      return { name: 'agent', config: base };
    default:
      throw new ConfigError(`--compare ${spec}: expected heuristic or agent`);
  }
}

export async function compareToolsets(
  file: string,
  out: string,
  specs: string[],
  columns: PreferenceColumns,
  settings: BatchSettings,
  values: { url?: string },
): Promise<number> {
  if (values.url !== undefined) throw new ConfigError('--compare scores in this process; leave out --url');
  const base = loadConfig();
  const contenders = specs.map((spec) => contender(spec.trim(), base));
  const runs: { name: string; run: EvalRun }[] = [];
  for (const { name, config } of contenders) {
    process.stderr.write(`rlar eval --compare: scoring under ${name}\n`);
    const scorer = await inProcessScorer(config);
    try {
      runs.push({ name, run: await runEval(file, columns, scorer, settings) });
    } finally {
      await scorer.close();
    }
  }
  runs.sort((a, b) => b.run.accuracy.overall - a.run.accuracy.overall);
  mkdirSync(out, { recursive: true });
  const ranking = runs.map(({ name, run }, i) => {
    writeRun(join(out, name), run, name);
    return { rank: i + 1, ...resultJson(run, name) };
  });
  writeFileSync(join(out, 'compare.json'), `${JSON.stringify({ file, ranking }, null, 2)}\n`);
  writeFileSync(join(out, 'compare.html'), renderComparison(file, runs));
  for (const r of ranking) process.stdout.write(`${r.rank}. ${r.toolset}: overall ${(r.overall * 100).toFixed(1)}%\n`);
  process.stdout.write(`rlar eval --compare: wrote ${join(out, 'compare.json')} and ${join(out, 'compare.html')}\n`);
  return 0;
}
