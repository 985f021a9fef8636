// Builds preference.jsonl from public data the repository carries (see README.md beside this file).
// Deterministic: the same inputs give the same file. Run from the repository root:
//   node examples/preference/build.ts
import { readFileSync, writeFileSync } from 'node:fs';

interface MathProblem {
  problem: string;
  solution: string;
  answer: string;
}

const root = new URL('../../', import.meta.url);
const math: MathProblem[] = readFileSync(new URL('test/fixtures/math500.jsonl', root), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line));
const sacrebleu = JSON.parse(readFileSync(new URL('test/fixtures/sacrebleu_vectors.json', root), 'utf8')) as {
  cases: { hyp: string; refs: string[] }[];
};

/** The span of the last `\boxed{...}` content in a text (balanced braces), or undefined. */
function lastBoxed(text: string): { start: number; end: number } | undefined {
  const at = text.lastIndexOf('\\boxed{');
  if (at === -1) return undefined;
  let depth = 0;
  for (let i = at + 6; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return { start: at + 7, end: i };
  }
  return undefined;
}

/** A wrong final answer: an integer moved by one, else another problem's (different) answer. */
function wrongAnswer(index: number): string {
  const answer = math[index]!.answer.trim();
  if (/^-?\d+$/.test(answer)) return String(Number(answer) + 1 + (index % 3));
  for (let k = 1; ; k++) {
    const other = math[(index + 37 * k) % math.length]!.answer.trim();
    if (other !== answer) return other;
  }
}

const rows: Record<string, unknown>[] = [];
const withBoxed = math.map((m, i) => ({ ...m, i, box: lastBoxed(m.solution) })).filter((m) => m.box !== undefined);

// Math: the reference solution against the same solution with a wrong final answer, the solution cut
// off before its answer, and another problem's solution. Best-of-N with three rejected responses.
for (const m of withBoxed.slice(0, 150)) {
  const { start, end } = m.box!;
  const wrongFinal = `${m.solution.slice(0, start)}${wrongAnswer(m.i)}${m.solution.slice(end)}`;
  const cut = m.solution.slice(0, Math.max(1, Math.floor(m.solution.lastIndexOf('\\boxed') * 0.6))).trimEnd();
  const position = withBoxed.indexOf(m);
  let shift = 75;
  while (withBoxed[(position + shift) % withBoxed.length]!.answer.trim() === m.answer.trim()) shift++;
  const other = withBoxed[(position + shift) % withBoxed.length]!;
  rows.push({
    prompt: m.problem,
    chosen: [m.solution],
    rejected: [wrongFinal, cut, other.solution],
    subset: 'math',
    reference: m.answer,
    task: 'math500',
  });
}

// Ties (RewardBench 2's layout): per prompt a "ref" row with one correct answer and a "tied" row with
// two correct answers (the solution and a bare statement of the answer), against wrong answers.
for (const [k, m] of withBoxed.slice(150, 180).entries()) {
  const { start, end } = m.box!;
  const wrong = (shift: number) => `${m.solution.slice(0, start)}${wrongAnswer((m.i + shift) % math.length)}${m.solution.slice(end)}`;
  const common = { prompt: m.problem, subset: 'Ties', reference: m.answer, task: 'math500' };
  rows.push({ ...common, id: `ref:${k}`, chosen: [m.solution], rejected: [wrong(0), wrong(1)], num_correct: 1 });
  rows.push({
    ...common,
    id: `tied:${k}`,
    chosen: [m.solution, `The answer is $\\boxed{${m.answer}}$.`],
    rejected: [wrong(0), wrong(1)],
    num_correct: 2,
  });
}

// Instruction following (IFEval's instruction ids and kwargs): pairs of a response built to follow the
// instruction and one that does not, from the prose of MATH-500 solutions.
const prose = math
  .map((m) => m.solution.replace(/\[asy\][\s\S]*?\[\/asy\]/g, '').replace(/\s+/g, ' ').trim())
  .filter((text) => text.split(' ').length >= 60 && text.includes(','));
