import { JsVerifier } from '../../sandbox/quickjs.ts';
import { ToolInputError, type ToolDefinition } from '../types.ts';

/** The longest verifier source taken (a toolset carries it to every task). */
export const MAX_SOURCE = 20_000;
/**
 * Compiled verifiers kept per thread, most recently used last: each holds a WebAssembly instance that
 * grows up to 64 MB and never shrinks, so the thread keeps a few, and drops the oldest while they hold
 * more memory than MEMORY_BUDGET together.
 */
const MAX_COMPILED = 16;
const MEMORY_BUDGET = 128 * 1024 * 1024;
const compiled = new Map<string, Promise<JsVerifier>>();
const ready = new Map<string, JsVerifier>();

/** The compiled verifier for a source, compiled once per thread (a toolset sends the same source for every item). */
function verifierFor(source: string): Promise<JsVerifier> {
  let verifier = compiled.get(source);
  if (verifier) {
    compiled.delete(source);
  } else {
    verifier = JsVerifier.compile(source);
    const compiling = verifier;
    // Only while it is still the cached one: a verifier forgotten while compiling is already disposed.
    compiling.then((v) => compiled.get(source) === compiling && ready.set(source, v)).catch(() => compiled.delete(source));
    const oldest = compiled.keys().next();
    if (compiled.size >= MAX_COMPILED && !oldest.done) forget(oldest.value);
  }
  compiled.set(source, verifier);
  return verifier;
}

function forget(source: string): void {
  compiled.get(source)?.then((v) => v.dispose()).catch(() => {});
  compiled.delete(source);
  ready.delete(source);
}

/** Drops the least recently used verifiers (never `current`) while all of them hold more than the budget. */
function trim(current: string): void {
  let held = [...ready.values()].reduce((sum, v) => sum + v.memoryBytes, 0);
  for (const source of [...compiled.keys()]) {
    if (held <= MEMORY_BUDGET) break;
    const verifier = ready.get(source);
    if (source === current || !verifier) continue;
    held -= verifier.memoryBytes;
    forget(source);
  }
}

/**
 * A verifier the agent wrote: `function score(prompt, response, reference)` in JavaScript, run in
 * QuickJS (WebAssembly) with memory and time limits and no access to the host.
 */
export const synthesized: ToolDefinition = {
  name: 'synthesized',
  kind: 'synthesized',
  description:
    'An agent-written verifier: params.code defines function score(prompt, response, reference) -> number in [0, 1], ' +
    'run in a QuickJS sandbox (32 MB, 100 ms of CPU time per call checked by QuickJS, no host access).',
  needsReference: false,
  readsPrompt: true,
  params: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      code: { type: 'string', description: 'JavaScript defining function score(prompt, response, reference)' },
    },
    required: ['code'],
  },
  async score(item, params) {
    const code = params.code;
    if (typeof code !== 'string' || code.trim() === '') throw new ToolInputError('synthesized needs params.code');
    if (code.length > MAX_SOURCE) throw new ToolInputError(`the verifier is longer than ${MAX_SOURCE} characters`);
    const verifier = await verifierFor(code);
    try {
      return { score: verifier.score(item.prompt, item.response, item.reference) };
    } finally {
      // A broken instance is dropped: the next item compiles the verifier afresh.
      if (verifier.broken) forget(code);
      else trim(code);
    }
  },
};
