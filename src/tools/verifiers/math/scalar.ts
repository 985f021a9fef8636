import { ComputeEngine } from '@cortex-js/compute-engine';
import { compileNumeric, type MathJson } from './evaluate.ts';
import { isFunctionWord } from './normalize.ts';

/**
 * Equality of two single expressions, in layers, cheapest first: the same text; exact rationals
 * (integers, decimals, scientific notation, fractions) with 6-decimal rounding when a float literal is
 * involved, as Math-Verify does; then the CAS (compute-engine): numeric values of closed expressions,
 * and for expressions with free variables a check at random points.
 */

export type ScalarRule = 'string' | 'rational' | 'numeric' | 'symbolic' | 'no_match';

/** Thrown when a comparison runs out of its time budget. */
class MathDeadlineError extends Error {
  override name = 'MathDeadlineError';
}

/** The time budget of one comparison, and whether it needed the CAS (for the detail and the bench). */
export class Deadline {
  readonly #until: number;
  readonly ms: number;
  usedCas = false;

  constructor(ms: number) {
    this.ms = ms;
    this.#until = performance.now() + ms;
  }

  check(): void {
    if (performance.now() > this.#until) throw new MathDeadlineError(`comparison exceeded its ${this.ms} ms deadline`);
  }
}

interface Rational {
  num: bigint;
  den: bigint;
  /** Written with a decimal point or an exponent: compared at 6 decimals. */
  float: boolean;
}

function decimal(text: string): Rational | undefined {
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

/** Integers, decimals, scientific notation, `a/b`, `\frac{a}{b}`, `\frac ab`, with a sign. */
function parseRational(raw: string): Rational | undefined {
  const s = squeeze(raw);
  const plain = decimal(s);
  if (plain) return plain;
  const frac = /^([+-]?)\\frac(?:\{([^{}]+)\}|(\d))(?:\{([^{}]+)\}|(\d))$/.exec(s);
  const slash = /^([+-]?)(\(?[\d.]+\)?)\/(\(?[\d.]+\)?)$/.exec(s);
  const parts = frac ? [frac[1], frac[2] ?? frac[3], frac[4] ?? frac[5]] : slash ? [slash[1], slash[2], slash[3]] : [];
  const [sign, top, bottom] = parts;
  if (top === undefined || bottom === undefined) return undefined;
  const a = decimal(top.replace(/^\((.*)\)$/, '$1'));
  const b = decimal(bottom.replace(/^\((.*)\)$/, '$1'));
  if (!a || !b || b.num === 0n) return undefined;
  const flip = b.num < 0n !== (sign === '-') ? -1n : 1n;
  const num = a.num * b.den * flip;
  const den = a.den * (b.num < 0n ? -b.num : b.num);
  return { num, den, float: a.float || b.float };
}

const round6 = (x: number) => Math.round(x * 1e6);

/**
 * Equality of two doubles computed from exact expressions: integers below 2^53 must be equal, others
 * may differ by rounding (relative 1e-12, or 1e-14 from an exact zero); a float literal in the answer
 * compares at 6 decimals.
 */
function closeEnough(a: number, b: number, float: boolean): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  if (float) return round6(a) === round6(b);
  if (Number.isSafeInteger(a) && Number.isSafeInteger(b)) return a === b;
  // Against an exact zero only an absolute tolerance makes sense (sin(pi) is 1.2e-16 in doubles).
  if (a === 0 || b === 0) return Math.abs(a - b) < 1e-14;
  return Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b));
}

let engine: ComputeEngine | undefined;

/** One engine per thread, made on first use (it takes ~100 ms). */
function cas(): ComputeEngine {
  engine ??= new ComputeEngine();
  return engine;
}

/** Exponent groups (`^{...}` or `^x`) of a LaTeX expression. */
function exponents(latex: string): string[] {
  const found: string[] = [];
  for (let i = latex.indexOf('^'); i !== -1; i = latex.indexOf('^', i + 1)) {
    let j = i + 1;
    while (latex[j] === ' ') j++;
    if (latex[j] !== '{') {
      found.push(latex[j] ?? '');
      continue;
    }
    let depth = 0;
    for (let k = j; k < latex.length; k++) {
      if (latex[k] === '{') depth++;
      else if (latex[k] === '}' && --depth === 0) {
        found.push(latex.slice(j + 1, k));
        break;
      }
    }
  }
  return found;
}

