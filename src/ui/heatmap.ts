// The key heatmap as data: the children of the current drill prefix, narrowed by the active filters,
// and the top keys under that prefix. The tree is read in place (never copied), so callers memoise
// on the view's version.
import type { KeyCount, PrefixTreeReader } from '../analysis/session.ts';
import type { PrefixView } from '../analysis/prefixTree.ts';
import { keyPasses, prefixLeadsToFilter } from './filters.ts';

export interface HeatRow extends PrefixView {
  readonly id: string;
  /** Counts are those of the passing keys below it only (an ancestor of an active filter). */
  readonly partial: boolean;
}

const fromView = (v: PrefixView, partial = false): HeatRow => ({
  id: v.prefix,
  prefix: v.prefix,
  segment: v.segment,
  count: v.count,
  reads: v.reads,
  writes: v.writes,
  rate: v.rate,
  hasChildren: v.hasChildren,
  partial,
});

/**
 * The nodes where passing traffic starts: for a filter ending at a delimiter, its own node; for one
 * ending mid-segment (`app:us`), the children of its deepest complete prefix that start with it.
 * Nested results are dropped, so no traffic counts twice.
 */
export function passingFrontier(tree: PrefixTreeReader, active: readonly string[], delimiter: string): PrefixView[] {
  const found = new Map<string, PrefixView>();
  for (const a of active) {
    const cut = a.lastIndexOf(delimiter);
    const complete = cut < 0 ? '' : a.slice(0, cut + delimiter.length);
    if (complete === a) {
      const n = tree.node(a);
      if (n) found.set(n.prefix, n);
    } else {
      for (const c of tree.children(complete)) if (c.prefix.startsWith(a)) found.set(c.prefix, c);
    }
  }
  const list = [...found.values()].sort((x, y) => x.prefix.length - y.prefix.length);
  const kept: PrefixView[] = [];
  for (const n of list) if (!kept.some((k) => n.prefix.startsWith(k.prefix))) kept.push(n);
  return kept;
}

/** Children of `drill` as rows, busiest first, narrowed to passing traffic. */
export function heatRows(tree: PrefixTreeReader, drill: string, active: readonly string[], delimiter: string): HeatRow[] {
  const children = tree.children(drill);
  if (active.length === 0 || keyPasses(drill, active)) return children.map((c) => fromView(c));
  const frontier = passingFrontier(tree, active, delimiter);
  const rows: HeatRow[] = [];
  for (const c of children) {
    if (keyPasses(c.prefix, active)) {
      rows.push(fromView(c));
      continue;
    }
    if (!prefixLeadsToFilter(c.prefix, active)) continue;
    let count = 0;
    let reads = 0;
    let writes = 0;
    let rate = 0;
    for (const f of frontier) {
      if (!f.prefix.startsWith(c.prefix)) continue;
      count += f.count;
      reads += f.reads;
      writes += f.writes;
      rate += f.rate;
    }
    if (count > 0) rows.push({ ...fromView(c, true), count, reads, writes, rate });
  }
  return rows.sort((a, b) => b.count - a.count || (a.prefix < b.prefix ? -1 : 1));
}

/** Top keys under the drill prefix that pass the filters. */
export function topKeysUnder(topKeys: readonly KeyCount[], drill: string, active: readonly string[], limit: number): KeyCount[] {
  const out: KeyCount[] = [];
  for (const k of topKeys) {
    if (out.length >= limit) break;
    if (k.key.startsWith(drill) && keyPasses(k.key, active)) out.push(k);
  }
  return out;
}

/** The parent prefix of a drill prefix: `app:user:` → `app:`, `app:` → ''. */
export function parentPrefix(prefix: string, delimiter: string): string {
  if (prefix === '') return '';
  const body = prefix.slice(0, prefix.length - delimiter.length);
  const at = body.lastIndexOf(delimiter);
  return at < 0 ? '' : body.slice(0, at + delimiter.length);
}
