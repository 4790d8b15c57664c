// How fast the keyspace sampler may go: a token bucket of keys per second, slowed while the server
// is under more pressure than when the scan began, and held while the health gate says the server
// should be spared. Pure: the sampler asks how long to wait, takes tokens, and hands in each poll.
//
// - Budget: `budget` keys per second (each key costs TYPE, MEMORY USAGE, PTTL, OBJECT ENCODING,
//   plus its share of a SCAN). The bucket holds at most BURST_SECONDS of budget, starts empty, and
//   may go into debt (SCAN returns more keys than asked): the debt is waited off, so over any
//   stretch the keys inspected stay within budget × time + one bucket.
// - Backing off (multiplicative decrease, additive increase): when, at STRIKES polls in a row, the
//   PING round trip has climbed (RTT_FACTOR times what it was when the scan began, and RTT_FLOOR_MS
//   more), or the other clients' commands per second have (OPS_FACTOR times, plus OPS_FLOOR or a
//   quarter of our own rate, whichever is more: INFO's figure and ours cover slightly different
//   spans), the pace halves, and again at each further such poll, down to MIN_PACE of the budget;
//   otherwise it grows back by RECOVER of the budget per poll. One slow PING is noise (a busy
//   client host sees them all the time); two in a row are a trend.
// - Held: the health gate (memory pressure, loading, failover, resync, latency ×10) stops it
//   until it clears.

export const BURST_SECONDS = 0.25;
export const MIN_PACE = 0.05;
export const RECOVER = 0.1;
export const RTT_FACTOR = 3;
export const RTT_FLOOR_MS = 5;
export const OPS_FACTOR = 1.5;
export const OPS_FLOOR = 1000;
export const STRIKES = 2;

export interface PaceObservation {
  /** This poll's PING round trip (ms), and what it usually takes (the poller's median). */
  readonly rttMs?: number;
  readonly usualRttMs?: number;
  /** INFO instantaneous_ops_per_sec. */
  readonly opsPerSec?: number;
  /** Our own commands per second over the same stretch (left out of the server's). */
  readonly ownOpsPerSec: number;
  /** The health gate's reason to spare the server, if any. */
  readonly problem?: string;
}

export class ScanPace {
  private tokens = 0;
  private last: number;
  private factor = 1;
  private baseRtt: number | undefined;
  private baseOps: number | undefined;
  private strikes = 0;
  /** Why the pace is below the budget, or why it is held. */
  slowReason: string | undefined;
  held: string | undefined;

  constructor(
    readonly budget: number,
    private readonly now: () => number,
  ) {
    if (!(budget > 0)) throw new RangeError(`budget must be positive, got ${budget}`);
    this.last = now();
  }

  /** Keys per second allowed now. */
  get rate(): number {
    return this.budget * this.factor;
  }

  /** The share of the budget in force (1 = full). */
  get pace(): number {
    return this.factor;
  }

  private get capacity(): number {
    return Math.max(1, this.budget * BURST_SECONDS);
  }

  private refill(): void {
    const t = this.now();
    const dt = Math.max(0, t - this.last);
    this.last = t;
    this.tokens = Math.min(this.capacity, this.tokens + (dt / 1000) * this.rate);
  }

  /** Milliseconds to wait before `n` keys may go (a bucket's worth at most): 0 when they may now. */
  delay(n: number): number {
    this.refill();
    const want = Math.min(n, this.capacity);
    if (this.tokens >= want) return 0;
    return Math.ceil(((want - this.tokens) / this.rate) * 1000);
  }

  /** Spends `n` keys (the bucket may go into debt). */
  take(n: number): void {
    this.refill();
    this.tokens -= n;
  }

  /** A new scan (or a resumed one): the baselines are taken again at the next poll. */
  restart(): void {
    this.baseRtt = undefined;
    this.baseOps = undefined;
    this.factor = 1;
    this.strikes = 0;
    this.slowReason = undefined;
    this.held = undefined;
    this.tokens = 0;
    this.last = this.now();
  }

  /** One poll's figures: may hold, slow down or speed back up. */
  observe(o: PaceObservation): void {
    this.refill();
    this.held = o.problem;
    if (o.problem) return;
    const rtt = o.rttMs;
    if (this.baseRtt === undefined && rtt !== undefined) this.baseRtt = o.usualRttMs !== undefined ? Math.min(o.usualRttMs, rtt) : rtt;
    const others = o.opsPerSec !== undefined ? Math.max(0, o.opsPerSec - o.ownOpsPerSec) : undefined;
    if (this.baseOps === undefined && others !== undefined) {
      this.baseOps = others;
      return;
    }
    let why: string | undefined;
    if (rtt !== undefined && this.baseRtt !== undefined && rtt >= Math.max(RTT_FACTOR * this.baseRtt, this.baseRtt + RTT_FLOOR_MS)) {
      why = `PING took ${Math.round(rtt)} ms (${this.baseRtt < 1 ? '<1' : Math.round(this.baseRtt)} ms when the scan began)`;
    } else if (others !== undefined && this.baseOps !== undefined && others >= OPS_FACTOR * this.baseOps + Math.max(OPS_FLOOR, 0.25 * o.ownOpsPerSec)) {
      why = `the server is busier: ${Math.round(others).toLocaleString('en')} commands/s from others (${Math.round(this.baseOps).toLocaleString('en')} when the scan began)`;
    }
    if (why) {
      if (++this.strikes < STRIKES) return;
      this.factor = Math.max(MIN_PACE, Math.round((this.factor / 2) * 1000) / 1000);
      this.slowReason = why;
    } else {
      this.strikes = 0;
      this.factor = Math.min(1, Math.round((this.factor + RECOVER) * 1000) / 1000);
      if (this.factor >= 1) this.slowReason = undefined;
    }
  }
}
