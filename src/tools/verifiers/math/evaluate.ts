/**
 * A numeric evaluator for MathJSON (the form compute-engine parses LaTeX into), compiled once into a
 * closure over the free variables. It covers arithmetic and the elementary functions, the bulk of math
 * answers, in microseconds; anything else makes `compileNumeric` return undefined and the caller falls
 * back to the CAS's own evaluation.
 */

export type MathJson = number | string | { num: string } | MathJson[];

export interface NumericFunction {
  run(values: Record<string, number>): number;
  variables: Set<string>;
}

type Fn = (values: Record<string, number>) => number;

const CONSTANTS: Record<string, number> = { Pi: Math.PI, ExponentialE: Math.E, e: Math.E };

const UNARY: Record<string, (x: number) => number> = {
  Negate: (x) => -x,
  Sqrt: Math.sqrt,
  Exp: Math.exp,
  Ln: Math.log,
  Abs: Math.abs,
  Sin: Math.sin,
  Cos: Math.cos,
  Tan: Math.tan,
  Cot: (x) => 1 / Math.tan(x),
  Sec: (x) => 1 / Math.cos(x),
  Csc: (x) => 1 / Math.sin(x),
  Arcsin: Math.asin,
  Arccos: Math.acos,
  Arctan: Math.atan,
  Sinh: Math.sinh,
  Cosh: Math.cosh,
  Tanh: Math.tanh,
  Floor: Math.floor,
  Ceil: Math.ceil,
  Square: (x) => x * x,
  Factorial: (n) => {
    if (!Number.isInteger(n) || n < 0 || n > 170) return Number.NaN;
    let product = 1;
    for (let k = 2; k <= n; k++) product *= k;
    return product;
  },
};

const BINARY: Record<string, (a: number, b: number) => number> = {
  Subtract: (a, b) => a - b,
  Divide: (a, b) => a / b,
  Rational: (a, b) => a / b,
  Power: (a, b) => a ** b,
  // An odd root of a negative number is real: the cube root of -8 is -2.
  Root: (x, n) => (x < 0 && n % 2 === 1 ? -((-x) ** (1 / n)) : x ** (1 / n)),
  Log: (x, base) => Math.log(x) / Math.log(base),
  Binomial: (n, k) => {
    if (!Number.isInteger(n) || !Number.isInteger(k) || k < 0 || k > n || Math.min(k, n - k) > 1000) return Number.NaN;
    k = Math.min(k, n - k);
    let result = 1;
    for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
    return result;
  },
};

class Unsupported extends Error {}

function compileNode(node: MathJson, variables: Set<string>): Fn {
  if (typeof node === 'number') return () => node;
  if (typeof node === 'string') {
    const constant = CONSTANTS[node];
    if (constant !== undefined) return () => constant;
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(node)) throw new Unsupported(node);
    variables.add(node);
    return (values) => values[node] ?? Number.NaN;
  }
  if (!Array.isArray(node)) {
    const value = Number(node.num);
    if (Number.isNaN(value)) throw new Unsupported(node.num);
    return () => value;
  }
  const [head, ...rest] = node;
  if (typeof head !== 'string') throw new Unsupported('head');
  const args = rest.map((arg) => compileNode(arg, variables));
  if (head === 'Add') return (v) => args.reduce((sum, f) => sum + f(v), 0);
  if (head === 'Multiply' || head === 'InvisibleOperator') return (v) => args.reduce((product, f) => product * f(v), 1);
  const [a, b] = args;
  if (args.length === 1 && a) {
    if (head === 'Delimiter') return a;
    if (head === 'Log') return (v) => Math.log10(a(v));
    const unary = UNARY[head];
    if (unary) return (v) => unary(a(v));
  }
  const binary = BINARY[head];
  if (binary && args.length === 2 && a && b) return (v) => binary(a(v), b(v));
  throw new Unsupported(head);
}

export function compileNumeric(json: MathJson): NumericFunction | undefined {
  const variables = new Set<string>();
  try {
    const run = compileNode(json, variables);
    return { run, variables };
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}
