// Traffic per key pattern, learned online: the tree behind the heatmap once ids stop being rows.
// See keyPatterns.ts for the whole picture and how this differs from PrefixTree.
//
// A key `cart:{u253}:items` (delimiter `:`) counts at the root and at the nodes `cart:` (prefix),
// `cart:{*}:` (prefix) and `cart:{*}:items` (leaf). Each segment is mapped by its parent node:
// - shape: an id-like core (segmentShape.ts) becomes `*` (`{u253}` → `{*}`);
// - cardinality: a node that has seen more than `collapseAfter` distinct literal children turns
//   wild (level 1): its literal children, with their subtrees, are merged into the wild ones, and
//   every later segment there maps to its wild form. A node with more than `collapseAfter` distinct
//   wild forms (`a{*}`, `b{*}`, ...) goes to level 2, where everything is `*`;
// - twins: a node whose literal prefix children include `twinsAfter` with the same literal
//   children (`search:q:boots:` and `search:q:tent:` both holding p1, p2, p3) turns wild too: its
//   children are values of one variable, too few for the cardinality rule (see checkTwins).
// Levels only rise, and shape and cardinality depend only on the set of keys seen, not their order:
// trees fed the same keys in any order, or merged from parts, end the same (twins and a full tree
// excepted).
// Special leaves: a key that ends with the delimiter (or is empty) ends in the leaf EMPTY_SEGMENT
// (`user:∅`); a key deeper than `depth` prefix levels ends in the leaf DEEP_SEGMENT (`a:b:…:h:**`);
// a key that cannot get a node (the tree is full) is counted in its deepest node's OTHER bucket
// (`app:…`), a leaf. So every key ends in exactly one leaf, and a prefix node's counts are the sums
// of its children's: the whole tree is the sum of its leaves, which collapse and merging rely on.
//
// Hot path (`add`, per key per event): the key is scanned once with indexOf; each segment's
// characters (with the delimiter for a prefix) feed a 64-bit hash (two 32-bit lanes) seeded by the
// parent node, and the child is found in one open-addressing table of every node by (hash, length,
// parent): one probe per level, no substring, no Map. A node is identified by its hash, as in
// prefixTree.ts (same collision argument: ~2^-64 per probe). The same loop ORs each character's
// class, so a segment of digits only, of 8+ hex characters with a digit, or a UUID goes to `*`
// with no lookup at all. A probe that misses (a segment not held there as a literal) checks a small cache
// of recent wild mappings (an id seen again), then takes the slow path: the shape rules, which
// re-read the segment (~30-100 ns), then the wild child or a new literal child. One-off ids of
// other shapes pay that each time: the price of not keeping one node per id.
//
// Memory: at most `nodes` nodes (+ one OTHER bucket per node, + the root), each of fixed size, plus
// the table (1/4 to 1/2 full) and the cache (CACHE_SIZE entries). A node has at most collapseAfter
// literal children and collapseAfter wild forms before it collapses, plus `*` (prefix and leaf),
// `∅`, `**` and OTHER. Nothing grows with events or distinct keys.
import { BOUNDS, OTHER_PREFIX } from '../bounds.ts';
import { detach } from './boundedCounter.ts';
import { ewmaAlpha, RATE_HALF_LIFE_MS } from './rate.ts';
import { coreSpan, findCore, idRuleAt } from './segmentShape.ts';

/** What an id-like core (or a whole collapsed segment) becomes. */
export const WILD = '*';
/** Leaf segment of a key that ends with the delimiter (`user:` → `user:∅`), or of the empty key. */
export const EMPTY_SEGMENT = '∅';
/** Leaf segment standing for everything below `depth` prefix levels. */
export const DEEP_SEGMENT = '**';

export type PatternKind = 'prefix' | 'leaf' | 'other';

export interface PatternLimits {
  /** Prefix levels recorded; a key with more delimiters ends in a DEEP_SEGMENT leaf. */
  readonly depth: number;
  /** Nodes in the whole tree, leaves included (the root and OTHER buckets not included). */
  readonly nodes: number;
  /** Distinct literal children (and, separately, wild forms) a node keeps before it turns wild. */
  readonly collapseAfter: number;
  /**
   * Sibling prefixes with the same literal children (two or more) that make their parent wild
   * (`search:q:boots:p1..p3`, `search:q:tent:p1..p3`, ... → `search:q:*:`); 0 turns the rule off.
   */
  readonly twinsAfter: number;
}

export const DEFAULT_PATTERN_LIMITS: PatternLimits = Object.freeze({
  depth: BOUNDS.patternDepth,
  nodes: BOUNDS.patternNodes,
  collapseAfter: BOUNDS.patternCollapseAfter,
  twinsAfter: BOUNDS.patternTwinsAfter,
});

/** One node as the UI sees it (PrefixView's fields, plus kind and depth). */
export interface PatternView {
  /** `cart:{*}:` (prefix), `cart:{*}:items` (leaf), `cart:…` (OTHER bucket); '' for the root. */
  readonly pattern: string;
  /** Same as `pattern`: the name PrefixView readers use. */
  readonly prefix: string;
  /** The last segment without delimiter: `{*}`, `items`, OTHER_PREFIX; '' for the root. */
  readonly segment: string;
  readonly kind: PatternKind;
  /** Segments in the pattern: 1 for `cart:` and for the top-level leaf `counter`; 0 for the root. */
  readonly depth: number;
  readonly count: number;
  readonly reads: number;
  readonly writes: number;
  /** Events per second as of the last tick. */
  readonly rate: number;
  readonly hasChildren: boolean;
}

