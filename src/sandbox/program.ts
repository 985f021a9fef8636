import { chmod, cp, link, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeWorkDir, removeWorkDir, runSandboxed, type SandboxResult } from './process-sandbox.ts';
import { PYTHON_RUNNER } from './python-runner.ts';
import { PythonSession } from './python-session.ts';

/** How each language is compiled (when it is) and run inside the sandbox. */
interface Language {
  source: string;
  compile?: string[];
  run: (memoryMb: number) => string[];
  /** Limit the address space (not for Node.js: V8 reserves far more than it uses). */
  limitAddressSpace: boolean;
}

const LANGUAGES: Record<string, Language> = {
  python: { source: 'main.py', run: () => ['python3', '-B', 'main.py'], limitAddressSpace: true },
  cpp: {
    source: 'main.cpp',
    compile: ['g++', '-O2', '-std=c++17', '-o', 'main', 'main.cpp'],
    run: () => ['./main'],
    limitAddressSpace: true,
  },
  javascript: {
    source: 'main.js',
    run: (memoryMb) => ['node', `--max-old-space-size=${memoryMb}`, 'main.js'],
    limitAddressSpace: false,
  },
  bash: { source: 'main.sh', run: () => ['bash', 'main.sh'], limitAddressSpace: true },
};

const ALIASES: Record<string, string> = {
  python: 'python', python3: 'python', py: 'python',
  cpp: 'cpp', 'c++': 'cpp', cxx: 'cpp', cc: 'cpp',
  javascript: 'javascript', js: 'javascript', nodejs: 'javascript', node: 'javascript',
  bash: 'bash', sh: 'bash', shell: 'bash',
};

export const SUPPORTED_LANGUAGES = Object.keys(ALIASES);

/** The canonical name of a language, or undefined when the sandbox cannot run it. */
export function languageOf(name: string): string | undefined {
  return ALIASES[name.trim().toLowerCase()];
}

const COMPILER_MEMORY_MB = 2048;

export interface RunOptions {
  stdin?: string;
  timeLimitMs: number;
  memoryMb: number;
}

/**
 * A program ready to run: its source (and binary, once compiled) in a directory of its own. Each run
 * gets a fresh copy of that directory, so runs can go in parallel without seeing each other's files.
 */
export class PreparedProgram {
  readonly compile: SandboxResult | undefined;
  readonly #dir: string;
  readonly #language: Language;

  private constructor(dir: string, language: Language, compile: SandboxResult | undefined) {
    this.#dir = dir;
    this.#language = language;
    this.compile = compile;
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
    const dir = await makeWorkDir({ ...files, [language.source]: code });
    const compile = language.compile
      ? await runSandboxed(dir, { argv: language.compile, timeLimitMs: compileTimeLimitMs, memoryMb: COMPILER_MEMORY_MB })
      : undefined;
    // Runs share these files through hard links: make them read-only for the sandbox user.
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isFile()) await chmod(join(dir, entry.name), 0o555);
    }
    return new PreparedProgram(dir, language, compile);
  }

  /** Whether compilation (if any) succeeded, so the program can run. */
  get runnable(): boolean {
    return this.compile === undefined || (this.compile.status === 'exited' && this.compile.exitCode === 0);
  }

  /**
   * Runs in a fresh directory holding the program's files as read-only hard links (instant, and a run
   * cannot change what the next one sees; it may still create files of its own beside them);
   * `inspect` may read the directory before it is removed.
   */
  async run<T = void>(options: RunOptions, inspect?: (dir: string) => Promise<T>): Promise<{ result: SandboxResult; inspected?: T }> {
    const copy = await mkdtemp(join(tmpdir(), 'rlar-run-'));
    try {
      await chmod(copy, 0o777);
      const entries = await readdir(this.#dir, { withFileTypes: true });
      if (entries.every((e) => e.isFile())) {
        await Promise.all(entries.map((e) => link(join(this.#dir, e.name), join(copy, e.name))));
      } else {
        await cp(this.#dir, copy, { recursive: true });
      }
      const result = await runSandboxed(copy, {
        argv: this.#language.run(options.memoryMb),
        stdin: options.stdin,
        timeLimitMs: options.timeLimitMs,
        ...(this.#language.limitAddressSpace && { memoryMb: options.memoryMb }),
      });
      return { result, ...(inspect && { inspected: await inspect(copy) }) };
    } finally {
      await removeWorkDir(copy);
    }
  }

  /**
   * For Python: a session that runs many cases of this program in one sandbox (a fork per case), in
   * a directory of its own; `close` it when done. Undefined for other languages.
   */
  async session(memoryMb: number, sessionTimeMs: number): Promise<{ session: PythonSession; close(): Promise<void> } | undefined> {
    if (this.#language !== LANGUAGES.python) return undefined;
    const dir = await mkdtemp(join(tmpdir(), 'rlar-session-'));
    await chmod(dir, 0o777);
    for (const entry of await readdir(this.#dir, { withFileTypes: true })) {
      if (entry.isFile()) await link(join(this.#dir, entry.name), join(dir, entry.name));
    }
    await writeFile(join(dir, '.rlar_runner.py'), PYTHON_RUNNER, { mode: 0o444 });
    const session = new PythonSession(dir, sessionTimeMs, memoryMb);
    return {
      session,
      close: async () => {
        session.close();
        await removeWorkDir(dir);
      },
    };
  }

  async dispose(): Promise<void> {
    await removeWorkDir(this.#dir);
  }
}
