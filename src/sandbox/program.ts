import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import * as nodeModule from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { makeWorkDir, removeWorkDir, runSandboxed, workDirPrefix, type SandboxResult, type TimeClock } from './process-sandbox.ts';

/**
 * How each language is compiled (when it is) and run inside the sandbox. A compiled program lives in
 * a directory of its own that each run sees read-only at /program; an interpreted one is among the
 * input files the sandbox copies into each run's /work.
 */
interface Language {
  /** Debian packages of the toolchain (the Dockerfile and .ci/run install them). */
  packages: string[];
  /** The source file's name (Java's is its public class's). */
  source: (code: string) => string;
  /** The compile command, run in the program's directory (it sees its files at /work). */
  compile?: (source: string) => string[];
  compileEnv?: Record<string, string>;
  /** False for a JVM compiler: it reserves far more address space than it uses, so its data segment is limited instead. */
  compilerAddressSpace?: false;
  /** A compile step done in this process instead of the sandbox (pure text to text, in a disposable worker thread). */
  transform?: (code: string, timeLimitMs: number) => Promise<Transformed>;
  run: (memoryMb: number, source: string) => string[];
  runEnv?: (memoryMb: number) => Record<string, string>;
  /**
   * Limit the address space; else the data segment (RLIMIT_DATA: Node.js and a JVM reserve far more
   * address space than they use, and Node.js's Buffers live outside its heap).
   */
  limitAddressSpace: boolean;
  /** Memory allowed beyond the memory limit: a JVM's stacks, code and class data live outside its -Xmx heap; Go's runtime needs a little. */
  reservedMb?: number;
  /** With a data-segment limit, the address space too, at the memory limit plus this: Go's runtime reserves ~700 MB of it before it starts. */
  addressSpaceReservedMb?: number;
}

/** What a transform made: the files to run, or why not (`timeout`: it ran out of time, which is not kept). */
type Transformed = { files: Record<string, string> } | { error: string; timeout?: true };

const COMPILER_MEMORY_MB = 2048;

