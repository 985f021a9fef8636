import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { PreparedProgram, languageOf } from '../../../sandbox/program.ts';
import { leasePythonPool, type PythonPool, type RunFiles } from '../../../sandbox/python-session.ts';
import { sandboxUnavailable, wallLimitMs, type SandboxResult, type TimeClock } from '../../../sandbox/process-sandbox.ts';
import { Semaphore } from '../../../util/semaphore.ts';
import { ToolInputError, type ScoringItem, type ToolDefinition, type ToolOutcome, type ToolParams } from '../../types.ts';
import { asError } from '../../../util/errors.ts';
import { harnessOutputMatches, pythonHarness } from './harness.ts';
import { withPassProof } from './pass-proof.ts';
import { programOf } from './program.ts';
import { testSuite, type TestSuite } from './suite.ts';

/**
 * `code_tests`: runs the response's program against the reference's tests in the process sandbox and
 * scores the pass rate (or all-or-nothing). Python runs under the harness APPS/TACO-style data assumes
 * (harness.ts) in warm pooled sandboxes (python-session.ts); other languages as they are, compiled once
 * per program. Test cases of one item run in parallel, bounded by the cores, each within the case's
 * time limit and all within the item's.
 */

type CaseStatus = 'passed' | 'wrong_answer' | 'timeout' | 'runtime_error' | 'output_limit' | 'compile_error' | 'skipped';

interface CaseOutcome {
  status: CaseStatus;
  /** Wall-clock time of the run. */
  time_ms?: number;
  /** CPU time of the run's processes (under CPU-time limits, and in warm Python sandboxes). */
  cpu_ms?: number;
  message?: string;
}

interface Options {
  /** Undefined: the language of the response's code block. */
  language: string | undefined;
  /** Undefined: the test data's limit, else 5 s. */
  timeLimitMs: number | undefined;
  /** What the case limit counts: CPU time (default), so a verdict does not depend on the machine's load, or wall-clock time. */
  clock: TimeClock;
  itemTimeLimitMs: number;
  memoryMb: number;
  compare: 'harness' | 'exact' | 'whitespace' | 'float';
  /** The harness's imports before stdin/stdout Python programs too. */
  preamble: boolean;
  floatTolerance: number;
  allOrNothing: boolean;
  stopOnFirstFailure: boolean;
}

const DEFAULT_CASE_TIME_LIMIT_MS = 5_000;
const COMPILE_TIME_LIMIT_MS = 30_000;

const CORES = Math.max(1, availableParallelism());
const slots = new Semaphore(CORES);

function options(params: ToolParams): Options {
  const number = (name: string, max: number) => {
    const value = params[name];
    return typeof value === 'number' && value > 0 ? Math.min(value, max) : undefined;
  };
  let language: string | undefined;
  if (typeof params.language === 'string' && params.language !== 'auto') {
    language = languageOf(params.language);
    if (language === undefined) throw new ToolInputError(`code_tests: language "${params.language}" is not supported`);
  }
  const compare = params.compare === 'exact' || params.compare === 'whitespace' || params.compare === 'float' ? params.compare : 'harness';
  return {
    language,
    timeLimitMs: number('time_limit_ms', 60_000),
    clock: params.time_limit_clock === 'wall' ? 'wall' : 'cpu',
    itemTimeLimitMs: number('item_time_limit_ms', 600_000) ?? 120_000,
    memoryMb: number('memory_mb', 8_192) ?? 1_024,
    compare,
    preamble: params.preamble === true,
    floatTolerance: number('float_tolerance', 1) ?? 1e-6,
    allOrNothing: params.all_or_nothing === true,
    stopOnFirstFailure: params.stop_on_first_failure === true,
  };
}

function tokensEqual(actual: string, expected: string, floatTolerance: number | undefined): boolean {
  const a = actual.trim().split(/\s+/);
  const b = expected.trim().split(/\s+/);
  if (a.length !== b.length) return false;
  return a.every((token, i) => {
    if (token === b[i]) return true;
    if (floatTolerance === undefined) return false;
    const [x, y] = [Number(token), Number(b[i])];
    return Number.isFinite(x) && Number.isFinite(y) && Math.abs(x - y) <= floatTolerance * Math.max(1, Math.abs(y));
  });
}

/** Equal once trailing newlines are dropped (verl's rule), else by the chosen comparison. */
function outputMatches(actual: string, expected: string, o: Options): boolean {
  if (actual.replace(/\n+$/, '') === expected.replace(/\n+$/, '')) return true;
  if (o.compare === 'exact') return false;
  if (o.compare === 'harness') return harnessOutputMatches(actual, expected);
  return tokensEqual(actual, expected, o.compare === 'float' ? o.floatTolerance : undefined);
}

