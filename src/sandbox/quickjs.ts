import { getQuickJS, shouldInterruptAfterDeadline, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule } from 'quickjs-emscripten';

/**
 * LLM-written verifiers run here: QuickJS compiled to WebAssembly, one runtime per verifier, with a
 * memory limit, a stack limit and a deadline per call (an interrupt handler). The code sees plain
 * JavaScript only: no require, process, fetch, timers or host objects, nothing outside its runtime.
 */

export interface JsLimits {
  memoryBytes: number;
  callTimeoutMs: number;
}

export const DEFAULT_JS_LIMITS: JsLimits = { memoryBytes: 32 * 1024 * 1024, callTimeoutMs: 100 };

let module: Promise<QuickJSWASMModule> | undefined;

/** The QuickJS WebAssembly module, loaded once per thread. */
function quickjs(): Promise<QuickJSWASMModule> {
  module ??= getQuickJS();
  return module;
}

// The verifier's `score` sees the reference as a value: the JSON crosses the boundary as text.
const PRELUDE = `
function __call(prompt, response, referenceJson) {
  return score(prompt, response, referenceJson === undefined ? undefined : JSON.parse(referenceJson));
}
`;

export class JsVerifier {
  readonly #runtime: QuickJSRuntime;
  readonly #context: QuickJSContext;
  readonly #call: QuickJSHandle;
  readonly #limits: JsLimits;

  private constructor(runtime: QuickJSRuntime, context: QuickJSContext, call: QuickJSHandle, limits: JsLimits) {
    this.#runtime = runtime;
    this.#context = context;
    this.#call = call;
    this.#limits = limits;
  }

  /** Compiles source defining `function score(prompt, response, reference)`; throws with the reason. */
  static async compile(source: string, limits: JsLimits = DEFAULT_JS_LIMITS): Promise<JsVerifier> {
    const runtime = (await quickjs()).newRuntime();
    runtime.setMemoryLimit(limits.memoryBytes);
    // Small enough that deep recursion stops inside QuickJS before the host's own stack runs out.
    runtime.setMaxStackSize(128 * 1024);
    const context = runtime.newContext();
    try {
      runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + limits.callTimeoutMs * 5));
      const result = context.evalCode(`${source}\n;${PRELUDE}\ntypeof score === 'function' && typeof __call === 'function'`);
      if (result.error) {
        const message = describe(context, result.error);
        result.error.dispose();
        throw new Error(`the verifier does not compile: ${message}`);
      }
      const ok = context.typeof(result.value) === 'boolean' && context.dump(result.value) === true;
      result.value.dispose();
      if (!ok) throw new Error('the verifier defines no function score(prompt, response, reference)');
      return new JsVerifier(runtime, context, context.getProp(context.global, '__call'), limits);
    } catch (error) {
      try {
        context.dispose();
        runtime.dispose();
      } catch {
        // see dispose()
      }
      throw error;
    }
  }

  /** The verifier's score for one item; throws when it fails, overruns or returns no finite number. */
  score(prompt: string, response: string, reference: unknown): number {
    const ctx = this.#context;
    this.#runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + this.#limits.callTimeoutMs));
    const args = [
      ctx.newString(prompt),
      ctx.newString(response),
      reference === undefined ? ctx.undefined : ctx.newString(JSON.stringify(reference)),
    ];
    const result = ctx.callFunction(this.#call, ctx.undefined, ...args);
    for (const arg of args) if (arg !== ctx.undefined) arg.dispose();
    if (result.error) {
      const message = describe(ctx, result.error);
      result.error.dispose();
      throw new Error(`the verifier failed: ${message}`);
    }
    // Only a number is read back: nothing the verifier returns is copied whole into the host.
    const type = ctx.typeof(result.value);
    const value = type === 'number' ? ctx.getNumber(result.value) : Number.NaN;
    result.value.dispose();
    if (!Number.isFinite(value)) throw new Error(`the verifier returned ${type === 'number' ? String(value) : `a ${type}`}, not a finite number`);
    return value;
  }

  /** Frees the runtime; one left broken by a failure is abandoned rather than crash the thread. */
  dispose(): void {
    try {
      this.#call.dispose();
      this.#context.dispose();
      this.#runtime.dispose();
    } catch {
      // a runtime whose state an overflow corrupted cannot be freed safely: leave it to the GC
    }
  }
}

const MESSAGE_CHARS = 200;

/** "Name: message" of a thrown value, read as short strings (a hostile error may be megabytes long). */
function describe(ctx: QuickJSContext, error: QuickJSHandle): string {
  const part = (key: string) => {
    const handle = ctx.getProp(error, key);
    const text = ctx.typeof(handle) === 'string' ? ctx.getString(handle).slice(0, MESSAGE_CHARS) : undefined;
    handle.dispose();
    return text;
  };
  if (ctx.typeof(error) === 'string') return ctx.getString(error).slice(0, MESSAGE_CHARS);
  return `${part('name') ?? 'Error'}: ${part('message') ?? ''}`;
}
