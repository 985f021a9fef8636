import { randomBytes } from 'node:crypto';

/**
 * Proof that an assert-style test program (HumanEval, MBPP) ran to its last line: an exit code of 0
 * proves nothing, since the program under test can call `sys.exit(0)`, `os._exit(0)`, raise
 * SystemExit from an atexit hook or kill its parent before a single assert runs. Before any of its
 * code runs, the harness reads a fresh random token and the index of the test to run from stdin (so
 * the program finds stdin empty), runs the program and that test with globals of its own (nothing of
 * the harness in them), and after the test writes the token to fd 1 itself. The host counts a pass
 * only when that line is there. The token is never in the source, a file, the environment or the
 * program's globals, so printing markers cannot fake it; a program that walks the interpreter's stack
 * frames still could (see README, the sandbox section).
 *
 * One harness holds every test, so one prepared program (and its warm sessions) serves all the cases.
 */
export interface PassProofHarness {
  /** The source to run instead of the given one. */
  source: string;
  /** A run of test `index`: the stdin to give the harness, and whether its output proves the test ran to its end. */
  run(index: number): { stdin: string; proven(stdout: string): boolean };
}

export function withPassProof(program: string, tests: string[]): PassProofHarness {
  const base64 = (text: string) => `'${Buffer.from(text).toString('base64')}'`;
  const source = [
    'def _rlar_run():',
    '    import base64, os, sys',
    '    token, index = sys.stdin.buffer.read().split()',
    `    tests = [${tests.map(base64).join(', ')}]`,
    `    source = base64.b64decode(${base64(program)}).decode() + base64.b64decode(tests[int(index)]).decode()`,
    "    program = {'__name__': '__main__', '__file__': __file__, '__builtins__': __builtins__}",
    "    exec(compile(source, __file__, 'exec'), program)",
    "    os.write(1, b'\\n' + token + b'\\n')",
    '_rlar_run()',
    '',
  ].join('\n');
  return {
    source,
    run(index) {
      const token = randomBytes(16).toString('hex');
      return { stdin: `${token}\n${index}\n`, proven: (stdout) => stdout.split('\n').includes(token) };
    },
  };
}
