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


program = Candidate(run_program)
token, test = sys.stdin.buffer.read().split()
test = compile(base64.b64decode(test).decode(), "<test>", "exec")
# The test gets the real builtins: a program's own abs or sorted would judge its own answers.
namespace = program.globals(global_names(test) - set(dir(builtins)))
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
