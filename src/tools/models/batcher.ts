interface Pending<I, O> {
  input: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Micro-batching: calls to one model that arrive within `waitMs` of each other (OpenRLHF sends one
 * sample per request, from many actors at once) are coalesced into one upstream call of at most
 * `maxBatch` inputs; each caller gets its own result back, in order. When the upstream refuses a
 * whole batch for something in it (`isolate` says so of the error), the batch is split in halves and
 * retried, so one bad input fails only its own caller, not the strangers it was batched with.
 */
export class MicroBatcher<I, O> {
  readonly #run: (inputs: I[]) => Promise<O[]>;
  readonly #maxBatch: number;
  readonly #waitMs: number;
  readonly #isolate: (error: unknown) => boolean;
  #pending: Pending<I, O>[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(run: (inputs: I[]) => Promise<O[]>, options: { maxBatch: number; waitMs: number; isolate?: (error: unknown) => boolean }) {
    this.#run = run;
    this.#maxBatch = Math.max(1, options.maxBatch);
    this.#waitMs = Math.max(0, options.waitMs);
    this.#isolate = options.isolate ?? (() => false);
  }

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#pending.push({ input, resolve, reject });
      if (this.#pending.length >= this.#maxBatch) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.#waitMs);
    });
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#pending.length > 0) this.#send(this.#pending.splice(0, this.#maxBatch));
  }

  #send(batch: Pending<I, O>[]): void {
    this.#run(batch.map((p) => p.input)).then(
      (outputs) => {
        if (outputs.length !== batch.length) {
          const error = new Error(`the model answered ${outputs.length} results for ${batch.length} inputs`);
          for (const p of batch) p.reject(error);
          return;
        }
        batch.forEach((p, i) => p.resolve(outputs[i]!));
      },
      (error: unknown) => {
        if (batch.length > 1 && this.#isolate(error)) {
          const half = Math.ceil(batch.length / 2);
          this.#send(batch.slice(0, half));
          this.#send(batch.slice(half));
          return;
        }
        for (const p of batch) p.reject(error);
      },
    );
  }
}
