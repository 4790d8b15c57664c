// How often CLIENT LIST may run. It walks every connection on the server's main thread (O(n)), so a
// fixed interval that is harmless at 100 connections is a visible load at 30,000. We read what it
// really costs from INFO commandstats and space polls so that it takes a small share of the server.

/** CLIENT LIST may take at most this share of the server's time. */
export const CLIENT_LIST_SHARE = 0.005;
/** Polls are never further apart than this: departed connections must still be seen leave. */
export const POLL_INTERVAL_MAX_MS = 30_000;
/** Before the first measurement: what a CLIENT LIST line costs, roughly (µs per connection). */
const USEC_PER_CONNECTION_GUESS = 1.5;

export interface CommandStat {
  readonly calls: number;
  readonly usec: number;
}

/** `calls=3,usec=245,usec_per_call=81.67,…` → {calls, usec}; undefined when unreadable. */
export function parseCommandStat(text: string | undefined): CommandStat | undefined {
  if (text === undefined) return undefined;
  const calls = /(?:^|,)calls=(\d+)/.exec(text);
  const usec = /(?:^|,)usec=(\d+)/.exec(text);
  if (!calls || !usec) return undefined;
  return { calls: Number(calls[1]), usec: Number(usec[1]) };
}

/** CLIENT LIST's entry in INFO commandstats: `client|list` from 7.0, the whole `client` before. */
export function clientListStat(commandstats: Readonly<Record<string, string>>): CommandStat | undefined {
  return parseCommandStat(commandstats['cmdstat_client|list'] ?? commandstats['cmdstat_client']);
}

/** µs per call between two readings; undefined when no call happened between them or a counter went back (restart, CONFIG RESETSTAT). */
export function usecPerCall(prev: CommandStat | undefined, cur: CommandStat | undefined): number | undefined {
  if (!prev || !cur) return undefined;
  const calls = cur.calls - prev.calls;
  const usec = cur.usec - prev.usec;
  if (calls <= 0 || usec < 0) return undefined;
  return usec / calls;
}

/**
 * The poll interval: the configured one, longer when CLIENT LIST costs more than its share of the
 * server's time (measured, or estimated from the number of connections until measured).
 */
export function adaptiveInterval(baseMs: number, connections: number, usec?: number): number {
  const cost = usec ?? connections * USEC_PER_CONNECTION_GUESS;
  const needed = cost / 1000 / CLIENT_LIST_SHARE;
  return Math.round(Math.min(Math.max(baseMs, needed), Math.max(baseMs, POLL_INTERVAL_MAX_MS)));
}
