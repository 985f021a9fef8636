import { ToolInputError, type Reference, type ScoringItem } from '../../types.ts';

/**
 * The tests a code reference carries, in the formats RL code datasets ship:
 * - standard input/output cases `{"inputs": [...], "outputs": [...]}` (APPS, TACO, CodeContests as verl
 *   stores them);
 * - function calls, the same plus `"fn_name"` (each input a list of arguments, or JSON lines of them
 *   with the output as JSON text, as PRIME and LiveCodeBench store them; the function may be a plain
 *   function or a method of `Solution`);
 * - LiveCodeBench's list of tests `[{"input", "output", "testtype": "stdin" | "functional",
 *   "metadata": {"func_name"}}]`;
 * - HumanEval `{"test": "def check(candidate): ...", "entry_point": "f"}`;
 * - MBPP `{"test_list": ["assert ..."], "test_setup_code": "..."}`.
 * A `time_limit` (seconds, "2 seconds", or CodeContests' `{"seconds", "nanos"}`) sets the per-case limit.
 */
export type TestSuite = (
  | { kind: 'stdio'; cases: { input: string; output: string }[] }
  /** Each case's input is the JSON text `{"args": [...], "expected": ...}` the harness reads. */
  | { kind: 'function'; name: string; cases: { input: string }[] }
  | { kind: 'assert'; setup: string; asserts: string[] }
) & { timeLimitMs?: number };

/** More tests than this are refused (an error, never a silent cut); the item's time budget bounds the work of fewer. */
const MAX_CASES = 10_000;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

const rawJSON = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;

function keepsSpelling(value: number, source: string): boolean {
  // An integer literal too large for a double parses as Infinity.
  return Number.isInteger(value) ? /[.eE]/.test(source) || !Number.isSafeInteger(value) : /^-?\d+$/.test(source);
}

/**
 * JSON text parsed so that integer-valued floats keep their spelling when written again (`3.0` stays
 * `3.0` for Python, where it is a float, not the int `3`), and integers beyond 2^53 their digits (a
 * double would round 3**45). A reference sent as a JSON object, not text, was parsed by the HTTP layer
 * first, where such integers are already rounded.
 */
function parseKeepingFloats(text: string): unknown {
  if (rawJSON === undefined) return JSON.parse(text);
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
    typeof value === 'number' && context?.source !== undefined && keepsSpelling(value, context.source) ? rawJSON(context.source) : value,
  );
}

function checkCount(count: number): void {
  if (count > MAX_CASES) throw new ToolInputError(`the reference holds ${count} tests, more than the ${MAX_CASES} code_tests runs for one item`);
}

function asTests(reference: Reference | undefined): unknown {
  if (typeof reference !== 'string') return reference;
  try {
    return parseKeepingFloats(reference);
  } catch {
    throw new ToolInputError('code_tests needs test cases as reference (JSON), and the reference text is not JSON');
  }
}

/** A stdin or stdout text; a list of lines (as some APPS rows hold them) is joined, as the harness does. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((line) => typeof line === 'string')) return value.join('\n');
  return JSON.stringify(value);
}

/** A function-call output as a value: JSON text parsed, when it is JSON. */
function outputValue(output: unknown): unknown {
  if (typeof output !== 'string') return output;
  try {
    return JSON.parse(output);
  } catch {
    return output;
  }
}

/**
 * Whether the data wraps every expected value in a list of one, as APPS and TACO store them: only then
 * does a case also pass on the element itself, as their harness allows. Otherwise a function that
 * returned the first element of a list answer (min of a sorted list) would pass.
 */
function wrapsOutputs(outputs: unknown[]): boolean {
  return outputs.every((output) => {
    const value = outputValue(output);
    return Array.isArray(value) && value.length === 1;
  });
}

/** One function-call case as the harness reads it; JSON texts in the data are passed on as written. */
function functionCase(input: unknown, output: unknown, unwrap: boolean): { input: string } {
  let args: string;
  let outputIsText = false;
  if (typeof input === 'string') {
    // JSON lines, one argument each (PRIME, LiveCodeBench): the output is JSON text too.
    const lines = input.split('\n').filter((line) => line.trim() !== '');
    for (const line of lines) {
      try {
        JSON.parse(line);
      } catch {
        throw new ToolInputError(`a function-call input line is not JSON: ${line.slice(0, 80)}`);
      }
    }
    args = `[${lines.join(',')}]`;
    outputIsText = typeof output === 'string';
  } else {
    args = JSON.stringify(Array.isArray(input) ? input : [input]);
  }
  let expected = JSON.stringify(output ?? null);
  if (outputIsText) {
    try {
      JSON.parse(output as string);
      expected = output as string;
    } catch {
      // a plain string value
    }
  }
  return { input: `{"args": ${args}, "expected": ${expected}, "unwrap": ${unwrap}}` };
}

