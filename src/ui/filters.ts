// Key-prefix filters. Each filter is active or not. With none active everything shows; otherwise a
// key passes when it starts with any active prefix, and every pane narrows to passing keys:
//
// - Clients: a client passes when any key it is remembered to have touched passes, where "remembered"
//   is the union of its prefix counter (every delimiter-ended prefix of every key it touched, up to
//   BOUNDS.prefixDepth) and its top-keys sketch. So filter `app:user:` matches a client through its
//   prefix `app:user:` (or deeper), and a filter that ends mid-segment (`app:us`) matches through
//   `app:user:` too. (The rule "an active prefix starts with one of its prefixes and one of its top
//   keys starts with the active prefix" adds nothing: that top key already passes.) Both memories are
//   bounded, so a client whose only touch of a filtered key fell out of them, deeper than the prefix
//   depth, does not show: an approximation that comes with bounded memory.
// - Heatmap: a prefix node whose prefix passes shows with its own counts; a node above an active
//   filter (an active prefix starts with it) shows only the traffic of its passing descendants.
// - Detail: the client's prefixes and keys that pass.
// - Libraries: built from the clients that pass.
import type { ClientView } from '../analysis/session.ts';

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

/** Whether a key (or a delimiter-ended prefix, which stands for all keys under it) passes. */
export function keyPasses(key: string, active: readonly string[]): boolean {
  if (active.length === 0) return true;
  for (const a of active) if (key.startsWith(a)) return true;
  return false;
}

/** Whether `prefix` lies above an active filter: some passing keys live under it, maybe not all. */
export function prefixLeadsToFilter(prefix: string, active: readonly string[]): boolean {
  for (const a of active) if (a.startsWith(prefix)) return true;
  return false;
}

/** Whether a client touched a passing key (see the rule at the top of this file). */
export function clientPasses(client: Pick<ClientView, 'prefixes' | 'topKeys'>, active: readonly string[]): boolean {
  if (active.length === 0) return true;
  for (const p of client.prefixes) if (keyPasses(p.prefix, active)) return true;
  for (const k of client.topKeys) if (keyPasses(k.key, active)) return true;
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
