// The literal prefix tree the heatmap used before key patterns (src/analysis/keyPatterns.ts)
// replaced it, kept only as the reference the benches compare against. Not used by the product.
//
// Traffic per key prefix, as a tree cut at a delimiter. Key `app:user:42` with delimiter `:` counts
// at the root and at the nodes `app:` and `app:user:`: every proper prefix that ends just after a
// delimiter (a prefix always includes its trailing delimiter; the whole key is never a node).
//
// Bounds (see BOUNDS): nothing below `depth` delimiter levels; a node keeps at most `children` named
// children; the tree keeps at most `nodes` named nodes. A name that does not fit goes to its parent's
// OTHER_PREFIX child (`app:…:`). OTHER children are leaves (nothing is recorded below them, since
// they mix unrelated names) and are not counted in `nodes`: there is at most one per node, so the
// tree never holds more than 2 × nodes + 1 node objects, each of fixed size. A key whose segment is
// literally OTHER_PREFIX is counted in the OTHER child.
//
// Hot path (`add` runs per key per event): the key is scanned once with indexOf, and the characters
// up to each recorded delimiter feed a running 64-bit hash (two 32-bit lanes), so every prefix of the
// key has its hash without a substring being made. The deepest prefix is looked up first, in an
// open-addressing table of every node by (hash, length); a hit (the usual case) costs one probe
// whatever the depth, then the counts go up the parent chain. On a miss shallower prefixes are
// probed, then nodes are created (or OTHER taken) on the way back down.
// A node is identified by its 64-bit hash and length, not by comparing characters: reading the stored
// prefix to compare costs a cache miss and a runtime call per event (~60 ns of ~150 on the bench).
// Two different prefixes of the same length are confused with probability about 2^-64 per probe
// (seeded per tree): ~10^-7 over 10^12 events, far below any count we display. Queries by prefix
// (`node`, `children`) do compare characters.
// Measured alternatives, all ~1.5-2x slower per event on 3-level keys: a Map of segments per node
// (a slice and a Map lookup per level), one Map from prefix string to node (V8 hashes the slice in
// C++ and compares sliced strings through a runtime call).
//
// Rates: `tick(nowMs)` turns counts into events per second with an exponentially-weighted moving
// average, 5 s half-life (see rate.ts for why that rather than a window).
import { OTHER_PREFIX } from '../../src/bounds.ts';
import { detach } from '../../src/analysis/boundedCounter.ts';
import { ewmaAlpha, RATE_HALF_LIFE_MS } from '../../src/analysis/rate.ts';

/** The bounds this tree had in the product (src/bounds.ts held them until key patterns replaced it). */
export const PREFIX_BOUNDS = { prefixDepth: 6, prefixChildren: 500, prefixNodes: 50_000, prefixesPerClient: 256 } as const;
const BOUNDS = PREFIX_BOUNDS;

export interface PrefixLimits {
  /** Delimiter levels recorded (a node of depth d has d delimiters in its prefix). */
  readonly depth: number;
  /** Named children per node. */
  readonly children: number;
  /** Named nodes in the whole tree (the root and OTHER buckets not included). */
  readonly nodes: number;
}

export const DEFAULT_PREFIX_LIMITS: PrefixLimits = Object.freeze({
  depth: BOUNDS.prefixDepth,
  children: BOUNDS.prefixChildren,
  nodes: BOUNDS.prefixNodes,
});

/** One node as the UI sees it. */
export interface PrefixView {
  /** The full prefix with its trailing delimiter, `app:user:`; '' for the root. */
  readonly prefix: string;
  /** The last segment without delimiter, `user`; OTHER_PREFIX for an overflow bucket; '' for the root. */
  readonly segment: string;
  readonly count: number;
  readonly reads: number;
  readonly writes: number;
  /** Events per second as of the last tick. */
  readonly rate: number;
  readonly hasChildren: boolean;
}

/** One node as exports see it. */
export interface PrefixStat {
  readonly prefix: string;
  readonly reads: number;
  readonly writes: number;
  readonly count: number;
  readonly rate: number;
}

class Node {
  count = 0;
  reads = 0;
  writes = 0;
  rate = 0;
  /** `count` at the last tick. */
  lastCount = 0;
  /** Whether `rate` has had its first sample. */
  seeded = false;
  /** Named children, created with the first one. */
  named: Node[] | null = null;
  /** The OTHER_PREFIX child. */
  otherChild: Node | null = null;

  constructor(
    readonly prefix: string,
    readonly segment: string,
    readonly parent: Node | null,
    readonly other: boolean,
    /** The two hash lanes of `prefix` (see PrefixTree.add). */
    readonly h1: number,
    readonly h2: number,
  ) {}
}

