import { describe, expect, it } from 'vitest';
import { HeuristicPlanner } from '../src/planning/heuristic.ts';
import { parseSignature, referenceShape, taskSignature } from '../src/planning/signature.ts';
import { ToolRegistry } from '../src/tools/registry.ts';
import { builtinRegistry } from '../src/tools/builtin.ts';
import type { ScoringItem } from '../src/tools/types.ts';

const item = (fields: Partial<ScoringItem>): ScoringItem => ({ prompt: '', response: '', ...fields });

describe('task signature', () => {
  it.each([
    [{ task: 'openai/gsm8k', reference: 'steps\n#### 18' }, 'math.gsm8k.gsm8k_hash'],
    [{ task: 'lighteval/MATH', reference: '\\frac{1}{2}' }, 'math.math.latex'],
    [{ prompt: 'Find x.', reference: 'So $\\boxed{3}$.' }, 'math.any.boxed'],
    [{ prompt: 'How many apples?', reference: '42' }, 'math.any.number'],
    [{ prompt: 'Which?\nA) a\nB) b\nC) c', reference: 'C' }, 'choice.any.letter'],
    [{ task: 'codecontests', reference: '{"inputs":["1\\n"],"outputs":["2\\n"]}' }, 'code.codecontests.test_cases'],
    [{ reference: { inputs: ['1'], outputs: ['2'] } }, 'code.any.test_cases'],
    [{ task: 'wmt14-en-fr', reference: 'Le chat est sur le tapis, comme toujours le matin.' }, 'translation.wmt14_en_fr.long_text'],
    [{ prompt: 'Summarize the article below.', reference: 'A long summary with many words in it that goes on.' }, 'summarization.any.long_text'],
    [{ prompt: 'Who wrote Hamlet?', reference: 'Shakespeare' }, 'qa.any.short_text'],
    [{ prompt: 'Chat with me' }, 'dialogue.any.none'],
    [{ prompt: 'Think in <think></think> tags, then answer. Hi!' }, 'dialogue.any.none+think'],
    [{ prompt: '<|im_start|>user\nHow many legs?<|im_end|>\n<|im_start|>assistant\n<think>\n', reference: '4' }, 'math.any.number+think_open'],
    [{ task: 'hendrycks/mmlu_high_school_mathematics', reference: 'B' }, 'choice.mmlu_high_school_mathematics.letter'],
    [{ task: 'cais/mmlu', reference: '42' }, 'choice.mmlu.number'],
    [{ task: 'my_trace_eval', reference: '42' }, 'math.my_trace_eval.number'],
    [{ task: 'allenai/ai2_arc', reference: 'Paris' }, 'choice.ai2_arc.short_text'],
    [{ task: 'lighteval/MATH', reference: { inputs: ['1'], outputs: ['1'] } }, 'code.math.test_cases'],
    [{ prompt: 'Write a 300+ word essay.', metadata: { instruction_id_list: ['length_constraints:number_words'], kwargs: [{}] } }, 'instructions.any.instructions'],
    [{ task: 'google/IFEval', reference: { instruction_id_list: [], kwargs: [] } }, 'instructions.ifeval.instructions'],
    [{ prompt: 'Reply in JSON.', reference: { type: 'object', properties: { a: { type: 'string' } } } }, 'json.any.json_schema'],
  ])('%j -> %s', (fields, expected) => {
    const signature = taskSignature(item(fields));
    expect(signature).toBe(expected);
    expect(signature).toMatch(/^[a-z0-9_.+-]+$/);
    expect(parseSignature(signature)).toBeDefined();
  });

  it('does not depend on the response, so every rollout of a prompt shares a toolset', () => {
    const a = taskSignature(item({ prompt: 'How many?', reference: '#### 3', response: 'a' }));
    const b = taskSignature(item({ prompt: 'How many?', reference: '#### 3', response: 'something else entirely' }));
    expect(a).toBe(b);
  });

  it('gives repeated prompts (whose cues are cached) the signatures of their own tasks and references', () => {
    const items = [
      item({ prompt: 'Solve x+1=2.', reference: '1' }),
      item({ prompt: 'Solve x+1=2.', reference: '1', task: 'openai/gsm8k' }),
      item({ prompt: 'Solve x+1=2.', reference: 'B' }),
      item({ prompt: 'Translate to French: cat <think>', reference: 'chat' }),
      item({ prompt: 'Translate to French: cat <think>', reference: 'chat', response: 'chien' }),
      item({ prompt: 'Solve x+1=2.' }),
    ];
    const signatures = items.map(taskSignature);
    expect(signatures).toEqual([
      'math.any.number',
      'math.gsm8k.number',
      'choice.any.letter',
      'translation.any.short_text+think_open',
      'translation.any.short_text+think_open',
      'dialogue.any.none',
    ]);
  });

  it.each([
    ['spaces', 'x '.repeat(2_000_000)],
    ['newlines', '\n'.repeat(2_000_000)],
    ['option-like lines', 'A) \n'.repeat(500_000)],
  ])('does not hang on a huge prompt of %s, nor on a huge reference', (_name, text) => {
    const started = performance.now();
    taskSignature(item({ prompt: text, reference: 'y' }));
    taskSignature(item({ prompt: 'p', reference: text }));
    taskSignature(item({ prompt: 'p', reference: '1'.repeat(1_000_000) + 'x' }));
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('reads reference shapes', () => {
    expect(referenceShape(undefined)).toBe('none');
    expect(referenceShape('   ')).toBe('none');
    expect(referenceShape('-1,234.5')).toBe('number');
    expect(referenceShape('(D)')).toBe('letter');
    expect(referenceShape(['B', 'C'])).toBe('letter');
    expect(referenceShape({ answer: 3 })).toBe('number');
    expect(referenceShape({ answer: 'B' })).toBe('letter');
    expect(referenceShape({ rubric: 'x' })).toBe('structured');
  });
});

describe('heuristic planner', () => {
  const planner = new HeuristicPlanner(builtinRegistry());

  it.each([
    ['math.gsm8k.gsm8k_hash', ['math_answer']],
    ['choice.any.letter', ['choice']],
    ['qa.any.short_text', ['exact_match']],
    ['translation.any.long_text', ['chrf', 'bleu']],
    ['summarization.any.long_text', ['rouge']],
    ['dialogue.any.none', ['length_penalty', 'repetition_penalty']],
    ['dialogue.any.none+think', ['length_penalty', 'repetition_penalty', 'think_format']],
    ['json.any.json_schema', ['json_schema']],
    ['code.codecontests.test_cases', ['code_tests']],
  ])('routes %s to %j with weights summing to 1 and a rationale', async (signature, tools) => {
    const plan = await planner.plan(signature);
    expect(plan.tools.map((t) => t.tool)).toEqual(tools);
    expect(plan.tools.reduce((sum, t) => sum + t.weight, 0)).toBeCloseTo(1, 12);
    expect(plan.rationale.length).toBeGreaterThan(0);
  });

  it('tells think_format that the template opened the block', async () => {
    const plan = await planner.plan('math.any.number+think_open');
    expect(plan.tools.find((t) => t.tool === 'think_format')).toEqual({ tool: 'think_format', weight: 0.2, params: { opened_in_prompt: true } });
  });

  it('falls back to sanity tools and says why when a domain tool is missing from the build', async () => {
    const registry = new ToolRegistry();
    for (const tool of builtinRegistry().list().filter((t) => t.name !== 'code_tests')) registry.register(tool);
    const plan = await new HeuristicPlanner(registry).plan('code.any.test_cases');
    expect(plan.tools.map((t) => t.tool)).toEqual(['length_penalty', 'repetition_penalty']);
    expect(plan.rationale[0]).toMatch(/code_tests not available/);
  });

  it('only ever names tools that are registered', async () => {
    const empty = new HeuristicPlanner(new ToolRegistry());
    const plan = await empty.plan('math.any.number+think');
    expect(plan.tools).toEqual([]);
    expect(plan.rationale.join(' ')).toMatch(/no tool of this route is available/);
  });
});
