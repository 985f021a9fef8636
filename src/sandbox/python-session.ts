import { killSandboxed, OUTPUT_LIMIT, spawnSandboxedInit, wallLimitMs, type SandboxResult, type TimeClock } from './process-sandbox.ts';
import { PYTHON_RUNNER } from './python-runner.ts';

/** Files of a run, by their path in /work. */
export type RunFiles = Record<string, string>;

/** A run's time limit and what it counts (default: wall-clock time). */
export interface RunLimit {
  ms: number;
  clock?: TimeClock;
}

/**
 * One Python sandbox that runs many programs, one at a time: the runner inside (PYTHON_RUNNER) writes
 * each run's files, forks a warm interpreter for it and resets the sandbox after it, so a run costs a
 * fork instead of a sandbox and an interpreter start. A session that breaks answers `sandbox_error`,
 * and the caller runs the program the ordinary way.
 */
export class PythonSession {
  readonly #child: ReturnType<typeof spawnSandboxedInit>;
  readonly #pending = new Map<number, { resolve: (result: SandboxResult) => void; timer: ReturnType<typeof setTimeout> }>();
  readonly #endsAt: number;
  #next = 0;
  #dead = false;

  /** A session for at most `lifetimeMs`; its runs' memory is limited to `memoryMb`. */
  constructor(lifetimeMs: number, memoryMb: number) {
    this.#endsAt = performance.now() + lifetimeMs;
    const argv = ['python3', '-B', '-c', PYTHON_RUNNER, String(lifetimeMs / 1000)];
    this.#child = spawnSandboxedInit({ argv, timeLimitMs: lifetimeMs, memoryMb });
    this.#child.stderr.resume();
    this.#child.stdin.on('error', () => {});
    this.#child.on('error', () => {}); // a sandbox that cannot start ends in "close" too
    readAnswers(this.#child.stdout, ({ header, stdout, stderr }) => {
      let answer: { id: number; status: SandboxResult['status']; exit_code: number | null; signal: string | null; time_ms: number; cpu_ms: number; reset: boolean };
      try {
        answer = JSON.parse(header.toString('utf8'));
      } catch {
        return;
      }
      const waiting = this.#pending.get(answer.id);
      if (!waiting) return;
      this.#pending.delete(answer.id);
      clearTimeout(waiting.timer);
      // The run itself ended; a runner that could not clean up after it takes no more runs.
      if (answer.reset !== true) this.#dead = true;
      waiting.resolve({
        status: answer.status,
        exitCode: answer.exit_code,
        signal: answer.signal,
        stdout: stdout.toString('utf8'),
        stderr: stderr.toString('utf8'),
        timeMs: answer.time_ms,
        cpuMs: answer.cpu_ms,
      });
    });
    this.#child.on('close', () => {
      this.#dead = true;
      for (const [id, waiting] of this.#pending) {
        clearTimeout(waiting.timer);
        waiting.resolve(broken('the runner stopped'));
        this.#pending.delete(id);
      }
    });
  }

  /** Whether a run of `wallMs` (wall-clock) can still start and end before the sandbox's own time limit. */
  canRun(wallMs: number): boolean {
    return !this.#dead && performance.now() + wallMs + 2_000 < this.#endsAt;
  }

  /**
   * One run at a time (the pool lends a session to one run), so its timer counts that run alone. With
   * `compiled`, main.py is a harness that serves many runs and holds no run's data: the runner keeps it
   * compiled.
   */
  run(files: RunFiles, stdin: string, limit: RunLimit, memoryMb: number, compiled = false): Promise<SandboxResult> {
    if (this.#dead) return Promise.resolve(broken('the runner stopped'));
    const id = this.#next++;
    const wallMs = wallLimitMs(limit.ms, limit.clock);
    return new Promise((resolve) => {
      // The runner enforces the limit; this timer only covers a runner that stopped answering.
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        this.close();
        resolve(broken('the runner stopped answering'));
      }, wallMs + 5_000);
      this.#pending.set(id, { resolve, timer });
      const contents = Object.entries(files).map(([name, text]) => [name, Buffer.from(text)] as const);
      const header = {
        id,
        files: contents.map(([name, data]) => [name, data.length]),
        compiled,
        time_ms: limit.ms,
        clock: limit.clock ?? 'wall',
        wall_ms: wallMs,
        memory_mb: memoryMb,
        output_limit: OUTPUT_LIMIT,
      };
      this.#child.stdin.write(frameRequest(header, [...contents.map(([, data]) => data), Buffer.from(stdin)]));
    });
  }

  close(): void {
    this.#dead = true;
    this.#child.stdin.end();
    killSandboxed(this.#child);
  }
}

/**
 * A request as the runner reads it (PYTHON_RUNNER's read_request): the lengths of the JSON header and
 * of the payload (little-endian 32-bit), the header, then the payload (the files' bytes, then the
 * stdin's), which the runner reads straight into a buffer it wipes after the run.
 */