/** Seconds as a number, "2 seconds", "1.5 s", "500 ms", or `{"seconds", "nanos"}`; undefined when absent or unreadable. */
function timeLimitMs(value: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof value === 'number') ms = value * 1000;
  else if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?)?\s*$/i.exec(value);
    if (match) ms = Number(match[1]) * (match[2]?.toLowerCase().startsWith('m') ? 1 : 1000);
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
    if (typeof seconds === 'number' || typeof nanos === 'number') ms = (Number(seconds ?? 0) + Number(nanos ?? 0) / 1e9) * 1000;
  }
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? Math.round(ms) : undefined;
}

/** LiveCodeBench's list of tests as inputs/outputs (+ fn_name). */
function fromTestList(tests: unknown[]): Record<string, unknown> {
  const valid = tests.filter((t): t is Record<string, unknown> => t !== null && typeof t === 'object' && 'input' in t && 'output' in t);
  if (valid.length === 0) throw new ToolInputError('a list reference must hold tests {"input", "output", "testtype"?}');
  let fnName: unknown;
  for (const test of valid) {
    let metadata = test.metadata;
    if (typeof metadata === 'string') {
      try {
        metadata = JSON.parse(metadata);
      } catch {
        metadata = undefined;
      }
    }
    if (test.testtype === 'functional' && metadata !== null && typeof metadata === 'object') fnName ??= (metadata as Record<string, unknown>).func_name;
  }
  return { inputs: valid.map((t) => t.input), outputs: valid.map((t) => t.output), ...(fnName !== undefined && { fn_name: fnName }) };
}

export function testSuite(item: ScoringItem): TestSuite {
  let reference = asTests(item.reference);
  if (Array.isArray(reference)) reference = fromTestList(reference);
  if (reference === null || typeof reference !== 'object') {
    throw new ToolInputError('code_tests needs test cases as reference: {"inputs","outputs"}, {"test","entry_point"} or {"test_list"}');
  }
  const tests = reference as Record<string, unknown>;
  const limit = timeLimitMs(tests.time_limit);
  const withLimit = <T extends object>(suite: T) => (limit === undefined ? suite : { ...suite, timeLimitMs: limit });
  if (typeof tests.test === 'string' && typeof tests.entry_point === 'string') {
    if (!IDENTIFIER.test(tests.entry_point)) throw new ToolInputError(`entry_point "${tests.entry_point}" is not a name`);
    return withLimit({ kind: 'assert', setup: '', asserts: [`${tests.test}\n\ncheck(${tests.entry_point})\n`] });
  }
  if (Array.isArray(tests.test_list)) {
    const asserts = tests.test_list.filter((t): t is string => typeof t === 'string');
    checkCount(asserts.length);
    if (asserts.length === 0) throw new ToolInputError('test_list holds no tests');
    const setup = typeof tests.test_setup_code === 'string' ? tests.test_setup_code : '';
    return withLimit({ kind: 'assert', setup, asserts });
  }
  const { inputs, outputs } = tests;
  if (!Array.isArray(inputs) || !Array.isArray(outputs) || inputs.length !== outputs.length || inputs.length === 0) {
    throw new ToolInputError('code_tests needs "inputs" and "outputs" lists of the same, non-zero length');
  }
  checkCount(inputs.length);
  if (typeof tests.fn_name === 'string' && tests.fn_name !== '') {
    if (!IDENTIFIER.test(tests.fn_name)) throw new ToolInputError(`fn_name "${tests.fn_name}" is not a name`);
    const unwrap = wrapsOutputs(outputs);
    const cases = inputs.map((input, i) => functionCase(input, outputs[i], unwrap));
    return withLimit({ kind: 'function', name: tests.fn_name, cases });
  }
  return withLimit({ kind: 'stdio', cases: inputs.map((input, i) => ({ input: text(input), output: text(outputs[i]) })) });
}
