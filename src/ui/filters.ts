// Key filters: literal prefixes (`cart:`, `app:us`, `user:12345:`) or key patterns with `*`
// segments (`user:*:cart`, `cart:{*}:`). Each filter is active or not. With none active everything
// shows; otherwise a key passes when it passes any active filter, and every pane narrows to
// passing keys:
//
// - Clients: a client passes when one of its key patterns passes a filter entirely (every key of
//   `cart:{*}:items` passes `cart:`), or one of its top keys passes. A literal filter deeper than the
//   patterns (`user:12345:` where the client's pattern is `user:*:cart`) is matched through the top
//   keys only: the pattern says it may have touched that user, not that it did, and no match is
//   better than a wrong one.
// - Heatmap: a pattern row that passes shows its own counts; a row that may hold passing keys
//   shows the traffic of its descendants that pass, or its own counts marked partial when none of
//   them passes entirely (a literal filter deeper than the patterns).
// - Detail: the client's patterns and keys that pass (or may).
// - Libraries: built from the clients that pass.
import type { ClientView } from '../analysis/session.ts';
import { keyPassesAny, patternMayPass, patternPasses } from '../analysis/keyPatterns.ts';

export interface Filter {
  readonly prefix: string;
  readonly active: boolean;
  /** Given with --prefix / RECON_PREFIXES (listed first, kept when cleared); else typed with `/`. */
  readonly preset: boolean;
}

/** How many filters the dashboard keeps; number keys reach the first nine. */
export const MAX_FILTERS = 20;

export function presetFilters(prefixes: readonly string[]): Filter[] {
  const seen = new Set<string>();
  const out: Filter[] = [];
  for (const p of prefixes) {
    if (p === '' || seen.has(p)) continue;
    seen.add(p);
    out.push({ prefix: p, active: false, preset: true });
  }
  return out.slice(0, MAX_FILTERS);
}

/** The prefixes of the active filters; [] means "no filtering". */
export function activePrefixes(filters: readonly Filter[]): readonly string[] {
  const out: string[] = [];
  for (const f of filters) if (f.active) out.push(f.prefix);
  return out;
}

/** Whether a key passes the active filters ([] lets everything pass). */
export function keyPasses(key: string, active: readonly string[], delimiter = ':'): boolean {
  return keyPassesAny(key, active, delimiter);
}

/** Whether every key of a pattern (a heatmap row, a client's pattern) passes an active filter. */
export function patternPassesAny(pattern: string, active: readonly string[], delimiter = ':'): boolean {
  if (active.length === 0) return true;
  for (const a of active) if (patternPasses(pattern, a, delimiter)) return true;
  return false;
}

/** Whether some key of a pattern may pass an active filter (the row holds passing traffic, maybe not all). */
export function patternMayPassAny(pattern: string, active: readonly string[], delimiter = ':'): boolean {
  if (active.length === 0) return true;
  for (const a of active) if (patternMayPass(pattern, a, delimiter)) return true;
  return false;
}

/** Whether a client touched a passing key (see the rule at the top of this file). */
export function clientPasses(client: Pick<ClientView, 'prefixes' | 'topKeys'>, active: readonly string[], delimiter = ':'): boolean {
  if (active.length === 0) return true;
  for (const p of client.prefixes) if (patternPassesAny(p.prefix, active, delimiter)) return true;
  for (const k of client.topKeys) if (keyPassesAny(k.key, active, delimiter)) return true;
  return false;
}

/** Adds a typed prefix (or re-activates an existing one). Returns the new list and its 1-based slot. */
export function addFilter(filters: readonly Filter[], prefix: string): { filters: readonly Filter[]; slot: number } {
  const at = filters.findIndex((f) => f.prefix === prefix);
  if (at >= 0) {
    return { filters: filters.map((f, i) => (i === at ? { ...f, active: true } : f)), slot: at + 1 };
  }
  if (filters.length >= MAX_FILTERS) return { filters, slot: 0 };
  return { filters: [...filters, { prefix, active: true, preset: false }], slot: filters.length + 1 };
}

/** Toggles the filter in 1-based `slot`; unchanged if there is none. */
export function toggleFilter(filters: readonly Filter[], slot: number): readonly Filter[] {
  if (slot < 1 || slot > filters.length) return filters;
  return filters.map((f, i) => (i === slot - 1 ? { ...f, active: !f.active } : f));
}

export function deactivateAll(filters: readonly Filter[]): readonly Filter[] {
  return filters.some((f) => f.active) ? filters.map((f) => (f.active ? { ...f, active: false } : f)) : filters;
}

/** Removes the filter at 0-based `index` (presets too: the list is the user's). */
export function removeFilter(filters: readonly Filter[], index: number): readonly Filter[] {
  if (index < 0 || index >= filters.length) return filters;
  return filters.filter((_, i) => i !== index);
}
