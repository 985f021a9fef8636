/**
 * A per-minute budget (requests or tokens): `take(cost)` waits until the last minute's spending leaves
 * room for `cost`. A limit of 0 means no limit.
 */
export class RateLimiter {
  readonly #perMinute: number;
  readonly #spent: { at: number; cost: number }[] = [];

  constructor(perMinute: number) {
    this.#perMinute = perMinute;
  }

  async take(cost = 1): Promise<void> {
    if (this.#perMinute <= 0) return;
    const needed = Math.min(cost, this.#perMinute);
    for (;;) {
      const now = Date.now();
      while (this.#spent.length > 0 && this.#spent[0]!.at <= now - 60_000) this.#spent.shift();
      const used = this.#spent.reduce((sum, s) => sum + s.cost, 0);
      if (used + needed <= this.#perMinute) {
        this.#spent.push({ at: now, cost: needed });
        return;
      }
      await new Promise((r) => setTimeout(r, Math.max(10, this.#spent[0]!.at + 60_000 - now)));
    }
  }
}
