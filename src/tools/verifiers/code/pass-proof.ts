import { randomBytes } from 'node:crypto';

/**
 * Proof that an assert-style test program (HumanEval, MBPP) ran to its last line: an exit code of 0
 * proves nothing, since the program under test can call `sys.exit(0)`, `os._exit(0)`, raise
 * SystemExit from an atexit hook or kill its parent before a single assert runs. Before any of its
 * code runs, the harness reads a fresh random token from stdin (so the program finds stdin empty), runs
 * the program with globals of its own (nothing of the harness in them), and after the last test writes
 * the token to fd 1 itself. The host counts a pass only when that line is there. The token is never in
 * the source, a file, the environment or the program's globals, so printing markers cannot fake it; a
 * program that walks the interpreter's stack frames still could (see README, the sandbox section).
 */
export interface PassProof {
  /** The source to run instead of the given one. */
  source: string;
  /** The stdin to run it with. */
  stdin: string;
  /** Whether the output shows that the source ran to its end. */
  proven(stdout: string): boolean;
}

export function withPassProof(source: string): PassProof {
  const token = randomBytes(16).toString('hex');
  const harness = [
    'def _rlar_run():',
    '    import base64, os, sys',
    '    token = sys.stdin.buffer.read().strip()',
    `    source = base64.b64decode('${Buffer.from(source).toString('base64')}').decode()`,
    "    program = {'__name__': '__main__', '__file__': __file__, '__builtins__': __builtins__}",
    "    exec(compile(source, __file__, 'exec'), program)",
    "    os.write(1, b'\\n' + token + b'\\n')",
    '_rlar_run()',
    '',
  ].join('\n');
  return { source: harness, stdin: token, proven: (stdout) => stdout.split('\n').includes(token) };
}
