import type { ToolDefinition } from '../types.ts';
import { extractAnswer, lastBoxed } from './answer.ts';
import { referenceTexts } from './reference.ts';

/**
 * Math answers: extract the final answer, normalize LaTeX and number formatting, then compare as
 * strings, as exact rationals, and numerically (6 decimals) when a float literal is involved.
 * Equivalence rules follow the behaviour of Hugging Face Math-Verify for numbers and fractions.
 */

/** The gold answer inside a reference: after GSM8K's `####`, inside `\boxed{}`, else the whole text. */
export function goldAnswer(reference: string): string {
  const hash = reference.lastIndexOf('####');
  if (hash !== -1) return reference.slice(hash + 4).trim();
  return lastBoxed(reference)?.trim() ?? reference.trim();
}

export type MathRule = 'string' | 'rational' | 'numeric' | 'no_match' | 'no_answer';

const TEXT_COMMANDS = /\\(?:text|textbf|textit|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\}/g;
const SPACING = /\\[!,;:> ]|\\quad|\\qquad|\\displaystyle|\\left|\\right/g;

/** Answers longer than this are not normalized (no real answer is; the regexes stay cheap). */
const MAX_ANSWER_CHARS = 1000;

export function normalizeMath(raw: string): string {
  let s = raw.trim();
  if (s.length > MAX_ANSWER_CHARS) return s;
  s = s.replace(/−/g, '-');
  s = s.replace(/^\$+|\$+$/g, '').replace(/^\\\(|\\\)$/g, '').replace(/^\\\[|\\\]$/g, '');
  s = s.replace(/\\[dt]frac/g, '\\frac');
  s = s.replace(TEXT_COMMANDS, '$1');
  s = s.replace(SPACING, '');
  s = s.replace(/\^\s*\{?\\circ\}?|°/g, '');
  s = s.replace(/\\?%|\\\$|\$/g, '');
  // A single-variable equation answers with its right side: `x = 3` -> `3`.
  s = s.replace(/^\s*[a-zA-Z]\s*=\s*(?!=)/, '');
  // Thousands separators, only between groups of exactly three digits.
  while (/\d,\d{3}(?!\d)/.test(s)) s = s.replace(/(\d),(\d{3})(?!\d)/g, '$1$2');
  s = s.replace(/\s+/g, ' ').trim();
  // A number followed by a unit word: keep the number.
  const withUnit = /^(-?\d+(?:\.\d+)?)\s*[a-zA-Z][a-zA-Z ]*$/.exec(s);
  if (withUnit?.[1] !== undefined) s = withUnit[1];
  s = s.replace(/\.$/, '').replace(/\s+/g, '');
  return s;
}

interface Rational {
  num: bigint;
  den: bigint;
  /** Written with a decimal point: compare numerically at 6 decimals, like Math-Verify. */
  float: boolean;
}

function decimalToRational(text: string): Rational | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d+))?(?:e([+-]?\d{1,3}))?$/i.exec(text);
  if (!m || (m[2] === '' && m[3] === undefined)) return undefined;
  const [, sign, whole = '', frac = '', exp] = m;
  let num = BigInt((whole || '0') + frac) * (sign === '-' ? -1n : 1n);
  let den = 10n ** BigInt(frac.length);
  const e = exp === undefined ? 0 : Number(exp);
  if (e > 0) num *= 10n ** BigInt(e);
  if (e < 0) den *= 10n ** BigInt(-e);
  return { num, den, float: frac !== '' || exp !== undefined };
}

function divide(a: Rational, b: Rational): Rational | undefined {
  if (b.num === 0n) return undefined;
  const sign = b.num < 0n ? -1n : 1n;
  return { num: a.num * b.den * sign, den: a.den * b.num * sign, float: a.float || b.float };
}

/** Parses integers, decimals, scientific notation, `a/b`, `\frac{a}{b}` and `\frac ab`. */
export function parseRational(s: string): Rational | undefined {
  const plain = decimalToRational(s);
  if (plain) return plain;
  const frac = /^([+-]?)\\frac(?:\{([^{}]+)\}|(\d))(?:\{([^{}]+)\}|(\d))$/.exec(s);
  const slash = /^([+-]?)([^/]+)\/([^/]+)$/.exec(s);
  const [sign, top, bottom] = frac
    ? [frac[1], frac[2] ?? frac[3], frac[4] ?? frac[5]]
    : slash
      ? [slash[1], slash[2], slash[3]]
      : [];
  if (top === undefined || bottom === undefined) return undefined;
  const a = decimalToRational(top);
  const b = decimalToRational(bottom);
  if (!a || !b) return undefined;
  const q = divide(a, b);
  if (q && sign === '-') q.num = -q.num;
  return q;
}

function toNumber(r: Rational): number {
  return Number(r.num) / Number(r.den);
}

export function compareMath(gold: string, predicted: string): { equal: boolean; rule: MathRule } {
  if (gold === predicted) return { equal: true, rule: 'string' };
  const g = parseRational(gold);
  const p = parseRational(predicted);
  if (!g || !p) return { equal: false, rule: 'no_match' };
  if (g.num * p.den === p.num * g.den) return { equal: true, rule: 'rational' };
  if (g.float || p.float) {
    const equal = Math.round(toNumber(g) * 1e6) === Math.round(toNumber(p) * 1e6);
    return { equal, rule: equal ? 'numeric' : 'no_match' };
  }
  return { equal: false, rule: 'no_match' };
}

export const mathAnswer: ToolDefinition = {
  name: 'math_answer',
  kind: 'verifier',
  description:
    'Math final answer: extracts the answer (\\boxed{}, "final answer is", "Answer:", #### N, last number), ' +
    'normalizes LaTeX and number formats and checks equivalence with the reference; 1 if equal, else 0.',
  needsReference: true,
  score(item) {
    const golds = referenceTexts(item.reference, 'math_answer').map((r) => normalizeMath(goldAnswer(r)));
    const extracted = extractAnswer(item.response, { lastNumber: true });
    if (!extracted) return { score: 0, detail: { extracted: null, gold: golds[0], rule: 'no_answer' } };
    const predicted = normalizeMath(extracted.text);
    let last = { equal: false, rule: 'no_match' as MathRule };
    for (const gold of golds) {
      last = compareMath(gold, predicted);
      if (last.equal) return { score: 1, detail: { extracted: predicted, gold, rule: last.rule, found_by: extracted.rule } };
    }
    return { score: 0, detail: { extracted: predicted, gold: golds[0], rule: last.rule, found_by: extracted.rule } };
  },
};
