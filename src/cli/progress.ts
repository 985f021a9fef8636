/**
 * Progress on stderr: a bar redrawn in place on a terminal, plain lines (at most one every few
 * seconds) otherwise, so logs of a CI job or `2> file` stay readable. Both show the rate and the ETA.
 */
export class Progress {
  readonly #label: string;
  #total: number;
  readonly #stream: NodeJS.WriteStream;
  readonly #started = performance.now();
  #done = 0;
  #lastLine = 0;
  #printed = -1;

  constructor(label: string, total: number, stream: NodeJS.WriteStream = process.stderr) {
    this.#label = label;
    this.#total = total;
    this.#stream = stream;
  }

  advance(count: number): void {
    this.#done += count;
    const now = performance.now();
    if (this.#stream.isTTY) {
      this.#stream.write(`\r${this.#text(true)}\x1b[K`);
    } else if (now - this.#lastLine >= 5000 || this.#done >= this.#total) {
      this.#lastLine = now;
      this.#printed = this.#done;
      this.#stream.write(`${this.#text(false)}\n`);
    }
  }

  /** Takes one unit out of the total: it needed no work (done by an earlier run). */
  skip(): void {
    this.#total--;
  }

  /** Ends the bar's line on a terminal; elsewhere prints the last count if it was not printed. */
  finish(): void {
    if (this.#stream.isTTY) this.#stream.write('\n');
    else if (this.#printed !== this.#done) this.#stream.write(`${this.#text(false)}\n`);
  }

  #text(bar: boolean): string {
    const seconds = (performance.now() - this.#started) / 1000;
    const rate = seconds > 0 ? this.#done / seconds : 0;
    const left = Math.max(0, this.#total - this.#done);
    const eta = rate > 0 ? formatDuration(left / rate) : '?';
    const fraction = this.#total > 0 ? Math.min(1, this.#done / this.#total) : 1;
    const width = 30;
    const filled = Math.round(fraction * width);
    const drawn = bar ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
    return `${this.#label} ${drawn}${this.#done}/${this.#total} (${(fraction * 100).toFixed(0)}%) ${rate.toFixed(1)}/s ETA ${eta}`;
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
