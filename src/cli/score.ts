import { appendFileSync, createReadStream, existsSync, mkdirSync, truncateSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config.ts';
import type { NativeItem } from '../protocol/schemas.ts';
import { fieldOf, RowProblem, rowId, rowItem, type ColumnMap } from './columns.ts';
import { openDataset, type DataRow } from './dataset.ts';
import { runSettings, columnMap, fileAndOut, inBatches, readToolsetFile, rowReporter, SCORING_OPTIONS, SCORING_USAGE, scorerFor } from './options.ts';
import { Progress } from './progress.ts';
import { isScored, scoreBatch } from './scorer.ts';

export const SCORE_USAGE = `Usage: rlar score FILE --out OUT.jsonl [options]

Scores every row of FILE (JSONL or Parquet) and writes one JSON line per response to OUT.jsonl:
{"row", "sample"?, "id"?, "reward", "signature", "toolset_version", "toolset_hash", "components", "error"?}.
A response column holding a list (verl's generation output, "responses") gives one line per response,
"sample" being its place in the list. Responses already in OUT.jsonl are skipped, so a stopped run goes
on where it stopped. Rows are numbered from 1 (JSONL: the line number). A malformed row is reported
with its number and left out; the others are scored.

Options:
${SCORING_USAGE}
`;

/** What the summary needs of a scored response. */
interface Outcome {
  signature: string;
  reward: number;
  version: number | undefined;
  failed: boolean;
}

/** A scored response's key: its row, and its place in the row's list of responses when it has one. */
function keyOf(row: number, sample: number | undefined): string {
  return sample === undefined ? String(row) : `${row}:${sample}`;
}

/**
 * The responses OUT already holds, by key (read as a stream: outputs can be large). A line cut short
 * by a stopped run is dropped from the file, so that response is scored again and the file stays
 * valid JSONL.
 */
async function loadDone(out: string): Promise<Map<string, Outcome>> {
  const done = new Map<string, Outcome>();
  if (!existsSync(out)) return done;
  let complete = 0;
  let rest = Buffer.alloc(0);
  const take = (line: Buffer) => {
    const text = line.toString('utf8');
    if (text.trim() === '') return;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(text);
    } catch {
      throw new ConfigError(`${out} holds a line that is not JSON; is it the output of rlar score?`);
    }
    if (typeof entry.row !== 'number' || typeof entry.reward !== 'number') {
      throw new ConfigError(`${out} holds lines without "row" and "reward"; is it the output of rlar score?`);
    }
    done.set(keyOf(entry.row, typeof entry.sample === 'number' ? entry.sample : undefined), {
      signature: String(entry.signature),
      reward: entry.reward,
      version: typeof entry.toolset_version === 'number' ? entry.toolset_version : undefined,
      failed: entry.error !== undefined,
    });
  };
  for await (const chunk of createReadStream(out) as AsyncIterable<Buffer>) {
    let data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    for (let end = data.indexOf(10); end !== -1; end = data.indexOf(10)) {
      take(data.subarray(0, end));
      complete += end + 1;
      data = data.subarray(end + 1);
    }
    rest = Buffer.from(data);
  }
  if (rest.length > 0) truncateSync(out, complete);
  return done;
}

interface Pending {
  row: number;
  /** The response's place in its row's list (verl's generation output: `responses`, n per prompt). */
  sample?: number;
  id?: string | number;
  item: NativeItem;
  /** The row's last response still to score: the row is done with it. */
  endsRow: boolean;
}

/** A row's items: one, or one per response when the response column holds a list of them. */
function rowItems(record: Record<string, unknown>, columns: ColumnMap): { sample?: number; item: NativeItem }[] {
  const responses = fieldOf(record, 'response', columns);
  if (!Array.isArray(responses?.value)) return [{ item: rowItem(record, columns) }];
  const list = responses.value;
  if (list.length === 0) throw new RowProblem(`"${responses.column}" is an empty list of responses`);
  const bad = list.findIndex((r) => typeof r !== 'string');
  if (bad !== -1) throw new RowProblem(`"${responses.column}"[${bad}] is not text`);
  return list.map((text, sample) => ({ sample, item: rowItem(record, columns, text) }));
}

