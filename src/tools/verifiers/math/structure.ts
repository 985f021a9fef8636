/**
 * The shape of a normalized answer: a single expression, a tuple or a set of answers, an interval or a
 * union of them, a matrix, or a relation. Parsed at the top level only (brackets, separators,
 * relation symbols); expressions inside stay LaTeX for the scalar comparison.
 */

export type MathValue =
  /** `assigned` keeps the label of `y = ...`, for comparison with an equation. */
  | { kind: 'expr'; latex: string; assigned?: string }
  /** `(a, b, c)` is ordered; `\{a, b\}` and bare lists `a, b` are not. */
  | { kind: 'list'; items: MathValue[]; ordered: boolean; parenthesized: boolean }
  | { kind: 'interval'; lo: MathValue; hi: MathValue; loClosed: boolean; hiClosed: boolean }
  | { kind: 'union'; parts: MathValue[] }
  | { kind: 'matrix'; rows: MathValue[][] }
  /** `lhs op rhs`, with `>` and `>=` flipped to `<` and `<=` so equal relations look alike. */
  | { kind: 'relation'; op: '=' | '<' | '<=' | '!='; lhs: string; rhs: string };

const OPEN = new Set(['(', '[', '{']);
const CLOSE = new Set([')', ']', '}']);

/** Splits at top-level matches of `separator` (outside any brackets). */
function splitTop(s: string, separator: RegExp): string[] {
  return splitTopWithSeparators(s, separator).parts;
}

/** The top-level parts and the separators found between them. */
function splitTopWithSeparators(s: string, separator: RegExp): { parts: string[]; separators: string[] } {
  const parts: string[] = [];
  const separators: string[] = [];
  const sticky = new RegExp(separator.source, 'y' + separator.flags.replace(/[gy]/g, ''));
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && (s[i + 1] === '{' || s[i + 1] === '}')) {
      depth += s[i + 1] === '{' ? 1 : -1;
      i++;
      continue;
    }
    if (OPEN.has(c)) depth++;
    else if (CLOSE.has(c)) depth = Math.max(0, depth - 1);
    else if (depth === 0) {
      sticky.lastIndex = i;
      const m = sticky.exec(s);
      if (m && m[0].length > 0) {
        parts.push(s.slice(start, i));
        separators.push(m[0].trim());
        start = i + m[0].length;
        i = start - 1;
      }
    }
  }
  parts.push(s.slice(start));
  return { parts: parts.map((p) => p.trim()), separators };
}

