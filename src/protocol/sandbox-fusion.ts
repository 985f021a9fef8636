import { Type, type Static } from 'typebox';
import { constants } from 'node:os';
import { PreparedProgram, languageOf, SUPPORTED_LANGUAGES } from '../sandbox/program.ts';
import { MAX_WORK_FILES, sandboxUnavailable, workPath, type SandboxResult } from '../sandbox/process-sandbox.ts';
import { messageOf } from '../util/errors.ts';
import { RequestError } from './errors.ts';

/**
 * `POST /run_code` in the shapes of ByteDance's SandboxFusion, so verl's `sandbox_fusion` reward path
 * and ROLL can use this service as their sandbox. Status rules as SandboxFusion's: `SandboxError` when
 * a command could not run, `Failed` on a time-out or a non-zero exit code, else `Success`.
 */

export const RunCodeRequest = Type.Object(
  {
    code: Type.String({ description: 'The program.' }),
    language: Type.String({ description: `One of: ${SUPPORTED_LANGUAGES.join(', ')}.` }),
    stdin: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    compile_timeout: Type.Optional(Type.Number({ minimum: 0, description: 'Seconds (default 10).' })),
    run_timeout: Type.Optional(Type.Number({ minimum: 0, description: 'Seconds (default 10).' })),
    memory_limit_MB: Type.Optional(Type.Number({ description: 'Megabytes; -1 for the default (1024).' })),
    files: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()]), { description: 'Path -> base64 content.' }),
    ),
    fetch_files: Type.Optional(
      Type.Array(Type.String(), {
        description: 'Paths to return, base64, after the run: regular files in the work directory only, each once, at most 64 files and 16 MB.',
      }),
    ),
  },
  { additionalProperties: true, title: 'SandboxFusion run_code request' },
);

const CommandRunResult = Type.Object({
  status: Type.Union([Type.Literal('Finished'), Type.Literal('Error'), Type.Literal('TimeLimitExceeded')]),
  execution_time: Type.Union([Type.Number(), Type.Null()]),
  return_code: Type.Union([Type.Integer(), Type.Null()]),
  stdout: Type.Union([Type.String(), Type.Null()]),
  stderr: Type.Union([Type.String(), Type.Null()]),
});

export const RunCodeResponse = Type.Object(
  {
    status: Type.Union([Type.Literal('Success'), Type.Literal('Failed'), Type.Literal('SandboxError')]),
    message: Type.String(),
    compile_result: Type.Union([CommandRunResult, Type.Null()]),
    run_result: Type.Union([CommandRunResult, Type.Null()]),
    executor_pod_name: Type.Null(),
    files: Type.Record(Type.String(), Type.String()),
  },
  { title: 'SandboxFusion run_code response' },
);

export type RunCodeRequest = Static<typeof RunCodeRequest>;
export type RunCodeResponse = Static<typeof RunCodeResponse>;
type CommandRunResult = Static<typeof CommandRunResult>;

const MAX_SECONDS = 60;

/** The languages SandboxFusion's /run_code accepts; any other name fails its request validation (422). */
const SANDBOX_FUSION_LANGUAGES = [
  'python', 'cpp', 'nodejs', 'go', 'go_test', 'java', 'php', 'csharp', 'bash', 'typescript', 'sql', 'rust', 'cuda', 'lua', 'R',
  'perl', 'D_ut', 'ruby', 'scala', 'julia', 'pytest', 'junit', 'kotlin_script', 'jest', 'verilog', 'python_gpu', 'lean', 'swift',
  'racket',
];

function commandResult(result: SandboxResult): CommandRunResult {
  const execution_time = result.timeMs / 1000;
  if (result.status === 'sandbox_error') {
    return { status: 'Error', execution_time: null, return_code: null, stdout: null, stderr: result.stderr };
  }
  const status = result.status === 'timeout' ? 'TimeLimitExceeded' : 'Finished';
  // A process ended by a signal reports -signal, as Python's subprocess (SandboxFusion) does.
  const signalNumber = result.signal ? constants.signals[result.signal as keyof typeof constants.signals] : undefined;
  const return_code = status === 'TimeLimitExceeded' ? null : (result.exitCode ?? (signalNumber ? -signalNumber : null));
  const stderr = result.status === 'output_limit' ? `${result.stderr}\n[output over the sandbox's 8 MB limit: killed]` : result.stderr;
  return { status, execution_time, return_code: result.status === 'output_limit' ? -9 : return_code, stdout: result.stdout, stderr };
}