/** One node as exports see it. */
export interface PatternStat {
  readonly pattern: string;
  readonly prefix: string;
  readonly kind: PatternKind;
  readonly reads: number;
  readonly writes: number;
  readonly count: number;
  readonly rate: number;
}

/** What `add` returns: walk `parent` for the chain of patterns (leaf, ..., depth 1, root). */
export interface PatternHandle {
  /** Interned once per node: the same string object on every event. */
  readonly pattern: string;
  readonly kind: PatternKind;
  readonly depth: number;
  /** null for the root (depth 0). */
  readonly parent: PatternHandle | null;
}

/** Read-only access, shared by live trees and merged ones. */
export interface PatternTreeReader {
  readonly delimiter: string;
  /** Events counted (the root's count). */
  readonly total: number;
  /** Bumped by every collapse: patterns recorded before may need `canonical`. */
  readonly epoch: number;
  node(pattern: string): PatternView | undefined;
  children(pattern: string): PatternView[];
  all(): PatternStat[];
  canonical(pattern: string): string;
  patternOf(key: string): string;
  decisions(): PatternDecision[];
  snapshot(): PatternSnapshot;
}

/** A position that turned wild: level 1 maps segments to their wild forms, level 2 to `*`. */
export interface PatternDecision {
  readonly pattern: string;
  readonly level: 1 | 2;
}

export interface PatternSnapshotNode {
  /** Index of the parent in `nodes`, -1 for the root; parents come before their children. */
  readonly parent: number;
  readonly segment: string;
  readonly kind: PatternKind;
  readonly count: number;
  readonly reads: number;
  readonly writes: number;
  readonly rate: number;
}

/** A tree as plain data (structured-clone friendly): what a collector sends to be merged. */
export interface PatternSnapshot {
  readonly format: 'redis-recon/key-patterns@1';
  readonly delimiter: string;
  readonly limits: PatternLimits;
  readonly root: { readonly count: number; readonly reads: number; readonly writes: number; readonly rate: number };
  readonly nodes: readonly PatternSnapshotNode[];
  readonly decisions: readonly PatternDecision[];
}

/** Character classes ORed over a segment on the hot path (see PatternTree.child). */
const B_DIGIT = 1;
const B_HEX = 2;
const B_DASH = 4;
const B_OTHER = 8;
const CHAR_BITS = new Uint8Array(65536).fill(B_OTHER);
for (let c = 48; c <= 57; c++) CHAR_BITS[c] = B_DIGIT;
for (const c of 'abcdefABCDEF') CHAR_BITS[c.charCodeAt(0)] = B_HEX;
CHAR_BITS[45] = B_DASH;

const CACHE_SIZE = 4096;
const CACHE_MASK = CACHE_SIZE - 1;

const K_PREFIX = 0;
const K_LEAF = 1;
const K_OTHER = 2;
const KIND_NAMES: readonly PatternKind[] = ['prefix', 'leaf', 'other'];

class Node implements PatternHandle {
  count = 0;
  reads = 0;
  writes = 0;
  rate = 0;
  /** `count` at the last tick. */
  lastCount = 0;
  /** Whether `rate` has had its first sample. */
  seeded = false;
  /** Children (prefixes and leaves, wild ones included; OTHER apart), created with the first. */
  children: Node[] | null = null;
  other: Node | null = null;
  /** Direct links to the children reached without hashing. */
  starPrefix: Node | null = null;
  starLeaf: Node | null = null;
  emptyLeaf: Node | null = null;
  deepLeaf: Node | null = null;
  /** Collapse level of this position (prefix nodes): 0 literal, 1 wild forms, 2 all `*`. */
  level = 0;
  /** Literal children, and wild-form children other than `*`, counted for the collapse. */
  literals = 0;
  forms = 0;
  /** Sum of the literal children's `sig`: equal sets of literal children have equal sums. */
  childSig = 0;
  /** Hash of segment and kind, the same under any parent (for `childSig`). */
  readonly sig: number;
  /** Merged away by a collapse: no longer in the tree. */
  dead = false;
  /** Seeds of the hash of this node's child segments. */
  readonly salt1: number;
  readonly salt2: number;

  constructor(
    readonly pattern: string,
    readonly segment: string,
    readonly parent: Node | null,
    readonly k: number,
    readonly depth: number,
    /** Made by mapping (a wild form or `*`), not a literal segment. */
    readonly wild: boolean,
    /** The edge hash (parent-seeded) and hashed length of the segment text. */
    readonly h1: number,
    readonly h2: number,
    readonly hlen: number,
    salt: number,
  ) {
    this.salt1 = fmix(salt ^ 0x3c6ef372);
    this.salt2 = fmix(Math.imul(salt, 0x27d4eb2f) ^ 0x165667b1);
    let h = 0x811c9dc5 ^ k;
    for (let i = 0; i < segment.length; i++) h = Math.imul(h ^ segment.charCodeAt(i), 0x01000193);
    this.sig = fmix(h);
  }

  get kind(): PatternKind {
    return KIND_NAMES[this.k]!;
  }
}

