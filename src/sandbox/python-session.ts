import { createInterface } from 'node:readline';
import { killSandboxed, OUTPUT_LIMIT, spawnSandboxed, type SandboxResult } from './process-sandbox.ts';
import { PYTHON_RUNNER } from './python-runner.ts';

/**
 * One Python sandbox that runs many test cases of one program: the runner inside (PYTHON_RUNNER)
 * forks a warm interpreter per case, so a case costs a fork instead of a sandbox and an interpreter
 * start. Cases go one at a time; a session that breaks answers `sandbox_error`, and the caller runs
 * the case the ordinary way.
 */
export class PythonSession {
  readonly #child: ReturnType<typeof spawnSandboxed>;
  readonly #pending = new Map<number, { resolve: (result: SandboxResult) => void; timer: ReturnType<typeof setTimeout> }>();
  #next = 0;
  #dead = false;
  #queue: Promise<void> = Promise.resolve();

  constructor(workDir: string, sessionTimeMs: number, memoryMb: number) {
    this.#child = spawnSandboxed(workDir, { argv: ['python3', '-B', '-c', PYTHON_RUNNER], timeLimitMs: sessionTimeMs, memoryMb });
    this.#child.stderr.resume();
    this.#child.stdin.on('error', () => {});
    createInterface({ input: this.#child.stdout }).on('line', (line) => {
      let answer: { id: number; status: SandboxResult['status']; exit_code: number | null; signal: string | null; stdout: string; stderr: string; time_ms: number };
      try {
        answer = JSON.parse(line);
      } catch {
        return;
      }
      const waiting = this.#pending.get(answer.id);
      if (!waiting) return;
      this.#pending.delete(answer.id);
      clearTimeout(waiting.timer);
      waiting.resolve({
        status: answer.status,
        exitCode: answer.exit_code,
        signal: answer.signal,
        stdout: Buffer.from(answer.stdout, 'base64').toString('utf8'),
        stderr: Buffer.from(answer.stderr, 'base64').toString('utf8'),
        timeMs: answer.time_ms,
      });
    });
    this.#child.on('close', () => {
      this.#dead = true;
      for (const [id, waiting] of this.#pending) {
        clearTimeout(waiting.timer);
        waiting.resolve(broken('the test-case runner stopped'));
        this.#pending.delete(id);
      }
    });
  }

  /** Cases queue here, one in flight at a time, so each one's timer starts when it is sent. */
  run(stdin: string, timeLimitMs: number, memoryMb: number): Promise<SandboxResult> {
    const turn = this.#queue.then(() => this.#send(stdin, timeLimitMs, memoryMb));
    this.#queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  #send(stdin: string, timeLimitMs: number, memoryMb: number): Promise<SandboxResult> {
    if (this.#dead) return Promise.resolve(broken('the test-case runner stopped'));
    const id = this.#next++;
    return new Promise((resolve) => {
      // The runner enforces the limit; this timer only covers a runner that stopped answering.
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        this.close();
        resolve(broken('the test-case runner stopped answering'));
      }, timeLimitMs + 5_000);
      this.#pending.set(id, { resolve, timer });
      const request = { id, stdin: Buffer.from(stdin).toString('base64'), time_ms: timeLimitMs, memory_mb: memoryMb, output_limit: OUTPUT_LIMIT };
      this.#child.stdin.write(`${JSON.stringify(request)}\n`);
    });
  }

  close(): void {
    this.#dead = true;
    this.#child.stdin.end();
    killSandboxed(this.#child);
  }
}

function broken(message: string): SandboxResult {
  return { status: 'sandbox_error', exitCode: null, signal: null, stdout: '', stderr: message, timeMs: 0 };
}
