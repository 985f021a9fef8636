import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { messageOf } from '../util/errors.ts';

/**
 * Rows of a data file, JSONL or Parquet (read in pure JavaScript: no native addon), one at a time.
 * Rows are numbered from 1: the line number in a JSONL file, the row's position in a Parquet file.
 * A row that cannot be read is yielded with a `problem` so the caller reports it and goes on.
 */
export type DataRow = { row: number; value: Record<string, unknown> } | { row: number; problem: string };

export interface Dataset {
  /** Rows in the file (JSONL: its lines that are not blank), or the limit when smaller. */
  total: number;
  rows(): AsyncGenerator<DataRow>;
}

const PARQUET_MAGIC = 'PAR1';
/** Rows read from a Parquet file at once: bounded memory on large files. */
const PARQUET_SLICE = 2048;

async function isParquet(file: string): Promise<boolean> {
  if (file.toLowerCase().endsWith('.parquet')) return true;
  const handle = await open(file);
  try {
    const head = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    return head.toString('latin1') === PARQUET_MAGIC;
  } finally {
    await handle.close();
  }
}

/** Lines with something on them (blank lines are not rows). */
async function countRows(file: string): Promise<number> {
  let rows = 0;
  let blank = true;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (const byte of chunk) {
      if (byte === 10) {
        if (!blank) rows++;
        blank = true;
      } else if (byte !== 32 && byte !== 9 && byte !== 13) blank = false;
    }
  }
  return blank ? rows : rows + 1;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

async function jsonlDataset(file: string): Promise<Dataset> {
  return {
    total: await countRows(file),
    async *rows() {
      const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      let row = 0;
      for await (const line of lines) {
        row++;
        if (line.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch (error) {
          yield { row, problem: `not valid JSON (${messageOf(error)})` };
          continue;
        }
        yield isRecord(value) ? { row, value } : { row, problem: 'is not a JSON object' };
      }
    },
  };
}

/** Parquet int64 columns come as BigInt; JSON and the tools want plain numbers (or text when too large). */
function plainValues(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(plainValues);
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValues(v)]));
  return value;
}

async function parquetDataset(file: string): Promise<Dataset> {
  const buffer = await asyncBufferFromFile(file);
  let metadata;
  try {
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    throw new Error(`${file} is not a readable Parquet file: ${messageOf(error)}`);
  }
  const total = Number(metadata.num_rows);
  return {
    total,
    async *rows() {
      for (let start = 0; start < total; start += PARQUET_SLICE) {
        const end = Math.min(total, start + PARQUET_SLICE);
        const objects = await parquetReadObjects({ file: buffer, metadata, compressors, rowStart: start, rowEnd: end });
        for (const [k, object] of objects.entries()) yield { row: start + k + 1, value: plainValues(object) as Record<string, unknown> };
      }
    },
  };
}

/** Opens a JSONL or Parquet file (Parquet by its `.parquet` name or its magic bytes); `limit`: its first rows only. */
export async function openDataset(file: string, limit = Infinity): Promise<Dataset> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new Error(`${file} is not a file`);
  const dataset = (await isParquet(file)) ? await parquetDataset(file) : await jsonlDataset(file);
  if (limit >= dataset.total) return dataset;
  return {
    total: limit,
    async *rows() {
      let count = 0;
      for await (const row of dataset.rows()) {
        if (count++ >= limit) return;
        yield row;
      }
    },
  };
}