/** How long a run took: wall-clock time, and CPU time where it was measured. */
function times(result: SandboxResult): Pick<CaseOutcome, 'time_ms' | 'cpu_ms'> {
  return { time_ms: Math.round(result.timeMs), ...(result.cpuMs !== undefined && { cpu_ms: Math.round(result.cpuMs) }) };
}

/** The outcome of a run that did not end well; a run the machine starved of CPU is no verdict, but an error. */
function failure(result: SandboxResult): CaseOutcome | undefined {
  if (result.status === 'timeout') return { status: 'timeout', ...times(result) };
  if (result.status === 'output_limit') return { status: 'output_limit', ...times(result) };
  if (result.status === 'starved') {
    throw new Error(`the machine was too busy to judge the program: it waited for a CPU most of ${Math.round(result.timeMs)} ms`);
  }
  if (result.status === 'sandbox_error') throw new Error(`sandbox failed: ${result.stderr}`);
  if (result.exitCode !== 0) return { status: 'runtime_error', ...times(result), message: result.stderr.slice(-500) };
  return undefined;
}

/**
 * The harness's verdict on a function call: the last line of its output, which counts only with the
 * case's token (read by the referee, never by the program's process: referee.ts), so a program that
 * prints a verdict of its own and leaves early does not pass.
 */
function functionVerdict(result: SandboxResult, token: string): CaseOutcome {
  const last = result.stdout.trimEnd().split('\n').pop() ?? '';
  let verdict: { passed?: unknown; got?: unknown; token?: unknown } | undefined;
  try {
    verdict = JSON.parse(last);
  } catch {
    verdict = undefined;
  }
  if (verdict === undefined || typeof verdict !== 'object' || verdict === null || verdict.token !== token) {
    return { status: 'wrong_answer', ...times(result), message: 'the program ended before the harness called the function' };
  }
  return verdict.passed === true ? { status: 'passed', ...times(result) } : { status: 'wrong_answer', ...times(result), message: `returned ${String(verdict.got)}` };
}

interface Case {
  /** Runs the case within `limitMs`. */
  run(limitMs: number): Promise<CaseOutcome>;
}

/** Runs a prepared program on a stdin within a limit. */
type ProgramRun = (stdin: string, limitMs: number) => Promise<SandboxResult>;

/**
 * A Python program's runs: in the batch's warm pool when there is one (a fork inside a sandbox that
 * is already running), else, or when its session broke, in a sandbox of its own.
 */
function pythonRun(files: RunFiles, o: Options, pool: PythonPool | undefined, prepare: Prepare): ProgramRun {
  let own: Promise<PreparedProgram> | undefined;
  return async (stdin, limitMs) => {
    // main.py is always one of the harnesses, the same for many programs.
    const pooled = pool && (await pool.run(files, stdin, { ms: limitMs, clock: o.clock }, true));
    if (pooled && pooled.status !== 'sandbox_error') return pooled;
    const { 'main.py': main, ...rest } = files;
    own ??= prepare('python', main!, rest);
    return (await (await own).run({ stdin, timeLimitMs: limitMs, clock: o.clock, memoryMb: o.memoryMb })).result;
  };
}

type Prepare = (language: string, code: string, files?: Record<string, string>) => Promise<PreparedProgram>;

/** The cases to run for a suite; the programs it prepared go to `prepared`, for disposal. */
async function casesOf(
  suite: TestSuite,
  program: { code: string; language: string },
  o: Options,
  pool: PythonPool | undefined,
  prepared: Promise<PreparedProgram>[],
): Promise<Case[]> {
  const prepare: Prepare = (language, code, files = {}) => {
    const p = PreparedProgram.prepare(language, code, COMPILE_TIME_LIMIT_MS, files);
    prepared.push(p);
    return p;
  };
  if (suite.kind === 'stdio') {
    let run: ProgramRun;
    if (program.language === 'python') {
      // Python runs under the APPS/TACO harness; other languages as they are.
      run = pythonRun({ 'main.py': pythonHarness({ kind: 'stdio', preamble: o.preamble }), 'solution.py': program.code }, o, pool, prepare);
    } else {
      const p = await prepare(program.language, program.code);
      if (!p.runnable) {
        const compileError: CaseOutcome = { status: 'compile_error', message: p.compile?.stderr.slice(-500) ?? '' };
        return suite.cases.map(() => ({ run: async () => compileError }));
      }
      run = async (stdin, limitMs) => (await p.run({ stdin, timeLimitMs: limitMs, clock: o.clock, memoryMb: o.memoryMb })).result;
    }
    return suite.cases.map((c) => ({
      run: async (limitMs) => {
        const result = await run(c.input, limitMs);
        return failure(result) ?? { status: outputMatches(result.stdout, c.output, o) ? 'passed' : 'wrong_answer', ...times(result) };
      },
    }));
  }
  if (suite.kind === 'function') {
    const run = pythonRun({ 'main.py': pythonHarness({ kind: 'function' }), 'solution.py': program.code }, o, pool, prepare);
    return suite.cases.map((c) => ({
      run: async (limitMs) => {
        const token = randomBytes(16).toString('hex');
        // Added to the JSON text as written: a round trip through JSON.parse would turn 3.0 into 3.
        const input = `{"token": "${token}", "fn_name": ${JSON.stringify(suite.name)}, ${c.input.slice(1)}`;
        const result = await run(input, limitMs);
        return failure(result) ?? functionVerdict(result, token);
      },
    }));
  }
  // Exit code 0 is not a pass: the harness's proof must show that the test ran to its end.
  const proof = withPassProof(`${suite.setup}\n${program.code}\n\n`, suite.asserts.map((test) => `${test}\n`));
  const run = pythonRun(proof.files, o, pool, prepare);
  return suite.asserts.map((_, i) => ({
    run: async (limitMs) => {
      const { stdin, proven } = proof.run(i);
      const result = await run(stdin, limitMs);
      if (!proven(result.stdout)) return failure(result) ?? { status: 'runtime_error', ...times(result), message: 'the tests did not run to their end' };
      return failure(result) ?? { status: 'passed', ...times(result) };
    },
  }));
}