function overallStatus(results: (CommandRunResult | null)[]): { status: RunCodeResponse['status']; message: string } {
  const ran = results.filter((r): r is CommandRunResult => r !== null);
  const broken = ran.find((r) => r.status === 'Error');
  if (broken) return { status: 'SandboxError', message: broken.stderr ?? '' };
  if (ran.some((r) => r.status === 'TimeLimitExceeded' || (r.return_code !== null && r.return_code !== 0))) {
    return { status: 'Failed', message: '' };
  }
  return { status: 'Success', message: '' };
}

function seconds(value: number | undefined, fallback: number): number {
  return Math.min(value === undefined || value <= 0 ? fallback : value, MAX_SECONDS) * 1000;
}

/** The input files, refused before anything is written when a name is not a path inside the work directory. */
function inputFiles(request: RunCodeRequest): Record<string, Buffer> {
  const entries = Object.entries(request.files ?? {});
  if (entries.length > MAX_WORK_FILES) throw new RequestError(`body/files holds ${entries.length} files; at most ${MAX_WORK_FILES}`);
  const files: Record<string, Buffer> = {};
  const seen = new Set<string>();
  for (const [name, content] of entries) {
    const path = workPath(name);
    if (path === undefined) {
      throw new RequestError(`body/files: ${JSON.stringify(name.slice(0, 100))} is not a relative path inside the work directory (no "..", no control characters, at most 1024 characters)`);
    }
    if (seen.has(path)) throw new RequestError(`body/files names ${JSON.stringify(path)} twice`);
    seen.add(path);
    if (content !== null) files[path] = Buffer.from(content, 'base64');
  }
  return files;
}

/** The fetched files under the names asked for; a file asked for under several names comes back once. */
function fetchedFiles(asked: string[], found: Record<string, string> | undefined): Record<string, string> {
  const files: Record<string, string> = {};
  const returned = new Set<string>();
  for (const name of asked) {
    const path = workPath(name);
    if (path === undefined || returned.has(path) || found?.[path] === undefined) continue;
    returned.add(path);
    files[name] = found[path];
  }
  return files;
}

export async function runCode(request: RunCodeRequest): Promise<RunCodeResponse> {
  const language = languageOf(request.language);
  const empty = { compile_result: null, run_result: null, executor_pod_name: null, files: {} };
  if (language === undefined) {
    const supported = `this sandbox runs: ${SUPPORTED_LANGUAGES.join(', ')}`;
    // A SandboxFusion language without a toolchain here is the sandbox's failure, as SandboxFusion reports a
    // runner that cannot start; a name SandboxFusion does not know fails validation, as there.
    if (SANDBOX_FUSION_LANGUAGES.includes(request.language)) {
      return { status: 'SandboxError', message: `language "${request.language}" has no toolchain in this sandbox; ${supported}`, ...empty };
    }
    throw new RequestError(`body/language "${request.language}" is not a SandboxFusion language; ${supported}`, 422);
  }
  const files = inputFiles(request);
  const unavailable = sandboxUnavailable();
  if (unavailable !== undefined) return { status: 'SandboxError', message: unavailable, ...empty };
  let program: PreparedProgram | undefined;
  try {
    program = await PreparedProgram.prepare(language, request.code, seconds(request.compile_timeout, 10), files);
    const compile_result = program.compile ? commandResult(program.compile) : null;
    if (!program.runnable) return { ...empty, ...overallStatus([compile_result]), compile_result };
    const memoryMb = request.memory_limit_MB !== undefined && request.memory_limit_MB > 0 ? Math.min(request.memory_limit_MB, 8192) : 1024;
    const { result } = await program.run({
      stdin: request.stdin ?? '',
      timeLimitMs: seconds(request.run_timeout, 10),
      memoryMb,
      fetch: request.fetch_files ?? [],
    });
    const run_result = commandResult(result);
    return { ...overallStatus([compile_result, run_result]), compile_result, run_result, executor_pod_name: null, files: fetchedFiles(request.fetch_files ?? [], result.files) };
  } catch (error) {
    return { status: 'SandboxError', message: messageOf(error), ...empty };
  } finally {
    await program?.dispose();
  }
}
