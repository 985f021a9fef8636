import { ConfigError, loadConfig } from '../config.ts';
import { builtinRegistry } from '../tools/builtin.ts';
import { toolsetProblems, ToolsetDeclaration } from '../tools/toolset.ts';
import { FileError, readStructuredFile } from '../util/structured-file.ts';
import { COLUMN_FLAGS, type ColumnMap, type ItemField } from './columns.ts';
import { httpScorer, inProcessScorer, type Scorer } from './scorer.ts';

/** Options shared by `rlar score` and `rlar eval` (node:util parseArgs shape). */
export const SCORING_OPTIONS = {
  out: { type: 'string', short: 'o' },
  url: { type: 'string' },
  'api-key': { type: 'string' },
  'batch-size': { type: 'string' },
  concurrency: { type: 'string' },
  'timeout-ms': { type: 'string' },
  limit: { type: 'string' },
  toolset: { type: 'string' },
  recipes: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...(Object.fromEntries(Object.values(COLUMN_FLAGS).map((flag) => [flag, { type: 'string' }])) as Record<
    (typeof COLUMN_FLAGS)[ItemField],
    { type: 'string' }
  >),
} as const;

export const SCORING_USAGE = `  --url URL               score against a running service (native POST /reward batches);
                          without it, in this process with the embedded service's own pipeline
  --api-key KEY           the service's key (or env RLAR_API_KEY)
  --batch-size N          items per batch (default 64)
  --concurrency N         batches in flight (default 2)
  --timeout-ms N          longest one batch may take with --url (default 300000)
  --limit N               the first N rows of FILE only (a quick look before a full run)
  --toolset FILE          score every item with this toolset (YAML or JSON: tools, weights, params, gates,
                          combination, fallback), sent as the request's options.toolset
  --recipes FILE          in process: reward recipes that win over the planner, as rlar serve --recipes
  --prompt-col, --response-col, --reference-col, --task-col, --metadata-col, --id-col COLUMN
                          where each field is (dotted paths reach nested columns). Defaults, the first a row
                          has: prompt, question, problem; response, responses; reference, reward_model.ground_truth,
                          ground_truth, answer; task, data_source; metadata, extra_info; id`;

type ScoringValues = Partial<Record<keyof typeof SCORING_OPTIONS, string | boolean>>;

const MAX_ROW_MESSAGES = 50;

/**
 * Reports rows that cannot be used on stderr. After the first 50 it only counts them: a wrong column
 * flag would otherwise print one message per row.
 */
export function rowReporter(consequence: string): { report(row: number, problem: string): void; readonly rows: number[]; readonly cut: boolean } {
  const rows: number[] = [];
  return {
    rows,
    get cut() {
      return rows.length > MAX_ROW_MESSAGES;
    },
    report(row, problem) {
      rows.push(row);
      if (rows.length > MAX_ROW_MESSAGES) return;
      if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
      process.stderr.write(`row ${row}: ${problem}; ${consequence}\n`);
    },
  };
}

/** FILE and --out of a command; or, when help was asked or they are missing, the usage printed and the exit code. */
export function fileAndOut(positionals: string[], values: { help?: boolean; out?: string }, usage: string): { file: string; out: string } | number {
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0 || values.out === undefined) {
    process.stderr.write(usage);
    return 2;
  }
  return { file, out: values.out };
}

export function positiveInteger(value: string | boolean | undefined, flag: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ConfigError(`--${flag}=${value} is not valid: expected an integer from 1 to ${max}`);
  return n;
}

export function columnMap(values: ScoringValues): ColumnMap {
  const map: ColumnMap = {};
  for (const [field, flag] of Object.entries(COLUMN_FLAGS) as [ItemField, string][]) {
    const column = values[flag as keyof ScoringValues];
    if (typeof column === 'string') map[field] = column;
  }
  return map;
}

export interface RunSettings {
  batchSize: number;
  concurrency: number;
  /** Rows of the file read at most. */
  limit: number;
}

export function runSettings(values: ScoringValues): RunSettings {
  return {
    batchSize: positiveInteger(values['batch-size'], 'batch-size', 64, 10_000),
    concurrency: positiveInteger(values.concurrency, 'concurrency', 2, 64),
    limit: positiveInteger(values.limit, 'limit', Infinity, Number.MAX_SAFE_INTEGER),
  };
}

/** A toolset declaration file, checked against this build's tools; a problem names the file and line. */
export function readToolsetFile(file: string): ToolsetDeclaration {
  try {
    const parsed = readStructuredFile<ToolsetDeclaration>(file, ToolsetDeclaration);
    const problem = toolsetProblems(parsed.value, builtinRegistry())[0];
    if (problem) throw parsed.problem(problem.path, problem.message);
    return parsed.value;
  } catch (error) {
    if (error instanceof FileError) throw new ConfigError(error.message);
    throw error;
  }
}

/** The scorer the flags ask for: a running service (`--url`), or the embedded pipeline in this process. */
export async function scorerFor(values: ScoringValues): Promise<Scorer> {
  if (typeof values.url === 'string') {
    if (values.recipes !== undefined) throw new ConfigError('--recipes applies in process; a service uses its own (rlar serve --recipes)');
    if (!/^https?:\/\//.test(values.url)) throw new ConfigError(`--url=${values.url} is not an http(s) URL`);
    const apiKey = typeof values['api-key'] === 'string' ? values['api-key'] : process.env.RLAR_API_KEY;
    return httpScorer(values.url, {
      timeoutMs: positiveInteger(values['timeout-ms'], 'timeout-ms', 300_000, 86_400_000),
      ...(apiKey && { apiKey }),
    });
  }
  const config = loadConfig();
  return inProcessScorer(typeof values.recipes === 'string' ? { ...config, recipesFile: values.recipes } : config);
}

/** Runs `work` on each batch with at most `concurrency` batches in flight. */
export async function inBatches<T>(
  source: AsyncIterable<T> | Iterable<T>,
  { batchSize, concurrency }: Pick<RunSettings, 'batchSize' | 'concurrency'>,
  work: (batch: T[]) => Promise<void>,
): Promise<void> {
  const running = new Set<Promise<void>>();
  const launch = async (batch: T[]) => {
    const task = work(batch).finally(() => running.delete(task));
    running.add(task);
    if (running.size >= concurrency) await Promise.race(running);
  };
  let batch: T[] = [];
  for await (const entry of source) {
    batch.push(entry);
    if (batch.length >= batchSize) {
      await launch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await launch(batch);
  await Promise.all(running);
}
