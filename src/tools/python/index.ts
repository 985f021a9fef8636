import { sandboxUnavailable } from '../../sandbox/process-sandbox.ts';
import { callFunction, interpreterMounts, SYSTEM_PYTHON, type CallResult, type FunctionItem, type FunctionSpec } from '../../sandbox/python-function.ts';
import { toolSettings } from '../settings.ts';
import { ToolInputError, type ScoringItem, type ToolDefinition, type ToolOutcome, type ToolParams } from '../types.ts';

/**
 * `python`: a reward function in Python, brought as source: verl's `compute_score(data_source,
 * solution_str, ground_truth, extra_info=None)`, `score(prompt, response, reference)` or OpenAI's
 * `grade(sample, item)`. It runs in the process sandbox in a warm interpreter per source (one per
 * thread), called for a whole chunk of items; each call has its own time limit and costs only its item
 * when it fails.
 */

const MAX_SOURCE = 200_000;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Options extends FunctionSpec {
  timeLimitMs: number;
  range: [number, number];
}

function options(params: ToolParams): Options {
  const { source, entry } = params;
  if (typeof source !== 'string' || source.trim() === '') throw new ToolInputError('python needs params.source: Python source defining compute_score, score or grade');
  if (source.length > MAX_SOURCE) throw new ToolInputError(`params.source is longer than ${MAX_SOURCE} characters`);
  if (entry !== undefined && (typeof entry !== 'string' || !IDENTIFIER.test(entry))) throw new ToolInputError('params.entry must be a Python function name');
  const number = (name: string, fallback: number, min: number, max: number) => {
    const value = params[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !(value >= min && value <= max)) throw new ToolInputError(`params.${name} must be a number from ${min} to ${max}`);
    return value;
  };
  let range: [number, number] = [0, 1];
  if (params.score_range !== undefined) {
    const r = params.score_range;
    if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === 'number' && Number.isFinite(v)) || !(r[0] < r[1])) {
      throw new ToolInputError('params.score_range must be [low, high] with low < high');
    }
    range = [r[0], r[1]];
  }
  const isolation = params.isolation ?? 'session';
  if (isolation !== 'session' && isolation !== 'call') throw new ToolInputError('params.isolation must be "session" or "call"');
  const interpreter = toolSettings().python ?? SYSTEM_PYTHON;
  return {
    interpreter,
    mounts: interpreterMounts(interpreter),
    source,
    entry,
    timeLimitMs: number('time_limit_ms', 5_000, 10, 60_000),
    memoryMb: Math.round(number('memory_mb', 1_024, 64, 8_192)),
    isolation,
    range,
  };
}

function functionItem(item: ScoringItem): FunctionItem {
  return {
    prompt: item.prompt,
    response: item.response,
    ...(item.reference !== undefined && { reference: item.reference }),
    ...(item.task !== undefined && { task: item.task }),
    ...(item.metadata !== undefined && { metadata: item.metadata }),
    ...(item.messages !== undefined && { messages: item.messages }),
  };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An item's outcome from the worker's frame, which the function could have shaped: checked here. */
function outcome(result: CallResult, o: Options): ToolOutcome | Error {
  if (result.kind !== 'ok') return new Error(result.kind === 'timeout' ? result.message : `the function failed: ${result.message}`);
  const frame = result.frame;
  if (!isObject(frame)) return new Error('the function sent a malformed result');
  const detail = isObject(frame.detail) && Object.keys(frame.detail).length > 0 ? frame.detail : undefined;
  if (typeof frame.error === 'string') return new Error(`the function raised ${frame.error}`);
  if (frame.abstain === true) return { score: 0, abstained: true, ...(detail && { detail }) };
  const raw = frame.score;
  if (typeof raw !== 'number' || !Number.isFinite(raw)) return new Error(`the function returned ${String(raw)}, not a finite number`);
  const [low, high] = o.range;
  if (raw < low || raw > high) {
    return new Error(`the function returned ${raw}, outside [${low}, ${high}] (params.score_range maps another range onto [0, 1])`);
  }
  return { score: (raw - low) / (high - low), ...(detail && { detail }) };
}

async function scoreItems(items: ScoringItem[], params: ToolParams): Promise<(ToolOutcome | Error)[]> {
  const unavailable = sandboxUnavailable();
  if (unavailable !== undefined) throw new Error(unavailable);
  const o = options(params);
  const { loaded, results } = await callFunction(o, items.map(functionItem), o.timeLimitMs);
  if ('error' in loaded) throw new ToolInputError(loaded.error);
  return results.map((result) => outcome(result, o));
}

export const pythonFunction: ToolDefinition = {
  name: 'python',
  // Code from outside, like the agent's verifiers: not a built-in the planners may pick.
  kind: 'synthesized',
  description:
    'Your Python reward function: params.source defines compute_score(data_source, solution_str, ground_truth, extra_info=None) (verl), ' +
    'score(prompt, response, reference) or grade(sample, item) (OpenAI python grader), returning a number in [0, 1], a dict with "score", ' +
    'or None to abstain; run in the process sandbox, loaded once and called per item with a time and memory limit.',
  needsReference: false,
  selfLimiting: true,
  params: {
    type: 'object',
    properties: {
      source: { type: 'string', description: 'Python source of the module' },
      entry: { type: 'string', description: 'the function to call; default: the first of compute_score, score, grade the source defines' },
      time_limit_ms: { type: 'number', minimum: 10, maximum: 60_000, default: 5000, description: 'per call' },
      memory_mb: { type: 'number', minimum: 64, maximum: 8_192, default: 1024, description: 'address space of the interpreter' },
      isolation: {
        type: 'string',
        enum: ['session', 'call'],
        default: 'session',
        description: 'session: one interpreter for many calls (fast); call: a fresh process per call, for functions that run model output',
      },
      score_range: { type: 'array', items: { type: 'number' }, default: [0, 1], description: '[low, high] the function returns, mapped onto [0, 1]' },
    },
    required: ['source'],
  },
  async score(item, params) {
    const [result] = await scoreItems([item], params);
    if (result instanceof Error) throw result;
    return result!;
  },
  scoreBatch: (items, params) => scoreItems(items, params),
};
