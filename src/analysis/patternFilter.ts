// Filters against keys and against key patterns (the rows of a PatternTree).
//
// A filter is what a person types: a literal prefix (`cart:`, `app:us`, `user:12345:`) or a pattern
// with `*` (`user:*:cart`, `cart:{*}:`). Both are read the same way: a key passes when it STARTS
// WITH something the filter matches, where `*` stands for any run of characters within one segment
// (never the delimiter). So `app:us` passes `app:user:1` (as keyPasses in src/ui/filters.ts does),
// `user:*:cart` passes `user:42:cart` and `user:42:cart:items`, `cart:{*}:` passes `cart:{u1}:items`.
//
// A pattern (a tree node) stands for a set of keys:
// - a prefix `user:*:` for every key that starts with a match of it (`*`: any segment);
// - a leaf `user:*:cart` for the keys that match it exactly (as many segments, no more);
// - special leaves: `a:∅` is the key `a:` itself; `a:b:…:**` (DEEP_SEGMENT) and `a:…` (an OTHER
//   bucket) stand for any continuation, delimiters included.
// Then, for a filter:
// - `patternPasses`: every key of the pattern passes (show the row with its own counts);
// - `patternMayPass`: some key of the pattern may pass (the row holds passing traffic, maybe not all:
//   `user:*:` for the filter `user:12345:`, or `cart:` for `cart:{*}:items`).
// `*` in a pattern is read as "any segment", which a tree's `*` (an id) is a part of: "passes" is
// then exact for the patterns a tree makes, and "may pass" never misses a row that holds passing keys.
//
// These extend, for patterns, keyPasses and prefixLeadsToFilter of src/ui/filters.ts: for a literal
// filter and a pattern with no `*`, patternPasses(p, f) === keyPasses(p, [f]) and a prefix pattern
// that patternMayPass but does not pass is exactly a prefix that leads to the filter.
import { OTHER_PREFIX } from '../bounds.ts';
import { DEEP_SEGMENT, EMPTY_SEGMENT } from './patternTree.ts';

/** Whether `filter` has `*` (a pattern filter) rather than being a literal prefix. */
export function isPatternFilter(filter: string): boolean {
  return filter.includes('*');
}

/** Whether `key` passes `filter` (see the top of this file). */
export function keyPassesFilter(key: string, filter: string, delimiter: string): boolean {
  if (!filter.includes('*')) return key.startsWith(filter);
  const f = filter.split(delimiter);
  let pos = 0;
  for (let i = 0; i < f.length; i++) {
    const last = i === f.length - 1;
    const at = key.indexOf(delimiter, pos);
    // The key's segment i; for the filter's last segment, a prefix of it is enough.
    const end = at < 0 ? key.length : at;
    if (!last && at < 0) return false;
    if (!globMatch(f[i]!, key.slice(pos, end), last)) return false;
    pos = end + delimiter.length;
  }
  return true;
}

/** Whether `key` passes any of `filters` ([] lets everything pass, as in src/ui/filters.ts). */
export function keyPassesAny(key: string, filters: readonly string[], delimiter: string): boolean {
  if (filters.length === 0) return true;
  for (const f of filters) if (keyPassesFilter(key, f, delimiter)) return true;
  return false;
}

interface Shape {
  /** Segment globs (EMPTY_SEGMENT already read as ''). */
  readonly segments: string[];
  /** After the segments, any continuation may follow (prefix patterns, `**`, `…`). */
  readonly open: boolean;
}

function shapeOf(pattern: string, delimiter: string): Shape {
  if (pattern === '') return { segments: [], open: true };
  const parts = pattern.split(delimiter);
  if (pattern.endsWith(delimiter)) {
    parts.pop();
    return { segments: parts, open: true };
  }
  const last = parts[parts.length - 1]!;
  if (last === DEEP_SEGMENT || last === OTHER_PREFIX) {
    parts.pop();
    return { segments: parts, open: true };
  }
  if (last === EMPTY_SEGMENT) parts[parts.length - 1] = '';
  return { segments: parts, open: false };
}

