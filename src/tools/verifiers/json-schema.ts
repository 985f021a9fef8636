import { Ajv, type ValidateFunction } from 'ajv';
import { ToolInputError, type ToolDefinition } from '../types.ts';
import { stripThinking } from './answer.ts';
import { boundedCache } from '../../util/bounded-cache.ts';
import { messageOf } from '../../util/errors.ts';
import { compileSafePattern } from './regex.ts';

/** Ajv with RE2 for `pattern` keywords: a schema from a request must not be able to backtrack forever. */
const safeRegExp = Object.assign((pattern: string, flags: string) => compileSafePattern(pattern, flags), { code: 'RE2' });
const ajv = new Ajv({ strict: false, allErrors: false, code: { regExp: safeRegExp } });
const validators = boundedCache<ValidateFunction>(256);

function validatorFor(schema: object): ValidateFunction {
  return validators(JSON.stringify(schema), () => {
    try {
      return ajv.compile(schema);
    } catch (error) {
      throw new ToolInputError(`the reference is not a valid JSON schema: ${messageOf(error)}`);
    }
  });
}

/** The schema in a reference: the reference itself, `{"schema": ...}`, or the same as JSON text. */
function schemaOf(reference: unknown): object {
  let value = reference;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new ToolInputError('json_schema needs a JSON schema as reference; the reference text is not JSON');
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const wrapped = (value as Record<string, unknown>).schema;
    return wrapped !== null && typeof wrapped === 'object' ? (wrapped as object) : (value as object);
  }
  throw new ToolInputError('json_schema needs a JSON schema (an object) as reference');
}

/** The JSON a response offers: the last fenced ```json block if any, else the whole answer. */
function responseJson(response: string): string {
  const text = stripThinking(response);
  const fence = text.lastIndexOf('```');
  if (fence !== -1) {
    const open = text.lastIndexOf('```', fence - 1);
    if (open !== -1) return text.slice(open + 3, fence).replace(/^json\b/i, '').trim();
  }
  return text.trim();
}

export const jsonSchema: ToolDefinition = {
  name: 'json_schema',
  kind: 'verifier',
  description:
    'Structured output: 1 if the response (or its last ```json block) parses as JSON and validates against the JSON ' +
    'schema given as reference, else 0; the detail says why not.',
  needsReference: true,
  score(item) {
    const validate = validatorFor(schemaOf(item.reference));
    let value: unknown;
    try {
      value = JSON.parse(responseJson(item.response));
    } catch (error) {
      return { score: 0, detail: { parsed: false, reason: messageOf(error) } };
    }
    const valid = validate(value);
    const firstError = validate.errors?.[0];
    const reason = firstError ? `${firstError.instancePath || '/'} ${firstError.message ?? 'is not valid'}` : undefined;
    return { score: valid ? 1 : 0, detail: { parsed: true, valid, ...(reason && { reason }) } };
  },
};
