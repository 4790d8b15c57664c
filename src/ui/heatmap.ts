// The key heatmap as data: the children of the current drill pattern (key patterns: `cart:{*}:`,
// and leaves such as `cart:{*}:items`), narrowed by the active filters, and the top keys under it.
// The tree is read in place (never copied), so callers memoise on the view's version.
import type { KeyCount, PrefixTreeReader } from '../analysis/session.ts';
import type { PatternView } from '../analysis/keyPatterns.ts';
import { keyPassesFilter } from '../analysis/keyPatterns.ts';
import { keyPasses, patternMayPassAny, patternPassesAny } from './filters.ts';

export interface HeatRow extends PatternView {
  readonly id: string;
  /** The row holds passing traffic but not only: its counts are those of its passing descendants. */
  readonly partial: boolean;
  /**
   * Some of those descendants only may pass (a literal filter finer than the patterns, such as
   * `user:12345:` under `user:*:`): the counts are an upper bound.
   */
  readonly upperBound: boolean;
}

const fromView = (v: PatternView, partial = false, upperBound = false): HeatRow => ({ ...v, id: v.pattern, partial, upperBound });

/**
 * The shallowest rows below `from` whose traffic passes: those that pass entirely, and the leaves
 * (or rows past the scan budget) that may hold passing keys (`maybe`). Counted once each.
 */
function passingBelow(tree: PrefixTreeReader, from: string, active: readonly string[], delimiter: string, budget: { n: number }, out: { nodes: PatternView[]; maybe: boolean }): void {
  for (const c of tree.children(from)) {
    if (patternPassesAny(c.pattern, active, delimiter)) out.nodes.push(c);
    else if (patternMayPassAny(c.pattern, active, delimiter)) {
      if (c.hasChildren && --budget.n >= 0) passingBelow(tree, c.pattern, active, delimiter, budget, out);
      else {
        out.nodes.push(c);
        out.maybe = true;
      }
    }
  }
}

/** How many tree nodes one row may look at to find its passing descendants (a bound on the work per frame). */
const PARTIAL_SCAN_NODES = 2000;

/** Children of `drill` as rows, busiest first, narrowed to passing traffic. */
export function heatRows(tree: PrefixTreeReader, drill: string, active: readonly string[], delimiter: string): HeatRow[] {
  const children = tree.children(drill);
  if (active.length === 0 || (drill !== '' && patternPassesAny(drill, active, delimiter))) return children.map((c) => fromView(c));
  const rows: HeatRow[] = [];
  for (const c of children) {
    if (patternPassesAny(c.pattern, active, delimiter)) {
      rows.push(fromView(c));
      continue;
    }
    if (!patternMayPassAny(c.pattern, active, delimiter)) continue;
    if (!c.hasChildren) {
      // A leaf finer filters cut into (`user:12345` under `user:*`): its counts are an upper bound.
      if (c.count > 0) rows.push(fromView(c, true, true));
      continue;
    }
    const below = { nodes: [] as PatternView[], maybe: false };
    passingBelow(tree, c.pattern, active, delimiter, { n: PARTIAL_SCAN_NODES }, below);
    let count = 0;
    let reads = 0;
    let writes = 0;
    let rate = 0;
    for (const f of below.nodes) {
      count += f.count;
      reads += f.reads;
      writes += f.writes;
      rate += f.rate;
    }
    if (count > 0) rows.push({ ...fromView(c, true, below.maybe), count, reads, writes, rate });
  }
  return rows.sort((a, b) => b.count - a.count || (a.pattern < b.pattern ? -1 : 1));
}

/** Top keys under the drill pattern that pass the filters. */
export function topKeysUnder(topKeys: readonly KeyCount[], drill: string, active: readonly string[], limit: number, delimiter = ':'): KeyCount[] {
  const out: KeyCount[] = [];
  for (const k of topKeys) {
    if (out.length >= limit) break;
    if ((drill === '' || keyPassesFilter(k.key, drill, delimiter)) && keyPasses(k.key, active, delimiter)) out.push(k);
  }
  return out;
}

/** The parent of a drill pattern: `app:user:` → `app:`, `app:` → ''. */
export function parentPrefix(prefix: string, delimiter: string): string {
  if (prefix === '') return '';
  const body = prefix.slice(0, prefix.length - delimiter.length);
  const at = body.lastIndexOf(delimiter);
  return at < 0 ? '' : body.slice(0, at + delimiter.length);
}
