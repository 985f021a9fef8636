import { ToolInputError, type Reference, type ScoringItem } from '../../types.ts';

/**
 * The tests a code reference carries, in the formats RL code datasets ship:
 * - standard input/output cases `{"inputs": [...], "outputs": [...]}` (APPS, TACO, CodeContests as verl
 *   stores them);
 * - function calls, the same plus `"fn_name"` (each input a list of arguments, or JSON lines of them;
 *   the function may be a plain function or a method of `Solution`);
 * - HumanEval `{"test": "def check(candidate): ...", "entry_point": "f"}`;
 * - MBPP `{"test_list": ["assert ..."], "test_setup_code": "..."}`.
 */
export type TestSuite =
  | { kind: 'stdio'; cases: { input: string; output: string }[] }
  | { kind: 'function'; name: string; cases: { args: unknown[]; expected: unknown }[] }
  | { kind: 'assert'; setup: string; asserts: string[] };

const MAX_CASES = 200;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function asObject(reference: Reference | undefined): Record<string, unknown> {
  let value: unknown = reference;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new ToolInputError('code_tests needs test cases as reference (JSON), and the reference text is not JSON');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ToolInputError('code_tests needs test cases as reference: {"inputs","outputs"}, {"test","entry_point"} or {"test_list"}');
  }
  return value as Record<string, unknown>;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Arguments of one function-call case: a list of arguments, or JSON lines with one argument each. */
function argumentsOf(input: unknown): unknown[] {
  if (Array.isArray(input)) return input;
  if (typeof input === 'string') {
    return input
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        try {
          return JSON.parse(line);
        } catch {
          throw new ToolInputError(`a function-call input line is not JSON: ${line.slice(0, 80)}`);
        }
      });
  }
  return [input];
}

export function testSuite(item: ScoringItem): TestSuite {
  const reference = asObject(item.reference);
  if (typeof reference.test === 'string' && typeof reference.entry_point === 'string') {
    if (!IDENTIFIER.test(reference.entry_point)) throw new ToolInputError(`entry_point "${reference.entry_point}" is not a name`);
    return { kind: 'assert', setup: '', asserts: [`${reference.test}\n\ncheck(${reference.entry_point})\n`] };
  }
  if (Array.isArray(reference.test_list)) {
    const asserts = reference.test_list.filter((t): t is string => typeof t === 'string').slice(0, MAX_CASES);
    if (asserts.length === 0) throw new ToolInputError('test_list holds no tests');
    const setup = typeof reference.test_setup_code === 'string' ? reference.test_setup_code : '';
    return { kind: 'assert', setup, asserts };
  }
  const { inputs, outputs } = reference;
  if (!Array.isArray(inputs) || !Array.isArray(outputs) || inputs.length !== outputs.length || inputs.length === 0) {
    throw new ToolInputError('code_tests needs "inputs" and "outputs" lists of the same, non-zero length');
  }
  const count = Math.min(inputs.length, MAX_CASES);
  if (typeof reference.fn_name === 'string' && reference.fn_name !== '') {
    if (!IDENTIFIER.test(reference.fn_name)) throw new ToolInputError(`fn_name "${reference.fn_name}" is not a name`);
    const cases = inputs.slice(0, count).map((input, i) => ({ args: argumentsOf(input), expected: outputs[i] }));
    return { kind: 'function', name: reference.fn_name, cases };
  }
  return { kind: 'stdio', cases: inputs.slice(0, count).map((input, i) => ({ input: text(input), output: text(outputs[i]) })) };
}
