// The server-wide lenses of one node, read with every poll: INFO commandstats (the command mix:
// calls, µs per call, failures) and INFO errorstats (errors by prefix), both over the window (from
// the first reading) and since the server's statistics began, with redis-recon's own calls left
// out; and which lenses answer at all. Pure state, fed PollResults; the collector sends `view()`.
import { LENS_BOUNDS } from '../bounds.ts';
import type { LensState, PollResult } from '../types.ts';

/** One command's figures from INFO commandstats (lens `commandstats`). */
export interface CommandFigure {
  /** Canonical, upper case: `GET`, `CLIENT|LIST`. */
  readonly name: string;
  /** Calls during the window, redis-recon's own left out. */
  readonly calls: number;
  /** The server's own count: since it started or its statistics were last reset. */
  readonly callsSinceStart: number;
  /** µs per call over the window (since the start when it had no call in the window). */
  readonly usecPerCall: number;
  /** Calls that failed while running (`failed_calls`) or were refused before (`rejected_calls`), in the window. */
  readonly failedCalls: number;
  readonly rejectedCalls: number;
  /** redis-recon's own calls in the window (left out of `calls`). */
  readonly ours: number;
}

/** One error prefix from INFO errorstats (lens `errorstats`). */
export interface ErrorFigure {
  /** `ERR`, `WRONGTYPE`, `MOVED`, `NOPERM`… */
  readonly name: string;
  readonly count: number;
  readonly countSinceStart: number;
}

interface Reading {
  readonly calls: number;
  readonly usec: number;
  readonly failed: number;
  readonly rejected: number;
}

const ZERO: Reading = { calls: 0, usec: 0, failed: 0, rejected: 0 };

/** `calls=3,usec=245,usec_per_call=81.67,rejected_calls=0,failed_calls=0` → numbers (0 when absent). */
export function parseCommandStatLine(text: string): Reading & { usecPerCall: number } {
  const get = (k: string): number => {
    const m = new RegExp(`(?:^|,)${k}=([0-9.]+)`).exec(text);
    const n = m ? Number(m[1]) : 0;
    return Number.isFinite(n) ? n : 0;
  };
  return { calls: get('calls'), usec: get('usec'), failed: get('failed_calls'), rejected: get('rejected_calls'), usecPerCall: get('usec_per_call') };
}

export class ServerLenses {
  private base = new Map<string, Reading>();
  private ownBase: Readonly<Record<string, number>> = {};
  private lastOwn: Readonly<Record<string, number>> = {};
  private errorBase = new Map<string, number>();
  private errorsRead = false;
  private runId: string | undefined;
  /** When the window's first reading was taken (ours, ms). */
  since: number | undefined;
  commandstats: LensState = 'pending';
  errorstats: LensState = 'pending';
  counters: LensState = 'pending';
  lastCommand: LensState = 'pending';
  slowlog: LensState = 'pending';
  commandlog: LensState = 'pending';
  logMissed = 0;
  commands: readonly CommandFigure[] = [];
  errors: readonly ErrorFigure[] = [];
  /** Bumped when anything here changed. */
  version = 0;

  applyPoll(p: PollResult): void {
    const runId = p.info['run_id'] || undefined;
    const restarted = runId !== undefined && this.runId !== undefined && runId !== this.runId;
    if (runId !== undefined) this.runId = runId;
    if (restarted) {
      // Everything the new run counted happened in the window.
      this.base = new Map();
      this.errorBase = new Map();
      this.ownBase = this.lastOwn;
    }
    if (p.clients.length > 0) {
      this.counters = p.clients.some((c) => c.totCmds !== undefined) ? 'on' : 'absent';
      this.lastCommand = p.clients.some((c) => c.cmd !== undefined) ? 'on' : 'absent';
    }
    if (p.stats) {
      this.commandstats = p.stats.commandstats;
      this.errorstats = p.stats.errorstats;
    }
    if (p.logs) {
      this.slowlog = p.logs.slowlog;
      this.commandlog = p.logs.commandlog;
      this.logMissed = p.logs.missed;
    }
    const own = p.ownCalls ?? {};
    if (p.commandstats) this.readCommands(p.commandstats, own, p.at);
    if (p.errorstats) this.readErrors(p.errorstats);
    this.lastOwn = own;
    this.version++;
  }

  private readCommands(stats: Readonly<Record<string, string>>, own: Readonly<Record<string, number>>, at: number): void {
    const first = this.since === undefined;
    if (first) {
      this.since = at;
      this.ownBase = own;
    }
    const out: CommandFigure[] = [];
    for (const [key, text] of Object.entries(stats)) {
      if (!key.startsWith('cmdstat_')) continue;
      const raw = key.slice('cmdstat_'.length);
      const cur = parseCommandStatLine(text);
      let base = this.base.get(raw);
      if (base === undefined) {
        // Known from the first reading: the window starts there. A command first seen later ran
        // for the first time (since the server's start) inside the window.
        base = first ? cur : ZERO;
        if (this.base.size < LENS_BOUNDS.commandStats) this.base.set(raw, base);
      } else if (cur.calls < base.calls) {
        // CONFIG RESETSTAT: counting starts again from 0.
        base = ZERO;
        this.base.set(raw, base);
      }
      const ours = Math.max(0, (own[raw] ?? 0) - (this.ownBase[raw] ?? 0));
      const windowCalls = cur.calls - base.calls;
      const windowUsec = cur.usec - base.usec;
      out.push({
        name: raw.toUpperCase(),
        calls: Math.max(0, windowCalls - ours),
        callsSinceStart: cur.calls,
        usecPerCall: round2(windowCalls > 0 ? windowUsec / windowCalls : cur.usecPerCall),
        failedCalls: Math.max(0, cur.failed - base.failed),
        rejectedCalls: Math.max(0, cur.rejected - base.rejected),
        ours,
      });
    }
    out.sort((a, b) => b.calls - a.calls || b.callsSinceStart - a.callsSinceStart || (a.name < b.name ? -1 : 1));
    this.commands = out.slice(0, LENS_BOUNDS.commandStats);
  }

  private readErrors(stats: Readonly<Record<string, string>>): void {
    const out: ErrorFigure[] = [];
    const first = !this.errorsRead;
    this.errorsRead = true;
    for (const [key, text] of Object.entries(stats)) {
      if (!key.startsWith('errorstat_')) continue;
      const name = key.slice('errorstat_'.length);
      const count = Number(/(?:^|,)count=(\d+)/.exec(text)?.[1] ?? 0);
      let base = this.errorBase.get(name);
      if (base === undefined || count < base) {
        base = first ? count : 0;
        if (this.errorBase.size < LENS_BOUNDS.errorStats) this.errorBase.set(name, base);
      }
      out.push({ name, count: count - base, countSinceStart: count });
    }
    out.sort((a, b) => b.count - a.count || b.countSinceStart - a.countSinceStart || (a.name < b.name ? -1 : 1));
    this.errors = out.slice(0, LENS_BOUNDS.errorStats);
  }
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
