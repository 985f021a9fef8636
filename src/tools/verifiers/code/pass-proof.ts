import { randomBytes } from 'node:crypto';

/**
 * Proof that an assert-style test program (HumanEval, MBPP) ran to its last line: an exit code of 0
 * proves nothing, since the program under test can call `sys.exit(0)`, `os._exit(0)`, raise
 * SystemExit from an atexit hook or kill its parent before a single assert runs. Before any of its
 * code runs, the harness reads a fresh random token from stdin (so the program finds stdin empty) and
 * keeps it in a closure under a random name; after the last test it writes the token to fd 1 itself.
 * The host counts a pass only when that line is there. The token is never in the source, a file or
 * the environment, so printing markers cannot fake it.
 */
export interface PassProof {
  /** The source to run instead of the given one. */
  source: string;
  /** The stdin to run it with. */
  stdin: string;
  /** Whether the output shows that the source ran to its end. */
  proven(stdout: string): boolean;
}

/** `from __future__` imports must open the file: they move above the harness. */
const FUTURE = /^from\s+__future__\s+import[^\n]*$/gm;

export function withPassProof(source: string): PassProof {
  const token = randomBytes(16).toString('hex');
  const name = `_rlar_${randomBytes(6).toString('hex')}`;
  const futures = source.match(FUTURE) ?? [];
  const harness = [
    ...futures,
    `def ${name}():`,
    '    import os, sys',
    '    token = sys.stdin.buffer.read().strip()',
    '    write = os.write',
    '    def prove():',
    "        write(1, b'\\n' + token + b'\\n')",
    '    return prove',
    `${name} = ${name}()`,
    '',
  ].join('\n');
  return {
    source: `${harness}${source.replace(FUTURE, '')}\n\n${name}()\n`,
    stdin: token,
    proven: (stdout) => stdout.split('\n').includes(token),
  };
}
