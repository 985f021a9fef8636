import {
  newQuickJSWASMModuleFromVariant,
  newVariant,
  RELEASE_SYNC,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
} from 'quickjs-emscripten';

/**
 * LLM-written verifiers run here: QuickJS compiled to WebAssembly, with a memory limit, a stack limit
 * and a CPU-time limit per call (an interrupt handler). The code sees plain JavaScript only: no require,
 * process, fetch, timers or host objects, nothing outside its runtime.
 *
 * Each verifier has a WebAssembly instance of its own whose memory cannot grow past a fixed maximum:
 * QuickJS's own limit does not count everything (strings built in a loop grew one shared instance to
 * gigabytes), WebAssembly memory never shrinks, and a runtime that ran out of memory can leave the
 * instance broken for every runtime in it. Disposing a verifier drops its instance and so its memory;
 * a verifier whose instance broke says so, once, and the caller compiles a fresh one.
 */

export interface JsLimits {
  memoryBytes: number;
  callTimeoutMs: number;
}

export const DEFAULT_JS_LIMITS: JsLimits = { memoryBytes: 32 * 1024 * 1024, callTimeoutMs: 100 };

const WASM_PAGE = 64 * 1024;
/** The instance's own memory (stack, static data, allocator) beyond the runtime's limit. */
const WASM_OVERHEAD = 32 * 1024 * 1024;

// This project's TypeScript libraries do not declare WebAssembly; Node.js has it.
type WasmMemory = NonNullable<Parameters<typeof newVariant>[1]['wasmMemory']>;
const { Memory } = (globalThis as unknown as { WebAssembly: { Memory: new (size: { initial: number; maximum: number }) => WasmMemory } }).WebAssembly;

/** A fresh QuickJS instance whose memory stops at the runtime's limit plus the instance's own needs. */
function newInstance(limits: JsLimits) {
  const pages = Math.ceil((limits.memoryBytes + WASM_OVERHEAD) / WASM_PAGE);
  const memory = new Memory({ initial: Math.min(pages, 256), maximum: pages });
  return { memory, module: newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmMemory: memory })) };
}

/**
 * An interrupt handler that stops the code once it has used `ms` of this thread's CPU time. CPU time,
 * not the clock: on a busy machine a thread may wait longer than a call's whole limit, and a correct
 * verifier must not fail (and its items lose their reward) because of it. Code in QuickJS cannot
 * sleep or wait, so CPU time bounds it; the task's own deadline bounds the wall time.
 */
function interruptAfterCpu(ms: number): () => boolean {
  const start = process.threadCpuUsage();
  return () => {
    const used = process.threadCpuUsage(start);
    return used.user + used.system > ms * 1000;
  };
}

/** The verifier's own failure: it does not compile, throws, overruns or returns no finite number. */
class VerifierError extends Error {}

/** An error of the WebAssembly instance itself (a trap, an abort), not one the verifier's code threw. */
class BrokenRuntimeError extends Error {
  override name = 'BrokenRuntimeError';
}

function log(message: string): void {
  process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), pid: process.pid, msg: message })}\n`);
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
  readonly #memory: WasmMemory;
  #broken = false;

  private constructor(runtime: QuickJSRuntime, context: QuickJSContext, call: QuickJSHandle, limits: JsLimits, memory: WasmMemory) {
    this.#memory = memory;
    this.#runtime = runtime;
    this.#context = context;
    this.#call = call;
    this.#limits = limits;
  }

  /** Compiles source defining `function score(prompt, response, reference)`; throws with the reason. */
  static async compile(source: string, limits: JsLimits = DEFAULT_JS_LIMITS): Promise<JsVerifier> {
    const instance = newInstance(limits);
    const runtime = (await instance.module).newRuntime();
    runtime.setMemoryLimit(limits.memoryBytes);
    // Small enough that deep recursion stops inside QuickJS before the host's own stack runs out.
    runtime.setMaxStackSize(128 * 1024);
    const context = runtime.newContext();
    try {
      runtime.setInterruptHandler(interruptAfterCpu(limits.callTimeoutMs * 5));
      const result = context.evalCode(`${source}\n;${PRELUDE}\ntypeof score === 'function' && typeof __call === 'function'`);
      if (result.error) {
        const message = describe(context, result.error);
        result.error.dispose();
        throw new VerifierError(`the verifier does not compile: ${message}`);
      }
      const ok = context.typeof(result.value) === 'boolean' && context.dump(result.value) === true;
      result.value.dispose();
      if (!ok) throw new VerifierError('the verifier defines no function score(prompt, response, reference)');
      return new JsVerifier(runtime, context, context.getProp(context.global, '__call'), limits, instance.memory);
    } catch (error) {
      try {
        context.dispose();
        runtime.dispose();
      } catch {
        // see dispose()
      }
      throw error instanceof Error && !(error instanceof VerifierError) ? brokenRuntime(error) : error;
    }
  }

  /** Bytes of WebAssembly memory the instance holds (it grows and never shrinks; disposing gives it back). */
  get memoryBytes(): number {
    return (this.#memory as { buffer: ArrayBuffer }).buffer.byteLength;
  }

  /** Whether the instance broke: this verifier answers nothing more, compile a new one. */
  get broken(): boolean {
    return this.#broken;
  }

  /** The verifier's score for one item; throws when it fails, overruns or returns no finite number. */
  score(prompt: string, response: string, reference: unknown): number {
    if (this.#broken) throw new BrokenRuntimeError('the verifier\'s QuickJS instance broke earlier');
    try {
      return this.#score(prompt, response, reference);
    } catch (error) {
      if (!(error instanceof Error) || error instanceof VerifierError) throw error;
      this.#broken = true;
      throw brokenRuntime(error);
    }
  }

  #score(prompt: string, response: string, reference: unknown): number {
    const ctx = this.#context;
    this.#runtime.setInterruptHandler(interruptAfterCpu(this.#limits.callTimeoutMs));
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
      throw new VerifierError(`the verifier failed: ${message}`);
    }
    // Only a number is read back: nothing the verifier returns is copied whole into the host.
    const type = ctx.typeof(result.value);
    const value = type === 'number' ? ctx.getNumber(result.value) : Number.NaN;
    result.value.dispose();
    if (!Number.isFinite(value)) throw new VerifierError(`the verifier returned ${type === 'number' ? String(value) : `a ${type}`}, not a finite number`);
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

/** Any other error comes from inside the instance (a trap, an abort, memory exhausted): logged, and the instance is dropped. */
function brokenRuntime(error: Error): BrokenRuntimeError {
  const message = `the verifier's QuickJS instance broke (${error.name}: ${error.message.slice(0, 200)}); it is dropped and the next call starts a fresh one`;
  log(message);
  return new BrokenRuntimeError(message);
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
