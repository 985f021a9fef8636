import { Ajv, type ErrorObject } from 'ajv';

/**
 * One validator configuration for every route: no type coercion (a number is not a string), nothing
 * removed or defaulted silently. Errors name the field: `body/items/0/response must be string`.
 */
export const AJV_OPTIONS = { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } as const;

export const ajv = new Ajv({ ...AJV_OPTIONS, strict: false });

export function formatValidationErrors(errors: Partial<ErrorObject>[], dataVar: string): string {
  const union = errors.find((e) => e.keyword === 'anyOf');
  if (union) {
    const path = union.instancePath ?? '';
    const types = errors
      .filter((e) => e.keyword === 'type' && e.instancePath === path)
      .map((e) => String(e.params?.type));
    const expected = types.length > 0 ? `must be one of: ${[...new Set(types)].join(', ')}` : 'matches none of its allowed shapes';
    return `${dataVar}${path} ${expected}`;
  }
  const first = errors[0];
  if (!first) return `${dataVar} is not valid`;
  const extra = first.params?.additionalProperty;
  const suffix = extra === undefined ? '' : ` ("${String(extra)}")`;
  return `${dataVar}${first.instancePath ?? ''} ${first.message ?? 'is not valid'}${suffix}`;
}