/**
 * Input the CAS is not given: towers of powers, large exponents, factorials and binomials can make its
 * exact arithmetic run for minutes (`9^{9^9}`, `100000!`); long input is never an answer anyway.
 */
function tooHardForCas(latex: string): boolean {
  if (latex.length > 300 || /\d{400}/.test(latex)) return true;
  if (exponents(latex).some((e) => e.includes('^') || /\d{5}/.test(e))) return true;
  return /\d{4}\s*!/.test(latex) || (/\\[dt]?binom/.test(latex) && /\d{5}/.test(latex));
}

type Boxed = NonNullable<ReturnType<ComputeEngine['parse']>>;

const isFloatLiteral = (latex: string) => /^[+-]?\d*\.\d+$/.test(latex.replace(/\s+/g, ''));

function numberOf(expr: Boxed): number {
  const value = expr.N();
  return value.im !== 0 && !Number.isNaN(value.im) ? Number.NaN : value.re;
}

/**
 * Random points for the free variables, in [-5, 5] and away from 0 and the integers (poles, branch
 * cuts), half of them negative so that |x| and x, or sqrt(x^2) and x, tell apart. Seeded: the same
 * comparison always sees the same points.
 */
function samplePoints(unknowns: readonly string[], count: number): Record<string, number>[] {
  const points: Record<string, number>[] = [];
  let seed = 0x9e3779b9;
  const random = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  for (let k = 0; k < count; k++) {
    const sign = k % 2 === 0 ? 1 : -1;
    points.push(Object.fromEntries(unknowns.map((u) => [u, sign * (0.3 + Math.floor(random() * 5) + 0.4 * random())])));
  }
  return points;
}

/** The largest magnitude trusted to double precision; beyond it `canonicalEqual` decides exactly. */
const FLOAT_SAFE = 1e15;

/**
 * Decides equality by evaluating both sides as doubles (closed forms at once, free variables at random
 * points): 'numeric'/'symbolic' when equal, null when they differ, undefined when this cannot say.
 */
function evaluatedEqual(a: string, b: string, deadline: Deadline): ScalarRule | null | undefined {
  const ce = cas();
  const left = compileNumeric(ce.parse(a, { form: 'raw' }).json as MathJson);
  const right = compileNumeric(ce.parse(b, { form: 'raw' }).json as MathJson);
  deadline.check();
  if (!left || !right) return undefined;
  const variables = [...new Set([...left.variables, ...right.variables])];
  // `i` is the imaginary unit, not a real variable: complex answers are left to the CAS, which knows i^2 = -1.
  if (variables.includes('i')) return undefined;
  const usable = (x: number) => Number.isFinite(x) && Math.abs(x) < FLOAT_SAFE;
  if (variables.length === 0) {
    const [x, y] = [left.run({}), right.run({})];
    if (!usable(x) || !usable(y)) return undefined;
    return closeEnough(x, y, isFloatLiteral(a) || isFloatLiteral(b)) ? 'numeric' : null;
  }
  let compared = 0;
  for (const point of samplePoints(variables, 8)) {
    const [x, y] = [left.run(point), right.run(point)];
    if (!usable(x) || !usable(y)) continue;
    if (!closeEnough(x, y, false)) return null;
    compared++;
  }
  return compared >= 3 ? 'symbolic' : undefined;
}

