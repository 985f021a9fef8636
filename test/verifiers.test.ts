import { describe, expect, it } from 'vitest';
import { extractAnswer, lastBoxed } from '../src/tools/verifiers/answer.ts';
import { extractMath } from '../src/tools/verifiers/math/extract.ts';
import { choice } from '../src/tools/verifiers/choice.ts';
import { exactMatch } from '../src/tools/verifiers/exact-match.ts';
import { lengthPenalty, repetitionPenalty, thinkFormat } from '../src/tools/verifiers/format.ts';
import { jsonSchema } from '../src/tools/verifiers/json-schema.ts';
import { mathAnswer } from '../src/tools/verifiers/math/index.ts';
import { regexMatch } from '../src/tools/verifiers/regex-match.ts';
import type { ScoringItem, ToolDefinition, ToolParams } from '../src/tools/types.ts';

function score(tool: ToolDefinition, item: Partial<ScoringItem>, params: ToolParams = {}) {
  return tool.score({ prompt: '', response: '', ...item }, params) as { score: number; detail?: Record<string, unknown> };
}

describe('answer extraction', () => {
  it('reads nested braces in the last \\boxed{}', () => {
    expect(lastBoxed('first \\boxed{1} then \\boxed{\\frac{a}{b^{2}}} end')).toBe('\\frac{a}{b^{2}}');
    expect(lastBoxed('\\boxed 7.')).toBe('7.');
    expect(lastBoxed('\\boxed{unclosed')).toBeUndefined();
  });

  it('takes the answer after </think> when the model thought aloud', () => {
    expect(extractAnswer('<think>maybe \\boxed{3}</think> so \\boxed{4}')).toEqual({ text: '4', rule: 'boxed' });
    expect(extractAnswer('<think>it is 3</think>The answer is 5')?.text).toBe('5');
  });

  it('follows the priority boxed > final answer > Answer: > #### > last number', () => {
    expect(extractAnswer('The final answer is $12$. I hope it is correct.')).toEqual({
      text: '$12$',
      rule: 'final_answer',
    });
    expect(extractAnswer('work 3 4\nAnswer: 7')).toEqual({ text: '7', rule: 'answer_label' });
    expect(extractAnswer('so 5+5=10\n#### 10')).toEqual({ text: '10', rule: 'gsm8k_hash' });
    expect(extractMath('we get 3 then 1,234 apples', false)).toMatchObject({ text: '1,234', source: 'last_number' });
    expect(extractMath('the total is −12.', false)).toMatchObject({ text: '−12' });
    expect(extractMath('the result is 3 / 4.', false)).toMatchObject({ text: '3 / 4' });
    expect(extractAnswer('no numbers here')).toBeUndefined();
    expect(extractMath('no numbers here', false)).toBeUndefined();
  });

  it('stays linear on a megabyte of digits and braces', () => {
    const started = performance.now();
    extractAnswer('{'.repeat(500_000) + '\\boxed{' + '1'.repeat(500_000));
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('math_answer', () => {
  it.each([
    ['#### 72', 'So she sold 72 clips.', 1],
    ['#### 72', 'So she sold 27 clips.', 0],
    ['#### 1,000', 'The answer is 1000', 1],
    ['\\frac{3}{4}', '$\\boxed{\\dfrac34}$', 1],
    ['0.75', '\\boxed{\\frac{3}{4}}', 1],
    ['\\frac{1}{3}', '\\boxed{0.333333}', 1],
    ['\\frac{1}{3}', '\\boxed{0.33}', 0],
    ['5', 'x = 5', 1],
    ['50', 'The final answer is $50\\%$.', 1],
    ['18', 'She makes \\$18 every day. #### 18', 1],
    ['90', '\\boxed{90^\\circ}', 1],
    ['12', '\\boxed{12 \\text{ cm}}', 1],
    ['-2', '\\boxed{-2}', 1],
    ['2', '\\boxed{-2}', 0],
    ['1e3', '\\boxed{1000}', 1],
  ])('gold %s, response %s -> %i', (reference, response, expected) => {
    expect(score(mathAnswer, { reference, response }).score).toBe(expected);
  });

  it('accepts any of several references and reports what it extracted', () => {
    const result = score(mathAnswer, { reference: ['\\frac{1}{2}', '0.5'], response: 'Answer: 1/2' });
    expect(result.score).toBe(1);
    expect(result.detail).toMatchObject({ extracted: '1/2', rule: 'rational' });
  });

  it('refuses to score without a reference', () => {
    expect(() => score(mathAnswer, { response: '\\boxed{1}' })).toThrow(/needs a reference/);
  });
});

describe('exact_match', () => {
  it('normalizes case, punctuation and articles, and reads a stated answer', () => {
    expect(score(exactMatch, { reference: 'The Eiffel Tower', response: 'eiffel tower!' }).score).toBe(1);
    expect(score(exactMatch, { reference: ['NYC', 'New York City'], response: 'Answer: new york city' }).score).toBe(1);
    expect(score(exactMatch, { reference: 'Paris', response: 'Rome' }).score).toBe(0);
    expect(score(exactMatch, { reference: 'Paris', response: 'paris' }, { ignore_case: false }).score).toBe(0);
  });
});

describe('choice', () => {
  it.each([
    ['B', 'The answer is (B).', 1],
    ['(B)', 'Answer: B', 1],
    ['B', '\\boxed{B}', 1],
    ['B', 'I think A is wrong; the correct option is C', 0],
    ['C', 'I think A is wrong; the correct option is C', 1],
    ['J', 'Answer: J', 1],
    ['B', 'no letter', 0],
  ])('gold %s, response %s -> %i', (reference, response, expected) => {
    expect(score(choice, { reference, response }).score).toBe(expected);
  });

  it('refuses a reference that names no letter', () => {
    expect(() => score(choice, { reference: '42', response: 'A' })).toThrow(/option letter/);
  });
});

describe('think_format', () => {
  it.each([
    ['<think>let me see</think>The answer is 4.', 1],
    ['  <think>a</think>\n4', 1],
    ['<think>a</think>', 0],
    ['The answer<think>a</think>4', 0],
    ['<think>a</think><think>b</think>4', 0],
    ['<think>never closed 4', 0],
  ])('%j -> %i', (response, expected) => {
    expect(score(thinkFormat, { response }).score).toBe(expected);
  });

  it('accepts a block opened by the chat template when told so', () => {
    expect(score(thinkFormat, { response: 'reasoning</think>42' }, { opened_in_prompt: true }).score).toBe(1);
  });
});

describe('length_penalty (DAPO soft overlong punishment)', () => {
  const words = (n: number) => Array.from({ length: n }, () => 'w').join(' ');
  it('is 1 within budget, ramps linearly over the buffer, and 0 beyond the maximum or when empty', () => {
    const params = { max_length: 100, buffer: 40 };
    expect(score(lengthPenalty, { response: words(60) }, params).score).toBe(1);
    expect(score(lengthPenalty, { response: words(70) }, params).score).toBeCloseTo(0.75, 12);
    expect(score(lengthPenalty, { response: words(100) }, params).score).toBeCloseTo(0, 12);
    expect(score(lengthPenalty, { response: words(101) }, params).score).toBe(0);
    expect(score(lengthPenalty, { response: '  ' }, params).score).toBe(0);
  });

  it('counts characters (code points) when asked', () => {
    expect(score(lengthPenalty, { response: '😀'.repeat(10) }, { unit: 'chars', max_length: 10, buffer: 5 }).detail).toMatchObject({
      length: 10,
    });
  });
});

describe('repetition_penalty', () => {
  it('scores looping text low and varied text 1', () => {
    expect(score(repetitionPenalty, { response: 'the cat sat on the mat today' }).score).toBe(1);
    const loop = Array.from({ length: 50 }, () => 'I am sorry').join(' ');
    expect(score(repetitionPenalty, { response: loop }).score).toBeLessThan(0.1);
  });
});

describe('answers as models write them', () => {
  it.each([
    [mathAnswer, '#### 18', 'The answer is 18.\n\nLet me know if you have 2 more questions!', 1],
    [mathAnswer, '10', 'We get 10. \\boxed{}', 1],
    [mathAnswer, '-12', 'The answer is −12', 1],
    [exactMatch, 'New York', '<think>hmm, Boston?</think>New York', 1],
    [exactMatch, 'St. Louis', 'Answer: St. Louis', 1],
    [exactMatch, 'USA', 'U.S.A.', 1],
    [exactMatch, '1000', 'Answer: 1,000', 1],
    [exactMatch, 'Paris', 'The answer is Paris. It is the capital of France.', 1],
    [choice, 'C', 'The answer is C. A prime number is only divisible by 1 and itself.', 1],
    [choice, 'B', 'The correct option is B, since option A is wrong.', 1],
    [choice, 'A', '(A) is correct because B and C are false', 1],
    [choice, 'B', 'A prime number has two divisors, so B.', 1],
  ] as const)('%s: reference %j, response %j -> %i', (tool, reference, response, expected) => {
    expect(score(tool, { reference, response }).score).toBe(expected);
  });

  it('gives an empty response no credit for not repeating itself', () => {
    expect(score(repetitionPenalty, { response: '   ' }).score).toBe(0);
  });
});

describe('hostile input stays fast', () => {
  it.each([
    ['a newline flood', '\n'.repeat(200_000) + 'answer'],
    ['a digit run', '1'.repeat(1_000_000) + 'x'],
    ['a thousands-separator chain in a box', `\\boxed{${'1,000'.repeat(200_000)}}`],
    ['dollar runs', `\\boxed{${'$'.repeat(500_000)}x}`],
  ])('answers within a second on %s', (_name, response) => {
    for (const tool of [mathAnswer, exactMatch, choice]) {
      const started = performance.now();
      try {
        score(tool, { reference: '1', response });
      } catch {
        // choice refuses the reference; only the time matters here
      }
      expect(performance.now() - started).toBeLessThan(1_000);
    }
  });
});

describe('math_answer extraction and normalization', () => {
  it.each([
    ['1234', '$\\boxed{1\\,234}$', 1],
    ['1234', 'The total is $1 234$.', 1],
    ['5', 'Q: How many?\nA: The answer is 5.', 1],
    ['\\frac{9}{4}', '$\\boxed{2\\frac{1}{4}}$', 1],
    ['\\frac{9}{4}', '$\\boxed{2\\cdot\\frac{1}{4}}$', 0],
    ['x^2+2x+1', '$\\boxed{(x+1)^2}$', 1],
    ['x^2+2x+1', '$\\boxed{(x+1)^3}$', 0],
    ['\\text{(C)}', 'The answer is $\\boxed{\\text{(C)}}$', 1],
    ['\\text{Evelyn}', '\\boxed{Evelny}', 0],
    ['90^\\circ', 'so the angle is $\\boxed{90}$ degrees', 1],
    ['(1,2)', '$\\boxed{\\left( 1, 2 \\right)}$', 1],
    ['\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}', '$\\boxed{\\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix}}$', 1],
  ])('reference %j, response %j -> %i', (reference, response, expected) => {
    expect(score(mathAnswer, { reference, response }).score).toBe(expected);
  });
});

describe('json_schema', () => {
  const schema = {
    type: 'object',
    properties: { name: { type: 'string', pattern: '^(a+)+$' }, age: { type: 'integer', minimum: 0 } },
    required: ['name', 'age'],
  };

  it('scores a response that parses and validates 1, and says why otherwise', () => {
    expect(score(jsonSchema, { reference: schema, response: '{"name": "aaa", "age": 3}' }).score).toBe(1);
    expect(score(jsonSchema, { reference: { schema }, response: 'Here:\n```json\n{"name": "a", "age": 0}\n```' }).score).toBe(1);
    expect(score(jsonSchema, { reference: JSON.stringify(schema), response: '{"name": "a"}' }).detail).toMatchObject({
      valid: false,
      reason: "/ must have required property 'age'",
    });
    expect(score(jsonSchema, { reference: schema, response: '{name: a}' }).detail).toMatchObject({ parsed: false });
  });

  it('runs schema patterns on RE2, so a backtracking pattern cannot stall it', () => {
    const started = performance.now();
    const result = score(jsonSchema, { reference: schema, response: JSON.stringify({ name: `${'a'.repeat(100_000)}!`, age: 1 }) });
    expect(result.score).toBe(0);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('refuses a reference that is no schema', () => {
    expect(() => score(jsonSchema, { reference: 'not json', response: '{}' })).toThrow(/not JSON/);
    expect(() => score(jsonSchema, { reference: { type: 12 }, response: '{}' })).toThrow(/not a valid JSON schema/);
  });
});

describe('regex_match', () => {
  it('matches a part, or the whole response when asked, with flags', () => {
    expect(score(regexMatch, { response: 'So.\nAnswer: C' }, { pattern: 'Answer: [A-D]' }).score).toBe(1);
    expect(score(regexMatch, { response: 'So.\nAnswer: C' }, { pattern: 'Answer: [A-D]', full: true }).score).toBe(0);
    expect(score(regexMatch, { response: 'ANSWER: c' }, { pattern: 'answer: [a-d]', flags: 'i' }).score).toBe(1);
    expect(score(regexMatch, { response: '42', reference: '^\\d+$' }).score).toBe(1);
  });

  it('is linear on a pattern that backtracks in JavaScript', () => {
    const started = performance.now();
    expect(score(regexMatch, { response: `${'a'.repeat(100_000)}!` }, { pattern: '^(a+)+$' }).score).toBe(0);
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('names a bad pattern or flag', () => {
    expect(() => score(regexMatch, { response: 'x' }, { pattern: '(' })).toThrow(/not a valid RE2 pattern/);
    expect(() => score(regexMatch, { response: 'x' }, { pattern: 'x', flags: 'y' })).toThrow(/flag "y"/);
    expect(() => score(regexMatch, { response: 'x' })).toThrow(/needs params.pattern/);
  });
});

describe('math_answer does not reward near misses', () => {
  it.each([
    ['1000000000', '\\boxed{10^{9}+1}'],
    ['10^{20}', '\\boxed{10^{20}+1}'],
    ['0', '\\boxed{10^{-10}}'],
    ['6.03 \\times 10^{-23}', '\\boxed{6.02 \\times 10^{-23}}'],
    ['\\cos 60^\\circ', '\\boxed{\\cos 60}'],
    ['x', '\\boxed{|x|}'],
    ['x', '\\boxed{\\sqrt{x^2}}'],
    ['1234', 'Answer: 12 34'],
    ['54', '\\boxed{204_5}'],
    ['7', '<think>The answer is 7'],
    ['5', 'Answer is \\boxed{3}. So 5 of them were left, and the answer is 3.'],
    ['3, 5', '\\boxed{3}. Hmm, no: \\boxed{5}'],
    ['12', 'The total is −12.'],
  ])('reference %j, response %j -> 0', (reference, response) => {
    expect(score(mathAnswer, { reference, response }).score).toBe(0);
  });

  it.each([
    ['\\frac{1}{2}', '\\boxed{\\cos 60^\\circ}'],
    ['10', '\\boxed{10 \\text{ cm}^2}'],
    ['y=-\\frac{2}{3}x+2', '\\boxed{2x+3y=6}'],
    ['(-\\infty, 2) \\cup (3, \\infty)', '\\boxed{x < 2 \\text{ or } x > 3}'],
    ['[2,3]', '\\boxed{\\lbrack 2, 3\\rbrack}'],
    ['0.75', 'The result is 3 / 4.'],
    ['-12', 'The total is −12.'],
  ])('reference %j, response %j -> 1', (reference, response) => {
    expect(score(mathAnswer, { reference, response }).score).toBe(1);
  });

  it.each([
    ['a million unclosed boxes', '\\boxed{'.repeat(140_000)],
    ['unclosed display math', '\\['.repeat(500_000)],
    ['many dollar spans', '$a$ '.repeat(250_000)],
    ['a huge binomial', '\\boxed{\\binom{10^{10}}{5000000000}}'],
    ['a power tower', '\\boxed{9^{9^9}+1}'],
    ['deep parentheses', `\\boxed{${'('.repeat(9000)}1${')'.repeat(9000)}}`],
  ])('does not hang on %s', (_name, response) => {
    const started = performance.now();
    expect(score(mathAnswer, { reference: '1', response }).score).toBe(0);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