/** Final mix of a lane, so that the low bits used to index the table depend on every character. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function byCountThenPattern(a: Node, b: Node): number {
  return b.count - a.count || (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0);
}

function childNodes(n: Node): Node[] {
  const out = n.children === null ? [] : n.children.slice();
  if (n.other !== null) out.push(n.other);
  return out;
}

function view(n: Node): PatternView {
  return Object.freeze({
    pattern: n.pattern,
    prefix: n.pattern,
    segment: n.segment,
    kind: KIND_NAMES[n.k]!,
    depth: n.depth,
    count: n.count,
    reads: n.reads,
    writes: n.writes,
    rate: n.rate,
    hasChildren: n.children !== null || n.other !== null,
  });
}

function sample(n: Node, alpha: number, perMs: number): void {
  const instant = (n.count - n.lastCount) * perMs;
  n.lastCount = n.count;
  if (n.seeded) n.rate += alpha * (instant - n.rate);
  else {
    n.rate = instant;
    n.seeded = true;
  }
}

/** Counts carried by a leaf when a collapse or a merge moves it. */
interface Carried {
  count: number;
  reads: number;
  writes: number;
  rate: number;
  lastCount: number;
  seeded: boolean;
}

/** A leaf to put back: its segments below the node being collapsed, and its counts. */
interface Moved extends Carried {
  segments: string[];
  k: number;
}

export class PatternTree implements PatternTreeReader {
  readonly delimiter: string;
  readonly limits: PatternLimits;
  private root!: Node;
  /** Live nodes but the root, OTHER buckets included, for `tick` and the table. */
  private nodeList: Node[] = [];
  private byPattern = new Map<string, Node>();
  /** Open-addressing table (linear probing, at most half full) of the nodes by edge hash. */
  private slots: Array<Node | null> = [];
  private slotH1 = new Int32Array(0);
  private slotH2 = new Int32Array(0);
  private mask = 0;
  private readonly seed = (Math.random() * 0x100000000) | 0;
  private salts = 0;
  private namedNodes = 0;
  private lastTickMs: number | undefined;
  private collapses = 0;
  /** Nesting of collapse(): the table is cleaned of dead nodes when the outermost one ends. */
  private collapsing = 0;
  private canonicalCache = new Map<string, string>();
  private canonicalEpoch = 0;
  /**
   * Direct-mapped cache of segments that mapped to a wild child (ids, or literals at a collapsed
   * position), by the segment's edge hash: a repeated id skips the shape rules. Entries whose node
   * died in a collapse are ignored; a live one stays right, since levels only coarsen.
   */
  private cacheNode: Array<Node | null> = new Array<Node | null>(CACHE_SIZE).fill(null);
  private readonly cacheH1 = new Int32Array(CACHE_SIZE);
  private readonly cacheH2 = new Int32Array(CACHE_SIZE);
  private readonly cacheLen = new Int32Array(CACHE_SIZE);
  /** Parents whose collapse checkTwins decided, run by `settle`. */
  private pending: Node[] = [];
  /** Output of hashSpan. */
  private h1 = 0;
  private h2 = 0;
  private hlen = 0;

  constructor(delimiter: string, limits: PatternLimits = DEFAULT_PATTERN_LIMITS) {
    if (delimiter.length === 0) throw new RangeError('delimiter must not be empty');
    for (const k of ['depth', 'nodes', 'collapseAfter', 'twinsAfter'] as const) {
      if (!Number.isInteger(limits[k]) || limits[k] < 0) throw new RangeError(`limits.${k} must be a non-negative integer, got ${limits[k]}`);
    }
    this.delimiter = delimiter;
    this.limits = Object.freeze({ depth: limits.depth, nodes: limits.nodes, collapseAfter: limits.collapseAfter, twinsAfter: limits.twinsAfter });
    this.clear();
  }

  /**
   * Counts `n` (> 0 and finite; other values are ignored, and undefined returned) reads or writes
   * of `key`, and returns its leaf: walk `parent` for its pattern prefixes. The handle is valid
   * until the next `add` (a collapse may merge it away); keep its `pattern` string, not the handle.
   */
  add(key: string, write: boolean, n = 1): PatternHandle | undefined {
    if (!(n > 0 && n !== Infinity)) return undefined;
    const delimiter = this.delimiter;
    const step = delimiter.length;
    const last = key.length;
    const maxDepth = this.limits.depth;
    let p = this.root;
    let start = 0;
    for (;;) {
      const at = key.indexOf(delimiter, start);
      if (at < 0) {
        if (start === last) p = p.emptyLeaf ?? this.reserved(p, EMPTY_SEGMENT);
        else if (p.level === 2 && p.starLeaf !== null && (last - start > 2 || !reservedLeaf(key, start, last))) p = p.starLeaf;
        else p = this.child(p, key, start, last, last, K_LEAF);
        break;
      }
      if (p.depth === maxDepth) {
        p = p.deepLeaf ?? this.reserved(p, DEEP_SEGMENT);
        break;
      }
      const end = at + step;
      if (p.level === 2 && p.starPrefix !== null && !(at - start === 1 && key.charCodeAt(start) === 0x2026)) p = p.starPrefix;
      else {
        p = this.child(p, key, start, at, end, K_PREFIX);
        if (p.k === K_OTHER) break;
      }
      start = end;
    }
    for (let x: Node | null = p; x !== null; x = x.parent) {
      x.count += n;
      if (write) x.writes += n;
      else x.reads += n;
    }
    if (this.pending.length > 0) {
      this.settle();
      // The key's counts moved with its leaf: find where.
      if (p.dead) p = this.locate(key);
    }
    return p;
  }

