// Event rates from cumulative counts sampled at irregular instants.
//
// Why an exponentially-weighted moving average with a time-based weight rather than a short window:
// - it needs two numbers per counter (last count, current rate), where a sliding window needs a ring
//   of buckets per counter: the prefix tree keeps a rate on each of up to 50,000 nodes;
// - the UI ticks about 4 times a second but the event loop, busy parsing MONITOR, ticks late and
//   unevenly; weighting each sample by `1 - 2^(-dt / halfLife)` makes old history fade by wall-clock
//   time, not by tick count (two ticks 125 ms apart fade the past exactly like one tick 250 ms later);
// - MONITOR lines arrive in socket-read bursts, so a 250 ms window flickers; a 5 s half-life reads
//   steadily in a terminal yet still shows a change within seconds (half of a step in 5 s, 94% in 20 s).
// A counter's first measured interval sets its rate directly, so a new prefix or a restarted session
// shows its real rate at once instead of climbing from 0 over several half-lives.

export const RATE_HALF_LIFE_MS = 5000;

/** Weight of a new sample taken `dtMs` after the previous one. */
export function ewmaAlpha(dtMs: number, halfLifeMs: number = RATE_HALF_LIFE_MS): number {
  return 1 - Math.pow(2, -dtMs / halfLifeMs);
}

/** Rate (per second) of one cumulative counter. */
export class EwmaRate {
  private lastMs: number | undefined;
  private lastCount = 0;
  private seeded = false;
  private current = 0;

  constructor(readonly halfLifeMs: number = RATE_HALF_LIFE_MS) {}

  /**
   * Samples the cumulative `count` at `nowMs` and returns the rate in events per second.
   * The first call only sets the baseline; calls with a time not after the previous one are ignored.
   */
  tick(count: number, nowMs: number): number {
    if (this.lastMs === undefined) {
      this.lastMs = nowMs;
      this.lastCount = count;
      return this.current;
    }
    const dt = nowMs - this.lastMs;
    if (!(dt > 0)) return this.current;
    const instant = ((count - this.lastCount) * 1000) / dt;
    if (this.seeded) this.current += ewmaAlpha(dt, this.halfLifeMs) * (instant - this.current);
    else {
      this.current = instant;
      this.seeded = true;
    }
    this.lastMs = nowMs;
    this.lastCount = count;
    return this.current;
  }

  /** Events per second as of the last tick. */
  get value(): number {
    return this.current;
  }

  reset(): void {
    this.lastMs = undefined;
    this.lastCount = 0;
    this.seeded = false;
    this.current = 0;
  }
}
