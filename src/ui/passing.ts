// With filters active, a client's reads, writes and ops/s are those on passing keys (a reader and a
// writer of `cart:` must not look alike because both also touch `session:`). Pure.
//
// Its key patterns carry reads and writes (a prefix pattern counts everything under it), so the sum
// over the outermost patterns that pass entirely is exact. A filter deeper than the patterns
// (`user:12345:` where the pattern is `user:*:`) can only bound it: the patterns that may hold
// passing keys, marked `atMost`. Ops/s has no per-pattern rate: it is the client's MONITOR rate
// times the passing share of its commands, marked as an estimate (CLIENT LIST's counters know
// nothing of keys).
import type { ClientView, PrefixCount } from '../analysis/session.ts';
import { patternMayPassAny, patternPassesAny } from './filters.ts';

export interface Passing {
  readonly reads: number;
  readonly writes: number;
  /** Passing commands over all the client's commands seen by MONITOR (0 to 1). */
  readonly share: number;
  /** The counts are an upper bound (the filter is finer than the client's patterns). */
  readonly atMost: boolean;
  /** The counts are the passing share of a time window's counts: an estimate. */
  readonly estimate?: boolean;
}

/** A pattern `a` holds `b` when `b` continues it past a delimiter (`app:` holds `app:user:*`). */
const holds = (a: string, b: string, delimiter: string): boolean => b.length > a.length && b.startsWith(a) && a.endsWith(delimiter);

function outermost(list: readonly PrefixCount[], delimiter: string): PrefixCount[] {
  return list.filter((p) => !list.some((q) => q !== p && holds(q.prefix, p.prefix, delimiter)));
}

export function passingActivity(c: Pick<ClientView, 'prefixes' | 'reads' | 'writes'>, active: readonly string[], delimiter = ':'): Passing {
  const total = c.reads + c.writes;
  if (active.length === 0) return { reads: c.reads, writes: c.writes, share: 1, atMost: false };
  let atMost = false;
  let list = outermost(c.prefixes.filter((p) => patternPassesAny(p.prefix, active, delimiter)), delimiter);
  if (list.length === 0) {
    atMost = true;
    list = outermost(c.prefixes.filter((p) => patternMayPassAny(p.prefix, active, delimiter)), delimiter);
  }
  const reads = Math.min(c.reads, list.reduce((n, p) => n + p.reads, 0));
  const writes = Math.min(c.writes, list.reduce((n, p) => n + p.writes, 0));
  return { reads, writes, share: total > 0 ? (reads + writes) / total : 0, atMost };
}

/** A client as the clients table shows it with filters active: its activity on passing keys. */
export type FilteredClient = ClientView & { readonly passing?: Passing };

/**
 * `shown` is the client as the table shows it (counts within a time window, say); the passing
 * part is measured on `c`'s patterns, which count since the start, and applied to `shown`'s counts
 * in proportion when they differ (then marked as an estimate).
 */
export function withPassing(c: ClientView, active: readonly string[], delimiter: string, shown: ClientView = c): FilteredClient {
  if (active.length === 0) return shown;
  const p = passingActivity(c, active, delimiter);
  if (shown === c) return { ...c, reads: p.reads, writes: p.writes, opsPerSec: c.opsPerSec * p.share, passing: p };
  const reads = c.reads > 0 ? Math.round((shown.reads * p.reads) / c.reads) : 0;
  const writes = c.writes > 0 ? Math.round((shown.writes * p.writes) / c.writes) : 0;
  return { ...shown, reads, writes, opsPerSec: shown.opsPerSec * p.share, passing: { ...p, reads, writes, estimate: true } };
}
