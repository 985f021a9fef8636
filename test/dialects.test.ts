import { describe, expect, it } from 'vitest';
import { decodeRequest, detectDialect, splitQuery } from '../src/protocol/dialects.ts';
import { MAX_NESTING } from '../src/protocol/items.ts';

describe('OpenRLHF query splitting', () => {
  it.each([
    ['prompt then response', 'Q: 2+2? A: 4', 'Q: 2+2? A:', ' 4'],
    ['a prompt whose surrounding whitespace the decode changed', 'Q: hi\nA: yo', '  Q: hi\n', '\nA: yo'],
    ['a query that does not start with its prompt', 'something else', 'Q:', 'something else'],
    ['an empty prompt', 'whole query', '', 'whole query'],
  ])('%s', (_name, query, prompt, response) => {
    expect(splitQuery(query, prompt)).toBe(response);
  });
});

describe('dialect detection', () => {
  it.each([
    [{ items: [] }, 'native'],
    [{ query: [] }, 'openrlhf'],
    [{ prompt: 'p', response: 'r' }, 'slime'],
    [{ prompt: 'p' }, undefined],
    [[], undefined],
    ['text', undefined],
    [null, undefined],
  ])('%j -> %s', (body, dialect) => {
    expect(detectDialect(body)).toBe(dialect);
  });
});

describe('nesting', () => {
  const nested = (depth: number): unknown => {
    let value: unknown = 'leaf';
    for (let i = 0; i < depth; i++) value = { x: value };
    return value;
  };

  it(`accepts references nested ${MAX_NESTING} deep and refuses deeper, naming the field`, () => {
    const ok = { items: [{ prompt: 'p', response: 'r', reference: nested(MAX_NESTING) as object }] };
    expect(decodeRequest('native', ok).items).toHaveLength(1);
    const deep = { items: [{ prompt: 'p', response: 'r' }, { prompt: 'p', response: 'r', metadata: nested(100_000) as object }] };
    expect(() => decodeRequest('native', deep)).toThrow(`body/items/1/metadata is nested deeper than ${MAX_NESTING} levels`);
  });
});
