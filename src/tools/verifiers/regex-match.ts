import { ToolInputError, type ToolDefinition } from '../types.ts';
import { boundedCache } from '../../util/bounded-cache.ts';
import { compileSafePattern, type SafePattern } from './regex.ts';

const MAX_PATTERN = 2_000;
/** The same toolset sends the same pattern for every item: compile it once. */
const cached = boundedCache<SafePattern>(256);

export const regexMatch: ToolDefinition = {
  name: 'regex_match',
  kind: 'verifier',
  description:
    'Format check: 1 if the response matches a regular expression (RE2 syntax, linear-time), else 0. The pattern ' +
    'comes from params.pattern or, failing that, from a string reference.',
  needsReference: false,
  params: {
    type: 'object',
    properties: {
      pattern: { type: 'string', description: 'RE2 pattern, e.g. "^Answer: [A-D]$"' },
      flags: { type: 'string', description: 'i (case-insensitive), m (multi-line), s (dot matches newline)', default: '' },
      full: { type: 'boolean', default: false, description: 'the whole response must match, not just a part' },
    },
  },
  score(item, params) {
    const pattern = typeof params.pattern === 'string' ? params.pattern : typeof item.reference === 'string' ? item.reference : undefined;
    if (pattern === undefined) throw new ToolInputError('regex_match needs params.pattern or a string reference');
    if (pattern.length > MAX_PATTERN) throw new ToolInputError(`the pattern is longer than ${MAX_PATTERN} characters`);
    const flags = typeof params.flags === 'string' ? params.flags : '';
    const source = params.full === true ? `^(?:${pattern})$` : pattern;
    const effectiveFlags = params.full === true ? flags.replace('m', '') : flags;
    const matched = cached(`${effectiveFlags}/${source}`, () => compileSafePattern(source, effectiveFlags)).test(item.response);
    return { score: matched ? 1 : 0, detail: { pattern, matched } };
  },
};