  /**
   * The child of `p` for segment [from, to) of `key`, hashed up to `end` (the delimiter included
   * for a prefix). The hash loop also ORs each character's class: a segment of digits only, of 8+
   * hex characters with a digit, or a UUID is an id whatever the node (rules `number`, `hex`,
   * `uuid`), so it goes to the `*` child with no lookup. Otherwise one probe finds a literal child; then the cache
   * of recent wild mappings (ids seen again: `u253`, `{u253}`, a hot token); then the slow path.
   */
  private child(p: Node, key: string, from: number, to: number, end: number, k: number): Node {
    let a = p.salt1;
    let b = p.salt2;
    let m = 0;
    for (let i = from; i < to; i++) {
      const c = key.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
      m |= CHAR_BITS[c]!;
    }
    // The rules `number` (unsigned), `hex` and `uuid` of segmentShape.ts, decided from the classes.
    if (
      m === B_DIGIT ||
      (m === (B_DIGIT | B_HEX) && to - from >= 8) ||
      ((m & B_OTHER) === 0 && to - from === 36 && key.charCodeAt(from + 8) === 45 && key.charCodeAt(from + 13) === 45 && key.charCodeAt(from + 18) === 45 && key.charCodeAt(from + 23) === 45)
    ) {
      const star = k === K_PREFIX ? p.starPrefix : p.starLeaf;
      if (star !== null) return star;
    }
    for (let i = to; i < end; i++) {
      const c = key.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
    }
    const h1 = fmix(a);
    const h2 = fmix(b);
    const hlen = end - from;
    const hit = this.probe(p, h1, h2, hlen, k);
    if (hit !== null) return hit;
    const ci = h2 & CACHE_MASK;
    const cached = this.cacheNode[ci]!;
    if (cached !== null && this.cacheH1[ci] === h1 && this.cacheH2[ci] === h2 && this.cacheLen[ci] === hlen && cached.parent === p && cached.k === k && !cached.dead) {
      return cached;
    }
    const child = this.mapChild(p, key, from, to, k, true, true)!;
    if (child.wild && child.k !== K_OTHER) {
      this.cacheNode[ci] = child;
      this.cacheH1[ci] = h1;
      this.cacheH2[ci] = h2;
      this.cacheLen[ci] = hlen;
    }
    return child;
  }

  /** The node `key` is counted under now (made if missing: only after a collapse moved it). */
  private locate(key: string): Node {
    const delimiter = this.delimiter;
    let p = this.root;
    let start = 0;
    for (;;) {
      const at = key.indexOf(delimiter, start);
      if (at < 0) return start === key.length ? (p.emptyLeaf ?? this.reserved(p, EMPTY_SEGMENT)) : this.mapChild(p, key, start, key.length, K_LEAF, true, false)!;
      if (p.depth === this.limits.depth) return p.deepLeaf ?? this.reserved(p, DEEP_SEGMENT);
      p = this.mapChild(p, key, start, at, K_PREFIX, true, false)!;
      if (p.k === K_OTHER) return p;
      start = at + delimiter.length;
    }
  }

  /**
   * Computes every node's rate over the time since the previous tick. The first tick only sets the
   * baseline; a tick at or before the previous one is ignored.
   */
  tick(nowMs: number): void {
    const list = this.nodeList;
    if (this.lastTickMs === undefined) {
      this.lastTickMs = nowMs;
      this.root.lastCount = this.root.count;
      for (let i = 0; i < list.length; i++) list[i]!.lastCount = list[i]!.count;
      return;
    }
    const dt = nowMs - this.lastTickMs;
    if (!(dt > 0)) return;
    this.lastTickMs = nowMs;
    const alpha = ewmaAlpha(dt, RATE_HALF_LIFE_MS);
    const perMs = 1000 / dt;
    sample(this.root, alpha, perMs);
    for (let i = 0; i < list.length; i++) sample(list[i]!, alpha, perMs);
  }

  /** The node of `pattern` ('' is the root), or undefined. */
  node(pattern: string): PatternView | undefined {
    const n = pattern === '' ? this.root : this.byPattern.get(pattern);
    return n === undefined ? undefined : view(n);
  }

  /** Children of `pattern` ('' for the top level) by count descending; [] if there is no such node. */
  children(pattern: string): PatternView[] {
    const n = pattern === '' ? this.root : this.byPattern.get(pattern);
    return n === undefined ? [] : childNodes(n).sort(byCountThenPattern).map(view);
  }

  /** Every node but the root, depth-first, siblings by count descending. */
  all(): PatternStat[] {
    const out: PatternStat[] = [];
    const visit = (n: Node): void => {
      for (const c of childNodes(n).sort(byCountThenPattern)) {
        out.push(Object.freeze({ pattern: c.pattern, prefix: c.pattern, kind: KIND_NAMES[c.k]!, reads: c.reads, writes: c.writes, count: c.count, rate: c.rate }));
        visit(c);
      }
    };
    visit(this.root);
    return out;
  }

  get total(): number {
    return this.root.count;
  }

  /** Nodes but the root and OTHER buckets (<= limits.nodes). */
  get size(): number {
    return this.namedNodes;
  }

  /** All node objects but the root, OTHER buckets included. */
  get nodeCount(): number {
    return this.nodeList.length;
  }

  /** Slots in the hash table (<= 4 × nodeCount, >= 1024). */
  get tableSize(): number {
    return this.slots.length;
  }

  get epoch(): number {
    return this.collapses;
  }

  /** Every position that turned wild, shallowest first. */
  decisions(): PatternDecision[] {
    const out: PatternDecision[] = [];
    const visit = (n: Node): void => {
      if (n.level > 0) out.push(Object.freeze({ pattern: n.pattern, level: n.level as 1 | 2 }));
      if (n.children !== null) for (const c of n.children) if (c.k === K_PREFIX) visit(c);
    };
    visit(this.root);
    return out.sort((a, b) => depthOf(a.pattern, this.delimiter) - depthOf(b.pattern, this.delimiter) || (a.pattern < b.pattern ? -1 : 1));
  }

