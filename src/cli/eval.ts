import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { promptText } from '../protocol/items.ts';
import { textMessages } from '../protocol/cleanup.ts';
import type { NativeItem } from '../protocol/schemas.ts';
import type { Component, ToolsetDeclaration } from '../tools/toolset.ts';
import { preferenceAccuracy, type Accuracy, type PreferenceScores } from './accuracy.ts';
import { RowProblem, rowItem, type ColumnMap } from './columns.ts';
import { compareToolsets } from './compare.ts';
import { openDataset } from './dataset.ts';
import { runSettings, columnMap, fileAndOut, inBatches, readToolsetFile, rowReporter, SCORING_OPTIONS, SCORING_USAGE, scorerFor, type RunSettings } from './options.ts';
import { Progress } from './progress.ts';
import { renderReport } from './report.ts';
import { isScored, scoreBatch, type Scorer } from './scorer.ts';

export const EVAL_USAGE = `Usage: rlar eval FILE --out DIR [options]

Accuracy of the reward on preference data (JSONL or Parquet), by RewardBench 2's rules. Rows are either
RewardBench 2's layout, {prompt, chosen: [..], rejected: [..], subset, id?, num_correct?} (best-of-N: the
first chosen response must score above every rejected one; a tie at the top shares the credit; the
"Ties" subset uses RewardBench 2's Ties formula), or pairs {prompt, chosen, rejected} (chosen must
score strictly higher). A row may carry reference, task and metadata columns for the reward to use.
Writes DIR/result.json ({"overall", "subsets": {name: {"accuracy", "n"}}}), DIR/scores.jsonl (every
scored response) and DIR/report.html (self-contained).

Options:
  --chosen-col, --rejected-col, --subset-col COLUMN   (defaults: chosen, rejected, subset)
  --compare A,B,...       score the file under several toolsets and rank them: heuristic, agent
                          (needs OPENAI_BASE_URL), or a recipe / toolset file; writes DIR/compare.json,
                          DIR/compare.html and DIR/<name>/ for each (in process; not with --url)
${SCORING_USAGE}
`;

const EVAL_OPTIONS = {
  ...SCORING_OPTIONS,
  'chosen-col': { type: 'string' },
  'rejected-col': { type: 'string' },
  'subset-col': { type: 'string' },
  compare: { type: 'string' },
} as const;

/** One scored response of a preference row. */
export interface Candidate {
  row: number;
  subset: string;
  side: 'chosen' | 'rejected';
  index: number;
  prompt: string;
  response: string;
  reward: number;
  signature: string;
  toolset_version: number;
  toolset_hash: string;
  components: Component[];
  error?: string;
}

interface PreferenceRow {
  row: number;
  subset: string;
  pairwise: boolean;
  chosen: NativeItem[];
  rejected: NativeItem[];
  id?: string;
  numCorrect?: number;
}

export interface PreferenceColumns {
  items: ColumnMap;
  chosen: string;
  rejected: string;
  subset: string;
}

/** Chat messages (`[{role, content}, ...]`): the response is the last message's content. */
function conversationResponse(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const isMessage = (m: unknown) => m !== null && typeof m === 'object' && typeof (m as { content?: unknown }).content === 'string';
  return value.every(isMessage) ? (value.at(-1) as { content: string }).content : undefined;
}

/** The responses of a chosen or rejected cell: one (text or a conversation: a pair) or a list (best-of-N). */
function responses(value: unknown, column: string): { texts: string[]; single: boolean } {
  if (typeof value === 'string') return { texts: [value], single: true };
  const conversation = conversationResponse(value);
  if (conversation !== undefined) return { texts: [conversation], single: true };
  if (!Array.isArray(value) || value.length === 0) throw new RowProblem(`"${column}" must be a response or a non-empty list of responses`);
  const texts = value.map((v) => (typeof v === 'string' ? v : conversationResponse(v)));
  const bad = texts.findIndex((t) => t === undefined);
  if (bad !== -1) throw new RowProblem(`"${column}"[${bad}] is not a response (text or chat messages)`);
  return { texts: texts as string[], single: false };
}

