import { availableParallelism } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { PreparedProgram, languageOf } from '../../../sandbox/program.ts';
import type { PythonSession } from '../../../sandbox/python-session.ts';
import { sandboxUnavailable, type SandboxResult } from '../../../sandbox/process-sandbox.ts';
import { Semaphore } from '../../../util/semaphore.ts';
import { ToolInputError, type ToolDefinition, type ToolParams } from '../../types.ts';
import { withPassProof } from './pass-proof.ts';
import { programOf } from './program.ts';
import { testSuite, type TestSuite } from './suite.ts';

/**
 * `code_tests`: runs the response's program against the reference's tests in the process sandbox and
 * scores the pass rate (or all-or-nothing). Test cases of one item run in parallel, bounded by the
 * cores; output comparison follows verl (trailing newlines ignored), with options for whitespace and
 * float tolerance.
 */

type CaseStatus = 'passed' | 'wrong_answer' | 'timeout' | 'runtime_error' | 'output_limit' | 'compile_error' | 'skipped';

interface CaseOutcome {
  status: CaseStatus;
  time_ms?: number;
  message?: string;
}

interface Options {
  language: string;
  timeLimitMs: number;
  memoryMb: number;
  compare: 'exact' | 'whitespace' | 'float';
  floatTolerance: number;
  allOrNothing: boolean;
  stopOnFirstFailure: boolean;
}

const slots = new Semaphore(Math.max(1, availableParallelism()));