  /**
   * A pattern recorded earlier (by this tree, or by one with the same delimiter) as this tree now
   * writes it, through every collapse decided since: `tenant:acme:` → `tenant:*:` once `tenant:`
   * collapsed. Idempotent. Patterns it does not know below some point keep their remaining segments.
   */
  canonical(pattern: string): string {
    if (this.canonicalEpoch !== this.collapses || this.canonicalCache.size > 4 * this.limits.nodes + 1024) {
      this.canonicalCache.clear();
      this.canonicalEpoch = this.collapses;
    }
    let out = this.canonicalCache.get(pattern);
    if (out === undefined) {
      out = this.mapPattern(pattern, false);
      this.canonicalCache.set(detach(pattern), out);
    }
    return out;
  }

  /** The pattern `add` would count `key` under now (nothing is counted or created). */
  patternOf(key: string): string {
    return this.mapPattern(key, true);
  }

  /** The tree as plain data: nodes in pre-order with counts and rates, and the collapse decisions. */
  snapshot(): PatternSnapshot {
    const nodes: PatternSnapshotNode[] = [];
    const visit = (n: Node, parent: number): void => {
      for (const c of childNodes(n)) {
        const at = nodes.length;
        nodes.push({ parent, segment: c.segment, kind: KIND_NAMES[c.k]!, count: c.count, reads: c.reads, writes: c.writes, rate: c.rate });
        visit(c, at);
      }
    };
    visit(this.root, -1);
    const r = this.root;
    return {
      format: 'redis-recon/key-patterns@1',
      delimiter: this.delimiter,
      limits: { ...this.limits },
      root: { count: r.count, reads: r.reads, writes: r.writes, rate: r.rate },
      nodes,
      decisions: this.decisions().map((d) => ({ ...d })),
    };
  }

  clear(): void {
    this.root = new Node('', '', null, K_PREFIX, 0, false, 0, 0, 0, this.seed);
    this.salts = 1;
    this.nodeList = [];
    this.byPattern = new Map();
    this.namedNodes = 0;
    this.lastTickMs = undefined;
    this.collapses = 0;
    this.canonicalCache.clear();
    this.pending = [];
    this.cacheNode?.fill(null);
    this.rehash(1024);
  }

  // ---- finding and making children ------------------------------------------------------------

  /** The live child of `p` with this edge hash, length and kind. */
  private probe(p: Node, h1: number, h2: number, hlen: number, k: number): Node | null {
    const { slots, slotH1, slotH2, mask } = this;
    for (let i = h1 & mask; ; i = (i + 1) & mask) {
      const n = slots[i]!;
      if (n === null) return null;
      if (slotH1[i] === h1 && slotH2[i] === h2 && n.parent === p && n.hlen === hlen && n.k === k && !n.dead) return n;
    }
  }

  /**
   * The child of `p` for segment [from, to) of `text` (a key, or a pattern being mapped), of kind
   * `k`: a reserved leaf, a wild child, a literal child, or a new literal child (or OTHER when the
   * tree is full). `probed`: the caller already looked the segment up as a literal and missed.
   * With `create` false, null where a node would have to be made. Never null when `create`.
   */
  private mapChild(p: Node, text: string, from: number, to: number, k: number, create: boolean, probed: boolean): Node | null {
    const len = to - from;
    // Reserved names: a literal `…` is counted in OTHER (as in PrefixTree); `∅` and `**` as leaves
    // are those leaves.
    if (len === 1 && text.charCodeAt(from) === 0x2026) return create ? this.otherOf(p) : p.other;
    if (k === K_LEAF && len === 1 && text.charCodeAt(from) === 0x2205) return p.emptyLeaf ?? (create ? this.reserved(p, EMPTY_SEGMENT) : null);
    if (k === K_LEAF && len === 2 && text.charCodeAt(from) === 42 && text.charCodeAt(from + 1) === 42) {
      return p.deepLeaf ?? (create ? this.reserved(p, DEEP_SEGMENT) : null);
    }
    if (p.level === 2) return this.star(p, k, create);
    findCore(text, from, to);
    const coreFrom = coreSpan[0]!;
    const coreTo = coreSpan[1]!;
    const wildCore = coreTo - coreFrom === 1 && text.charCodeAt(coreFrom) === 42; // already `*` / `{*}`
    const tagged = coreFrom !== from || coreTo !== to;
    if (p.level === 0 && !wildCore && idRuleAt(text, coreFrom, coreTo, tagged) === undefined) {
      // A literal segment.
      if (!probed) {
        this.hashSpan(p, text, from, to, -1, -1, k);
        const found = this.probe(p, this.h1, this.h2, this.hlen, k);
        if (found !== null) return found;
      }
      if (!create) return null;
      if (p.literals >= this.limits.collapseAfter) {
        this.collapse(p, 1);
        return this.mapChild(p, text, from, to, k, create, true);
      }
      this.hashSpan(p, text, from, to, -1, -1, k);
      return this.make(p, detach(text.slice(from, to)), k, false, this.h1, this.h2, this.hlen);
    }
    if (coreFrom === from && coreTo === to) return this.star(p, k, create);
    // A wild form: the segment with its core replaced by `*`.
    this.hashSpan(p, text, from, to, coreFrom, coreTo, k);
    const found = this.probe(p, this.h1, this.h2, this.hlen, k);
    if (found !== null || !create) return found;
    if (p.forms >= this.limits.collapseAfter) {
      this.collapse(p, 2);
      return this.star(p, k, create);
    }
    const segment = detach(text.slice(from, coreFrom) + WILD + text.slice(coreTo, to));
    return this.make(p, segment, k, true, this.h1, this.h2, this.hlen);
  }

