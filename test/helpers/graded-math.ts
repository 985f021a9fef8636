import { readFileSync } from 'node:fs';

/**
 * A graded set of math responses built from MATH-500: for each problem, answers written the many ways
 * models write them (graded correct) and near misses (graded wrong). The grades follow from how each
 * response is made; nothing here calls the verifier.
 */

export interface GradedResponse {
  problem: string;
  reference: string;
  response: string;
  correct: boolean;
  form: string;
}

interface MathRow {
  problem: string;
  solution: string;
  answer: string;
}

export function loadMath500(): MathRow[] {
  return readFileSync(new URL('../fixtures/math500.jsonl', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

const INTEGER = /^-?\d+$/;
const SIMPLE_FRACTION = /^(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}$/;

/** Equivalent spellings of an answer that a model might write. */
function equivalentForms(answer: string): [string, string][] {
  const forms: [string, string][] = [[answer, 'as given']];
  const fraction = SIMPLE_FRACTION.exec(answer);
  if (INTEGER.test(answer)) {
    const n = Number(answer);
    forms.push([`${answer}.0`, 'trailing .0']);
    if (Math.abs(n) >= 1000) forms.push([n.toLocaleString('en-US').replace(/,/g, ',\\!'), 'thousands ,\\!']);
    if (Math.abs(n) >= 1000) forms.push([n.toLocaleString('en-US'), 'thousands commas']);
  }
  if (fraction) {
    const [, sign, p, q] = fraction as unknown as [string, string, string, string];
    forms.push([`${sign}\\dfrac{${p}}{${q}}`, 'dfrac']);
    forms.push([`${sign}${p}/${q}`, 'slash']);
    const value = Number(p) / Number(q);
    if (Number.isInteger(value * 1e4)) forms.push([`${sign}${value}`, 'decimal']);
  }
  if (/^\\sqrt\{\d\}$/.test(answer)) forms.push([answer.replace(/\\sqrt\{(\d)\}/, '\\sqrt $1'), 'sqrt without braces']);
  if (/^\(.*\)$/.test(answer) && !answer.includes('\\left')) forms.push([`\\left${answer.slice(0, -1)}\\right)`, 'left/right']);
  return forms;
}

/** A wrong answer close to the right one, or undefined when no safe one exists. */
function nearMiss(answer: string): string | undefined {
  if (INTEGER.test(answer)) return String(Number(answer) + 1);
  const fraction = SIMPLE_FRACTION.exec(answer);
  if (fraction) return `${fraction[1]}\\frac{${Number(fraction[2]) + 1}}{${fraction[3]}}`;
  if (/^-?\d+\.\d+$/.test(answer)) return answer.replace(/\d$/, (d) => String((Number(d) + 1) % 10));
  if (/^\\sqrt\{\d+\}$/.test(answer)) return answer.replace(/\d+/, (k) => String(Number(k) + 1));
  if (/^-\d/.test(answer)) return answer.slice(1);
  return undefined;
}

const reasoning = (problem: string) => `Let me work through this. ${problem.slice(0, 120).replace(/\$/g, '')} ...`;

/** Responses in the style of MATH solutions (boxed LaTeX) and chat models (Minerva phrasing, think blocks). */
export function gradedMath(): GradedResponse[] {
  const graded: GradedResponse[] = [];
  for (const row of loadMath500()) {
    const add = (response: string, correct: boolean, form: string) =>
      graded.push({ problem: row.problem, reference: row.answer, response, correct, form });
    add(row.solution, true, 'reference solution');
    for (const [form, name] of equivalentForms(row.answer)) {
      add(`${reasoning(row.problem)}\nTherefore, the answer is $\\boxed{${form}}$.`, true, `boxed, ${name}`);
      add(`${reasoning(row.problem)}\nFinal Answer: The final answer is $${form}$. I hope it is correct.`, true, `minerva, ${name}`);
    }
    add(`<think>Maybe it is \\boxed{0}? No.</think>\nThe answer is $\\boxed{${row.answer}}$.`, true, 'after a think block');
    const wrong = nearMiss(row.answer);
    if (wrong !== undefined) {
      add(`${reasoning(row.problem)}\nTherefore, the answer is $\\boxed{${wrong}}$.`, false, 'near miss');
      add(`<think>It is \\boxed{${row.answer}}.</think>\nOn reflection the answer is $\\boxed{${wrong}}$.`, false, 'near miss after a right guess');
    }
    add('I could not solve this problem.', false, 'no answer');
  }
  return graded;
}

/** GSM8K-style items from the MATH-500 problems with integer answers: references end in `#### N`. */
export function gradedGsm8k(): GradedResponse[] {
  const graded: GradedResponse[] = [];
  for (const row of loadMath500().filter((r) => INTEGER.test(r.answer))) {
    const n = Number(row.answer);
    const reference = `Working it out step by step gives ${n}.\n#### ${n}`;
    const add = (response: string, correct: boolean, form: string) =>
      graded.push({ problem: row.problem, reference, response, correct, form });
    add(`We compute step by step: 12 + 30 = 42, and so on.\n#### ${n}`, true, '#### N');
    add(`First 3 * 4 = 12. Then the total is ${n}.`, true, 'last number');
    add(`So the answer is ${n.toLocaleString('en-US')}.`, true, 'thousands commas');
    add(`She pays $${n} in total. The answer is $${n}.`, true, 'currency');
    add(`The answer is ${n}.\n\nLet me know if you have 2 more questions!`, true, 'answer then chatter');
    add(`Step 1: 5 + 7 = 12.\nAnswer: ${n}`, true, 'Answer: label');
    add(`We compute 2 + 2 = 4 first.\n#### ${n + 1}`, false, 'off by one');
    if (n !== 0) add(`The answer is ${n * 10}.`, false, 'times ten');
    add(`I think the total is ${n} - no wait, it is ${n + 2}.`, false, 'corrected to a wrong number');
  }
  return graded;
}