/** Java runs the public class (or the one with `main`), so the file is named after it, as javac wants. */
function javaClass(code: string): string {
  const named = /\bpublic\s+(?:final\s+|abstract\s+)*class\s+([A-Za-z_$][\w$]*)/.exec(code)
    ?? /\bclass\s+([A-Za-z_$][\w$]*)[^{]*\{[\s\S]*?\bstatic\s+void\s+main\s*\(/.exec(code);
  return named?.[1] ?? 'Main';
}

/**
 * The stripper (SWC compiled to WebAssembly) runs in a worker thread of its own, used once: hostile
 * source can break its memory (about 3,000 nested parentheses leave every later call in that thread
 * failing with "memory access out of bounds"), and a broken instance must not outlive the program
 * that broke it, let alone change how the next program is stripped.
 */
const STRIP_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { stripTypeScriptTypes } = require('node:module');
try {
  parentPort.postMessage({ js: stripTypeScriptTypes(workerData, { mode: 'transform' }) });
} catch (error) {
  parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
}`;
const STRIP_HEAP_MB = 256;

function stripTypes(code: string, timeLimitMs: number): Promise<{ js: string } | { error: string; timeout?: true }> {
  return new Promise((resolve) => {
    const worker = new Worker(STRIP_WORKER, { eval: true, workerData: code, resourceLimits: { maxOldGenerationSizeMb: STRIP_HEAP_MB }, stderr: true, stdout: true });
    let settled = false;
    const settle = (result: { js: string } | { error: string; timeout?: true }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(result);
    };
    const timer = setTimeout(() => settle({ error: `stripping the types took more than ${timeLimitMs} ms`, timeout: true }), timeLimitMs);
    worker.once('message', (message: { js: string } | { error: string }) => settle(message));
    worker.once('error', (error) => settle({ error: error.message }));
    worker.once('exit', (code) => settle({ error: `the type stripper stopped (exit code ${code})` }));
  });
}

/**
 * TypeScript: types are stripped (enums and namespaces transformed) by Node.js's own stripper, as tsx
 * does for SandboxFusion (no type checking), and the JavaScript runs on the sandbox's node. A program
 * with ES module syntax becomes an .mjs file that still has `require`.
 */
async function typeScriptToJavaScript(code: string, timeLimitMs: number): Promise<Transformed> {
  if (typeof nodeModule.stripTypeScriptTypes !== 'function') return { error: 'TypeScript needs Node.js 22.13 or newer to run this service' };
  const stripped = await stripTypes(code, timeLimitMs);
  if ('error' in stripped) return { ...stripped, error: `main.ts: ${stripped.error}` };
  const { js } = stripped;
  if (/^\s*(?:import\s*[\w*{'"]|export\s)/m.test(js)) {
    const shim = "import { createRequire as __rlarCreateRequire } from 'node:module'; const require = __rlarCreateRequire(import.meta.url);\n";
    return { files: { 'main.mjs': shim + js } };
  }
  return { files: { 'main.js': js } };
}

const LANGUAGES: Record<string, Language> = {
  python: { packages: ['python3'], source: () => 'main.py', run: () => ['python3', '-B', 'main.py'], limitAddressSpace: true },
  c: {
    packages: ['gcc'],
    source: () => 'main.c',
    compile: (source) => ['gcc', '-O2', '-std=gnu17', '-o', 'main', source, '-lm'],
    run: () => ['/program/main'],
    limitAddressSpace: true,
  },
  cpp: {
    packages: ['g++'],
    source: () => 'main.cpp',
    compile: (source) => ['g++', '-O2', '-std=gnu++17', '-o', 'main', source, '-lm', '-lpthread'],
    run: () => ['/program/main'],
    limitAddressSpace: true,
  },
  javascript: {
    packages: ['nodejs'],
    source: () => 'main.js',
    run: (memoryMb) => ['node', `--max-old-space-size=${memoryMb}`, 'main.js'],
    limitAddressSpace: false,
  },
  typescript: {
    packages: ['nodejs'],
    source: () => 'main.ts',
    transform: typeScriptToJavaScript,
    run: (memoryMb, source) => ['node', `--max-old-space-size=${memoryMb}`, `/program/${source}`],
    limitAddressSpace: false,
  },
  java: {
    packages: ['default-jdk-headless'],
    source: (code) => `${javaClass(code)}.java`,
    compilerAddressSpace: false,
    compile: (source) => ['javac', '-J-Xmx512m', '-J-XX:+UseSerialGC', '-J-XX:TieredStopAtLevel=1', '-encoding', 'UTF-8', '-d', '.', source],
    run: (memoryMb, source) => ['java', `-Xmx${memoryMb}m`, '-Xss64m', '-XX:+UseSerialGC', '-cp', '/program', source.replace(/\.java$/, '')],
    limitAddressSpace: false,
    // -Xss is every Java thread's stack, all of it counted in the data segment: six threads at 64 MB and the JVM's own needs.
    reservedMb: 768,
  },
  go: {
    packages: ['golang-go'],
    source: () => 'main.go',
    compile: (source) => ['go', 'build', '-o', 'main', source],
    // The Go tool needs a build cache and a module path; both go to the sandbox's private /tmp.
    compileEnv: { GOCACHE: '/tmp/go-cache', GOPATH: '/tmp/go', GOTMPDIR: '/tmp', GOTOOLCHAIN: 'local' },
    run: () => ['/program/main'],
    // The collector works to keep the heap under the limit; the data segment holds it there (a soft
    // GOMEMLIMIT alone let 500 MB live pass a 256 MB limit), the address space bounds shared mappings.
    runEnv: (memoryMb) => ({ GOMEMLIMIT: `${memoryMb}MiB` }),
    limitAddressSpace: false,
    reservedMb: 64,
    addressSpaceReservedMb: 1024,
  },
  rust: {
    packages: ['rustc'],
    source: () => 'main.rs',
    compile: (source) => ['rustc', '-O', '--edition', '2021', '-C', 'strip=symbols', '-o', 'main', source],
    compileEnv: { CARGO_HOME: '/tmp/cargo' },
    run: () => ['/program/main'],
    limitAddressSpace: true,
  },
  bash: { packages: ['bash'], source: () => 'main.sh', run: () => ['bash', 'main.sh'], limitAddressSpace: true },
};

const ALIASES: Record<string, string> = {
  python: 'python', python3: 'python', py: 'python',
  c: 'c',
  cpp: 'cpp', 'c++': 'cpp', cxx: 'cpp', cc: 'cpp',
  javascript: 'javascript', js: 'javascript', nodejs: 'javascript', node: 'javascript',
  typescript: 'typescript', ts: 'typescript',
  java: 'java',
  go: 'go', golang: 'go',
  rust: 'rust', rs: 'rust',
  bash: 'bash', sh: 'bash', shell: 'bash',
};

export const SUPPORTED_LANGUAGES = Object.keys(ALIASES);

/** The Debian packages each language's toolchain needs (checked against the Dockerfile by a test). */
export const TOOLCHAIN_PACKAGES: Record<string, string[]> = Object.fromEntries(
  Object.entries(LANGUAGES).map(([name, language]) => [name, language.packages]),
);

/** The canonical name of a language, or undefined when the sandbox cannot run it. */
export function languageOf(name: string): string | undefined {
  const key = name.trim().toLowerCase();
  return Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
}

export interface RunOptions {
  stdin?: string;
  timeLimitMs: number;
  /** What timeLimitMs counts (default: wall-clock time). */
  clock?: TimeClock;
  memoryMb: number;
  /** Files to hand back after the run (SandboxResult.files). */
  fetch?: string[];
}

/** A compiled program in the cache: its directory, the compiler's result, and who is using it. */
interface Compiled {
  dir: string;
  source: string;
  compile: SandboxResult;
  bytes: number;
  users: number;
  evicted: boolean;
}

/**
 * Compiled programs by (language, compile command, source, files): verl posts one /run_code per test
 * case with the same program, and a code_tests item compiles once for all its cases. Bounded in
 * entries and bytes (least recently used first out; an entry in use is removed when its last user is
 * done); one compilation per key at a time; a compilation that timed out or broke is not kept. Entries
 * are owned by this process and mounted read-only into runs.
 */
const CACHE_ENTRIES = 128;
const CACHE_BYTES = 512 * 1024 * 1024;
// One cache per thread, named like its work directories: a stopped thread's goes with them.
const CACHE_ROOT = join(tmpdir(), `${workDirPrefix()}compiled`);
const compiled = new Map<string, Promise<Compiled>>();
let cachedBytes = 0;

function release(entry: Compiled): void {
  entry.users--;
  if (entry.evicted && entry.users === 0) void removeWorkDir(entry.dir);
}

async function evictOverflow(): Promise<void> {
  for (const [key, pending] of compiled) {
    if (compiled.size <= CACHE_ENTRIES && cachedBytes <= CACHE_BYTES) return;
    const entry = await Promise.race([pending, Promise.resolve(undefined)]).catch(() => undefined);
    if (entry === undefined) continue; // still compiling (or failed, and removed by its own handler)
    compiled.delete(key);
    cachedBytes -= entry.bytes;
    entry.evicted = true;
    if (entry.users === 0) await removeWorkDir(entry.dir);
  }
}

async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

async function compileInto(language: Language, code: string, files: Record<string, string | Buffer>, compileTimeLimitMs: number): Promise<Compiled> {
  const source = language.source(code);
  await mkdir(CACHE_ROOT, { recursive: true, mode: 0o755 });
  const dir = await makeWorkDir({ ...files, [source]: code }, CACHE_ROOT);
  let compile: SandboxResult;
  let runSource = source;
  if (language.transform) {
    const started = performance.now();
    const output = await language.transform(code, compileTimeLimitMs);
    const timeMs = performance.now() - started;
    if ('error' in output) {
      compile = output.timeout
        ? { status: 'timeout', exitCode: null, signal: null, stdout: '', stderr: output.error, timeMs }
        : { status: 'exited', exitCode: 1, signal: null, stdout: '', stderr: output.error, timeMs };
    } else {
      for (const [name, text] of Object.entries(output.files)) await writeFile(join(dir, name), text);
      runSource = Object.keys(output.files)[0]!;
      compile = { status: 'exited', exitCode: 0, signal: null, stdout: '', stderr: '', timeMs };
    }
  } else {
    // The compiler writes its output into the cache directory itself (bound at /work); its /tmp is the sandbox's tmpfs.
    compile = await runSandboxed(dir, {
      argv: language.compile!(source),
      timeLimitMs: compileTimeLimitMs,
      memoryMb: COMPILER_MEMORY_MB,
      memoryLimit: language.compilerAddressSpace === false ? 'data' : 'address-space',
      writeWorkDir: true,
      ...(language.compileEnv && { env: language.compileEnv }),
    });
  }
  // What the runs see: read-only files in a directory only this process may write (a link the
  // compilation left could point anywhere: it goes).
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isSymbolicLink()) await rm(path, { force: true });
    else await chmod(path, entry.isDirectory() ? 0o755 : 0o555);
  }
  await chmod(dir, 0o755);
  return { dir, source: runSource, compile, bytes: await directoryBytes(dir), users: 0, evicted: false };
}

async function compiledProgram(
  name: string,
  language: Language,
  code: string,
  files: Record<string, string | Buffer>,
  compileTimeLimitMs: number,
): Promise<Compiled> {
  const hash = createHash('sha256').update(JSON.stringify([name, language.compile?.(language.source(code)) ?? 'transform', code]));
  for (const path of Object.keys(files).sort()) hash.update(`\0${path}\0`).update(files[path]!);
  const key = hash.digest('hex');
  let pending = compiled.get(key);
  if (pending) {
    compiled.delete(key); // most recently used goes last
    compiled.set(key, pending);
  } else {
    pending = compileInto(language, code, files, compileTimeLimitMs);
    compiled.set(key, pending);
    pending.then(
      async (entry) => {
        if (entry.compile.status !== 'exited') {
          // A time-out depends on the load of the moment: compile again next time.
          if (compiled.get(key) === pending) compiled.delete(key);
          entry.evicted = true;
          if (entry.users === 0) await removeWorkDir(entry.dir);
          return;
        }
        cachedBytes += entry.bytes;
        await evictOverflow();
      },
      () => compiled.delete(key),
    );
  }
  const entry = await pending;
  entry.users++;
  return entry;
}

/**
 * A program ready to run: its input files (an interpreted program's source among them) in a host
 * directory of its own, which the sandbox copies into each run's private /work, so runs can go in
 * parallel without seeing each other's files. A compiled program comes from the compile cache and is
 * mounted read-only at /program.
 */
export class PreparedProgram {
  readonly compile: SandboxResult | undefined;
  readonly #dir: string;
  readonly #language: Language;
  readonly #compiled: Compiled | undefined;

  private constructor(dir: string, language: Language, compiled: Compiled | undefined) {
    this.#dir = dir;
    this.#language = language;
    this.#compiled = compiled;
    this.compile = compiled?.compile;
  }

  /** Writes and (for compiled languages) compiles the program; `files` are extra inputs beside it. */
  static async prepare(
    languageName: string,
    code: string,
    compileTimeLimitMs: number,
    files: Record<string, string | Buffer> = {},
  ): Promise<PreparedProgram> {
    const name = languageOf(languageName);
    if (name === undefined) throw new Error(`language "${languageName}" is not supported (supported: ${SUPPORTED_LANGUAGES.join(', ')})`);
    const language = LANGUAGES[name]!;
    if (language.compile || language.transform) {
      const entry = await compiledProgram(name, language, code, files, compileTimeLimitMs);
      try {
        return new PreparedProgram(await makeWorkDir(files), language, entry);
      } catch (error) {
        release(entry);
        throw error;
      }
    }
    return new PreparedProgram(await makeWorkDir({ ...files, [language.source(code)]: code }), language, undefined);
  }

  /** Whether compilation (if any) succeeded, so the program can run. */
  get runnable(): boolean {
    return this.compile === undefined || (this.compile.status === 'exited' && this.compile.exitCode === 0);
  }

  /** Runs in a sandbox whose /work starts as a copy of the program's input files and vanishes with it. */
  async run(options: RunOptions): Promise<{ result: SandboxResult }> {
    const language = this.#language;
    const result = await runSandboxed(this.#dir, {
      argv: language.run(options.memoryMb, this.#compiled?.source ?? language.source('')),
      stdin: options.stdin,
      timeLimitMs: options.timeLimitMs,
      ...(options.clock && { clock: options.clock }),
      memoryMb: options.memoryMb + (language.reservedMb ?? 0),
      memoryLimit: language.limitAddressSpace ? 'address-space' : 'data',
      ...(language.addressSpaceReservedMb !== undefined && { addressSpaceMb: options.memoryMb + language.addressSpaceReservedMb }),
      ...(language.runEnv && { env: language.runEnv(options.memoryMb) }),
      ...(this.#compiled && { mounts: [{ source: this.#compiled.dir, target: '/program' }] }),
      ...(options.fetch && { fetch: options.fetch }),
    });
    return { result };
  }

  async dispose(): Promise<void> {
    await removeWorkDir(this.#dir);
    if (this.#compiled) release(this.#compiled);
  }
}
