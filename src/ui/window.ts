// The time window for the clients table's counts and rates (`w`: since start, last 5 min, last
// 1 min). Counts are cumulative in the session, so a window is now minus a snapshot taken that long
// ago: the store keeps one every SNAPSHOT_MS for the longest window (bounded by that, per client).
// Only the clients table has such snapshots; the heatmap, libraries and findings count since start,
// and say so. Before the run is as old as the window, the window is what there is, and says so.
import type { ClientView } from '../analysis/session.ts';

export const WINDOWS = ['all', '5m', '1m'] as const;
export type TimeWindow = (typeof WINDOWS)[number];

export const WINDOW_MS: Readonly<Record<Exclude<TimeWindow, 'all'>, number>> = { '5m': 300_000, '1m': 60_000 };
export const WINDOW_LABEL: Readonly<Record<TimeWindow, string>> = { all: 'since start', '5m': 'last 5 min', '1m': 'last 1 min' };

/** How often the store snapshots the clients' counts. */
export const SNAPSHOT_MS = 10_000;

export interface CountSnapshot {
  readonly at: number;
  /** Client key → [events, reads, writes, CLIENT LIST's commands counter (-1 when none)]. */
  readonly counts: ReadonlyMap<string, readonly [number, number, number, number]>;
}

export const nextWindow = (w: TimeWindow): TimeWindow => WINDOWS[(WINDOWS.indexOf(w) + 1) % WINDOWS.length]!;

/** The history with a snapshot of `clients` at `at` added when due, and those older than the longest window (plus one) dropped. */
export function recordSnapshot(history: readonly CountSnapshot[], clients: readonly ClientView[], at: number): readonly CountSnapshot[] {
  const last = history[history.length - 1];
  if (last && at - last.at < SNAPSHOT_MS) return history;
  const counts = new Map<string, readonly [number, number, number, number]>();
  for (const c of clients) counts.set(c.key, [c.events, c.reads, c.writes, c.counters?.commands ?? -1]);
  const keepFrom = at - WINDOW_MS['5m'] - SNAPSHOT_MS;
  return [...history.filter((h) => h.at >= keepFrom), { at, counts }];
}

/** The snapshot a window starts from: the oldest one inside it (the run's first when it is younger). */
export function windowStart(history: readonly CountSnapshot[], window: TimeWindow, now: number): CountSnapshot | undefined {
  if (window === 'all') return undefined;
  const from = now - WINDOW_MS[window];
  return history.find((h) => h.at >= from - SNAPSHOT_MS / 2) ?? history[history.length - 1];
}

/** How long the window really covers (less than asked while the run is younger). */
export function windowCovers(start: CountSnapshot | undefined, now: number): number {
  return start ? Math.max(0, now - start.at) : 0;
}

/**
 * A client's counts within the window. Ops/s over the window: from CLIENT LIST's commands counter
 * where the server prints it (every command, exact), else MONITOR's events over the window's length.
 */
export function windowed(c: ClientView, start: CountSnapshot, now: number): ClientView {
  const then = start.counts.get(c.key) ?? [0, 0, 0, 0];
  const secs = Math.max(1, (now - start.at) / 1000);
  const events = Math.max(0, c.events - then[0]);
  const cmds = c.counters && then[3] >= 0 ? Math.max(0, c.counters.commands - then[3]) : c.counters ? c.counters.commands : undefined;
  return {
    ...c,
    events,
    reads: Math.max(0, c.reads - then[1]),
    writes: Math.max(0, c.writes - then[2]),
    opsPerSec: events / secs,
    ...(c.counterRates && cmds !== undefined ? { counterRates: { ...c.counterRates, commands: cmds / secs } } : {}),
  };
}