function frameRequest(header: object, payload: Buffer[]): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const lengths = Buffer.alloc(8);
  lengths.writeUInt32LE(json.length, 0);
  lengths.writeUInt32LE(payload.reduce((sum, part) => sum + part.length, 0), 4);
  return Buffer.concat([lengths, json, ...payload]);
}

interface Answer {
  header: Buffer;
  stdout: Buffer;
  stderr: Buffer;
}

/** The runner's answers (PYTHON_RUNNER's send_answer): three little-endian 32-bit lengths, then the JSON header, the stdout and the stderr. */
function readAnswers(stream: NodeJS.ReadableStream, onAnswer: (answer: Answer) => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 12) {
      const [header, stdout, stderr] = [0, 4, 8].map((at) => buffered.readUInt32LE(at)) as [number, number, number];
      const end = 12 + header + stdout + stderr;
      if (buffered.length < end) break;
      onAnswer({
        header: buffered.subarray(12, 12 + header),
        stdout: buffered.subarray(12 + header, 12 + header + stdout),
        stderr: buffered.subarray(12 + header + stdout, end),
      });
      buffered = buffered.subarray(end);
    }
  });
}

/** How long a pooled session's sandbox may live; it retires before a run could outlast it. */
const SESSION_LIFETIME_MS = 120_000;

/**
 * Warm Python sessions shared by the runs of many programs (the items of a batch, their test cases):
 * at most `size`, opened when needed; a run takes a free one or waits for it. A session that broke or
 * is near its time limit is closed, and the next run opens a fresh one. The runner's reset after every
 * run keeps one program's files, processes and changes from the next.
 */
export class PythonPool {
  readonly #size: number;
  readonly #memoryMb: number;
  readonly #idle: PythonSession[] = [];
  readonly #waiting: (() => void)[] = [];
  #open = 0;
  #closed = false;

  constructor(size: number, memoryMb: number) {
    this.#size = size;
    this.#memoryMb = memoryMb;
  }

  /**
   * Runs main.py among `files`; `sandbox_error` when no session could run it (the pool is closed, or
   * the limit is too long). `compiled`: main.py is a harness that holds no run's data (PythonSession.run).
   */
  async run(files: RunFiles, stdin: string, limit: RunLimit, compiled = false): Promise<SandboxResult> {
    const session = await this.#acquire(wallLimitMs(limit.ms, limit.clock));
    if (session === undefined) return broken('the pool is closed');
    try {
      return await session.run(files, stdin, limit, this.#memoryMb, compiled);
    } finally {
      this.#release(session);
    }
  }

  async #acquire(wallMs: number): Promise<PythonSession | undefined> {
    // A run longer than a session may live runs in a sandbox of its own.
    if (wallMs + 2_000 >= SESSION_LIFETIME_MS) return undefined;
    for (;;) {
      if (this.#closed) return undefined;
      const session = this.#idle.pop();
      if (session?.canRun(wallMs)) return session;
      if (session) {
        this.#retire(session);
        continue;
      }
      if (this.#open < this.#size) {
        this.#open++;
        return new PythonSession(SESSION_LIFETIME_MS, this.#memoryMb);
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  #release(session: PythonSession): void {
    if (this.#closed || !session.canRun(0)) this.#retire(session);
    else this.#idle.push(session);
    this.#waiting.shift()?.();
  }

  #retire(session: PythonSession): void {
    session.close();
    this.#open--;
  }

  close(): void {
    this.#closed = true;
    for (const session of this.#idle.splice(0)) this.#retire(session);
    for (const wake of this.#waiting.splice(0)) wake();
  }
}

/** How long a thread keeps its pool after the last batch that used it. */
const POOL_IDLE_MS = 5_000;
const pools = new Map<number, { pool: PythonPool; users: number; idle?: ReturnType<typeof setTimeout> }>();

/**
 * This thread's pool for runs of `memoryMb` (one core's worth of sessions per core), kept warm
 * between batches and closed POOL_IDLE_MS after the last one let it go. With `onlyIfWarm`, undefined
 * unless the pool is already there (a single run would pay more to open a session than to run alone).
 */
export function leasePythonPool(memoryMb: number, size: number, onlyIfWarm: boolean): { pool: PythonPool; release(): void } | undefined {
  let entry = pools.get(memoryMb);
  if (entry === undefined) {
    if (onlyIfWarm) return undefined;
    entry = { pool: new PythonPool(size, memoryMb), users: 0 };
    pools.set(memoryMb, entry);
  }
  const leased = entry;
  clearTimeout(leased.idle);
  leased.users++;
  let released = false;
  return {
    pool: leased.pool,
    release() {
      if (released) return;
      released = true;
      if (--leased.users > 0) return;
      leased.idle = setTimeout(() => {
        if (pools.get(memoryMb) === leased) pools.delete(memoryMb);
        leased.pool.close();
      }, POOL_IDLE_MS);
      leased.idle.unref();
    },
  };
}

function broken(message: string): SandboxResult {
  return { status: 'sandbox_error', exitCode: null, signal: null, stdout: '', stderr: message, timeMs: 0 };
}
