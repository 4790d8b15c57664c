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
  private dutyChosen = false;
  private dutyOnUntil = 0;
  private dutyOffUntil = 0;
  /** What the connection reports: connecting, on, reconnecting, error. */
  private connPhase: MonitorPhase = 'off';
  private connReason: string | undefined;
  private onMs = 0;
  private onSince: number | undefined;
  private offPeriods: OffPeriod[] = [];
  private openOff: { from: number; why: string; cause: OffCause } | undefined;
  /** MONITOR has been on at least once: a connection that is not on since then is a gap in the stream. */
  private everOn = false;
  /** MONITOR left off by policy on this node (a cluster replica): not a hold, nothing to come back from. */
  private standbyReason: string | undefined;

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

  /**
   * MONITOR was on from `from` to `to` but the server did not show it everything (a CLIENT PAUSE on
   * Valkey): on record like an off period, with no time off.
   */
  missed(from: number, to: number, why: string): void {
    this.offPeriods.push({ from, to, offMs: 0, why });
    this.note();
  }

  /**
   * Runs MONITOR in a duty cycle (on for `onMs`, off for `offMs`), or stops cycling (undefined).
   * `chosen`: the user asked for it (`--monitor sampled`), so its off windows are the plan, not
   * gaps: like a pause, they are not off periods (the counts say they are samples instead).
   */
  setDuty(duty: DutyCycle | undefined, reason = '', chosen = false): void {
    this.dutyChosen = duty !== undefined && chosen;
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

  /**
   * Leaves MONITOR off on this node by policy (a cluster replica: its primary's MONITOR sees the
   * writes), or lifts that (undefined). Shown as off with the reason, never as a hold or an
   * off-period: the user's MONITOR is on, on the nodes where it belongs.
   */
  setStandby(reason: string | undefined): void {
    if (reason === this.standbyReason) return;
    this.standbyReason = reason;
    this.note();
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
    return this.desired === 'on' && this.holds.size === 0 && this.standbyReason === undefined;
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
    if (phase === 'on') this.everOn = true;
    if (phase === 'on' && this.onSince === undefined) this.onSince = t;
    if (phase !== 'on' && this.onSince !== undefined) {
      this.onMs += t - this.onSince;
      this.onSince = undefined;
    }
    this.connPhase = phase;
    this.connReason = reason;
    this.note(t);
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
    if (this.standbyReason !== undefined) return { phase: 'off', reason: this.standbyReason };
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

  /**
   * Why MONITOR is not streaming although the user wants it: a hold, or (once it has been on) its
   * connection being down or reopening. Undefined while it streams, or when the user does not want it.
   */
  private offCause(): { cause: OffCause; why: string } | undefined {
    // Off by policy (a cluster replica) is no gap: nothing was meant to be seen there.
    if (this.desired !== 'on' || this.standbyReason !== undefined) return undefined;
    const { hold, reason } = this.describe();
    // The user's sampled windows: MONITOR is off by plan (duty is the last hold: no other holds it).
    if (hold === 'duty' && this.dutyChosen) return undefined;
    if (hold) return { cause: hold, why: reason ?? hold };
    switch (this.connPhase) {
      case 'on':
        return undefined;
      case 'error':
        return { cause: 'connection', why: this.connReason ?? 'MONITOR failed' };
      case 'reconnecting':
        return { cause: 'connection', why: this.connReason ?? 'the MONITOR connection was lost; reconnecting' };
      default:
        // Opening: at start-up that is not a gap; after a hold or a lost connection it is the gap's tail.
        return this.everOn ? { cause: 'reopen', why: 'MONITOR reopening' } : undefined;
    }
  }

  /**
   * Opens or closes the current off-period record as holds and the connection come and go. A period
   * keeps the cause that opened it (a hold's text changes as it goes on: "no answer for 5s", "6s")
   * and lasts until MONITOR streams again, reopening included.
   */
  private note(at?: number): void {
    const t = at ?? this.now();
    const off = this.offCause();
    if (off === undefined) {
      if (this.openOff) {
        // Even a gap within one millisecond is a gap: MONITOR was closed, a command may have slipped by.
        if (t >= this.openOff.from) this.offPeriods.push({ from: this.openOff.from, to: t, why: this.openOff.why });
        this.openOff = undefined;
      }
    } else if (!this.openOff) {
      // Reopening only ever continues a gap (a hold or a lost connection opened it): MONITOR closed
      // by the user or at the end of the run is no gap.
      if (off.cause !== 'reopen') this.openOff = { from: t, why: off.why, cause: off.cause };
    } else if (off.cause !== this.openOff.cause && off.cause !== 'reopen') {
      this.offPeriods.push({ from: this.openOff.from, to: t, why: this.openOff.why });
      this.openOff = { from: t, why: off.why, cause: off.cause };
    }
    if (this.offPeriods.length > OFF_PERIODS_MAX) {
      // The oldest two become one, keeping how long MONITOR was really off within it.
      const [a, b, ...rest] = this.offPeriods;
      const offMs = offDuration(a!) + offDuration(b!);
      this.offPeriods = [{ from: a!.from, to: b!.to, offMs, why: a!.why.endsWith(' (and more)') ? a!.why : `${a!.why} (and more)` }, ...rest];
    }
  }
}

/** How long MONITOR was off in a period (a merged one says; an open one runs until `now`). */
export function offDuration(p: OffPeriod, now?: number): number {
  if (p.offMs !== undefined) return p.offMs;
  const to = p.to ?? now ?? p.from;
  return Math.max(0, to - p.from);
}

/** What opened an off period: a hold, the connection, or MONITOR reopening after either. */
type OffCause = HoldKind | 'connection' | 'reopen';
