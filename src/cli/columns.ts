import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { Item, type NativeItem } from '../protocol/schemas.ts';
import { ajv, formatValidationErrors } from '../server/validation.ts';

/**
 * Where the fields of an item are in a data file's rows. Each field has a flag naming its column (a
 * dotted path reaches into nested columns: `reward_model.ground_truth`); without the flag the first
 * default column a row has is used. The defaults read plain prompt/response/reference files and verl's
 * layout (`prompt` as chat messages, `data_source`, `reward_model.ground_truth`, `extra_info`).
 */
export type ItemField = 'prompt' | 'response' | 'reference' | 'task' | 'metadata' | 'id';

export type ColumnMap = Partial<Record<ItemField, string>>;

const DEFAULT_COLUMNS: Record<ItemField, string[]> = {
  prompt: ['prompt', 'question', 'problem'],
  response: ['response', 'responses'],
  reference: ['reference', 'reward_model.ground_truth', 'ground_truth', 'answer'],
  task: ['task', 'data_source'],
  metadata: ['metadata', 'extra_info'],
  id: ['id'],
};

/** The command-line flag of each field. */
export const COLUMN_FLAGS: Record<ItemField, string> = {
  prompt: 'prompt-col',
  response: 'response-col',
  reference: 'reference-col',
  task: 'task-col',
  metadata: 'metadata-col',
  id: 'id-col',
};

/** A row that cannot become an item; the message says what is wrong with it. */
export class RowProblem extends Error {
  override name = 'RowProblem';
}

const validateItem = ajv.compile(Item);

function valueAt(record: Record<string, unknown>, path: string): unknown {
  if (path in record) return record[path];
  let value: unknown = record;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The value of a field and the column it came from; null counts as absent (Parquet fills missing cells with null). */
export function fieldOf(record: Record<string, unknown>, field: ItemField, columns: ColumnMap): { column: string; value: unknown } | undefined {
  const candidates = columns[field] === undefined ? DEFAULT_COLUMNS[field] : [columns[field]];
  for (const column of candidates) {
    const value = valueAt(record, column);
    if (value !== undefined && value !== null) return { column, value };
  }
  return undefined;
}

function describeColumns(field: ItemField, columns: ColumnMap): string {
  const names = columns[field] === undefined ? DEFAULT_COLUMNS[field] : [columns[field]];
  return `no ${field} (looked for ${names.map((n) => `"${n}"`).join(', ')}; --${COLUMN_FLAGS[field]} names the column)`;
}

/** References in data files are often numbers (verl's math sets): the service takes text. */
function referenceValue(value: unknown): unknown {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) return value.map(String);
  return value;
}

/**
 * The native item of one row, checked against the same schema `POST /reward` uses. `response` is given
 * when the caller takes it from elsewhere (the chosen and rejected responses of preference data).
 */
export function rowItem(record: Record<string, unknown>, columns: ColumnMap, response?: unknown): NativeItem {
  const prompt = fieldOf(record, 'prompt', columns);
  if (prompt === undefined) throw new RowProblem(describeColumns('prompt', columns));
  const responseValue = response ?? fieldOf(record, 'response', columns)?.value;
  if (responseValue === undefined) throw new RowProblem(describeColumns('response', columns));
  const item: Record<string, unknown> = { prompt: prompt.value, response: responseValue };
  const reference = fieldOf(record, 'reference', columns);
  if (reference !== undefined) item.reference = referenceValue(reference.value);
  const task = fieldOf(record, 'task', columns);
  if (task !== undefined) item.task = typeof task.value === 'string' ? task.value : String(task.value);
  const metadata = fieldOf(record, 'metadata', columns);
  if (metadata !== undefined) item.metadata = metadata.value;
  if (!validateItem(item)) {
    throw new RowProblem(formatValidationErrors(validateItem.errors as FastifySchemaValidationError[], 'item'));
  }
  return item as NativeItem;
}

/** The row's id, when it has one (echoed in the output). */
export function rowId(record: Record<string, unknown>, columns: ColumnMap): string | number | undefined {
  const id = fieldOf(record, 'id', columns)?.value;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}