/** Index of the bracket closing the one at `open`, counting any bracket kind (intervals mix them). */
function closingBracket(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (OPEN.has(s[i]!)) depth++;
    else if (CLOSE.has(s[i]!)) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * A label rather than a value: `x`, `f(x)`, `|AB|`, `A:B`, `x_{1}`, `(p,q)`, `\frac{NO}{BO}` (no
 * digits outside subscripts, no sums). `x = 3` then means the answer 3.
 */
function isLabel(side: string): boolean {
  const bare = side.replace(/_\{[^{}]*\}|_\w/g, '').replace(/\\[a-zA-Z]+/g, '');
  return bare.trim() !== '' && !/\d/.test(bare) && !/[+\-]/.test(bare.replace(/^\(|\)$/g, ''));
}

const RELATION = /<=|>=|!=|\\approx|\\in(?![a-zA-Z])|=|<|>/;
const FLIP: Record<string, '<' | '<='> = { '>': '<', '>=': '<=' };

type Parse = (part: string) => MathValue;

function relation(ops: string[], sides: string[], parse: Parse): MathValue {
  // `a \approx b`: the exact value before it counts, else the approximation.
  const approx = ops.indexOf('\\approx');
  if (approx !== -1) {
    return approx > 0 ? relation(ops.slice(0, approx), sides.slice(0, approx + 1), parse) : parse(sides[1]!);
  }
  const member = ops.indexOf('\\in');
  if (member !== -1) return parse(sides[member + 1]!);
  if (ops.every((op) => op === '=')) {
    if (isLabel(sides[0]!) || sides.length > 2) {
      const value = parse(sides[sides.length - 1]!);
      return value.kind === 'expr' && sides.length === 2 ? { ...value, assigned: sides[0]! } : value;
    }
    return { kind: 'relation', op: '=', lhs: sides[0]!, rhs: sides[1]! };
  }
  if (ops.length === 2) {
    // `a < x <= b` -> the interval (a, b]; `b > x > a` likewise.
    const down = ops.every((op) => op === '>' || op === '>=');
    const up = ops.every((op) => op === '<' || op === '<=');
    if (up || down) {
      const [lo, hi] = up ? [sides[0]!, sides[2]!] : [sides[2]!, sides[0]!];
      const [loOp, hiOp] = up ? [ops[0], ops[1]] : [ops[1], ops[0]];
      return {
        kind: 'interval',
        lo: parse(lo),
        hi: parse(hi),
        loClosed: loOp!.endsWith('='),
        hiClosed: hiOp!.endsWith('='),
      };
    }
  }
  const op = ops[ops.length - 1]!;
  const [lhs, rhs] = [sides[sides.length - 2]!, sides[sides.length - 1]!];
  const flipped = FLIP[op];
  if (flipped) return { kind: 'relation', op: flipped, lhs: rhs, rhs: lhs };
  return { kind: 'relation', op: op as '<' | '<=' | '!=', lhs, rhs };
}

function matrix(s: string, parse: Parse): MathValue | undefined {
  const m = /^\\begin\{(?:[pbvBV]?matrix|array)\}(?:\{[^{}]*\})?([\s\S]*)\\end\{(?:[pbvBV]?matrix|array)\}$/.exec(s);
  if (!m) return undefined;
  const rows = m[1]!
    .split('\\\\')
    .map((row) => row.trim())
    .filter((row) => row !== '')
    .map((row) => row.split('&').map(parse));
  return { kind: 'matrix', rows };
}

/** `a \pm b` is the set {a + b, a - b}. */
function plusMinus(s: string): MathValue | undefined {
  const parts = splitTop(s, /\\pm(?![a-zA-Z])|\\mp(?![a-zA-Z])/);
  if (parts.length !== 2) return undefined;
  const [a, b] = parts as [string, string];
  const items = a === '' ? [b, `-(${b})`] : [`${a}+${b}`, `${a}-(${b})`];
  return { kind: 'list', items: items.map((latex) => ({ kind: 'expr', latex })), ordered: false, parenthesized: false };
}

function list(parts: string[], ordered: boolean, parenthesized: boolean, parse: Parse): MathValue {
  const items: MathValue[] = [];
  for (const part of parts) {
    const value = parse(part);
    // `1 \pm \sqrt{5}` inside a set contributes both of its values.
    if (!ordered && value.kind === 'list' && !value.ordered && !value.parenthesized && /\\[pm]m/.test(part)) {
      items.push(...value.items);
    } else {
      items.push(value);
    }
  }
  return { kind: 'list', items, ordered, parenthesized };
}

/** Deeper nesting than this is read as one expression: no answer nests so, and recursion stays shallow. */
const MAX_DEPTH = 12;

export function parseAnswer(raw: string, depth = 0): MathValue {
  const s = raw.trim();
  if (depth > MAX_DEPTH) return { kind: 'expr', latex: s };
  const parse = (part: string) => parseAnswer(part, depth + 1);
  const union = splitTop(s, /\\cup(?![a-zA-Z])/);
  if (union.length > 1) return { kind: 'union', parts: union.map(parse) };
  const groups = splitTop(s, /;/);
  if (groups.length > 1) {
    // `p=5,q=2;p=7,q=2`: each group of assignments is one tuple.
    return list(groups.map((g) => (splitTop(g, /,/).length > 1 ? `(${g})` : g)), false, false, parse);
  }
  const items = splitTop(s, /,|\s*\b(?:and|or)\b\s*/);
  if (items.length > 1) return list(items.filter((i) => i !== ''), false, false, parse);

  const { parts: sides, separators: ops } = splitTopWithSeparators(s, RELATION);
  if (sides.length > 1 && sides.every((side) => side !== '')) return relation(ops, sides, parse);

  const first = s[0];
  if ((first === '(' || first === '[') && closingBracket(s, 0) === s.length - 1) {
    const inner = s.slice(1, -1);
    const parts = splitTop(inner, /,/);
    if (parts.length === 1) return parse(inner);
    const last = s[s.length - 1];
    if (parts.length === 2 && (first === '[' || last === ']')) {
      return {
        kind: 'interval',
        lo: parse(parts[0]!),
        hi: parse(parts[1]!),
        loClosed: first === '[',
        hiClosed: last === ']',
      };
    }
    return list(parts, true, true, parse);
  }
  if (s.startsWith('\\{') && s.endsWith('\\}')) return list(splitTop(s.slice(2, -2), /,/), false, true, parse);
  if (s.startsWith('{') && closingBracket(s, 0) === s.length - 1) {
    return list(splitTop(s.slice(1, -1), /,/), false, true, parse);
  }
  return matrix(s, parse) ?? plusMinus(s) ?? { kind: 'expr', latex: s };
}