/**
 * Runs the cases, as many at a time as there are cores, each within its own limit and all within the
 * item's. Under CPU-time limits the item's limit counts as theirs do: the cases' CPU time (a case that
 * timed out, its whole limit), with 3x the limit + 1 s of wall time as a bound. A case that would start
 * after either ran out counts as timed out without running.
 */
async function runCases(cases: Case[], caseLimitMs: number, o: Options): Promise<CaseOutcome[]> {
  const deadline = performance.now() + wallLimitMs(o.itemTimeLimitMs, o.clock);
  let cpuLeft = o.itemTimeLimitMs;
  let failed = false;
  return Promise.all(
    cases.map(async (c) => {
      await slots.acquire();
      try {
        if (failed && o.stopOnFirstFailure) return { status: 'skipped' as const };
        const wallLeft = deadline - performance.now();
        const left = o.clock === 'cpu' ? Math.min(cpuLeft, wallLeft) : wallLeft;
        if (left < 1) return { status: 'timeout' as const, message: "the item's time limit ran out before this case" };
        const limitMs = Math.min(caseLimitMs, o.clock === 'cpu' ? cpuLeft : wallLeft);
        const outcome = await c.run(limitMs);
        cpuLeft -= outcome.status === 'timeout' ? limitMs : (outcome.cpu_ms ?? outcome.time_ms ?? 0);
        if (outcome.status !== 'passed') failed = true;
        return outcome;
      } finally {
        slots.release();
      }
    }),
  );
}

/**
 * HumanEval runs the prompt, then the completion, then the tests: the prompt brings the imports and
 * helpers, and a completion may continue the prompt's function body. The prompt's code is its own
 * fenced block when it is a chat message around one.
 */
