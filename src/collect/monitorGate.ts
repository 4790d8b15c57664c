// Decides, for one node, whether MONITOR may run now, and says why not. Pure state: the collector
// feeds it what it sees (the user's intent, the buffer guard, the health gate, the heartbeat
// watchdog, its own backlog, the duty cycle) and asks `shouldRun`. Every hold clears by itself when
// its cause does; a hold that keeps coming back waits longer each time, and says so.
import type { HoldKind, MonitorDesire, MonitorPhase, NodeMonitor, OffPeriod } from './protocol.ts';

/** Holds in the order their reason is shown (the first present wins). */
const HOLD_ORDER: readonly HoldKind[] = ['stall', 'backlog', 'guard', 'blind', 'health', 'duty'];

/** Periods MONITOR was held off, kept for the export; older ones are folded into the first. */
const OFF_PERIODS_MAX = 50;

interface Hold {
  readonly reason: string;
  readonly since: number;
  /** Released automatically at this time (cool-downs); undefined = released by the collector. */
  readonly until?: number;
}

/** Cool-down after a trip: 5 s, doubling per repeated trip, at most 5 min; forgotten after 10 min of calm. */
export const COOL_DOWN_MS = 5000;
export const COOL_DOWN_MAX_MS = 5 * 60_000;
export const TRIPS_FORGOTTEN_AFTER_MS = 10 * 60_000;

export interface DutyCycle {
  readonly onMs: number;
  readonly offMs: number;
}

export class MonitorGate {
  private desired: MonitorDesire;
  private userReason: string | undefined;
  private readonly holds = new Map<HoldKind, Hold>();
  private readonly trips = new Map<HoldKind, { count: number; last: number }>();
  private duty: DutyCycle | undefined;
  private dutyReason = '';
  private dutyOnUntil = 0;
  private dutyOffUntil = 0;
  /** What the connection reports: connecting, on, reconnecting, error. */
  private connPhase: MonitorPhase = 'off';
  private connReason: string | undefined;
  private onMs = 0;
  private onSince: number | undefined;
  private offPeriods: OffPeriod[] = [];
  private openOff: { from: number; why: string } | undefined;

  constructor(desired: MonitorDesire, private readonly now: () => number) {
    this.desired = desired;
  }

  setDesired(desired: MonitorDesire, reason?: string): void {
    this.desired = desired;
    this.userReason = reason;
    this.note();
  }

  get wanted(): MonitorDesire {
    return this.desired;
  }

  /** Holds MONITOR off for `kind`. `coolDown` makes it a trip: released after a growing wait. */
  hold(kind: HoldKind, reason: string, coolDown = false): void {
    const t = this.now();
    let until: number | undefined;
    let text = reason;
    if (coolDown) {
      const prev = this.trips.get(kind);
      const count = prev && t - prev.last < TRIPS_FORGOTTEN_AFTER_MS ? prev.count + 1 : 1;
      this.trips.set(kind, { count, last: t });
      const wait = Math.min(COOL_DOWN_MS * 2 ** (count - 1), COOL_DOWN_MAX_MS);
      until = t + wait;
      text = `${reason}; back in ${Math.round(wait / 1000)}s${count > 1 ? ` (tripped ${count} times: waiting longer each time)` : ''}`;
    }
    const existing = this.holds.get(kind);
    // A trip already cooling down keeps its deadline: seeing the same cause again must not extend it
    // forever (after MONITOR closes, the cause usually clears at once).
    if (existing && existing.until !== undefined && coolDown) return;
    this.holds.set(kind, { reason: text, since: existing?.since ?? t, ...(until !== undefined ? { until } : {}) });
    this.note();
  }

  release(kind: HoldKind): void {
    const h = this.holds.get(kind);
    if (!h || h.until !== undefined) return;
    this.holds.delete(kind);
    this.note();
  }

  isHeld(kind: HoldKind): boolean {
    this.expire();
    return this.holds.has(kind);
  }

  /** Runs MONITOR in a duty cycle (on for `onMs`, off for `offMs`), or stops cycling (undefined). */
  setDuty(duty: DutyCycle | undefined, reason = ''): void {
    if (duty === undefined) {
      this.duty = undefined;
      this.holds.delete('duty');
      this.note();
      return;
    }
    if (this.duty && this.duty.onMs === duty.onMs && this.duty.offMs === duty.offMs) return;
    this.duty = duty;
    this.dutyReason = reason;
    this.dutyOnUntil = this.now() + duty.onMs;
    this.dutyOffUntil = 0;
  }

  get dutyCycle(): DutyCycle | undefined {
    return this.duty;
  }

