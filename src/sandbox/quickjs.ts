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
    runtime.setMaxStackSize(512 * 1024);
    const context = runtime.newContext();
    try {
      runtime.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + limits.callTimeoutMs * 5));
      const result = context.evalCode(`${source}\n;${PRELUDE}\ntypeof score === 'function' && typeof __call === 'function'`);
      if (result.error) {
        const error = context.dump(result.error);
        result.error.dispose();
        throw new Error(`the verifier does not compile: ${describe(error)}`);
      }
      const ok = context.dump(result.value);
      result.value.dispose();
      if (ok !== true) throw new Error('the verifier defines no function score(prompt, response, reference)');
      return new JsVerifier(runtime, context, context.getProp(context.global, '__call'), limits);
    } catch (error) {
      context.dispose();
      runtime.dispose();
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
      const error = ctx.dump(result.error);
      result.error.dispose();
      throw new Error(`the verifier failed: ${describe(error)}`);
    }
    const value = ctx.dump(result.value);
    result.value.dispose();
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`the verifier returned ${String(value)}, not a finite number`);
    return value;
  }

  dispose(): void {
    this.#call.dispose();
    this.#context.dispose();
    this.#runtime.dispose();
  }
}

function describe(error: unknown): string {
  if (error && typeof error === 'object' && 'message' in error) {
    const { name, message } = error as { name?: string; message?: string };
    return `${name ?? 'Error'}: ${message ?? ''}`;
  }
  return String(error);
}
