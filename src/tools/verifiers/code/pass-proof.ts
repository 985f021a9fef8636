import { randomBytes } from 'node:crypto';
import { REFEREE } from './referee.ts';

/**
 * Proof that an assert-style test program (HumanEval, MBPP) ran to its last line: an exit code of 0
 * proves nothing, since the program under test can call `sys.exit(0)`, `os._exit(0)`, raise
 * SystemExit from an atexit hook or kill its parent before a single assert runs. The harness is a
 * referee (referee.ts): it forks the program's process first, then reads a fresh random token and the
 * test to run from stdin (no test is in a file the program could read), runs that test itself with
 * the program's functions as proxies into the program's process and its plain values as copies, and
 * after the test writes the token to fd 1. The host counts a pass only when that line is there. The token never enters the program's
 * process, whose stdout is not the run's, so neither printing markers nor walking the interpreter's
 * frames or objects can fake it; every comparison of the test runs on builtin values in the referee,
 * so neither can an answer with a rigged `__eq__`.
 *
 * The harness is the same for every program and test, so a warm sandbox compiles it once.
 */
export interface PassProofHarness {
  /** The files of a run: the harness as main.py (the same for every program) and the program. */
  files: Record<string, string>;
  /** A run of test `index`: the stdin to give the harness, and whether its output proves the test ran to its end. */
  run(index: number): { stdin: string; proven(stdout: string): boolean };
}

/**
 * The harness, the same for every program (so a warm sandbox compiles it once): the program comes in
 * solution.py, the test and the token on stdin, which only the referee reads.
 */
const HARNESS = String.raw`${REFEREE}
import ast

def run_program():
    with open("solution.py", encoding="utf-8") as file:
        source = file.read()
    namespace = {"__name__": "__main__", "__file__": "solution.py", "__builtins__": builtins}
    exec(compile(source, "solution.py", "exec"), namespace)
    return namespace


def global_names(code):
    """Every name the test's code (and the code nested in it) looks up: a superset of the globals it needs."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= global_names(constant)
    return names


def subjects(tree):
    """
    The functions a test is about, the program's even when named like a builtin: those passed to
    check() (HumanEval's entry point), and those an assert calls on arguments that call nothing
    (MBPP: assert max([1, 5, 3]) == 5; not abs in assert abs(f(x) - y) < 1e-9, which checks f).
    """
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "check":
            names |= {arg.id for arg in node.args if isinstance(arg, ast.Name)}
        elif isinstance(node, ast.Assert):
            tested = node.test.operand if isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not) else node.test
            tested = tested.left if isinstance(tested, ast.Compare) else tested
            if isinstance(tested, ast.Call) and isinstance(tested.func, ast.Name):
                arguments = tested.args + [keyword.value for keyword in tested.keywords]
                if not any(isinstance(inner, ast.Call) for argument in arguments for inner in ast.walk(argument)):
                    names.add(tested.func.id)
    return names


def undefined(name):
    """A tested function the program does not define: calling it fails the run (a test could catch a NameError)."""
    return lambda *args, **kwargs: abandon("the program does not define " + name)


program = Candidate(run_program)
token, encoded = sys.stdin.buffer.read().split()
tree = ast.parse(base64.b64decode(encoded).decode(), "<test>")
test = compile(tree, "<test>", "exec")
# The test gets the real builtins (a program's own abs or sorted would judge its own answers), except
# for the functions it tests, which are the program's, or missing.
builtin_names = set(dir(builtins))
tested_builtins = subjects(tree) & builtin_names
namespace = program.globals((global_names(test) - builtin_names) | tested_builtins)
for name in tested_builtins:
    if not isinstance(namespace.get(name), Remote):
        namespace[name] = undefined(name)
namespace.update({"__name__": "__main__", "__builtins__": builtins})
exec(test, namespace)
os.write(1, b"\n" + token + b"\n")
`;

export function withPassProof(program: string, tests: string[]): PassProofHarness {
  return {
    files: { 'main.py': HARNESS, 'solution.py': program },
    run(index) {
      const token = randomBytes(16).toString('hex');
      const test = Buffer.from(tests[index]!).toString('base64');
      return { stdin: `${token}\n${test}\n`, proven: (stdout) => stdout.split('\n').includes(token) };
    },
  };
}
