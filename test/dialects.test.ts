import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { DEFAULT_STRIP_TOKENS, splitQuery, stripTrailingTokens, toReference } from '../src/protocol/cleanup.ts';
import { decodeRequest, detectDialect } from '../src/protocol/dialects.ts';
import { MAX_NESTING } from '../src/protocol/items.ts';

const cleanup = { stripTokens: DEFAULT_STRIP_TOKENS };

describe('OpenRLHF query splitting', () => {
  const long = `<|im_start|>system\nYou translate.<|im_end|>\n<|im_start|>user\n${'Context sentence. '.repeat(30)}Translate: the cat<|im_end|>\n<|im_start|>assistant\n`;
  it.each([
    ['prompt then response', 'Q: 2+2? A: 4', 'Q: 2+2? A:', ' 4', 'prefix'],
    ['a prompt whose surrounding whitespace the decode changed', 'Q: hi\nA: yo', '  Q: hi\n', '\nA: yo', 'tail'],
    ['a query that does not start with its prompt', 'something else', 'Q:', 'something else', 'not_found'],
    ['an empty prompt', 'whole query', '', 'whole query', 'prefix'],
    ['a prompt cut on the left, its tail intact', long.slice(200) + 'le chat', long, 'le chat', 'tail'],
    ['a prompt cut on the left past its tail', long.slice(-100) + 'le chat', long, 'le chat', 'overlap'],
    ['the same, after a BOS and a broken first character', '<s>\uFFFD' + long.slice(-90) + 'le chat', long, 'le chat', 'overlap'],
    ['a decode that changed the prompt early on', long.replace('You translate.', 'You  translate .') + 'le chat', long, 'le chat', 'tail'],
  ])('%s', (_name, query, prompt, response, match) => {
    expect(splitQuery(query, prompt)).toEqual({ response, match });
  });

  it('does not take a short accidental overlap for the prompt', () => {
    expect(splitQuery('\nanswer', 'a prompt that ends in a newline\n'.repeat(3)).match).toBe('not_found');
  });
});

describe('special tokens', () => {
  it.each([
    ['Paris<|im_end|>', 'Paris', ['<|im_end|>']],
    ['Paris<|im_end|>\n<|endoftext|>', 'Paris', ['<|im_end|>', '<|endoftext|>']],
    ['B<|eot_id|><|end_of_text|>', 'B', ['<|eot_id|>', '<|end_of_text|>']],
    ['x</s></s></s>', 'x', ['</s>']],
    ['4<｜end▁of▁sentence｜>', '4', ['<｜end▁of▁sentence｜>']],
    ['yes<end_of_turn>\n', 'yes', ['<end_of_turn>']],
    ['keeps inner <|im_end|> tokens  ', 'keeps inner <|im_end|> tokens  ', []],
  ])('%j', (text, clean, stripped) => {
    expect(stripTrailingTokens(text, DEFAULT_STRIP_TOKENS)).toEqual({ text: clean, stripped });
  });
});

describe('clean-up settings', () => {
  it('adds RLAR_STRIP_TOKENS to the built-in list, turns stripping off with none, and checks RLAR_OPEN_ENDED', () => {
    expect(loadConfig({ RLAR_STRIP_TOKENS: '<|my_eos|>, [END]' }).stripTokens).toEqual([...DEFAULT_STRIP_TOKENS, '<|my_eos|>', '[END]']);
    expect(loadConfig({ RLAR_STRIP_TOKENS: 'none' }).stripTokens).toEqual([]);
    expect(loadConfig({}).openEnded).toBe('format');
    expect(() => loadConfig({ RLAR_OPEN_ENDED: 'skip' })).toThrow('RLAR_OPEN_ENDED="skip" is not valid: expected format or abstain');
  });
});

describe('references of any JSON type', () => {
  it.each([
    [42, '42'],
    [0.5, '0.5'],
    [1e-7, '0.0000001'],
    [true, 'true'],
    [[1, 2.5, null], ['1', '2.5']],
    [[[1, 2]], ['[1,2]']],
    [{ answer: 3 }, { answer: 3 }],
    [null, undefined],
  ])('%j', (value, reference) => {
    expect(toReference(value)).toEqual(reference);
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
    expect(decodeRequest('native', ok, cleanup).items).toHaveLength(1);
    const deep = { items: [{ prompt: 'p', response: 'r' }, { prompt: 'p', response: 'r', metadata: nested(100_000) as object }] };
    expect(() => decodeRequest('native', deep, cleanup)).toThrow(`body/items/1/metadata is nested deeper than ${MAX_NESTING} levels`);
    let list: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) list = [list];
    const deepList = { items: [{ prompt: 'p', response: 'r', reference: [list] }] };
    expect(() => decodeRequest('native', deepList, cleanup)).toThrow(`body/items/0/reference is nested deeper than ${MAX_NESTING} levels`);
  });
});