function withPromptCode(program: string, prompt: string, entry: string): string {
  const definesEntry = new RegExp(`def\\s+${entry}\\b`);
  const promptCode = programOf(prompt, 'python').code;
  const code = definesEntry.test(promptCode) ? promptCode : definesEntry.test(prompt) ? prompt : undefined;
  if (code === undefined) return program;
  const join = (head: string) => `${head}${program.startsWith('\n') || head.endsWith('\n') || head === '' ? '' : '\n'}${program}`;
  if (!definesEntry.test(program)) return join(code);
  // A program that defines the function itself only gets a prompt that is code, not a chat message, and
  // only what comes before the prompt's own (perhaps bodiless) definition: its imports and helpers.
  if (!/^\s*(?:from\s|import\s|def\s|class\s|@|#|"""|''')/.test(code)) return program;
  return join(code.slice(0, code.lastIndexOf('\n', code.search(definesEntry)) + 1));
}

/** An item ready to run: its tests, its program and the time limit of a case. */
interface Planned {
  suite: TestSuite;
  program: { code: string; language: string };
  caseLimitMs: number;
}

function plan(item: ScoringItem, o: Options): Planned {
  const suite = testSuite(item);
  // The function-call and assert harnesses are Python's.
  const program = programOf(item.response, suite.kind === 'stdio' ? o.language : 'python');
  if (suite.kind === 'assert') {
    const entry = /check\((\w+)\)\s*$/.exec(suite.asserts[0]!)?.[1];
    if (entry) program.code = withPromptCode(program.code, item.prompt, entry);
  }
  return { suite, program, caseLimitMs: o.timeLimitMs ?? suite.timeLimitMs ?? DEFAULT_CASE_TIME_LIMIT_MS };
}

/** How many runs of Python programs an item needs. */
function pythonRuns({ suite, program }: Planned): number {
  if (suite.kind === 'assert') return suite.asserts.length;
  return suite.kind === 'function' || program.language === 'python' ? suite.cases.length : 0;
}

async function scoreItem({ suite, program, caseLimitMs }: Planned, o: Options, pool: PythonPool | undefined): Promise<ToolOutcome> {
  const prepared: Promise<PreparedProgram>[] = [];
  try {
    const outcomes = await runCases(await casesOf(suite, program, o, pool, prepared), caseLimitMs, o);
    const passed = outcomes.filter((c) => c.status === 'passed').length;
    const total = outcomes.length;
    return {
      score: o.allOrNothing ? (passed === total ? 1 : 0) : passed / total,
      detail: { passed, total, format: suite.kind, language: program.language, time_limit_ms: caseLimitMs, cases: outcomes },
    };
  } finally {
    await Promise.all(prepared.map(async (p) => (await p.catch(() => undefined))?.dispose()));
  }
}

/**
 * Scores the items of a batch one after another (an item's cases share the cores; other threads run
 * other items). Their Python runs go to the thread's pool of warm sandboxes (one per core at most, kept
 * between batches), so a run costs a fork instead of a sandbox and an interpreter start; a batch of a
 * single run opens no pool, which would only add its warm-up, but uses a warm one.
 */
async function scoreItems(items: ScoringItem[], params: ToolParams): Promise<(ToolOutcome | Error)[]> {
  const unavailable = sandboxUnavailable();
  if (unavailable !== undefined) throw new Error(unavailable);
  const o = options(params);
  const planned = items.map((item) => {
    try {
      return plan(item, o);
    } catch (error) {
      return asError(error);
    }
  });
  const runs = planned.reduce((sum, p) => sum + (p instanceof Error ? 0 : pythonRuns(p)), 0);
  const lease = runs > 0 ? leasePythonPool(o.memoryMb, CORES, runs < 2) : undefined;
  const outcomes: (ToolOutcome | Error)[] = [];
  try {
    for (const p of planned) outcomes.push(p instanceof Error ? p : await scoreItem(p, o, lease?.pool).catch(asError));
    return outcomes;
  } finally {
    lease?.release();
  }
}

export const codeTests: ToolDefinition = {
  name: 'code_tests',
  kind: 'verifier',
  description:
    "Code: runs the response's program (last fenced block) in a sandbox against the reference's tests: stdin/stdout " +
    'cases {"inputs","outputs"}, function calls (+"fn_name"), HumanEval {"test","entry_point"}, MBPP {"test_list"}; ' +
    'score = pass rate (or all-or-nothing).',
  needsReference: true,
  readsPrompt: true,
  selfLimiting: true,
  params: {
    type: 'object',
    properties: {
      language: {
        type: 'string',
        default: 'auto',
        description:
          'stdin/stdout tests: auto (the code block\'s tag, else python), python, c, cpp, javascript, typescript, java, go, rust or bash; ' +
          'function-call and assert tests are Python',
      },
      time_limit_ms: { type: 'number', description: "per test case; default: the test data's time_limit, else 5000" },
      time_limit_clock: {
        type: 'string',
        enum: ['cpu', 'wall'],
        default: 'cpu',
        description:
          'what time_limit_ms counts: CPU time of the program\'s processes (its wall-clock time may reach 3x the limit + 1 s; a run ' +
          'starved of CPU by a busy machine gets an error, not a timeout), or wall-clock time',
      },
      item_time_limit_ms: {
        type: 'number',
        default: 120000,
        description: 'all cases of an item, counted as time_limit_clock says (CPU: with 3x + 1 s of wall time as a bound); cases left when it runs out count as timed out',
      },
      memory_mb: { type: 'number', default: 1024 },
      compare: {
        type: 'string',
        enum: ['harness', 'exact', 'whitespace', 'float'],
        default: 'harness',
        description: "stdout: harness = the APPS/TACO harness's rule (stripped non-empty lines, numbers within numpy.allclose's tolerance); exact = verl's (trailing newlines ignored)",
      },
      preamble: {
        type: 'boolean',
        default: false,
        description: "stdin/stdout Python programs run after the harness's imports (from typing/collections/math/... import *), as PRIME's harness does; function calls always do",
      },
      float_tolerance: { type: 'number', default: 1e-6 },
      all_or_nothing: { type: 'boolean', default: false },
      stop_on_first_failure: { type: 'boolean', default: false },
    },
  },
  score: async (item, params) => {
    const [outcome] = await scoreItems([item], params);
    if (outcome instanceof Error) throw outcome;
    return outcome!;
  },
  scoreBatch: (items, params) => scoreItems(items, params),
};
