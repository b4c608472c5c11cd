/**
 * At most `burst` log lines per `intervalMs`, so a flood of bad datagrams cannot flood the
 * journal; what was held back is counted and reported with the next line let through.
 */
export class LogLimiter {
  readonly #burst: number;
  readonly #intervalMs: number;
  readonly #now: () => number;
  #windowStart = -Infinity;
  #used = 0;
  #suppressed = 0;

  constructor(burst: number, intervalMs: number, now: () => number = Date.now) {
    this.#burst = burst;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** Null when this line should be dropped, else how many were dropped since the last one let through. */
  take(): { suppressed: number } | null {
    const now = this.#now();
    if (now - this.#windowStart >= this.#intervalMs) {
      this.#windowStart = now;
      this.#used = 0;
    }
    if (this.#used >= this.#burst) {
      this.#suppressed += 1;
      return null;
    }
    this.#used += 1;
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    return { suppressed };
  }
}
