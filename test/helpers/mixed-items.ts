/** `count` items over many task kinds and signatures, with right, wrong and malformed responses. */
export function mixedItems(count: number) {
  const kinds = [
    (i: number) => ({ prompt: `Natalia sold ${i} clips...`, response: i % 3 === 0 ? `So ${i + 1}.` : `<think>add</think> #### ${i * 2}`, reference: `#### ${i * 2}`, task: 'openai/gsm8k' }),
    (i: number) => ({ prompt: `What is ${i}/4?`, response: `\\boxed{${i % 2 ? `\\frac{${i}}{4}` : i / 4 + 0.5}}`, reference: `\\frac{${i}}{4}`, task: `competition_math_${i % 3}` }),
    (i: number) => ({ prompt: 'Pick:\nA) one\nB) two\nC) three', response: `The answer is (${'ABC'[i % 3]}).`, reference: 'B' }),
    (i: number) => ({ prompt: 'Translate to French: the cat sat on the mat', response: ['le chat était assis sur le tapis', 'un chien dort', 'le chat sur le tapis'][i % 3]!, reference: 'le chat était assis sur le tapis', task: 'wmt14-en-fr' }),
    (i: number) => ({ prompt: 'Summarize: the quick brown fox jumps over the lazy dog. '.repeat(3), response: 'a fox jumps over a dog '.repeat(1 + (i % 4)), reference: 'The fox jumps over the dog.', task: 'cnn_dailymail' }),
    (i: number) => ({ prompt: 'Capital of France?', response: ['Paris', 'paris.', 'Lyon'][i % 3]!, reference: 'Paris', task: 'squad' }),
    (i: number) => ({ prompt: 'Write without commas.', response: i % 2 ? 'no commas here' : 'one, two', metadata: { instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] } }),
    (i: number) => ({ prompt: 'Tell me a story.', response: 'once upon a time '.repeat(i % 7) }),
  ];
  return Array.from({ length: count }, (_, i) => ({ id: i, ...kinds[i % kinds.length]!(i) }));
}


/** Recipes that make gsm8k items (task `openai/...`) answer inside <think> blocks, or score 0. */
export const GATED_GSM8K_RECIPES = `rules:
  - match: { task: "openai/*" }
    toolset:
      tools:
        - { tool: math_answer, weight: 0.9 }
        - { tool: think_format, weight: 0.1, gate: 1 }
`;
