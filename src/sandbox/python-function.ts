import { spawnSync } from 'node:child_process';
import { realpathSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { isRoot, killSandboxed, makeWorkDir, READ_ONLY, spawnSandboxed } from './process-sandbox.ts';
import { PYTHON_FUNCTION_RUNNER } from './python-function-runner.ts';

/**
 * A Python reward function loaded once in a sandbox and called for whole chunks of items: the runner
 * inside (PYTHON_FUNCTION_RUNNER) keeps a warm worker with the module imported, frames each call's
 * result and enforces the per-call time limit. Chunks go one at a time.
 */

/** How the entry point is called: verl's compute_score, score(prompt, response, reference), OpenAI's grade(sample, item). */
export type FunctionForm = 'verl' | 'score' | 'grade';
export type Loaded = { entry: string; form: FunctionForm } | { error: string };
/** One item's answer: the worker's frame (untrusted JSON, for the caller to validate) or why there is none. */
export type CallResult = { kind: 'ok'; frame: unknown } | { kind: 'timeout' | 'error' | 'lost'; message: string };

/**
 * `session`: calls share the worker's interpreter (module state lives on, as in a trainer);
 * `call`: a fresh child of the loaded module per call.
 */
export type Isolation = 'session' | 'call';

export interface FunctionSpec {
  /** The interpreter's path, and the host directories it needs bound in the sandbox (interpreterMounts). */
  interpreter: string;
  mounts: string[];
  source: string;
  entry: string | undefined;
  memoryMb: number;
  isolation: Isolation;
}

export interface FunctionItem {
  prompt: string;
  response: string;
  reference?: unknown;
  task?: string;
  metadata?: Record<string, unknown>;
  messages?: unknown[];
}

const LOAD_MS = 20_000;
/** A session's sandbox is killed after this long whatever it does; the cache retires sessions well before. */
const LIFETIME_MS = 60 * 60_000;
/** Slack per call for replacing a worker (fork and import) on top of the call's own limit. */
const RESTART_MS = 2_000;

interface Chunk {
  id: number;
  results: CallResult[];
  missing: number;
  resolve: (results: CallResult[]) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** The runner's load answer; one that does not parse is a load failure, not an exception. */
function parseLoaded(text: string): Loaded {
  try {
    const loaded = JSON.parse(text) as Loaded;
    if (loaded !== null && typeof loaded === 'object') return loaded;
  } catch {
    // falls through
  }
  return { error: 'the Python runner sent a load answer that is not JSON' };
}

export class PythonFunctionSession {
  readonly loaded: Promise<Loaded>;
  readonly startedAt = Date.now();
  readonly #child: ReturnType<typeof spawnSandboxed>;
  #chunk: Chunk | undefined;
  #next = 0;
  #dead = false;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(workDir: string, f: FunctionSpec) {
    const { memoryMb } = f;
    this.#child = spawnSandboxed(workDir, {
      argv: [f.interpreter, '-B', '.rlar_fn_runner.py', f.entry ?? '', String(memoryMb), String(LOAD_MS), f.isolation],
      mounts: f.mounts.map((dir) => ({ source: dir, target: dir })),
      timeLimitMs: LIFETIME_MS,
      memoryMb,
      env: { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
    });
    this.#child.stderr.resume();
    this.#child.stdin.on('error', () => {});
    let onLoaded: (loaded: Loaded) => void;
    this.loaded = new Promise((resolve) => (onLoaded = resolve));
    const loadTimer = setTimeout(() => onLoaded({ error: 'the Python runner did not start' }), LOAD_MS + 10_000);
    // Lines end at "\n" only (node:readline also splits at "\r", which a function once smuggled through
    // the framer to forge other items' results), and no line can throw in this thread.
    let loading = true;
    let pending = '';
    this.#child.stdout.setEncoding('utf8').on('data', (data: string) => {
      const lines = (pending + data).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (loading && line.startsWith('ready ')) {
          loading = false;
          clearTimeout(loadTimer);
          // The runner has read its files; workers re-run the source from memory. Removed at once: an
          // idle pool thread may sleep (piscina waits on Atomics) before an async removal completes.
          rmSync(workDir, { recursive: true, force: true });
          onLoaded(parseLoaded(line.slice(6)));
        } else if (!loading) this.#answer(line);
      }
    });
    this.#child.on('close', () => {
      clearTimeout(loadTimer);
      onLoaded({ error: 'the Python runner stopped while loading the source' });
      this.#dead = true;
      rmSync(workDir, { recursive: true, force: true });
      if (this.#chunk) this.#finish(this.#chunk, 'the Python runner stopped');
    });
  }

  static async open(f: FunctionSpec): Promise<PythonFunctionSession> {
    const workDir = await makeWorkDir({ '.rlar_fn_runner.py': PYTHON_FUNCTION_RUNNER, 'reward_fn.py': f.source });
    return new PythonFunctionSession(workDir, f);
  }

  get alive(): boolean {
    return !this.#dead;
  }

  /**
   * Calls the function on each item; never rejects. Items the runner did not answer before it stopped
   * come back `lost`. `safe`: one call at a time, each result sent as soon as it is final.
   */
  run(items: FunctionItem[], timeLimitMs: number, safe = false): Promise<CallResult[]> {
    const turn = this.#queue.then(() => this.#send(items, timeLimitMs, safe));
    this.#queue = turn;
    return turn;
  }

  #send(items: FunctionItem[], timeLimitMs: number, safe: boolean): Promise<CallResult[]> {
    if (this.#dead) return Promise.resolve(items.map(() => ({ kind: 'lost', message: 'the Python runner stopped' })));
    const id = this.#next++;
    return new Promise((resolve) => {
      // The runner bounds every call; this timer only covers a runner that stopped answering.
      const timer = setTimeout(() => {
        this.close();
        this.#finish(chunk, 'the Python runner stopped answering');
      }, items.length * (timeLimitMs + RESTART_MS) + LOAD_MS);
      const chunk: Chunk = { id, results: new Array<CallResult>(items.length), missing: items.length, resolve, timer };
      this.#chunk = chunk;
      const lines = items.map((item) => JSON.stringify(item));
      this.#child.stdin.write(`${JSON.stringify({ id, count: items.length, time_ms: timeLimitMs, safe })}\n${lines.join('\n')}\n`);
    });
  }

  /** One line of the runner: `<chunk> <index> <kind> <payload>`. */
  #answer(line: string): void {
    const chunk = this.#chunk;
    const [id, index, kind] = line.split(' ', 3);
    if (!chunk || kind === undefined || Number(id) !== chunk.id) return;
    const at = Number(index);
    if (!(at >= 0 && at < chunk.results.length) || chunk.results[at] !== undefined) return;
    const payload = line.slice(id!.length + index!.length + kind!.length + 3);
    let value: unknown;
    try {
      value = JSON.parse(payload);
    } catch {
      value = undefined;
    }
    if (kind === 'ok') {
      chunk.results[at] = value === undefined ? { kind: 'error', message: 'the function sent a result that is not JSON' } : { kind: 'ok', frame: value };
    } else {
      chunk.results[at] = { kind: kind === 'timeout' ? 'timeout' : 'error', message: typeof value === 'string' ? value : 'the call failed' };
    }
    if (--chunk.missing === 0) this.#finish(chunk, '');
  }

  #finish(chunk: Chunk, missingReason: string): void {
    clearTimeout(chunk.timer);
    if (this.#chunk === chunk) this.#chunk = undefined;
    for (let i = 0; i < chunk.results.length; i++) chunk.results[i] ??= { kind: 'lost', message: missingReason };
    chunk.resolve(chunk.results);
  }

  close(): void {
    this.#dead = true;
    this.#child.stdin.end();
    killSandboxed(this.#child);
  }
}

