import { REFEREE } from './referee.ts';

/**
 * The Python harness that APPS/TACO-style data assumes (the APPS, TACO and PRIME/verl `testing_util`,
 * and verl's SandboxFusion wrapper for `fn_name`), rewritten: it runs as main.py beside the response's
 * program (solution.py) and
 * - runs a function-call program after the harness's standard imports (`from typing import *`, `from
 *   collections import *`, ... and the modules themselves) with a deep recursion limit, as LeetCode
 *   does too; a stdin/stdout program only when asked (`preamble`), as PRIME's copy does: a judge such
 *   as Codeforces runs it as it is;
 * - for stdin/stdout problems, runs it as __main__; a top-level `return` (legal in the harness, which
 *   wraps the program in a function) ends the program, as there;
 * - for function-call problems, loads it as a module (its `__main__` block does not run), calls
 *   `Solution().<fn_name>` or the function `<fn_name>` with the case's JSON arguments (integer-valued
 *   floats stay floats: Python parses the JSON), and compares with Python's `==` after turning tuples,
 *   generators and iterators into lists, also against the expected value's element when the data wraps
 *   every case's value in a list of one (`unwrap`, as APPS and TACO do), and with digit-string
 *   dictionary keys as integers, as the harness does.
 *   The program runs in a process of its own and the comparison in the referee, which reads the case
 *   and its token (referee.ts): the value crosses as plain data, so an answer with a rigged `__eq__`
 *   does not pass. What the function prints is swallowed; the verdict is the last line of stdout.
 */

/** The imports the harness puts before every program (the APPS/TACO/PRIME list, in its order). */
const PREAMBLE_MODULES = [
  'string', 're', 'datetime', 'collections', 'heapq', 'bisect', 'copy', 'math', 'random', 'statistics', 'itertools',
  'functools', 'operator', 'io', 'sys', 'json',
];

const PREAMBLE = [
  ...[...PREAMBLE_MODULES, 'builtins', 'typing'].map((module) => `from ${module} import *`),
  ...PREAMBLE_MODULES.map((module) => `import ${module}`),
  'sys.setrecursionlimit(6 * 10**5)',
].join('\n');

/**
 * stdin/stdout programs get the imports only when asked (`preamble`): a judge runs them as they are. The
 * function to call comes with each case (its `fn_name`), so one harness serves every program.
 */
export type HarnessMode = { kind: 'stdio'; preamble: boolean } | { kind: 'function' };

