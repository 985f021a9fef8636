import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import type { TSchema } from 'typebox';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { messageOf } from './errors.ts';

/**
 * Settings files users write (recipes, snapshots): YAML or JSON (JSON is read as YAML 1.2, so one
 * parser gives line numbers for both). A problem is reported as `FILE:LINE: path problem`, so the
 * user finds it at once.
 */

export class FileError extends Error {
  override name = 'FileError';
}

/** Far above any sane settings file; it bounds what a bad file can cost at start. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

const ajv = new Ajv({ strict: false, allErrors: false, coerceTypes: false, useDefaults: false, removeAdditional: false, validateFormats: false });

export interface StructuredFile<T> {
  file: string;
  value: T;
  /** `FILE:LINE: path message` for a problem at `path` in the file (the nearest line that exists). */
  problem(path: readonly (string | number)[], message: string): FileError;
}

function lineOf(doc: Document, counter: LineCounter, path: readonly (string | number)[]): number {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return 1;
}

function schemaMessage(error: ErrorObject): { path: string[]; message: string } {
  const path = error.instancePath.split('/').filter(Boolean).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (error.keyword === 'additionalProperties') {
    const extra = String(error.params.additionalProperty);
    return { path: [...path, extra], message: 'is not a known field here' };
  }
  if (error.keyword === 'required') return { path, message: `needs the field "${String(error.params.missingProperty)}"` };
  return { path, message: error.message ?? 'is not valid' };
}

/** Reads, parses and validates a file against `schema`; throws a FileError naming the line. */
export function readStructuredFile<T>(file: string, schema: TSchema): StructuredFile<T> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FileError(`${file}: cannot be read: ${messageOf(error)}`);
  }
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw new FileError(`${file}: larger than ${MAX_FILE_BYTES} bytes`);
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  const parseError = doc.errors[0];
  if (parseError) {
    const line = parseError.linePos?.[0].line ?? counter.linePos(parseError.pos[0]).line;
    throw new FileError(`${file}:${line}: not valid YAML or JSON: ${parseError.message.split('\n')[0]}`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new FileError(`${file}: ${messageOf(error)}`);
  }
  const problem = (path: readonly (string | number)[], message: string) =>
    new FileError(`${file}:${lineOf(doc, counter, path)}: ${path.length > 0 ? `${path.join('/')} ` : ''}${message}`);
  const validate = ajv.compile(schema);
  if (!validate(value)) {
    const { path, message } = schemaMessage(validate.errors![0]!);
    throw problem(path, message);
  }
  return { file, value: value as T, problem };
}