  /**
   * Edge hash of segment [from, to) of `text` under `p` (with the delimiter for a prefix), with
   * [coreFrom, coreTo) replaced by `*` when coreFrom >= 0, into h1, h2 and hlen (hashed length).
   */
  private hashSpan(p: Node, text: string, from: number, to: number, coreFrom: number, coreTo: number, k: number): void {
    let a = p.salt1;
    let b = p.salt2;
    const stop = coreFrom < 0 ? to : coreFrom;
    for (let i = from; i < stop; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
    }
    let len = stop - from;
    if (coreFrom >= 0) {
      a = Math.imul(a ^ 42, 0x01000193);
      b = Math.imul(((b << 5) | (b >>> 27)) ^ 42, 0x9e3779b1);
      for (let i = coreTo; i < to; i++) {
        const c = text.charCodeAt(i);
        a = Math.imul(a ^ c, 0x01000193);
        b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
      }
      len += 1 + to - coreTo;
    }
    if (k === K_PREFIX) {
      const d = this.delimiter;
      for (let i = 0; i < d.length; i++) {
        const c = d.charCodeAt(i);
        a = Math.imul(a ^ c, 0x01000193);
        b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
      }
      len += d.length;
    }
    this.h1 = fmix(a);
    this.h2 = fmix(b);
    this.hlen = len;
  }

  private star(p: Node, k: number, create: boolean): Node | null {
    const existing = k === K_PREFIX ? p.starPrefix : p.starLeaf;
    if (existing !== null || !create) return existing;
    this.hashSpan(p, WILD, 0, 1, -1, -1, k);
    const child = this.make(p, WILD, k, true, this.h1, this.h2, this.hlen);
    if (child.k === K_PREFIX) p.starPrefix = child;
    else if (child.k === K_LEAF) p.starLeaf = child;
    return child;
  }

  /** The EMPTY_SEGMENT or DEEP_SEGMENT leaf of `p` (known not to exist yet), or OTHER when full. */
  private reserved(p: Node, segment: string): Node {
    const child = this.make(p, segment, K_LEAF, true, 0, 0, -1);
    if (child.k === K_LEAF) {
      if (segment === EMPTY_SEGMENT) p.emptyLeaf = child;
      else p.deepLeaf = child;
    }
    return child;
  }

  /** A new child of `p`, or p's OTHER bucket when the tree is full. */
  private make(p: Node, segment: string, k: number, wild: boolean, h1: number, h2: number, hlen: number): Node {
    if (this.namedNodes >= this.limits.nodes) return this.otherOf(p);
    const pattern = detach(p.pattern + segment + (k === K_PREFIX ? this.delimiter : ''));
    const child = new Node(pattern, segment, p, k, p.depth + 1, wild, h1, h2, hlen, this.nextSalt());
    (p.children ??= []).push(child);
    this.namedNodes++;
    this.insert(child);
    if (!wild) {
      p.literals++;
      p.childSig = (p.childSig + child.sig) | 0;
      this.checkTwins(p);
    } else if (segment !== WILD && segment !== EMPTY_SEGMENT && segment !== DEEP_SEGMENT) p.forms++;
    return child;
  }

  /**
   * After `p`'s literal children changed: when `twinsAfter` literal siblings of `p` (itself
   * included) have the same two or more literal children, their parent is a variable position
   * whose values have no id shape and too few values for the cardinality rule (10 search terms,
   * each with pages p1..p3). The parent's collapse waits for `settle` (p is on the path being built).
   * This rule, unlike the others, reads a moment of the tree, not only what was ever seen; its
   * decisions travel with snapshots like the others.
   */
  private checkTwins(p: Node): void {
    const g = p.parent;
    const after = this.limits.twinsAfter;
    if (after === 0 || g === null || g.level !== 0 || p.wild || p.k !== K_PREFIX || p.literals < 2) return;
    let same = 0;
    for (const s of g.children!) {
      if (s.k === K_PREFIX && !s.wild && s.literals === p.literals && s.childSig === p.childSig && ++same >= after) {
        this.pending.push(g);
        return;
      }
    }
  }

  /** Runs the collapses that checkTwins deferred (and any they lead to). */
  private settle(): void {
    while (this.pending.length > 0) {
      const g = this.pending.pop()!;
      if (!g.dead && g.level === 0) this.collapse(g, 1);
    }
  }

  private otherOf(p: Node): Node {
    let other = p.other;
    if (other === null) {
      other = p.other = new Node(detach(p.pattern + OTHER_PREFIX), OTHER_PREFIX, p, K_OTHER, p.depth + 1, true, 0, 0, -1, this.nextSalt());
      this.insert(other);
    }
    return other;
  }

  private nextSalt(): number {
    return fmix(Math.imul(this.salts++, 0x9e3779b1) ^ this.seed);
  }

