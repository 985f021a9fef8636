import { RE2JS } from 're2js';
import { ToolInputError } from '../types.ts';
import { messageOf } from '../../util/errors.ts';

/**
 * Patterns that come from requests (tool params, JSON schemas in references) run on RE2 (re2js, a
 * pure-JS port): matching is linear in the input, so a hostile pattern cannot backtrack for minutes.
 */

const FLAGS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL };

export interface SafePattern {
  test(text: string): boolean;
}

export function compileSafePattern(pattern: string, flags = ''): SafePattern {
  let bits = 0;
  for (const flag of flags) {
    const bit = FLAGS[flag];
    if (bit === undefined && flag !== 'u' && flag !== 'g') throw new ToolInputError(`regex flag "${flag}" is not supported (use i, m, s)`);
    bits |= bit ?? 0;
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern, bits);
  } catch (error) {
    throw new ToolInputError(`pattern ${JSON.stringify(pattern.slice(0, 100))} is not a valid RE2 pattern: ${messageOf(error)}`);
  }
  return { test: (text) => compiled.matcher(text).find() };
}
