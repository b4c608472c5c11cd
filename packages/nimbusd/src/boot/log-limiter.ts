/**
 * Lets a few log lines of one kind through per window and counts the rest, so a flood of
 * bad packets costs a handful of lines a minute instead of one per packet.
 */

/** Lines of one kind allowed per window. */
export const DEFAULT_LOG_BURST = 10;
/** Window length. */
export const DEFAULT_LOG_WINDOW_MS = 60_000;

export class LogLimiter {
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly clock: () => number;
  private windowStart = Number.NEGATIVE_INFINITY;
  private used = 0;
  private suppressed = 0;

  constructor(options: { burst?: number; windowMs?: number; clock?: () => number } = {}) {
    this.burst = options.burst ?? DEFAULT_LOG_BURST;
    this.windowMs = options.windowMs ?? DEFAULT_LOG_WINDOW_MS;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Null when this line should be dropped; otherwise how many were dropped since the last
   * line that got through (to log along with it).
   */
  take(): { suppressed: number } | null {
    const now = this.clock();
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used >= this.burst) {
      this.suppressed += 1;
      return null;
    }
    this.used += 1;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    return { suppressed };
  }
}