function preferenceRow(row: number, record: Record<string, unknown>, columns: PreferenceColumns): PreferenceRow {
  const chosen = responses(record[columns.chosen], columns.chosen);
  const rejected = responses(record[columns.rejected], columns.rejected);
  const subset = record[columns.subset];
  const numCorrect = record.num_correct;
  const id = record.id;
  return {
    row,
    subset: typeof subset === 'string' && subset !== '' ? subset : 'all',
    pairwise: chosen.single && rejected.single,
    chosen: chosen.texts.map((text) => rowItem(record, columns.items, text)),
    rejected: rejected.texts.map((text) => rowItem(record, columns.items, text)),
    ...(typeof id === 'string' && { id }),
    ...(typeof numCorrect === 'number' && { numCorrect }),
  };
}

export interface EvalRun {
  file: string;
  scoredWith: string;
  accuracy: Accuracy;
  candidates: Candidate[];
  /** Rows that could not be judged, with why. */
  skipped: { row: number; problem: string }[];
}

/** Reads the preference rows, scores every response, and computes the accuracy. */
export async function runEval(
  file: string,
  columns: PreferenceColumns,
  scorer: Scorer,
  settings: RunSettings,
  toolset?: ToolsetDeclaration,
): Promise<EvalRun> {
  const dataset = await openDataset(file, settings.limit);
  const rows: PreferenceRow[] = [];
  const skipped: EvalRun['skipped'] = [];
  const reporter = rowReporter('not judged');
  const skip = (row: number, problem: string) => {
    skipped.push({ row, problem });
    reporter.report(row, problem);
  };
  for await (const entry of dataset.rows()) {
    if ('problem' in entry) {
      skip(entry.row, entry.problem);
      continue;
    }
    try {
      rows.push(preferenceRow(entry.row, entry.value, columns));
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      skip(entry.row, error.message);
    }
  }
  const jobs = rows.flatMap((r) => [
    ...r.chosen.map((item, index) => ({ r, item, side: 'chosen' as const, index })),
    ...r.rejected.map((item, index) => ({ r, item, side: 'rejected' as const, index })),
  ]);
  const candidates = new Map<string, Candidate>();
  const failed = new Map<number, string>();
  const progress = new Progress('responses scored', jobs.length);
  try {
    await inBatches(jobs, settings, async (batch) => {
      const results = await scoreBatch(scorer, batch.map((j) => j.item), toolset);
      results.forEach((result, k) => {
        const { r, item, side, index } = batch[k]!;
        if (!isScored(result)) {
          failed.set(r.row, result.notScored);
          return;
        }
        candidates.set(`${r.row}:${side}:${index}`, {
          row: r.row,
          subset: r.subset,
          side,
          index,
          prompt: typeof item.prompt === 'string' ? item.prompt : promptText(textMessages(item.prompt).messages),
          response: item.response,
          reward: result.reward,
          signature: result.signature,
          toolset_version: result.toolset_version,
          toolset_hash: result.toolset_hash,
          components: result.components,
          ...(result.error !== undefined && { error: result.error }),
        });
      });
      progress.advance(batch.length);
    });
  } finally {
    progress.finish();
  }
  for (const [row, why] of failed) skip(row, `a response could not be scored (${why})`);
  const judged = rows.filter((r) => !failed.has(r.row));
  const rewards = (r: PreferenceRow, side: 'chosen' | 'rejected') =>
    r[side].map((_, index) => candidates.get(`${r.row}:${side}:${index}`)!.reward);
  const scores = judged.map(
    (r): PreferenceScores => ({
      row: r.row,
      subset: r.subset,
      pairwise: r.pairwise,
      chosen: rewards(r, 'chosen'),
      rejected: rewards(r, 'rejected'),
      ...(r.id !== undefined && { id: r.id }),
      ...(r.numCorrect !== undefined && { numCorrect: r.numCorrect }),
    }),
  );
  const kept = [...candidates.values()].filter((c) => !failed.has(c.row));
  return { file, scoredWith: scorer.where, accuracy: preferenceAccuracy(scores), candidates: kept, skipped: skipped.sort((a, b) => a.row - b.row) };
}