  private insert(n: Node): void {
    this.nodeList.push(n);
    this.byPattern.set(n.pattern, n);
    if (n.hlen < 0) return; // reached by link only (OTHER, ∅, **)
    if (this.nodeList.length * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(n);
  }

  /**
   * Drops dead nodes from the list and rebuilds the table from the live ones, at `size` slots, or
   * fewer when the live nodes fit in a quarter of that (the table stays between 1/4 and 1/2 full).
   */
  private rehash(size: number): void {
    this.nodeList = this.nodeList.filter((n) => !n.dead);
    let want = 1024;
    while (want < this.nodeList.length * 2) want *= 2;
    size = Math.max(want, Math.min(size, want * 2));
    this.slots = new Array<Node | null>(size).fill(null);
    this.slotH1 = new Int32Array(size);
    this.slotH2 = new Int32Array(size);
    this.mask = size - 1;
    for (const n of this.nodeList) if (!n.dead && n.hlen >= 0) this.place(n);
  }

  private place(n: Node): void {
    const { slots, mask } = this;
    let i = n.h1 & mask;
    while (slots[i] !== null) i = (i + 1) & mask;
    slots[i] = n;
    this.slotH1[i] = n.h1;
    this.slotH2[i] = n.h2;
  }

  // ---- collapse ----------------------------------------------------------------------------------

  /**
   * Raises `p` to `level`: its children that the level maps elsewhere (literals at 1; everything
   * but `*`, `∅`, `**` and OTHER at 2) are taken out with their subtrees, their collapse decisions
   * are carried to where they now map, and their leaves are put back through the new mapping with
   * their counts (p's own counts do not change). Nodes made on the way may collapse in turn.
   */
  private collapse(p: Node, level: number): void {
    if (p.level >= level || p.k !== K_PREFIX) return;
    p.level = level;
    this.collapses++;
    this.collapsing++;
    const moved: Moved[] = [];
    const decisions: Array<{ segments: string[]; level: number }> = [];
    const keep: Node[] = [];
    for (const c of p.children ?? []) {
      const stays = level === 1 ? c.wild : c === p.starPrefix || c === p.starLeaf || c === p.emptyLeaf || c === p.deepLeaf;
      if (stays) keep.push(c);
      else this.takeOut(c, [c.segment], moved, decisions);
    }
    p.children = keep.length > 0 ? keep : null;
    p.literals = 0;
    p.childSig = 0;
    p.forms = 0;
    for (const c of keep) if (c.wild && c.segment !== WILD && c !== p.emptyLeaf && c !== p.deepLeaf) p.forms++;
    // Decisions first (parents before children, as takeOut listed them), so that leaves go
    // straight to where they belong.
    for (const d of decisions) {
      const target = this.resolve(p, d.segments, K_PREFIX);
      if (target.k === K_PREFIX) this.collapse(target, d.level);
    }
    for (const m of moved) this.putBack(this.resolve(p, m.segments, m.k), m, p);
    this.collapsing--;
    if (this.collapsing === 0) this.rehash(this.slots.length);
  }

  /** Marks `n` and its subtree dead, listing its leaves and decisions with their segments below p. */
  private takeOut(n: Node, segments: string[], moved: Moved[], decisions: Array<{ segments: string[]; level: number }>): void {
    n.dead = true;
    this.byPattern.delete(n.pattern);
    if (n.k !== K_OTHER) this.namedNodes--;
    if (n.k !== K_PREFIX) {
      moved.push({ segments, k: n.k, count: n.count, reads: n.reads, writes: n.writes, rate: n.rate, lastCount: n.lastCount, seeded: n.seeded });
      return;
    }
    if (n.level > 0) decisions.push({ segments, level: n.level });
    for (const c of n.children ?? []) this.takeOut(c, [...segments, c.segment], moved, decisions);
    if (n.other !== null) this.takeOut(n.other, [...segments, OTHER_PREFIX], moved, decisions);
  }

  /**
   * The node for `segments` below `from` as the tree maps them now, made where missing: all
   * segments are prefixes but the last, of kind `k` (OTHER: the last segment is the bucket).
   */
  private resolve(from: Node, segments: readonly string[], k: number): Node {
    let n = from;
    const lastAt = segments.length - 1;
    for (let i = 0; i <= lastAt; i++) {
      if (n.k !== K_PREFIX) return n; // OTHER, or the deep leaf of a deeper tree's path
      if (i === lastAt && k === K_OTHER) return this.otherOf(n);
      const s = segments[i]!;
      const kind = i < lastAt ? K_PREFIX : k;
      n = this.findOrMap(n, s, kind);
    }
    return n;
  }

  private findOrMap(n: Node, s: string, kind: number): Node {
    if (n.depth === this.limits.depth && kind === K_PREFIX) {
      // Only reached when merging a tree with a deeper limit: everything below is one deep leaf.
      return n.deepLeaf ?? this.reserved(n, DEEP_SEGMENT);
    }
    if (kind === K_LEAF && s === EMPTY_SEGMENT) return n.emptyLeaf ?? this.reserved(n, EMPTY_SEGMENT);
    return this.mapChild(n, s, 0, s.length, kind, true, false)!;
  }

  /** Adds a moved leaf's counts to `target` and its ancestors up to (not including) `stop`. */
  private putBack(target: Node, c: Carried, stop: Node | null): void {
    for (let x: Node | null = target; x !== null && x !== stop; x = x.parent) {
      x.count += c.count;
      x.reads += c.reads;
      x.writes += c.writes;
      x.rate += c.rate;
      x.lastCount += c.lastCount;
      x.seeded ||= c.seeded;
    }
  }

  // ---- mapping patterns and keys -----------------------------------------------------------------

  /**
   * `text` split at the delimiter and mapped segment by segment through the nodes it reaches: a
   * pattern through the collapse levels only (`shapes` false: its segments were judged when it was
   * recorded), a key through shapes too. Past the last node found, segments map by shape (keys) or
   * stay (patterns).
   */
  private mapPattern(text: string, shapes: boolean): string {
    const delimiter = this.delimiter;
    const step = delimiter.length;
    let n: Node | null = this.root;
    let out = '';
    let start = 0;
    let depth = 0;
    for (;;) {
      const at = text.indexOf(delimiter, start);
      const leafSeg = at < 0;
      if (!leafSeg && depth === this.limits.depth && shapes) return out + DEEP_SEGMENT;
      const to = leafSeg ? text.length : at;
      if (leafSeg && start === to) {
        // A pattern ending with the delimiter is a prefix: done. A key ending with it ends in ∅.
        return shapes ? out + EMPTY_SEGMENT : out;
      }
      const k = leafSeg ? K_LEAF : K_PREFIX;
      let mapped: string;
      const child: Node | null = n === null ? null : this.mapChild(n, text, start, to, k, false, false);
      if (child !== null && child.k !== K_OTHER) mapped = child.segment;
      else mapped = this.mapSegment(n, text, start, to, shapes);
      out += leafSeg ? mapped : mapped + delimiter;
      if (leafSeg) return out;
      n = child !== null && child.k === K_PREFIX ? child : null;
      start = at + step;
      depth++;
    }
  }

  /** One segment mapped without a node to find: by the level of `n` (if any), and by shape for keys. */
  private mapSegment(n: Node | null, text: string, from: number, to: number, shapes: boolean): string {
    const s = text.slice(from, to);
    if (s === OTHER_PREFIX || s === DEEP_SEGMENT || s === EMPTY_SEGMENT) return s;
    const level = n === null ? 0 : n.level;
    if (level === 2) return WILD;
    findCore(text, from, to);
    const coreFrom = coreSpan[0]!;
    const coreTo = coreSpan[1]!;
    if (level === 1 || (shapes && idRuleAt(text, coreFrom, coreTo, coreFrom !== from || coreTo !== to) !== undefined)) {
      return text.slice(from, coreFrom) + WILD + text.slice(coreTo, to);
    }
    return s;
  }

  // ---- merging -----------------------------------------------------------------------------------

  /** Applies one snapshot's decisions (see mergeSnapshots). */
  applyDecision(d: PatternDecision): void {
    const segments = splitPattern(d.pattern, this.delimiter);
    if (segments.length === 0) {
      this.collapse(this.root, d.level);
      return;
    }
    const target = this.resolve(this.root, segments, K_PREFIX);
    if (target.k === K_PREFIX) this.collapse(target, d.level);
    this.settle();
  }

  /** Adds one snapshot's leaves (see mergeSnapshots). */
  addSnapshotLeaves(s: PatternSnapshot): void {
    const paths: string[][] = new Array(s.nodes.length);
    for (let i = 0; i < s.nodes.length; i++) {
      const node = s.nodes[i]!;
      const segments = node.parent < 0 ? [node.segment] : [...paths[node.parent]!, node.segment];
      paths[i] = segments;
      if (node.kind === 'prefix') continue;
      const k = node.kind === 'leaf' ? K_LEAF : K_OTHER;
      const target = this.resolve(this.root, segments, k);
      this.putBack(target, { count: node.count, reads: node.reads, writes: node.writes, rate: node.rate, lastCount: node.count, seeded: true }, null);
      this.settle();
    }
  }
}

/** Whether [from, to) is EMPTY_SEGMENT or DEEP_SEGMENT, which a leaf maps to those leaves. */
function reservedLeaf(text: string, from: number, to: number): boolean {
  const len = to - from;
  return (len === 1 && text.charCodeAt(from) === 0x2205) || (len === 2 && text.charCodeAt(from) === 42 && text.charCodeAt(from + 1) === 42);
}

/** Delimiter levels of a prefix pattern (`a:b:` → 2); a leaf counts its last segment too. */
function depthOf(pattern: string, delimiter: string): number {
  return splitPattern(pattern, delimiter).length;
}

/** The segments of a pattern: `a:{*}:` → ['a', '{*}'], `a:b` → ['a', 'b'], '' → []. */
export function splitPattern(pattern: string, delimiter: string): string[] {
  if (pattern === '') return [];
  const parts = pattern.split(delimiter);
  if (pattern.endsWith(delimiter)) parts.pop();
  return parts;
}

/**
 * One read-only tree from the snapshots of several collectors (cluster nodes, partitions of a
 * capture). Every input's patterns are canonicalised under the union of all inputs' collapse
 * decisions before summing: decisions are applied first (shallowest first), then every leaf of
 * every input is put back through the merged mapping, which may collapse further where the union
 * of children exceeds `collapseAfter`, exactly as one tree fed every key would have. Cost:
 * O(total nodes × depth); nothing per event. Rates are summed (a prefix's rate becomes the sum of
 * its leaves' rates). Limits: the first snapshot's, unless given.
 */
export function mergeSnapshots(list: readonly PatternSnapshot[], limits?: PatternLimits): PatternTreeReader {
  if (list.length === 0) throw new RangeError('mergeSnapshots needs at least one snapshot');
  const delimiter = list[0]!.delimiter;
  for (const s of list) {
    if (s.format !== 'redis-recon/key-patterns@1') throw new TypeError(`unknown snapshot format ${String(s.format)}`);
    if (s.delimiter !== delimiter) throw new RangeError(`snapshots disagree on the delimiter: ${JSON.stringify(delimiter)} and ${JSON.stringify(s.delimiter)}`);
  }
  const tree = new PatternTree(delimiter, limits ?? list[0]!.limits);
  const decisions = list.flatMap((s) => s.decisions);
  decisions.sort((a, b) => depthOf(a.pattern, delimiter) - depthOf(b.pattern, delimiter));
  for (const d of decisions) tree.applyDecision(d);
  for (const s of list) tree.addSnapshotLeaves(s);
  return tree;
}