const END_PHRASE = 'Is there anything else I can help with?';
const instructions: {
  id: string;
  kwargs: Record<string, unknown>;
  ask: string;
  follow: (text: string) => string;
  breakIt: (text: string) => string;
}[] = [
  {
    id: 'detectable_format:json_format',
    kwargs: {},
    ask: 'Wrap your entire output in JSON format.',
    follow: (t) => JSON.stringify({ explanation: t }),
    breakIt: (t) => t,
  },
  {
    id: 'detectable_content:postscript',
    kwargs: { postscript_marker: 'P.S.' },
    ask: 'At the end of your response, please explicitly add a postscript starting with P.S.',
    follow: (t) => `${t}\n\nP.S. Check each step once more.`,
    breakIt: (t) => `${t}\n\nCheck each step once more.`,
  },
  {
    id: 'punctuation:no_comma',
    kwargs: {},
    ask: 'In your entire response, refrain from the use of any commas.',
    follow: (t) => t.replaceAll(',', ''),
    breakIt: (t) => t,
  },
  {
    id: 'startend:end_checker',
    kwargs: { end_phrase: END_PHRASE },
    ask: `Finish your response with this exact phrase "${END_PHRASE}". No other words should follow this phrase.`,
    follow: (t) => `${t} ${END_PHRASE}`,
    breakIt: (t) => `${t} ${END_PHRASE} Good luck!`,
  },
  {
    id: 'detectable_format:title',
    kwargs: {},
    ask: 'Your answer must contain a title, wrapped in double angular brackets, such as <<poem of joy>>.',
    follow: (t) => `<<A worked solution>>\n${t}`,
    breakIt: (t) => `A worked solution\n${t}`,
  },
  {
    id: 'length_constraints:number_words',
    kwargs: { relation: 'less than', num_words: 40 },
    ask: 'Answer with less than 40 words.',
    // IFEval counts words as runs of word characters: keep whole words while that count stays under 30.
    follow: (t) => {
      const kept: string[] = [];
      for (const word of t.split(' ')) {
        if (([...kept, word].join(' ').match(/\w+/g) ?? []).length >= 30) break;
        kept.push(word);
      }
      return kept.join(' ');
    },
    breakIt: (t) => t,
  },
];
prose.slice(0, 120).forEach((text, k) => {
  const instruction = instructions[k % instructions.length]!;
  rows.push({
    prompt: `Explain the solution of a competition math problem in prose. ${instruction.ask}`,
    chosen: instruction.follow(text),
    rejected: instruction.breakIt(text),
    subset: 'instructions',
    task: 'ifeval',
    metadata: { instruction_id_list: [instruction.id], kwargs: [instruction.kwargs] },
  });
});

// Reference overlap (sacrebleu's test sentences as references): a near copy of the reference (its last
// word dropped) against a copy with its words reversed, one with every other word dropped, and another
// case's reference.
const references = [...new Set(sacrebleu.cases.map((c) => c.refs[0]!).filter((r) => r.split(' ').length >= 6))];
references.slice(0, 100).forEach((reference, k) => {
  const words = reference.split(' ');
  rows.push({
    prompt: 'Translate the sentence into the target language.',
    chosen: [words.slice(0, -1).join(' ')],
    rejected: [[...words].reverse().join(' '), words.filter((_, i) => i % 2 === 0).join(' '), references[(k + 50) % references.length]!],
    subset: 'translation',
    reference,
    task: 'wmt',
  });
});

// Focus without a reference (like RewardBench 2's Focus subset): the solution of the problem asked
// against the solutions of two other problems. No ground truth is given, so this measures what the
// reward does on open-ended items.
for (const [k, m] of withBoxed.slice(180, 230).entries()) {
  const others = [1, 2].map((j) => withBoxed[(180 + k + 97 * j) % withBoxed.length]!.solution);
  rows.push({ prompt: m.problem, chosen: [m.solution], rejected: others, subset: 'focus' });
}

writeFileSync(new URL('examples/preference/preference.jsonl', root), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
const counts = rows.reduce<Record<string, number>>((acc, r) => ((acc[r.subset as string] = (acc[r.subset as string] ?? 0) + 1), acc), {});
process.stdout.write(`wrote ${rows.length} rows: ${JSON.stringify(counts)}\n`);
