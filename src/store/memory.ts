import type { Toolset, ToolsetPlan } from '../tools/toolset.ts';
import type { ReleaseLock, ToolsetStore } from './toolset-store.ts';

/** Toolsets in process memory, for embedded mode: they last as long as the process. */
export class MemoryToolsetStore implements ToolsetStore {
  readonly #toolsets = new Map<string, Toolset>();
  /** Versions keep counting after a delete, so a re-planned toolset never reuses an old number. */
  readonly #versions = new Map<string, number>();

  async get(signature: string): Promise<Toolset | undefined> {
    return this.#toolsets.get(signature);
  }

  async put(plan: ToolsetPlan): Promise<Toolset> {
    const version = (this.#versions.get(plan.signature) ?? 0) + 1;
    this.#versions.set(plan.signature, version);
    const toolset: Toolset = { ...plan, version, createdAt: new Date().toISOString() };
    this.#toolsets.set(plan.signature, toolset);
    return toolset;
  }

  async list(): Promise<Toolset[]> {
    return [...this.#toolsets.values()].sort((a, b) => a.signature.localeCompare(b.signature));
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