/** Idle sessions close after this long; busy ones are retired (no new chunks) past RETIRE_MS of age. */
const IDLE_MS = 60_000;
const RETIRE_MS = 30 * 60_000;
const MAX_SESSIONS = 8;

interface Cached {
  session: Promise<PythonFunctionSession>;
  idle?: ReturnType<typeof setTimeout>;
  busy: number;
}

/** Warm sessions of this thread by function (interpreter, source, entry, memory, isolation); a few at most, closed when idle. */
const sessions = new Map<string, Cached>();

async function closeCached(key: string, cached: Cached): Promise<void> {
  if (sessions.get(key) === cached) sessions.delete(key);
  clearTimeout(cached.idle);
  (await cached.session.catch(() => undefined))?.close();
}

/** The warm session of a function, opened when there is none (or it died, or is old); release when done. */
async function acquire(f: FunctionSpec): Promise<{ session: PythonFunctionSession; release: () => void }> {
  const key = JSON.stringify([f.interpreter, f.source, f.entry ?? '', f.memoryMb, f.isolation]);
  let cached = sessions.get(key);
  if (cached) {
    const session = await cached.session.catch(() => undefined);
    if (!session?.alive || Date.now() - session.startedAt > RETIRE_MS) {
      if (cached.busy === 0) void closeCached(key, cached);
      else sessions.delete(key);
      cached = undefined;
    }
  }
  if (!cached) {
    if (sessions.size >= MAX_SESSIONS) {
      const [oldKey, old] = [...sessions].find(([, c]) => c.busy === 0) ?? [];
      if (oldKey !== undefined) void closeCached(oldKey, old!);
    }
    cached = { session: PythonFunctionSession.open(f), busy: 0 };
    sessions.set(key, cached);
  }
  const mine = cached;
  clearTimeout(mine.idle);
  mine.busy++;
  const release = () => {
    mine.busy--;
    if (mine.busy === 0) {
      mine.idle = setTimeout(() => void closeCached(key, mine), IDLE_MS);
      mine.idle.unref();
    }
  };
  try {
    return { session: await mine.session, release };
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * Runs a chunk of items through the warm session of a function. When the runner dies under a chunk
 * (a function can kill its parent: they share a user), the items without results run again in a fresh
 * session in safe mode, where results come out one by one: the next death blames the first item still
 * without a result, and the rest run again. Each round settles at least one item.
 */
export async function callFunction(f: FunctionSpec, items: FunctionItem[], timeLimitMs: number): Promise<{ loaded: Loaded; results: CallResult[] }> {
  const results = new Array<CallResult>(items.length);
  let pending = items.map((_, i) => i);
  let first: Loaded | undefined;
  for (let safe = false; ; safe = true) {
    const { session, release } = await acquire(f);
    try {
      const loaded = await session.loaded;
      first ??= loaded;
      if ('error' in loaded) {
        // A source that does not load fails the same way every time: the cached session keeps saying why.
        if (loaded === first) return { loaded, results: [] };
        for (const i of pending) results[i] = { kind: 'error', message: loaded.error };
        return { loaded: first, results };
      }
      const answers = await session.run(pending.map((i) => items[i]!), timeLimitMs, safe);
      pending.forEach((i, k) => (results[i] = answers[k]!));
    } finally {
      release();
    }
    pending = pending.filter((i) => results[i]!.kind === 'lost');
    if (safe && pending.length > 0) {
      results[pending.shift()!] = { kind: 'error', message: 'the Python runner stopped during this call (the function killed it)' };
    }
    if (pending.length === 0) return { loaded: first, results };
  }
}

/** The interpreter unless RLAR_PYTHON names another: Debian's, whose packages live under /usr. */
export const SYSTEM_PYTHON = '/usr/bin/python3';
const PROBE = 'import json, sys; print(json.dumps([sys.base_prefix, sys.prefix, sys.exec_prefix] + sys.path))';
const probed = new Map<string, { mounts: string[] } | { error: string }>();

/** Whether the sandbox user can reach a host directory: every ancestor searchable and the directory readable by others when it runs as nobody. */
function reachable(dir: string): boolean {
  if (!isRoot) return true;
  for (let at = dir; ; at = dirname(at)) {
    const mode = statSync(at).mode;
    if ((mode & 0o001) === 0 || (at === dir && (mode & 0o004) === 0)) return false;
    if (at === '/') return true;
  }
}

function probe(interpreter: string): { mounts: string[] } | { error: string } {
  const run = spawnSync(interpreter, ['-I', '-c', PROBE], { timeout: 10_000, encoding: 'utf8', env: {} });
  if (run.error || run.status !== 0) {
    return { error: `the Python interpreter ${interpreter} does not run: ${run.error?.message ?? run.stderr.trim().slice(-300)}` };
  }
  const dirs = new Set<string>();
  for (const entry of [dirname(interpreter), ...(JSON.parse(run.stdout) as string[])]) {
    let real: string;
    try {
      real = realpathSync(entry);
      if (!statSync(real).isDirectory()) continue;
    } catch {
      continue;
    }
    if (!READ_ONLY.some((root) => real === root || real.startsWith(`${root}/`))) dirs.add(real);
  }
  const mounts = [...dirs].filter((dir) => ![...dirs].some((other) => dir.startsWith(`${other}/`)));
  const hidden = mounts.find((dir) => !reachable(dir));
  if (hidden !== undefined) {
    return { error: `the Python interpreter ${interpreter} needs ${hidden}, which the sandbox user (nobody: the service runs as root) cannot read` };
  }
  return { mounts };
}

/**
 * The host directories an interpreter needs in the sandbox, read-only: its prefixes and import path
 * (a virtualenv, pyenv's tree) outside the system directories the sandbox always has. Probed once.
 */
export function interpreterMounts(interpreter: string): string[] {
  let found = probed.get(interpreter);
  if (!found) {
    found = probe(interpreter);
    probed.set(interpreter, found);
  }
  if ('error' in found) throw new Error(found.error);
  return found.mounts;
}
