import type { ItemScore, Toolset, ToolsetPlan } from '../tools/toolset.ts';
import type { ScoringItem } from '../tools/types.ts';
import { DECLARED, isAgentFallback } from '../planning/planner.ts';
import { messageOf } from '../util/errors.ts';
import type { ToolsetResolver } from './toolset-resolver.ts';

export interface DriftLimits {
  /** Items of one toolset version watched before judging it. */
  window: number;
  /** Share of items on which one tool may fail before the signature is re-planned. */
  maxErrorRate: number;
  /** How long a toolset the fallback planned (the agent had failed) serves before the agent is tried again; 0: never. */
  fallbackRetryMs: number;
}

interface Watch {
  version: number;
  items: number;
  errors: Map<string, number>;
  min: number;
  max: number;
  samples: ScoringItem[];
}

const SAMPLES = 3;

/**
 * Self-evolution: watches each signature's current toolset while it scores and re-plans it (a new
 * version, the old one kept) when a tool fails on too many items, or when every reward over a whole
 * window is the same (a reward that cannot tell responses apart teaches nothing). A toolset the
 * fallback planned while the agent was failing is planned again, at most once per `fallbackRetryMs`,
 * and replaced only by an agent's plan. Re-planning runs in the background; the old toolset serves
 * until the new one is stored.
 */
export class DriftMonitor {
  readonly #resolver: ToolsetResolver;
  readonly #limits: DriftLimits;
  readonly #watches = new Map<string, Watch>();
  readonly #replanning = new Set<string>();
  /** When this node first served a fallback toolset or last retried the agent for it, per signature. */
  readonly #fallbackRetries = new Map<string, number>();
  readonly #onError: (signature: string, message: string) => void;

  constructor(resolver: ToolsetResolver, limits: DriftLimits, onError: (signature: string, message: string) => void) {
    this.#resolver = resolver;
    this.#limits = limits;
    this.#onError = onError;
  }

  /** The latest sample items of a signature (for a re-plan on request). */
  samples(signature: string): ScoringItem[] {
    return this.#watches.get(signature)?.samples ?? [];
  }

  record(toolset: Toolset, items: ScoringItem[], scores: ItemScore[]): void {
    // A user's declaration is what they want scored, even when it fails or never varies.
    if (toolset.planner === DECLARED) return;
    let watch = this.#watches.get(toolset.signature);
    // A request still scoring with an older version must not reset the window of the newer one.
    if (watch && toolset.version < watch.version) return;
    if (!watch || watch.version !== toolset.version) {
      watch = { version: toolset.version, items: 0, errors: new Map(), min: Infinity, max: -Infinity, samples: [] };
      this.#watches.set(toolset.signature, watch);
    }
    watch.samples = items.slice(0, SAMPLES);
    this.#retryAgent(toolset, watch.samples);
    if (this.#limits.window === 0) return;
    scores.forEach((score) => {
      // An item the deadline cut off says nothing about the toolset.
      if (score.unscored) return;
      watch.items++;
      watch.min = Math.min(watch.min, score.reward);
      watch.max = Math.max(watch.max, score.reward);
      for (const component of score.components) {
        if (component.error !== undefined) watch.errors.set(component.tool, (watch.errors.get(component.tool) ?? 0) + 1);
      }
    });
    if (watch.items < this.#limits.window) return;
    const reason = this.#verdict(watch);
    // Judged: start the next window either way.
    this.#watches.set(toolset.signature, { ...watch, items: 0, errors: new Map(), min: Infinity, max: -Infinity });
    if (reason !== undefined) this.#replan(toolset, watch.samples, reason);
  }

  #verdict(watch: Watch): string | undefined {
    for (const [tool, errors] of watch.errors) {
      const rate = errors / watch.items;
      if (rate > this.#limits.maxErrorRate) return `tool ${tool} failed on ${Math.round(rate * 100)}% of ${watch.items} items`;
    }
    if (watch.max - watch.min < 1e-12) return `every reward was ${watch.min} over ${watch.items} items`;
    return undefined;
  }

  #retryAgent(toolset: Toolset, samples: ScoringItem[]): void {
    const every = this.#limits.fallbackRetryMs;
    if (every === 0 || !isAgentFallback(toolset)) return;
    // The clock starts when this node first serves the toolset (or last retried the agent for it).
    const since = this.#fallbackRetries.get(toolset.signature);
    if (since === undefined) {
      this.#fallbackRetries.set(toolset.signature, Date.now());
      return;
    }
    if (Date.now() - since < every) return;
    this.#fallbackRetries.set(toolset.signature, Date.now());
    this.#replan(toolset, samples, 'the agent failed when this toolset was planned', (plan) => !isAgentFallback(plan));
  }

  #replan(toolset: Toolset, samples: ScoringItem[], reason: string, accept?: (plan: ToolsetPlan) => boolean): void {
    if (this.#replanning.has(toolset.signature)) return;
    this.#replanning.add(toolset.signature);
    this.#resolver
      .replan(toolset.signature, samples, reason, toolset.version, accept)
      .catch((error: unknown) => this.#onError(toolset.signature, messageOf(error)))
      .finally(() => this.#replanning.delete(toolset.signature));
  }
}