/** The CAS's own canonical forms and evaluation: slower, exact, and wider than `evaluatedEqual`. */
function canonicalEqual(a: string, b: string, deadline: Deadline): ScalarRule | undefined {
  const ce = cas();
  const left = ce.parse(a);
  const right = ce.parse(b);
  deadline.check();
  if (!left.isValid || !right.isValid) return undefined;
  const unknowns = [...new Set([...left.unknowns, ...right.unknowns])];
  if (unknowns.length === 0) {
    // Closed forms the doubles could not settle (huge or tiny values): the CAS's exact equality.
    if (isFloatLiteral(a) || isFloatLiteral(b)) return closeEnough(numberOf(left), numberOf(right), true) ? 'numeric' : undefined;
    return left.isEqual(right) === true ? 'numeric' : undefined;
  }
  if (unknowns.length > 8) return undefined;
  let compared = 0;
  for (const point of samplePoints(unknowns, 5)) {
    const values = Object.fromEntries(Object.entries(point).map(([k, v]) => [k, ce.number(v)]));
    const x = numberOf(left.subs(values));
    const y = numberOf(right.subs(values));
    deadline.check();
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (!closeEnough(x, y, false)) return undefined;
    compared++;
  }
  return compared > 0 ? 'symbolic' : undefined;
}

function casEqual(a: string, b: string, deadline: Deadline): ScalarRule | undefined {
  if (tooHardForCas(a) || tooHardForCas(b)) return undefined;
  deadline.usedCas = true;
  const evaluated = evaluatedEqual(a, b, deadline);
  if (evaluated !== undefined) return evaluated ?? undefined;
  return canonicalEqual(a, b, deadline);
}

/** Whether `a = c * b` for one constant c != 0 (c > 0 when `positive`), checked at random points. */
export function proportional(a: string, b: string, positive: boolean, deadline: Deadline): boolean {
  if (tooHardForCas(a) || tooHardForCas(b)) return false;
  deadline.usedCas = true;
  const ce = cas();
  const left = compileNumeric(ce.parse(a, { form: 'raw' }).json as MathJson);
  const right = compileNumeric(ce.parse(b, { form: 'raw' }).json as MathJson);
  if (!left || !right) return false;
  const variables = [...new Set([...left.variables, ...right.variables])];
  let ratio: number | undefined;
  for (const point of variables.length === 0 ? [{}] : samplePoints(variables, 6)) {
    const [x, y] = [left.run(point), right.run(point)];
    deadline.check();
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    if (y === 0 || x === 0) {
      if (x !== y) return false;
      continue;
    }
    if (ratio === undefined) ratio = x / y;
    else if (!closeEnough(x / y, ratio, false)) return false;
  }
  return ratio !== undefined && (!positive || ratio > 0);
}

const BASE_NUMBER = /\d_\{?\d+\}?/;
const DIGITS_APART = /\d\s+\d/;

/** Text with a word of three letters or more that is no function name or LaTeX command. */
function isWords(latex: string): boolean {
  const words = latex.replace(/\\[a-zA-Z]+/g, ' ').match(/[a-zA-Z]{3,}/g) ?? [];
  return words.some((w) => !isFunctionWord(w));
}

/** The text without the spaces that carry no meaning (a space between digits does: `12 34`). */
export function squeeze(s: string): string {
  return s.replace(/(?<!\d)\s+|\s+(?!\d)/g, '').replace(/^\{(.*)\}$/, '$1');
}

export function scalarEqual(a: string, b: string, deadline: Deadline): ScalarRule {
  if (squeeze(a) === squeeze(b)) return 'string';
  const p = parseRational(a);
  const q = parseRational(b);
  if (p && q) {
    if (p.num * q.den === q.num * p.den) return 'rational';
    const float = p.float || q.float;
    return float && round6(Number(p.num) / Number(p.den)) === round6(Number(q.num) / Number(q.den)) ? 'numeric' : 'no_match';
  }
  // Words (`\\text{Evelyn}` became `Evelyn`) are answers as text, not products of letters; a number in
  // another base (`204_5`) must be written in that base; `12 34` is no number at all.
  if ([a, b].some((t) => isWords(t) || BASE_NUMBER.test(t) || DIGITS_APART.test(t))) {
    return a.trim().toLowerCase() === b.trim().toLowerCase() ? 'string' : 'no_match';
  }
  return casEqual(a, b, deadline) ?? 'no_match';
}
