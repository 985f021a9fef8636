import { setTimeout as sleep } from 'node:timers/promises';
import type { Planner } from '../planning/planner.ts';
import type { ToolsetStore } from '../store/toolset-store.ts';
import { toolsetHash, type Toolset, type ToolsetPlan } from '../tools/toolset.ts';
import type { ScoringItem } from '../tools/types.ts';

/** The least time a planner may hold a signature's lock; a slower planner holds it for its own timeout. */
const MIN_PLAN_LOCK_MS = 30_000;

/**
 * The toolset of a signature: from the store, or planned once on a miss. Concurrent requests that meet
 * the same new signature share one planning call: within this process by a map of calls in flight,
 * across processes by the store's planning lock.
 */
export class ToolsetResolver {
  readonly #store: ToolsetStore;
  readonly #planner: Planner;
  readonly #onLookup: (hit: boolean) => void;
  readonly #inFlight = new Map<string, Promise<Toolset>>();
  /** The lock outlives the planner's own timeout, so a slow plan is never duplicated by a second node. */
  readonly #lockMs: number;
  /** Others wait for the lock holder's result up to twice its lock: one expiry plus their own turn. */
  readonly #waitMs: number;

  constructor(store: ToolsetStore, planner: Planner, onLookup: (hit: boolean) => void = () => {}, plannerTimeoutMs = 0) {
    this.#store = store;
    this.#planner = planner;
    this.#onLookup = onLookup;
    this.#lockMs = Math.max(MIN_PLAN_LOCK_MS, plannerTimeoutMs + 5_000);
    this.#waitMs = 2 * this.#lockMs;
  }

  async resolve(signature: string, samples: ScoringItem[], deadline?: number): Promise<Toolset> {
    const stored = await this.#store.get(signature);
    this.#onLookup(stored !== undefined);
    if (stored) return stored;
    let planning = this.#inFlight.get(signature);
    if (!planning) {
      planning = this.#planAndStore(signature, samples, deadline).finally(() => this.#inFlight.delete(signature));
      this.#inFlight.set(signature, planning);
    }
    return planning;
  }

  /**
   * Plans a signature again (a new version; the store keeps the old one) and says why in the
   * rationale. When `replacing` is given and another node has already replaced that version, its
   * toolset is kept instead of planning twice. A plan that `accept` refuses is not stored (the
   * current toolset is answered), so a retry that fails the same way adds no version.
   */
  replan(
    signature: string,
    samples: ScoringItem[],
    reason: string,
    replacing?: number,
    accept: (plan: ToolsetPlan) => boolean = () => true,
  ): Promise<Toolset> {
    return this.#underLock(signature, async () => {
      const current = await this.#store.get(signature);
      if (current && replacing !== undefined && current.version > replacing) return current;
      const plan = await this.#planner.plan(signature, samples);
      if (current && !accept(plan)) return current;
      return this.#store.put({ ...plan, rationale: [`re-planned: ${reason}`, ...plan.rationale] });
    });
  }

  /**
   * Stores a declared toolset (`PUT`, a snapshot) as the signature's next version, under the planning
   * lock so no planner races it; when the current toolset already scores the same way (same hash) it
   * is kept, so declaring twice adds no version.
   */
  declare(plan: ToolsetPlan): Promise<Toolset> {
    return this.#underLock(plan.signature, async () => {
      const current = await this.#store.get(plan.signature);
      if (current && toolsetHash(current) === toolsetHash(plan)) return current;
      return this.#store.put(plan);
    });
  }

  /**
   * Plans under the store's lock, so one planner in the whole cluster plans a new signature; the
   * others wait for its toolset to appear (or for its lock to expire, and then plan themselves).
   */
  #planAndStore(signature: string, samples: ScoringItem[], deadline?: number): Promise<Toolset> {
    return this.#underLock(
      signature,
      async () => (await this.#store.get(signature)) ?? this.#store.put(await this.#planner.plan(signature, samples, deadline)),
      () => this.#store.get(signature),
    );
  }

  /**
   * Runs `work` holding the signature's planning lock, polling for the lock while another node holds
   * it; `settled` may end the wait early with what that node stored.
   */
  async #underLock(signature: string, work: () => Promise<Toolset>, settled?: () => Promise<Toolset | undefined>): Promise<Toolset> {
    const giveUp = Date.now() + this.#waitMs;
    for (;;) {
      const release = await this.#store.lockPlanning(signature, this.#lockMs);
      if (release) {
        try {
          return await work();
        } finally {
          await release();
        }
      }
      await sleep(50);
      const stored = await settled?.();
      if (stored) return stored;
      if (Date.now() > giveUp) throw new Error(`another node has been planning ${signature} for over ${this.#waitMs} ms`);
    }
  }
}
