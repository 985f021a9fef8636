import { makeWorkDir, removeWorkDir, runSandboxed, type SandboxResult } from './process-sandbox.ts';
import { PythonSession } from './python-session.ts';

/** How each language is compiled (when it is) and run inside the sandbox. */
interface Language {
  source: string;
  compile?: string[];
  run: (memoryMb: number) => string[];
  /** Limit the address space; else the data segment (Node.js: V8 reserves far more than it uses, and Buffers live outside its heap). */
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
  const key = name.trim().toLowerCase();
  return Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
}

const COMPILER_MEMORY_MB = 2048;

export interface RunOptions {
  stdin?: string;
  timeLimitMs: number;
  memoryMb: number;
  /** Files to hand back after the run (SandboxResult.files). */
  fetch?: string[];
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
    try {
      const compile = language.compile
        ? await runSandboxed(dir, { argv: language.compile, timeLimitMs: compileTimeLimitMs, memoryMb: COMPILER_MEMORY_MB, writeWorkDir: true })
        : undefined;
      return new PreparedProgram(dir, language, compile);
    } catch (error) {
      await removeWorkDir(dir);
      throw error;
    }
  }

  /** Whether compilation (if any) succeeded, so the program can run. */
  get runnable(): boolean {
    return this.compile === undefined || (this.compile.status === 'exited' && this.compile.exitCode === 0);
  }

  /**
   * Runs in a sandbox whose /work starts as a copy of the program's files (so a run cannot change
   * what the next one sees) and vanishes with it.
   */
  async run(options: RunOptions): Promise<{ result: SandboxResult }> {
    const result = await runSandboxed(this.#dir, {
      argv: this.#language.run(options.memoryMb),
      stdin: options.stdin,
      timeLimitMs: options.timeLimitMs,
      memoryMb: options.memoryMb,
      memoryLimit: this.#language.limitAddressSpace ? 'address-space' : 'data',
      ...(options.fetch && { fetch: options.fetch }),
    });
    return { result };
  }

  /**
   * For Python: a session that runs many cases of this program in one sandbox (a fork per case); `close`
   * it when done. Undefined for other languages.
   */
  async session(memoryMb: number, sessionTimeMs: number): Promise<{ session: PythonSession; close(): Promise<void> } | undefined> {
    if (this.#language !== LANGUAGES.python) return undefined;
    const session = new PythonSession(this.#dir, sessionTimeMs, memoryMb);
    return { session, close: async () => session.close() };
  }

  async dispose(): Promise<void> {
    await removeWorkDir(this.#dir);
  }
}
