import { JsVerifier } from '../../sandbox/quickjs.ts';
import { ToolInputError, type ToolDefinition } from '../types.ts';

const MAX_SOURCE = 20_000;
const compiled = new Map<string, Promise<JsVerifier>>();

/** The compiled verifier for a source, compiled once per thread (a toolset sends the same source for every item). */
function verifierFor(source: string): Promise<JsVerifier> {
  let verifier = compiled.get(source);
  if (!verifier) {
    if (compiled.size >= 64) {
      for (const old of compiled.values()) old.then((v) => v.dispose()).catch(() => {});
      compiled.clear();
    }
    verifier = JsVerifier.compile(source);
    compiled.set(source, verifier);
    verifier.catch(() => compiled.delete(source));
  }
  return verifier;
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
    'run in a QuickJS sandbox (32 MB, a 100 ms deadline per call checked by QuickJS, no host access).',
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
    return { score: verifier.score(item.prompt, item.response, item.reference) };
  },
};
