import type { Planner } from '../planning/planner.ts';
import type { ToolsetStore } from '../store/toolset-store.ts';
import type { Toolset } from '../tools/toolset.ts';
import type { ScoringItem } from '../tools/types.ts';

/**
 * The toolset of a signature: from the store, or planned once on a miss. Concurrent requests that meet
 * the same new signature share one planning call (single flight within this process).
 */
export class ToolsetResolver {
  readonly #store: ToolsetStore;
  readonly #planner: Planner;
  readonly #onLookup: (hit: boolean) => void;
  readonly #inFlight = new Map<string, Promise<Toolset>>();

  constructor(store: ToolsetStore, planner: Planner, onLookup: (hit: boolean) => void = () => {}) {
    this.#store = store;
    this.#planner = planner;
    this.#onLookup = onLookup;
  }

  async resolve(signature: string, samples: ScoringItem[]): Promise<Toolset> {
    const stored = await this.#store.get(signature);
    this.#onLookup(stored !== undefined);
    if (stored) return stored;
    let planning = this.#inFlight.get(signature);
    if (!planning) {
      planning = this.#planAndStore(signature, samples).finally(() => this.#inFlight.delete(signature));
      this.#inFlight.set(signature, planning);
    }
    return planning;
  }

  async #planAndStore(signature: string, samples: ScoringItem[]): Promise<Toolset> {
    const plan = await this.#planner.plan(signature, samples);
    return this.#store.put(plan);
  }
}