function options(params: ToolParams): Options {
  const number = (name: string, fallback: number, max: number) => {
    const value = params[name];
    return typeof value === 'number' && value > 0 ? Math.min(value, max) : fallback;
  };
  const language = languageOf(typeof params.language === 'string' ? params.language : 'python');
  if (language === undefined) throw new ToolInputError(`code_tests: language "${String(params.language)}" is not supported`);
  const compare = params.compare === 'whitespace' || params.compare === 'float' ? params.compare : 'exact';
  return {
    language,
    timeLimitMs: number('time_limit_ms', 5_000, 60_000),
    memoryMb: number('memory_mb', 1_024, 8_192),
    compare,
    floatTolerance: number('float_tolerance', 1e-6, 1),
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

/** verl's rule: equal once trailing newlines are dropped; optionally by tokens, optionally with float tolerance. */
function outputMatches(actual: string, expected: string, o: Options): boolean {
  if (actual.replace(/\n+$/, '') === expected.replace(/\n+$/, '')) return true;
  if (o.compare === 'exact') return false;
  return tokensEqual(actual, expected, o.compare === 'float' ? o.floatTolerance : undefined);
}

function failure(result: SandboxResult): CaseOutcome | undefined {
  const time_ms = Math.round(result.timeMs);
  if (result.status === 'timeout') return { status: 'timeout', time_ms };
  if (result.status === 'output_limit') return { status: 'output_limit', time_ms };
  if (result.status === 'sandbox_error') throw new Error(`sandbox failed: ${result.stderr}`);
  if (result.exitCode !== 0) return { status: 'runtime_error', time_ms, message: result.stderr.slice(-500) };
  return undefined;
}

/** Calls the solution's function with JSON arguments from stdin and prints the result as JSON. */
function functionDriver(name: string): string {
  return [
    'import json, sys',
    'sys.setrecursionlimit(100000)',
    'import solution',
    `name = ${JSON.stringify(name)}`,
    'target = getattr(solution, name, None)',
    'if target is None:',
    '    target = getattr(solution.Solution(), name)',
    'args = json.loads(sys.stdin.read())',
    'print(json.dumps(target(*args)))',
    '',
  ].join('\n');
}

interface Case {
  run(): Promise<CaseOutcome>;
}

/**
 * Warm sessions for a Python program's stdin/stdout cases, one per core at most: a case then costs a
 * fork inside an existing sandbox instead of a new sandbox and interpreter.
 */
async function pythonSessions(p: PreparedProgram, cases: number, o: Options, closers: (() => Promise<void>)[]): Promise<PythonSession[]> {
  const count = Math.min(cases, availableParallelism());
  const perSession = Math.ceil(cases / count);
  const sessions: PythonSession[] = [];
  for (let i = 0; i < count; i++) {
    const opened = await p.session(o.memoryMb, perSession * (o.timeLimitMs + 1_000) + 10_000);
    if (!opened) break;
    closers.push(opened.close);
    sessions.push(opened.session);
  }
  return sessions;
}

/** The program(s) to prepare and the cases to run for a suite. */
async function casesOf(
  suite: TestSuite,
  program: string,
  o: Options,
  prepared: PreparedProgram[],
  closers: (() => Promise<void>)[],
): Promise<Case[]> {
  const prepare = async (code: string, files: Record<string, string> = {}, language = o.language) => {
    const p = await PreparedProgram.prepare(language, code, 30_000, files);
    prepared.push(p);
    return p;
  };
  const run = { timeLimitMs: o.timeLimitMs, memoryMb: o.memoryMb };
  if (suite.kind === 'stdio') {
    const p = await prepare(program);
    if (!p.runnable) {
      const compileError: CaseOutcome = { status: 'compile_error', message: p.compile?.stderr.slice(-500) ?? '' };
      return suite.cases.map(() => ({ run: async () => compileError }));
    }
    const sessions = await pythonSessions(p, suite.cases.length, o, closers);
    return suite.cases.map((c, i) => ({
      run: async () => {
        // A Python case runs in one of the item's warm sessions; a broken session falls back to a sandbox of its own.
        let result = sessions.length > 0 ? await sessions[i % sessions.length]!.run(c.input, o.timeLimitMs, o.memoryMb) : undefined;
        if (result === undefined || result.status === 'sandbox_error') result = (await p.run({ ...run, stdin: c.input })).result;
        const time_ms = Math.round(result.timeMs);
        return failure(result) ?? (outputMatches(result.stdout, c.output, o) ? { status: 'passed', time_ms } : { status: 'wrong_answer', time_ms });
      },
    }));
  }
  if (suite.kind === 'function') {
    const p = await prepare(functionDriver(suite.name), { 'solution.py': program }, 'python');
    return suite.cases.map((c) => ({
      run: async () => {
        const { result } = await p.run({ ...run, stdin: JSON.stringify(c.args) });
        const failed = failure(result);
        if (failed) return failed;
        let value: unknown;
        try {
          value = JSON.parse(result.stdout.trim().split('\n').pop() ?? '');
        } catch {
          return { status: 'wrong_answer', message: 'the function returned nothing JSON can hold' };
        }
        // TACO and APPS often wrap the expected return value in a list.
        const ok = isDeepStrictEqual(value, c.expected) || isDeepStrictEqual([value], c.expected);
        return { status: ok ? 'passed' : 'wrong_answer', time_ms: Math.round(result.timeMs) };
      },
    }));
  }
  return suite.asserts.map((test) => ({
    run: async () => {
      // Exit code 0 is not a pass: the harness's proof must show that the last test ran.
      const proof = withPassProof(`${suite.setup}\n${program}\n\n${test}\n`);
      const p = await prepare(proof.source, {}, 'python');
      const { result } = await p.run({ ...run, stdin: proof.stdin });
      const time_ms = Math.round(result.timeMs);
      if (!proof.proven(result.stdout)) return failure(result) ?? { status: 'runtime_error', time_ms, message: 'the tests did not run to their end' };
      return failure(result) ?? { status: 'passed', time_ms };
    },
  }));
}

async function runCases(cases: Case[], stopOnFirstFailure: boolean): Promise<CaseOutcome[]> {
  let failed = false;
  return Promise.all(
    cases.map(async (c) => {
      await slots.acquire();
      try {
        if (failed && stopOnFirstFailure) return { status: 'skipped' as const };
        const outcome = await c.run();
        if (outcome.status !== 'passed') failed = true;
        return outcome;
      } finally {
        slots.release();
      }
    }),
  );
}

export const codeTests: ToolDefinition = {
  name: 'code_tests',
  kind: 'verifier',
  description:
    "Code: runs the response's program (last fenced block) in a sandbox against the reference's tests: stdin/stdout " +
    'cases {"inputs","outputs"}, function calls (+"fn_name"), HumanEval {"test","entry_point"}, MBPP {"test_list"}; ' +
    'score = pass rate (or all-or-nothing).',
  needsReference: true,
  selfLimiting: true,
  params: {
    type: 'object',
    properties: {
      language: { type: 'string', default: 'python', description: 'python, cpp, javascript or bash (stdin/stdout tests)' },
      time_limit_ms: { type: 'number', default: 5000, description: 'per test case' },
      memory_mb: { type: 'number', default: 1024 },
      compare: { type: 'string', enum: ['exact', 'whitespace', 'float'], default: 'exact' },
      float_tolerance: { type: 'number', default: 1e-6 },
      all_or_nothing: { type: 'boolean', default: false },
      stop_on_first_failure: { type: 'boolean', default: false },
    },
  },
  async score(item, params) {
    const unavailable = sandboxUnavailable();
    if (unavailable !== undefined) throw new Error(unavailable);
    const o = options(params);
    const suite = testSuite(item);
    let program = programOf(item.response, o.language);
    // HumanEval responses may complete the prompt's function instead of repeating its signature.
    const entry = suite.kind === 'assert' ? /check\((\w+)\)\s*$/.exec(suite.asserts[0]!)?.[1] : undefined;
    if (entry && !new RegExp(`def\\s+${entry}\\b`).test(program) && item.prompt.includes(`def ${entry}`)) {
      program = `${item.prompt}${program}`;
    }
    const prepared: PreparedProgram[] = [];
    const closers: (() => Promise<void>)[] = [];
    try {
      const outcomes = await runCases(await casesOf(suite, program, o, prepared, closers), o.stopOnFirstFailure);
      const passed = outcomes.filter((c) => c.status === 'passed').length;
      const total = outcomes.length;
      return {
        score: o.allOrNothing ? (passed === total ? 1 : 0) : passed / total,
        detail: { passed, total, format: suite.kind, language: o.language, cases: outcomes },
      };
    } finally {
      await Promise.all(closers.map((close) => close()));
      await Promise.all(prepared.map((p) => p.dispose()));
    }
  },
};
