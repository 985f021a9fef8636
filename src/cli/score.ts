import { appendFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config.ts';
import type { NativeItem } from '../protocol/schemas.ts';
import { RowProblem, rowId, rowItem, type ColumnMap } from './columns.ts';
import { openDataset, type DataRow } from './dataset.ts';
import { batchSettings, columnMap, fileAndOut, inBatches, readToolsetFile, rowReporter, SCORING_OPTIONS, SCORING_USAGE, scorerFor } from './options.ts';
import { Progress } from './progress.ts';
import { isScored, scoreBatch } from './scorer.ts';

export const SCORE_USAGE = `Usage: rlar score FILE --out OUT.jsonl [options]

Scores every row of FILE (JSONL or Parquet) and writes one JSON line per row to OUT.jsonl:
{"row", "id"?, "reward", "signature", "toolset_version", "toolset_hash", "components", "error"?}. Rows already in
OUT.jsonl are skipped, so a stopped run goes on where it stopped. Rows are numbered from 1 (JSONL: the
line number). A malformed row is reported with its number and left out; the others are scored.

Options:
${SCORING_USAGE}
`;

/** What the summary needs of a scored row. */
interface RowOutcome {
  signature: string;
  reward: number;
  version: number | undefined;
  failed: boolean;
}

/**
 * The rows OUT already holds. A line cut short by a stopped run is dropped from the file, so the row
 * is scored again and the file stays valid JSONL.
 */
function loadDone(out: string): Map<number, RowOutcome> {
  const done = new Map<number, RowOutcome>();
  if (!existsSync(out)) return done;
  const text = readFileSync(out, 'utf8');
  const complete = text.endsWith('\n') || text === '' ? text.length : text.lastIndexOf('\n') + 1;
  if (complete < text.length) truncateSync(out, Buffer.byteLength(text.slice(0, complete)));
  for (const line of text.slice(0, complete).split('\n')) {
    if (line.trim() === '') continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line);
    } catch {
      throw new ConfigError(`${out} holds a line that is not JSON; is it the output of rlar score?`);
    }
    if (typeof entry.row !== 'number' || typeof entry.reward !== 'number') {
      throw new ConfigError(`${out} holds lines without "row" and "reward"; is it the output of rlar score?`);
    }
    done.set(entry.row, {
      signature: String(entry.signature),
      reward: entry.reward,
      version: typeof entry.toolset_version === 'number' ? entry.toolset_version : undefined,
      failed: entry.error !== undefined,
    });
  }
  return done;
}

interface Pending {
  row: number;
  id?: string | number;
  item: NativeItem;
}

/** Turns data rows into items, reporting the rows that cannot be scored and skipping those done. */
async function* pendingItems(
  rows: AsyncGenerator<DataRow>,
  columns: ColumnMap,
  done: Map<number, RowOutcome>,
  onProblem: (row: number, problem: string) => void,
): AsyncGenerator<Pending> {
  for await (const entry of rows) {
    if (done.has(entry.row)) continue;
    if ('problem' in entry) {
      onProblem(entry.row, entry.problem);
      continue;
    }
    try {
      const id = rowId(entry.value, columns);
      yield { row: entry.row, item: rowItem(entry.value, columns), ...(id !== undefined && { id }) };
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      onProblem(entry.row, error.message);
    }
  }
}

function summaryTable(outcomes: Iterable<RowOutcome>): string {
  const bySignature = new Map<string, { rows: number; sum: number; min: number; max: number; errors: number; versions: Set<number> }>();
  for (const o of outcomes) {
    const s = bySignature.get(o.signature) ?? { rows: 0, sum: 0, min: Infinity, max: -Infinity, errors: 0, versions: new Set<number>() };
    s.rows++;
    s.sum += o.reward;
    s.min = Math.min(s.min, o.reward);
    s.max = Math.max(s.max, o.reward);
    if (o.failed) s.errors++;
    if (o.version !== undefined) s.versions.add(o.version);
    bySignature.set(o.signature, s);
  }
  const header = ['signature', 'version', 'rows', 'mean', 'min', 'max', 'errors'];
  const lines = [...bySignature]
    .sort((a, b) => b[1].rows - a[1].rows)
    .map(([signature, s]) => [
      signature,
      [...s.versions].sort((a, b) => a - b).join(',') || '?',
      String(s.rows),
      (s.sum / s.rows).toFixed(3),
      s.min.toFixed(3),
      s.max.toFixed(3),
      String(s.errors),
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  return [header, ...lines].map((cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

export async function scoreCommand(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: SCORING_OPTIONS });
  const args = fileAndOut(positionals, values, SCORE_USAGE);
  if (typeof args === 'number') return args;
  const { file, out } = args;
  const columns = columnMap(values);
  const settings = batchSettings(values);
  const toolset = values.toolset === undefined ? undefined : readToolsetFile(values.toolset);
  const dataset = await openDataset(file);
  const done = loadDone(out);
  const outcomes = new Map(done);
  const problems = rowReporter('not scored');
  const unscored: { row: number; why: string }[] = [];
  const scorer = await scorerFor(values);
  process.stderr.write(
    `rlar score: ${file}: ${dataset.total} rows${done.size > 0 ? `, ${done.size} already in ${out} (skipped)` : ''}; scoring ${scorer.where}\n`,
  );
  const progress = new Progress('scored', Math.max(0, dataset.total - done.size));
  const onProblem = (row: number, problem: string) => {
    problems.report(row, problem);
    progress.advance(1);
  };
  try {
    await inBatches(pendingItems(dataset.rows(), columns, done, onProblem), settings, async (batch) => {
      const results = await scoreBatch(scorer, batch.map((p) => p.item), toolset);
      const lines: string[] = [];
      results.forEach((result, k) => {
        const { row, id } = batch[k]!;
        if (!isScored(result)) {
          unscored.push({ row, why: result.notScored });
          return;
        }
        const { reward, signature, toolset_version, toolset_hash, components, error } = result;
        const line = { row, ...(id !== undefined && { id }), reward, signature, toolset_version, toolset_hash, components, ...(error !== undefined && { error }) };
        lines.push(JSON.stringify(line));
        outcomes.set(row, { signature, reward, version: toolset_version, failed: error !== undefined });
      });
      if (lines.length > 0) appendFileSync(out, `${lines.join('\n')}\n`);
      progress.advance(batch.length);
    });
  } finally {
    progress.finish();
    await scorer.close();
  }
  const scoredNow = outcomes.size - done.size;
  if (outcomes.size > 0) process.stdout.write(`${summaryTable(outcomes.values())}\n`);
  process.stdout.write(`rlar score: ${scoredNow} rows scored now, ${done.size} were already in ${out}; ${outcomes.size} rows in ${out}\n`);
  if (problems.rows.length > 0) {
    const listed = problems.rows.slice(0, 20).join(', ') + (problems.rows.length > 20 ? ', ...' : '');
    const shown = problems.cut ? 'the first messages' : 'the messages';
    process.stdout.write(`rlar score: ${problems.rows.length} malformed rows not scored (rows ${listed}); see ${shown} above\n`);
  }
  if (unscored.length > 0) {
    unscored.sort((a, b) => a.row - b.row);
    process.stderr.write(`rlar score: ${unscored.length} rows could not be scored now (first: row ${unscored[0]!.row}: ${unscored[0]!.why}); run the same command again to score them\n`);
    return 1;
  }
  return 0;
}