/** The JSON result: the public `{overall, subsets: {name: {accuracy, n}}}` and what else was learned. */
export function resultJson(run: EvalRun, label?: string) {
  const signatures: Record<string, { responses: number; versions: number[]; toolset_hashes: string[] }> = {};
  for (const c of run.candidates) {
    const s = (signatures[c.signature] ??= { responses: 0, versions: [], toolset_hashes: [] });
    s.responses++;
    if (!s.versions.includes(c.toolset_version)) s.versions.push(c.toolset_version);
    if (!s.toolset_hashes.includes(c.toolset_hash)) s.toolset_hashes.push(c.toolset_hash);
  }
  return {
    overall: run.accuracy.overall,
    subsets: run.accuracy.subsets,
    ...(label !== undefined && { toolset: label }),
    file: run.file,
    scored_with: run.scoredWith,
    rows: run.accuracy.rows.length,
    responses: run.candidates.length,
    response_errors: run.candidates.filter((c) => c.error !== undefined).length,
    signatures,
    skipped_rows: run.skipped,
    notes: run.accuracy.notes,
  };
}

/** Writes result.json, scores.jsonl and report.html of one run into `dir`. */
export function writeRun(dir: string, run: EvalRun, label?: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'result.json'), `${JSON.stringify(resultJson(run, label), null, 2)}\n`);
  // Without the prompt, which every response of a row repeats: `row` finds it in the input file.
  const lines = run.candidates.map(({ prompt: _prompt, ...c }) => `${JSON.stringify(c)}\n`);
  writeFileSync(join(dir, 'scores.jsonl'), lines.join(''));
  writeFileSync(join(dir, 'report.html'), renderReport(run, label));
}

function printSubsets(accuracy: Accuracy): void {
  const names = Object.keys(accuracy.subsets).sort();
  const width = Math.max(7, ...names.map((n) => n.length));
  const lines = names.map((n) => {
    const s = accuracy.subsets[n]!;
    return `${n.padEnd(width)}  ${(s.accuracy * 100).toFixed(1).padStart(6)}%  n=${s.n}${s.ties > 0 ? `  (${s.ties} rows with tied rewards)` : ''}`;
  });
  process.stdout.write(`${lines.join('\n')}\n${'overall'.padEnd(width)}  ${(accuracy.overall * 100).toFixed(1).padStart(6)}%\n`);
}

export async function evalCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: EVAL_OPTIONS });
  const args = fileAndOut(positionals, values, EVAL_USAGE);
  if (typeof args === 'number') return args;
  const { file, out } = args;
  const columns: PreferenceColumns = {
    items: columnMap(values),
    chosen: values['chosen-col'] ?? 'chosen',
    rejected: values['rejected-col'] ?? 'rejected',
    subset: values['subset-col'] ?? 'subset',
  };
  const settings = runSettings(values);
  if (values.compare !== undefined) return compareToolsets(file, out, values.compare.split(','), columns, settings, values);
  const toolset = values.toolset === undefined ? undefined : readToolsetFile(values.toolset);
  const scorer = await scorerFor(values);
  let run: EvalRun;
  try {
    process.stderr.write(`rlar eval: ${file}; scoring ${scorer.where}\n`);
    run = await runEval(file, columns, scorer, settings, toolset);
  } finally {
    await scorer.close();
  }
  // An accuracy of nothing would read as 0: write no result at all.
  if (run.accuracy.rows.length === 0) {
    process.stderr.write(`rlar eval: no row of ${file} could be judged (${run.skipped.length} skipped, see above); nothing written\n`);
    return 1;
  }
  writeRun(out, run);
  printSubsets(run.accuracy);
  process.stdout.write(`rlar eval: ${run.accuracy.rows.length} rows judged, ${run.skipped.length} skipped; wrote ${join(out, 'result.json')} and ${join(out, 'report.html')}\n`);
  return 0;
}
