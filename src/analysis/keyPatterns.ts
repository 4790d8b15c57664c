// Key patterns instead of per-id prefixes (issue 8): one import for the session, the UI and exports.
//
//   segmentShape.ts    whether one segment is an id by its shape (table of rules, each with its why)
//   patternTree.ts     PatternTree: traffic per pattern, learned online, bounded; snapshots, merging
//   clientPatterns.ts  ClientPatterns: one client's reads/writes per pattern, shallow ones exact
//   patternFilter.ts   filters (literal prefixes or patterns with `*`) against keys and patterns
//
// A key `cart:{u253}:items` is counted at `cart:`, `cart:{*}:` and the leaf `cart:{*}:items`: ids
// become `*` by shape (numbers, hex, UUIDs, ULIDs, tokens, dates, IPs, e-mails, `u253`, hash-tag
// contents), and a position that turns out to hold values rather than names (more than
// collapseAfter distinct literals, or twinsAfter sibling prefixes with the same children) turns
// wild, merging what it held. A keyspace of millions of keys reads as tens of rows.
//
// PatternTree next to PrefixTree (what a reader of the heatmap and exports must know):
// - Same: `node(p)`, `children(p)`, `all()`, `total`, `tick(nowMs)`, `clear()`, counts, reads,
//   writes and a 5 s half-life EWMA rate per node; views carry `prefix` (= pattern), `segment`,
//   `count`, `reads`, `writes`, `rate`, `hasChildren`; bounded by named BOUNDS; an OTHER bucket
//   (OTHER_PREFIX `…`) as a last resort.
// - Nodes are patterns, not literal prefixes: `node('user:12345:')` is undefined; use
//   `patternOf(key)` to find the row a literal key or prefix is counted under, and patternFilter.ts
//   to match filters.
// - The whole key's pattern is a node, a leaf (`kind: 'leaf'`, no trailing delimiter): the rows people
//   want to see. A prefix's children mix prefixes and leaves; a top-level key without delimiter
//   (`counter`, or `*` for an id) is a leaf child of the root. A key ending with the delimiter ends in
//   `user:∅` (EMPTY_SEGMENT); one deeper than `depth` levels in `…:**` (DEEP_SEGMENT). Every key ends
//   in exactly one leaf or OTHER bucket, so a prefix's counts are the sum of its children's.
// - OTHER buckets are `app:…` (no trailing delimiter, `kind: 'other'`): PrefixTree wrote `app:…:`.
// - Per node: `kind` ('prefix' | 'leaf' | 'other') and `depth` (segments in the pattern).
// - Names can change: a collapse merges `tenant:acme:` into `tenant:*:`. `epoch` counts collapses;
//   `canonical(p)` maps a pattern recorded before to today's name (idempotent). A view keyed by
//   pattern (drill position, selection) should go through `canonical` when `epoch` moved.
// - No per-node children cap (PrefixTree's 500): the collapse keeps fan-out under
//   2 × collapseAfter + 4; `nodes` (BOUNDS.patternNodes) caps the whole tree.
// - `add` returns the leaf's handle (`pattern`, `kind`, `depth`, `parent`), for ClientPatterns.
// - `snapshot()` / `mergeSnapshots(list)`: one read-only tree from several collectors.
//
// Use, per key of each MONITOR event (the session):
//   const leaf = tree.add(key, write);      // instead of PrefixTree.add
//   client.patterns.add(leaf, write);       // ClientPatterns, instead of slicing every prefix
// and at view time `client.patterns.entries(tree)` (renamed through `canonical`, busiest first).
// Filters: keyPassesAny(key, active, d) for keys; for a row, patternPasses (own counts) and
// patternMayPass (holds some passing traffic) in place of keyPasses / prefixLeadsToFilter.
export {
  PatternTree,
  mergeSnapshots,
  splitPattern,
  DEFAULT_PATTERN_LIMITS,
  WILD,
  EMPTY_SEGMENT,
  DEEP_SEGMENT,
  type PatternKind,
  type PatternLimits,
  type PatternView,
  type PatternStat,
  type PatternHandle,
  type PatternTreeReader,
  type PatternDecision,
  type PatternSnapshot,
  type PatternSnapshotNode,
} from './patternTree.ts';
export { ClientPatterns, type ClientPatternsOptions, type PatternCount, type PatternNames } from './clientPatterns.ts';
export {
  isPatternFilter,
  keyPassesFilter,
  keyPassesAny,
  patternPasses,
  patternMayPass,
  globMatch,
  globIncludes,
  globsIntersect,
} from './patternFilter.ts';
export { ID_RULES, NAMED_NUMBERS, idRule, profileOf, segmentPattern, wildForm, type IdRule, type Profile } from './segmentShape.ts';