/** Turns data rows into items, reporting the rows that cannot be scored and skipping what is done. */
async function* pendingItems(
  rows: AsyncGenerator<DataRow>,
  columns: ColumnMap,
  done: Map<string, Outcome>,
  onProblem: (row: number, problem: string) => void,
  onRowDone: () => void,
): AsyncGenerator<Pending> {
  for await (const entry of rows) {
    if ('problem' in entry) {
      onProblem(entry.row, entry.problem);
      continue;
    }
    let items;
    let id;
    try {
      id = rowId(entry.value, columns);
      items = rowItems(entry.value, columns);
    } catch (error) {
      if (!(error instanceof RowProblem)) throw error;
      onProblem(entry.row, error.message);
      continue;
    }
    const todo = items.filter((x) => !done.has(keyOf(entry.row, x.sample)));
    if (todo.length === 0) onRowDone();
    for (const [k, x] of todo.entries()) {
      yield { row: entry.row, ...(x.sample !== undefined && { sample: x.sample }), ...(id !== undefined && { id }), item: x.item, endsRow: k === todo.length - 1 };
    }
  }
}

function summaryTable(outcomes: Iterable<Outcome>): string {
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
  const header = ['signature', 'version', 'scored', 'mean', 'min', 'max', 'errors'];
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
  const settings = runSettings(values);
  const toolset = values.toolset === undefined ? undefined : readToolsetFile(values.toolset);
  const dataset = await openDataset(file, settings.limit);
  mkdirSync(dirname(out), { recursive: true });
  const done = await loadDone(out);
  const outcomes = new Map(done);
  const problems = rowReporter('not scored');
  const unscored: { row: number; why: string }[] = [];
  const scorer = await scorerFor(values);
  process.stderr.write(
    `rlar score: ${file}: ${dataset.total} rows${done.size > 0 ? `; ${done.size} responses already in ${out} are skipped` : ''}; scoring ${scorer.where}\n`,
  );
  // Progress in rows; rows already done leave the total.
  const progress = new Progress('scored', dataset.total);
  const onProblem = (row: number, problem: string) => {
    problems.report(row, problem);
    progress.advance(1);
  };
  try {
    await inBatches(pendingItems(dataset.rows(), columns, done, onProblem, () => progress.skip()), settings, async (batch) => {
      const results = await scoreBatch(scorer, batch.map((p) => p.item), toolset);
      const lines: string[] = [];
      results.forEach((result, k) => {
        const { row, sample, id } = batch[k]!;
        if (!isScored(result)) {
          unscored.push({ row, why: result.notScored });
          return;
        }
        const { reward, signature, toolset_version, toolset_hash, components, error } = result;
        const line = {
          row,
          ...(sample !== undefined && { sample }),
          ...(id !== undefined && { id }),
          reward,
          signature,
          toolset_version,
          toolset_hash,
          components,
          ...(error !== undefined && { error }),
        };
        lines.push(JSON.stringify(line));
        outcomes.set(keyOf(row, sample), { signature, reward, version: toolset_version, failed: error !== undefined });
      });
      if (lines.length > 0) appendFileSync(out, `${lines.join('\n')}\n`);
      progress.advance(batch.filter((p) => p.endsRow).length);
    });
  } finally {
    progress.finish();
    await scorer.close();
  }
  const scoredNow = outcomes.size - done.size;
  if (outcomes.size > 0) process.stdout.write(`${summaryTable(outcomes.values())}\n`);
  process.stdout.write(`rlar score: ${scoredNow} responses scored now, ${done.size} were already in ${out}; ${outcomes.size} in ${out}\n`);
  if (problems.rows.length > 0) {
    const listed = problems.rows.slice(0, 20).join(', ') + (problems.rows.length > 20 ? ', ...' : '');
    const shown = problems.cut ? 'the first messages' : 'the messages';
    process.stdout.write(`rlar score: ${problems.rows.length} malformed rows not scored (rows ${listed}); see ${shown} above\n`);
  }
  if (unscored.length > 0) {
    unscored.sort((a, b) => a.row - b.row);
    process.stderr.write(`rlar score: ${unscored.length} responses could not be scored now (first: row ${unscored[0]!.row}: ${unscored[0]!.why}); run the same command again to score them\n`);
    return 1;
  }
  return 0;
}