/** Final mix of a lane, so that the low bits used to index the table depend on every character. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function byCountThenPrefix(a: Node, b: Node): number {
  return b.count - a.count || (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0);
}

function childNodes(n: Node): Node[] {
  const out = n.named === null ? [] : n.named.slice();
  if (n.otherChild !== null) out.push(n.otherChild);
  return out;
}

function view(n: Node): PrefixView {
  return Object.freeze({
    prefix: n.prefix,
    segment: n.segment,
    count: n.count,
    reads: n.reads,
    writes: n.writes,
    rate: n.rate,
    hasChildren: n.named !== null || n.otherChild !== null,
  });
}

export class PrefixTree {
  readonly delimiter: string;
  readonly limits: PrefixLimits;
  private root = new Node('', '', null, false, 0, 0);
  /** Every node but the root, OTHER buckets included, for `tick` (nodes are never removed). */
  private nodeList: Node[] = [];
  /** Open-addressing table (linear probing, at most half full) of the same nodes by hash. */
  private slots: Array<Node | null> = new Array<Node | null>(1024).fill(null);
  private slotH1 = new Int32Array(1024);
  private slotH2 = new Int32Array(1024);
  private mask = 1023;
  private readonly seed1 = (Math.random() * 0x100000000) | 0;
  private readonly seed2 = (Math.random() * 0x100000000) | 0;
  private namedNodes = 0;
  private lastTickMs: number | undefined;
  /** Scratch for `add`: where the prefix of depth d ends in the key, and its hash lanes. */
  private readonly ends: Int32Array;
  private readonly h1s: Int32Array;
  private readonly h2s: Int32Array;

  constructor(delimiter: string, limits: PrefixLimits = DEFAULT_PREFIX_LIMITS) {
    if (delimiter.length === 0) throw new RangeError('delimiter must not be empty');
    for (const k of ['depth', 'children', 'nodes'] as const) {
      if (!Number.isInteger(limits[k]) || limits[k] < 0) throw new RangeError(`limits.${k} must be a non-negative integer, got ${limits[k]}`);
    }
    this.delimiter = delimiter;
    this.limits = Object.freeze({ depth: limits.depth, children: limits.children, nodes: limits.nodes });
    this.ends = new Int32Array(limits.depth + 1);
    this.h1s = new Int32Array(limits.depth + 1);
    this.h2s = new Int32Array(limits.depth + 1);
  }

  /** Counts `n` (> 0 and finite; other values are ignored) reads or writes of `key`. */
  add(key: string, write: boolean, n = 1): void {
    if (!(n > 0 && n !== Infinity)) return;
    // Where the recorded prefixes end, and their hashes: lane 1 is FNV-1a, lane 2 rotates before
    // multiplying so that its low bits do not depend only on the characters' low bits.
    const delimiter = this.delimiter;
    const step = delimiter.length;
    const last = key.length;
    const maxDepth = this.limits.depth;
    const { ends, h1s, h2s } = this;
    let levels = 0;
    let start = 0;
    let a = this.seed1;
    let b = this.seed2;
    while (levels < maxDepth) {
      const at = key.indexOf(delimiter, start);
      if (at < 0) break;
      const end = at + step;
      if (end >= last) break; // the key itself ends with the delimiter: not a proper prefix
      for (let i = start; i < end; i++) {
        const c = key.charCodeAt(i);
        a = Math.imul(a ^ c, 0x01000193);
        b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
      }
      start = end;
      ends[++levels] = end;
      h1s[levels] = fmix(a);
      h2s[levels] = fmix(b);
    }
    let node: Node | null = this.root;
    if (levels > 0) {
      node = this.probe(h1s[levels]!, h2s[levels]!, ends[levels]!);
      if (node === null) node = this.descend(key, levels);
    }
    for (let x: Node | null = node; x !== null; x = x.parent) {
      x.count += n;
      if (write) x.writes += n;
      else x.reads += n;
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

  /** The node of `prefix` ('' is the root), or undefined if the tree has no such node. */
  node(prefix: string): PrefixView | undefined {
    const n = this.find(prefix);
    return n === undefined ? undefined : view(n);
  }

  /** Children of `prefix` ('' for the top level) by count descending; [] if there is no such node. */
  children(prefix: string): PrefixView[] {
    const n = this.find(prefix);
    return n === undefined ? [] : childNodes(n).sort(byCountThenPrefix).map(view);
  }

  /** Every node but the root, depth-first, siblings by count descending. */
  all(): PrefixStat[] {
    const out: PrefixStat[] = [];
    const visit = (n: Node): void => {
      for (const c of childNodes(n).sort(byCountThenPrefix)) {
        out.push(Object.freeze({ prefix: c.prefix, reads: c.reads, writes: c.writes, count: c.count, rate: c.rate }));
        visit(c);
      }
    };
    visit(this.root);
    return out;
  }

  /** Events counted (the root's count). */
  get total(): number {
    return this.root.count;
  }

  /** Named nodes (<= limits.nodes); the root and OTHER buckets not included. */
  get size(): number {
    return this.namedNodes;
  }

  /** All node objects but the root, OTHER buckets included (<= 2 × limits.nodes + 1). */
  get nodeCount(): number {
    return this.nodeList.length;
  }

  clear(): void {
    this.root = new Node('', '', null, false, 0, 0);
    this.nodeList = [];
    this.slots = new Array<Node | null>(1024).fill(null);
    this.slotH1 = new Int32Array(1024);
    this.slotH2 = new Int32Array(1024);
    this.mask = 1023;
    this.namedNodes = 0;
    this.lastTickMs = undefined;
  }

  /** The node of the prefix of `levels` depth that `add` has just hashed, creating what is missing. */
  private descend(key: string, levels: number): Node {
    const { ends, h1s, h2s } = this;
    let depth = levels;
    let node: Node | null = null;
    while (node === null && --depth > 0) node = this.probe(h1s[depth]!, h2s[depth]!, ends[depth]!);
    if (node === null) node = this.root;
    while (depth < levels && !node.other) {
      depth++;
      node = this.grow(node, key, depth);
    }
    return node;
  }

  /**
   * The child of `parent` for the prefix of `depth` that `add` has just hashed, known not to exist
   * yet: a new named node, or the OTHER bucket when it does not fit.
   */
  private grow(parent: Node, key: string, depth: number): Node {
    const end = this.ends[depth]!;
    const start = parent.prefix.length;
    const at = end - this.delimiter.length;
    const fits =
      (parent.named === null ? 0 : parent.named.length) < this.limits.children &&
      this.namedNodes < this.limits.nodes &&
      !(at - start === OTHER_PREFIX.length && key.startsWith(OTHER_PREFIX, start));
    if (fits) {
      const prefix = detach(key.slice(0, end));
      const child = new Node(prefix, prefix.slice(start, at), parent, false, this.h1s[depth]!, this.h2s[depth]!);
      (parent.named ??= []).push(child);
      this.namedNodes++;
      this.insert(child);
      return child;
    }
    let other = parent.otherChild;
    if (other === null) {
      const prefix = parent.prefix + OTHER_PREFIX + this.delimiter;
      const [h1, h2] = this.hash(prefix);
      other = parent.otherChild = new Node(prefix, OTHER_PREFIX, parent, true, h1, h2);
      this.insert(other);
    }
    return other;
  }

  /** The node whose prefix has these hashes and length. */
  private probe(h1: number, h2: number, length: number): Node | null {
    const { slots, slotH1, slotH2, mask } = this;
    for (let i = h1 & mask; ; i = (i + 1) & mask) {
      const n = slots[i]!;
      if (n === null) return null;
      if (slotH1[i] === h1 && slotH2[i] === h2 && n.prefix.length === length) return n;
    }
  }

  private insert(n: Node): void {
    this.nodeList.push(n);
    if (this.nodeList.length * 2 > this.slots.length) {
      // Double the table and place every node again.
      const size = this.slots.length * 2;
      this.slots = new Array<Node | null>(size).fill(null);
      this.slotH1 = new Int32Array(size);
      this.slotH2 = new Int32Array(size);
      this.mask = size - 1;
      for (const m of this.nodeList) this.place(m);
    } else this.place(n);
  }

  private place(n: Node): void {
    const { slots, mask } = this;
    let i = n.h1 & mask;
    while (slots[i] !== null) i = (i + 1) & mask;
    slots[i] = n;
    this.slotH1[i] = n.h1;
    this.slotH2[i] = n.h2;
  }

  /** The hash lanes of a whole prefix, as `add` computes them. */
  private hash(prefix: string): [number, number] {
    let a = this.seed1;
    let b = this.seed2;
    for (let i = 0; i < prefix.length; i++) {
      const c = prefix.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
    }
    return [fmix(a), fmix(b)];
  }

  private find(prefix: string): Node | undefined {
    if (prefix === '') return this.root;
    const [h1, h2] = this.hash(prefix);
    const n = this.probe(h1, h2, prefix.length);
    return n !== null && n.prefix === prefix ? n : undefined;
  }
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
