// Sends a collector's deltas to the main thread under credit: one delta in flight at most. When the
// main thread is slow (a stalled terminal blocks it), nothing piles up anywhere: the collector keeps
// aggregating, and its next delta covers everything since the last one. Also watches the main
// thread's heartbeats, the collector's sign that the screen has stopped.
import type { FromCollector, NodeDelta } from './protocol.ts';

export class Courier {
  private seq = 0;
  private awaiting: number | undefined;
  private lastSentAt = -Infinity;
  private lastHeartbeat: number;
  /** When heartbeats came back after a stall (undefined while none is missing). */
  private resumedAt: number | undefined;

  constructor(
    private readonly send: (msg: FromCollector) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.lastHeartbeat = now();
  }

  /** Whether a delta may go now (the previous one was acknowledged, and `minGapMs` has passed). */
  ready(minGapMs = 0): boolean {
    return this.awaiting === undefined && this.now() - this.lastSentAt >= minGapMs;
  }

  deliver(nodes: readonly NodeDelta[], final = false, synced = false): void {
    this.seq++;
    this.awaiting = this.seq;
    this.lastSentAt = this.now();
    this.send({ t: 'delta', seq: this.seq, nodes, ...(final ? { final: true } : {}), ...(synced ? { synced: true } : {}) });
  }

  ack(seq: number): void {
    if (this.awaiting !== undefined && seq >= this.awaiting) this.awaiting = undefined;
  }

  heartbeat(): void {
    const t = this.now();
    if (t - this.lastHeartbeat > 1000 && this.resumedAt === undefined) this.resumedAt = t;
    this.lastHeartbeat = t;
  }

  /** How long since the main thread's last heartbeat. */
  get silentForMs(): number {
    return this.now() - this.lastHeartbeat;
  }

  /** Heartbeats have been regular for `ms` since they came back (or never stopped). */
  steadyFor(ms: number): boolean {
    if (this.silentForMs > 1000) return false;
    if (this.resumedAt === undefined) return true;
    if (this.now() - this.resumedAt >= ms) {
      this.resumedAt = undefined;
      return true;
    }
    return false;
  }
}