/** Whether every key of `pattern` passes `filter`. */
export function patternPasses(pattern: string, filter: string, delimiter: string): boolean {
  const p = shapeOf(pattern, delimiter);
  const f = filter.split(delimiter);
  const m = f.length;
  const n = p.segments.length;
  for (let i = 0; i < m; i++) {
    const last = i === m - 1;
    const fi = last ? f[i]! + '*' : f[i]!;
    if (i < n) {
      if (!globIncludes(p.segments[i]!, fi)) return false;
      continue;
    }
    // Past the pattern's segments: its keys go on with anything (open) or stop (closed leaf). For
    // every continuation to pass, this must be the filter's last segment and match anything.
    return p.open && last && onlyStars(fi);
  }
  return true;
}

/** Whether some key of `pattern` may pass `filter`. */
export function patternMayPass(pattern: string, filter: string, delimiter: string): boolean {
  const p = shapeOf(pattern, delimiter);
  const f = filter.split(delimiter);
  const n = p.segments.length;
  for (let i = 0; i < f.length; i++) {
    if (i >= n) return p.open;
    const fi = i === f.length - 1 ? f[i]! + '*' : f[i]!;
    if (!globsIntersect(p.segments[i]!, fi)) return false;
  }
  return true;
}

function onlyStars(glob: string): boolean {
  for (let i = 0; i < glob.length; i++) if (glob.charCodeAt(i) !== 42) return false;
  return true;
}

/**
 * Whether `text` matches `glob` (`*`: any run of characters, the text has no delimiter); with
 * `prefix`, whether some prefix of `text` does. Greedy with backtracking to the last star: linear
 * for the short globs filters are.
 */
export function globMatch(glob: string, text: string, prefix = false): boolean {
  let g = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (g === glob.length && prefix) return true;
    if (g < glob.length && glob.charCodeAt(g) !== 42 && glob.charCodeAt(g) === text.charCodeAt(t)) {
      g++;
      t++;
    } else if (g < glob.length && glob.charCodeAt(g) === 42) {
      star = g++;
      mark = t;
    } else if (star >= 0) {
      g = star + 1;
      t = ++mark;
    } else return false;
  }
  while (g < glob.length && glob.charCodeAt(g) === 42) g++;
  return g === glob.length;
}

/**
 * Whether every string `p` matches, `g` matches too (both globs). `p`'s stars must be covered by
 * `g`'s: matching `p` as text where a `*` of `p` only matches inside a `*` of `g`. (If the strings
 * of p are all in g, so is p with each `*` replaced by a character absent from g, which only a star
 * of g can match; and the converse is plain.)
 */
export function globIncludes(p: string, g: string): boolean {
  let gi = 0;
  let pi = 0;
  let star = -1;
  let mark = 0;
  while (pi < p.length) {
    const pc = p.charCodeAt(pi);
    if (gi < g.length && g.charCodeAt(gi) !== 42 && pc !== 42 && g.charCodeAt(gi) === pc) {
      gi++;
      pi++;
    } else if (gi < g.length && g.charCodeAt(gi) === 42) {
      star = gi++;
      mark = pi;
    } else if (star >= 0) {
      gi = star + 1;
      pi = ++mark;
    } else return false;
  }
  while (gi < g.length && g.charCodeAt(gi) === 42) gi++;
  return gi === g.length;
}

/**
 * Whether two globs match some string in common. With no star on one side it is plain matching.
 * With stars on both, the text up to the first star of each must agree (one a prefix of the
 * other), and likewise the text after the last star (one a suffix of the other): then a string
 * made of the longer head, everything in between, and the longer tail matches both, each side's
 * stars taking what the other side puts in the middle.
 */
export function globsIntersect(a: string, b: string): boolean {
  const sa = a.indexOf('*');
  const sb = b.indexOf('*');
  if (sa < 0) return globMatch(b, a);
  if (sb < 0) return globMatch(a, b);
  const headA = a.slice(0, sa);
  const headB = b.slice(0, sb);
  if (!(headA.startsWith(headB) || headB.startsWith(headA))) return false;
  const tailA = a.slice(a.lastIndexOf('*') + 1);
  const tailB = b.slice(b.lastIndexOf('*') + 1);
  return tailA.endsWith(tailB) || tailB.endsWith(tailA);
}