export function pythonHarness(mode: HarnessMode): string {
  const source = String.raw`import ast, collections.abc, json, os, sys

PREAMBLE = ${JSON.stringify(mode.kind === 'function' || mode.preamble ? PREAMBLE : '')}
SOLUTION = "solution.py"
MODE = ${JSON.stringify(mode.kind)}


class EndAtTopLevelReturn(ast.NodeTransformer):
    """return outside any function ends the program (its value is still evaluated)."""

    def visit_FunctionDef(self, node):
        return node

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef

    def visit_Return(self, node):
        stop = ast.copy_location(ast.Raise(exc=ast.Name(id="SystemExit", ctx=ast.Load()), cause=None), node)
        if node.value is None:
            return stop
        return [ast.copy_location(ast.Expr(value=node.value), node), stop]


def load(name):
    with open(SOLUTION, encoding="utf-8") as file:
        source = file.read()
    namespace = {"__name__": name, "__file__": SOLUTION, "__builtins__": __builtins__}
    exec(compile(PREAMBLE, "<harness>", "exec", dont_inherit=True), namespace)
    try:
        code = compile(source, SOLUTION, "exec", dont_inherit=True)
    except SyntaxError as error:
        if "'return' outside function" not in str(error):
            raise
        tree = EndAtTopLevelReturn().visit(ast.parse(source, SOLUTION))
        code = compile(ast.fix_missing_locations(tree), SOLUTION, "exec", dont_inherit=True)
    return namespace, code


def plain(value):
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, collections.abc.Iterator):
        return [plain(item) for item in value]
    return value


def integer_keys(value):
    try:
        return {int(key): item for key, item in value.items()}
    except Exception:
        return value


def same(a, b):
    try:
        return bool(a == b)
    except Exception:
        return False


class Targets:
    """Runs in the candidate: the program's functions by name, Solution().<name> or <name>, whose results go out as plain() makes them."""

    def __init__(self, namespace):
        self.namespace, self.found = namespace, {}

    def find(self, name):
        """The function, looked up once (a Solution is made once, as the harness makes it)."""
        if name not in self.found:
            solution = self.namespace.get("Solution")
            if isinstance(solution, type) and hasattr(solution, name):
                self.found[name] = getattr(solution(), name)
            else:
                self.found[name] = self.namespace[name] if callable(self.namespace.get(name)) else None
        return self.found[name]

    def __contains__(self, name):
        return self.find(name) is not None

    def __getitem__(self, name):
        target = self.find(name)
        return lambda *args: plain(target(*args))


def load_program():
    namespace, code = load("solution")
    exec(code, namespace)
    return Targets(namespace)


def call():
    program = Candidate(load_program)
    case = json.loads(sys.stdin.read())
    token = case.pop("token", "")
    name = case["fn_name"]
    target = program.globals([name]).get(name)
    if target is None:
        raise NameError("the program defines neither Solution." + name + " nor " + name)
    args = case["args"]
    if args and isinstance(args[0], dict):
        args = [integer_keys(args[0])] + args[1:]
    got = target(*args)
    expected = case["expected"]
    candidates = [expected]
    if isinstance(expected, dict):
        candidates.append(integer_keys(expected))
    if case.get("unwrap") and isinstance(expected, list) and expected:
        candidates.append(expected[0])
        if isinstance(expected[0], dict):
            candidates.append(integer_keys(expected[0]))
    passed = any(same(got, candidate) for candidate in candidates)
    os.write(1, ("\n" + json.dumps({"passed": passed, "got": repr(got)[:300], "token": token}) + "\n").encode())


if MODE == "stdio":
    namespace, code = load("__main__")
    sys.argv = [SOLUTION]
    exec(code, namespace)
else:
    call()
`;
  // A function call's verdict comes from a referee the program cannot reach (referee.ts).
  return mode.kind === 'function' ? REFEREE + source : source;
}

/** A decimal number as Python's float() reads one (no hex, no "inf", no "nan": those are words). */
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const INTEGER = /^[+-]?\d+$/;

/** Whether a decimal token is exactly the integer `expected` ("3.0" and "3e0" are 3; "2.9999999" is not). */
function exactlyInteger(token: string, expected: string): boolean {
  const match = DECIMAL.exec(token);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return false;
  let digits = match[2]! + (match[3] ?? '');
  let exponent = Number(match[4] ?? 0) - (match[3] ?? '').length;
  digits = digits.replace(/^0+/, '');
  while (exponent < 0 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    exponent++;
  }
  const negative = match[1] === '-' && digits !== '';
  const want = expected.replace(/^[+-]/, '').replace(/^0+/, '');
  if (negative !== (expected.startsWith('-') && want !== '')) return false;
  if (digits === '') return want === '';
  return exponent >= 0 && digits.length + exponent === want.length && digits + '0'.repeat(exponent) === want;
}

/**
 * Tokens equal as text, or as numbers: an expected integer exactly (the harness's numpy.allclose would
 * take 123456000.0 for 123456789, a wrong answer to any judge of an integer problem), other numbers
 * within numpy.allclose's default tolerance, as the harness compares numeric lines.
 */
function tokensClose(actual: string, expected: string): boolean {
  if (actual === expected) return true;
  if (INTEGER.test(expected)) return exactlyInteger(actual, expected);
  if (!DECIMAL.test(actual) || !DECIMAL.test(expected)) return false;
  const [x, y] = [Number(actual), Number(expected)];
  return Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= 1e-8 + 1e-5 * Math.abs(y);
}

/**
 * The harness's output rule for stdin/stdout cases: lines equal once each is stripped and empty ones
 * are dropped; failing that, line by line, token by token, numbers within numpy.allclose's tolerance.
 */
export function harnessOutputMatches(actual: string, expected: string): boolean {
  const lines = (text: string) =>
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
  const [a, b] = [lines(actual), lines(expected)];
  if (a.length !== b.length) return false;
  return a.every((line, i) => {
    if (line === b[i]) return true;
    const [x, y] = [line.split(/\s+/), b[i]!.split(/\s+/)];
    return x.length === y.length && x.every((token, j) => tokensClose(token, y[j]!));
  });
}