  /** Ends the duty cycle's current on-window now (sampled MONITOR read its line cap for the window). */
  cutDutyWindow(): void {
    if (!this.duty || this.holds.has('duty')) return;
    this.dutyOnUntil = this.now();
    this.advanceDuty();
  }

  /** Time MONITOR has been on so far, over every period, the current one included (ms). */
  onClock(): number {
    return this.onMs + (this.onSince !== undefined ? this.now() - this.onSince : 0);
  }

  /** Whether MONITOR should be open now. Advances cool-downs and the duty cycle. */
  shouldRun(): boolean {
    this.expire();
    this.advanceDuty();
    return this.desired === 'on' && this.holds.size === 0;
  }

  /** When the next automatic change is due (a cool-down ends, the duty cycle turns), for a timer. */
  nextChangeAt(): number | undefined {
    let next: number | undefined;
    for (const h of this.holds.values()) if (h.until !== undefined) next = Math.min(next ?? Infinity, h.until);
    if (this.duty) next = Math.min(next ?? Infinity, this.holds.has('duty') ? this.dutyOffUntil : this.dutyOnUntil);
    return next;
  }

  /** The connection's own phase (connecting, on, reconnecting, error), as its callbacks report it. */
  connection(phase: MonitorPhase, reason?: string, at?: number): void {
    const t = at ?? this.now();
    if (phase === 'on' && this.onSince === undefined) this.onSince = t;
    if (phase !== 'on' && this.onSince !== undefined) {
      this.onMs += t - this.onSince;
      this.onSince = undefined;
    }
    this.connPhase = phase;
    this.connReason = reason;
    this.note();
  }

  status(extra: Pick<NodeMonitor, 'omem' | 'guard'>): NodeMonitor {
    this.expire();
    this.advanceDuty();
    const { phase, reason, hold } = this.describe();
    const periods = this.openOff ? [...this.offPeriods, { from: this.openOff.from, why: this.openOff.why }] : this.offPeriods;
    return {
      phase,
      ...(reason ? { reason } : {}),
      ...(hold ? { hold } : {}),
      onMs: this.onMs,
      ...(this.onSince !== undefined ? { onSince: this.onSince } : {}),
      offPeriods: periods,
      ...extra,
    };
  }

  private describe(): { phase: MonitorPhase; reason?: string; hold?: HoldKind } {
    if (this.desired === 'off') return { phase: this.onMs > 0 || this.onSince !== undefined ? 'stopped' : 'off', reason: this.userReason };
    if (this.desired === 'paused') return { phase: 'paused', reason: this.userReason ?? 'paused by you' };
    for (const kind of HOLD_ORDER) {
      const h = this.holds.get(kind);
      if (h) return { phase: 'paused', reason: h.reason, hold: kind };
    }
    return { phase: this.connPhase === 'off' ? 'connecting' : this.connPhase, reason: this.connReason };
  }

  private expire(): void {
    const t = this.now();
    let changed = false;
    for (const [kind, h] of this.holds) {
      if (kind !== 'duty' && h.until !== undefined && t >= h.until) {
        this.holds.delete(kind);
        changed = true;
      }
    }
    if (changed) this.note();
  }

  private advanceDuty(): void {
    if (!this.duty) return;
    const t = this.now();
    if (!this.holds.has('duty') && t >= this.dutyOnUntil) {
      this.dutyOffUntil = t + this.duty.offMs;
      this.holds.set('duty', {
        reason: `${this.dutyReason}: MONITOR runs ${Math.round(this.duty.onMs / 1000)}s in every ${Math.round((this.duty.onMs + this.duty.offMs) / 1000)}s`,
        since: t,
      });
      this.note();
    } else if (this.holds.has('duty') && t >= this.dutyOffUntil) {
      this.holds.delete('duty');
      this.dutyOnUntil = t + this.duty.onMs;
      this.note();
    }
  }

  /** Opens or closes the current off-period record as holds come and go. */
  private note(): void {
    const t = this.now();
    const { hold, reason } = this.describe();
    const why = hold && this.desired === 'on' ? reason ?? hold : undefined;
    if (why === undefined) {
      if (this.openOff) {
        this.offPeriods.push({ from: this.openOff.from, to: t, why: this.openOff.why });
        this.openOff = undefined;
      }
    } else if (!this.openOff) {
      this.openOff = { from: t, why };
    } else if (this.openOff.why !== why && !why.startsWith(this.openOff.why.split(';')[0]!)) {
      this.offPeriods.push({ from: this.openOff.from, to: t, why: this.openOff.why });
      this.openOff = { from: t, why };
    }
    if (this.offPeriods.length > OFF_PERIODS_MAX) {
      const [a, b, ...rest] = this.offPeriods;
      this.offPeriods = [{ from: a!.from, to: b!.to, why: `${a!.why} (and more)` }, ...rest];
    }
  }
}
