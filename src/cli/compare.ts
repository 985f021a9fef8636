import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import type { ToolsetDeclaration } from '../tools/toolset.ts';
import { messageOf } from '../util/errors.ts';
import { runEval, resultJson, writeRun, type EvalRun, type PreferenceColumns } from './eval.ts';
import { readToolsetFile, type RunSettings } from './options.ts';
import { renderComparison } from './report.ts';
import { inProcessScorer } from './scorer.ts';

/**
 * `rlar eval --compare`: the same preference file scored under several toolsets, each by its own
 * in-process service with a store in memory (no plan leaks from one to the next, nothing is saved),
 * then ranked by overall accuracy. A contender is the heuristic planner, the agent planner, or a file:
 * a recipe file (`rules:`; unmatched items are planned), a snapshot from `rlar toolsets export`
 * (served frozen) or one toolset (`tools:`, declared for every item as `options.toolset`).
 */
interface Contender {
  name: string;
  config: Config;
  toolset?: ToolsetDeclaration;
}

function fileKind(file: string): 'recipes' | 'snapshot' | 'toolset' {
  let value: unknown;
  try {
    value = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`--compare ${file}: ${messageOf(error)}`);
  }
  if (value !== null && typeof value === 'object') {
    if ('rules' in value) return 'recipes';
    if ('rlar_snapshot' in value) return 'snapshot';
    if ('tools' in value) return 'toolset';
  }
  throw new ConfigError(`--compare ${file}: expected a recipe file (rules:), a snapshot (rlar toolsets export) or a toolset (tools:)`);
}

function contender(spec: string, base: Config): Contender {
  // Only what the contender declares differs: each starts from the same configuration, unplanned.
  const fresh: Config = { ...base, dataDir: ':memory:', recipesFile: undefined, snapshotFile: undefined, frozen: false };
  if (spec === 'heuristic') return { name: 'heuristic', config: { ...fresh, planner: undefined } };
  if (spec === 'agent') {
    if (base.planner === undefined) throw new ConfigError('--compare agent needs the agent planner: set OPENAI_BASE_URL (and RLAR_PLANNER_MODEL)');
    return { name: 'agent', config: fresh };
  }
  const name = basename(spec, extname(spec));
  switch (fileKind(spec)) {
    case 'recipes':
      return { name, config: { ...fresh, recipesFile: spec } };
    case 'snapshot':
      return { name, config: { ...fresh, snapshotFile: spec, frozen: true } };
    case 'toolset':
      return { name, config: fresh, toolset: readToolsetFile(spec) };
  }
}

export async function compareToolsets(
  file: string,
  out: string,
  specs: string[],
  columns: PreferenceColumns,
  settings: RunSettings,
  values: { url?: string; toolset?: string; recipes?: string },
): Promise<number> {
  if (values.url !== undefined) throw new ConfigError('--compare scores in this process; leave out --url');
  if (values.toolset !== undefined || values.recipes !== undefined) {
    throw new ConfigError('--compare takes toolset and recipe files in its list (--compare heuristic,FILE), not --toolset or --recipes');
  }
  const base = loadConfig();
  const contenders = specs.map((spec) => contender(spec.trim(), base));
  const names = contenders.map((c) => c.name);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) throw new ConfigError(`--compare names "${repeated}" twice`);
  const runs: { name: string; run: EvalRun }[] = [];
  for (const { name, config, toolset } of contenders) {
    process.stderr.write(`rlar eval --compare: scoring under ${name}\n`);
    const scorer = await inProcessScorer(config);
    try {
      const run = await runEval(file, columns, scorer, settings, toolset);
      if (run.accuracy.rows.length === 0) throw new ConfigError(`--compare ${name}: no row of ${file} could be judged (see above)`);
      runs.push({ name, run });
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
