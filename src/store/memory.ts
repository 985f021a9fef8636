import type { Toolset, ToolsetPlan } from '../tools/toolset.ts';
import type { ReleaseLock, ToolsetStore } from './toolset-store.ts';

/** Toolsets in process memory, for embedded mode: they last as long as the process. */
export class MemoryToolsetStore implements ToolsetStore {
  readonly #toolsets = new Map<string, Toolset>();
  /** Every version of each signature; they outlive a delete, so numbers are never reused. */
  readonly #history = new Map<string, Toolset[]>();

  /** `seed`: toolsets to hold as they are (a snapshot), versions and times kept. */
  constructor(seed: Toolset[] = []) {
    for (const toolset of seed) {
      this.#toolsets.set(toolset.signature, toolset);
      this.#history.set(toolset.signature, [toolset]);
    }
  }

  async get(signature: string): Promise<Toolset | undefined> {
    return this.#toolsets.get(signature);
  }

  async put(plan: ToolsetPlan): Promise<Toolset> {
    const history = this.#history.get(plan.signature) ?? [];
    const toolset: Toolset = { ...plan, version: (history.at(-1)?.version ?? 0) + 1, createdAt: new Date().toISOString() };
    this.#history.set(plan.signature, [...history, toolset]);
    this.#toolsets.set(plan.signature, toolset);
    return toolset;
  }

  async list(): Promise<Toolset[]> {
    return [...this.#toolsets.values()].sort((a, b) => a.signature.localeCompare(b.signature));
  }

  async versions(signature: string): Promise<Toolset[]> {
    return this.#history.get(signature) ?? [];
  }

  async delete(signature: string): Promise<boolean> {
    return this.#toolsets.delete(signature);
  }

  /** One process: the resolver's single flight already serializes planning, so the lock is always free. */
  async lockPlanning(): Promise<ReleaseLock> {
    return async () => {};
  }

  async close(): Promise<void> {}
}
