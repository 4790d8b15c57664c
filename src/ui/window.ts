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

/**
 * Every client's counts at one moment, four numbers a client in one typed array: at 30,000
 * connections, 31 snapshots of a tuple per client were two million small objects for the
 * collector of the screen's thread to walk, and a fresh 30,000 every 10 s.
 */
export interface CountSnapshot {
  readonly at: number;
  /** Client key → its row in `values` (one map shared by consecutive snapshots of the same clients). */
  readonly rows: ReadonlyMap<string, number>;
  /** Per row: events, reads, writes, CLIENT LIST's commands counter (-1 when none). */
  readonly values: Float64Array;
}

/** [events, reads, writes, commands counter (-1 when none)] of a client in a snapshot; zeros when it was not there. */
export function countsAt(s: CountSnapshot, key: string): readonly [number, number, number, number] {
  const r = s.rows.get(key);
  if (r === undefined) return [0, 0, 0, 0];
  const v = s.values;
  return [v[r * 4]!, v[r * 4 + 1]!, v[r * 4 + 2]!, v[r * 4 + 3]!];
}

export const nextWindow = (w: TimeWindow): TimeWindow => WINDOWS[(WINDOWS.indexOf(w) + 1) % WINDOWS.length]!;

/** The history with a snapshot of `clients` at `at` added when due, and those older than the longest window (plus one) dropped. */
export function recordSnapshot(history: readonly CountSnapshot[], clients: readonly ClientView[], at: number): readonly CountSnapshot[] {
  const last = history[history.length - 1];
  if (last && at - last.at < SNAPSHOT_MS) return history;
  let rows = last?.rows;
  if (rows === undefined || rows.size !== clients.length || clients.some((c, i) => rows!.get(c.key) !== i)) {
    const fresh = new Map<string, number>();
    clients.forEach((c, i) => fresh.set(c.key, i));
    rows = fresh;
  }
  const values = new Float64Array(clients.length * 4);
  clients.forEach((c, i) => {
    values[i * 4] = c.events;
    values[i * 4 + 1] = c.reads;
    values[i * 4 + 2] = c.writes;
    values[i * 4 + 3] = c.counters?.commands ?? -1;
  });
  const keepFrom = at - WINDOW_MS['5m'] - SNAPSHOT_MS;
  return [...history.filter((h) => h.at >= keepFrom), { at, rows, values }];
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
  const then = countsAt(start, c.key);
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
