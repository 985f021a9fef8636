import type { Toolset, ToolsetPlan } from '../tools/toolset.ts';

/** Gives up a planning lock. */
export type ReleaseLock = () => Promise<void>;

/** Where toolsets live, keyed by task signature: process memory (embedded) or Redis (distributed). */
export interface ToolsetStore {
  get(signature: string): Promise<Toolset | undefined>;
  /** Saves a toolset as the next version of its signature and returns what was stored. */
  put(toolset: ToolsetPlan): Promise<Toolset>;
  list(): Promise<Toolset[]>;
  /** Every version a signature has had, oldest first (kept for rollback and audit). */
  versions(signature: string): Promise<Toolset[]>;
  /** Returns whether there was a toolset to delete. */
  delete(signature: string): Promise<boolean>;
  /**
   * Takes the right to plan a signature, for at most `ttlMs` (a planner that dies frees it by expiry);
   * undefined when another planner holds it.
   */
  lockPlanning(signature: string, ttlMs: number): Promise<ReleaseLock | undefined>;
  close(): Promise<void>;
}
