// What one client read and wrote per key pattern, bounded, with shallow patterns never lost.
//
// Issue 8: a per-client ReadWriteCounter of the first 256 prefixes ever seen showed a client that
// read `user:N:cart` for 300 users, then wrote 5,000 `orders:N`, as `… writes=5000`, with no
// `orders:` at all. Here, fed the pattern chain of each key (PatternTree.add's handle):
// - depth 1 patterns (`orders:`, `counter`) are counted exactly, always: a tree has few of them
//   over its whole life (at most about 2 × collapseAfter + 5 names at the top, even across collapses);
// - depth 2 patterns (`orders:*`, `user:*:`) are counted exactly up to `shallowCapacity` names
//   (the tree bounds them too, but by (2 × collapseAfter + 4)² per client in the worst case); past
//   it they compete in a sketch of their own, so a shallow name is never lost to a deeper one;
// - deeper patterns and leaves compete in a weighted Space-Saving sketch of `deepCapacity`
//   entries, reads and writes kept per entry.
// Patterns are kept as the strings the tree interned, so counting is a Map hit on a string whose
// hash V8 has cached. A collapse in the tree renames patterns (`tenant:acme:` → `tenant:*:`):
// `entries` maps every name through `canonical` and merges, and compacts the counters in place when
// the tree's epoch moved, so old names do not pile up.
import { BOUNDS } from '../bounds.ts';
import type { PatternHandle } from './patternTree.ts';

export interface PatternCount {
  readonly pattern: string;
  readonly reads: number;
  readonly writes: number;
  /**
   * Overcount bound from the sketch: the true reads + writes are at least reads + writes and at
   * most reads + writes + error. 0 for exact counts (depth 1 and 2, or never evicted).
   */
  readonly error: number;
}

/** What `entries` needs from a tree. */
export interface PatternNames {
  canonical(pattern: string): string;
  readonly epoch: number;
}

interface RW {
  reads: number;
  writes: number;
  /** 1 or 2 (a rename keeps the number of segments). */
  readonly depth: number;
}

/**
 * Weighted Space-Saving (Metwally et al. 2005) with reads and writes per entry. An unseen pattern
 * takes over an entry of the minimum count m: count m + w, error m, reads and writes its own only.
 * The capacity is small (64) and patterns are few next to keys, so a miss scans for the minimum.
 */
class RWSketch {
  private readonly keys: string[] = [];
  /** reads + writes + the error inherited on admission. */
  private counts: Float64Array;
  private reads: Float64Array;
  private writes: Float64Array;
  private readonly index = new Map<string, number>();

  constructor(readonly capacity: number) {
    // Grown on demand up to capacity: most clients touch a handful of patterns.
    const start = Math.min(capacity, 8);
    this.counts = new Float64Array(start);
    this.reads = new Float64Array(start);
    this.writes = new Float64Array(start);
  }

  get size(): number {
    return this.keys.length;
  }

  /** Counts `n` reads or writes of `key`; `error`, an overcount carried from elsewhere, is added to it. */
  offer(key: string, write: boolean, n: number, error = 0): void {
    let i = this.index.get(key);
    if (i === undefined) {
      const keys = this.keys;
      if (keys.length < this.capacity) {
        i = keys.length;
        if (i === this.counts.length) this.grow();
        keys.push(key);
        this.counts[i] = 0;
      } else {
        // Take over a minimum entry: its count stays, as the newcomer's error.
        i = 0;
        const counts = this.counts;
        for (let j = 1; j < keys.length; j++) if (counts[j]! < counts[i]!) i = j;
        this.index.delete(keys[i]!);
        keys[i] = key;
      }
      this.reads[i] = this.writes[i] = 0;
      this.index.set(key, i);
    }
    this.counts[i]! += n + error;
    if (write) this.writes[i]! += n;
    else this.reads[i]! += n;
  }

  /** Entries as [key, reads, writes, error]. */
  forEach(fn: (key: string, reads: number, writes: number, error: number) => void): void {
    for (let i = 0; i < this.keys.length; i++) {
      fn(this.keys[i]!, this.reads[i]!, this.writes[i]!, this.counts[i]! - this.reads[i]! - this.writes[i]!);
    }
  }

  clear(): void {
    this.keys.length = 0;
    this.index.clear();
  }

  private grow(): void {
    const size = Math.min(this.capacity, this.counts.length * 2);
    const widen = (a: Float64Array): Float64Array => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    this.counts = widen(this.counts);
    this.reads = widen(this.reads);
    this.writes = widen(this.writes);
  }
}

export interface ClientPatternsOptions {
  /** Depth-2 patterns counted exactly (default BOUNDS.patternsPerClientShallow). */
  readonly shallowCapacity?: number;
  /** Entries of the sketch of deeper patterns (default BOUNDS.patternsPerClientDeep). */
  readonly deepCapacity?: number;
}

export class ClientPatterns {
  readonly shallowCapacity: number;
  readonly deepCapacity: number;
  private shallow = new Map<string, RW>();
  /** Depth-2 names in `shallow` (depth 1 is not capped). */
  private depth2 = 0;
  /** Depth-2 names past shallowCapacity. */
  private mid: RWSketch | null = null;
  private deep: RWSketch | null = null;
  private readSum = 0;
  private writeSum = 0;
  /** The tree epoch the names were last compacted at. */
  private epoch = 0;

  constructor(opts: ClientPatternsOptions = {}) {
    this.shallowCapacity = opts.shallowCapacity ?? BOUNDS.patternsPerClientShallow;
    this.deepCapacity = opts.deepCapacity ?? BOUNDS.patternsPerClientDeep;
    for (const k of ['shallowCapacity', 'deepCapacity'] as const) {
      if (!Number.isInteger(this[k]) || this[k] < (k === 'deepCapacity' ? 1 : 0)) throw new RangeError(`${k} must be a ${k === 'deepCapacity' ? 'positive' : 'non-negative'} integer, got ${this[k]}`);
    }
  }

  /**
   * Counts `n` (> 0 and finite; other values are ignored) reads or writes of one key, given the
   * handle PatternTree.add returned for it: the leaf and every pattern prefix above it. Use it at
   * once (before the next add).
   */
  add(leaf: PatternHandle | undefined, write: boolean, n = 1): void {
    if (leaf === undefined || !(n > 0 && n !== Infinity)) return;
    if (write) this.writeSum += n;
    else this.readSum += n;
    for (let x: PatternHandle | null = leaf; x !== null && x.depth > 0; x = x.parent) {
      if (x.depth > 2) (this.deep ??= new RWSketch(this.deepCapacity)).offer(x.pattern, write, n);
      else this.count(x.pattern, x.depth, write, n, 0);
    }
  }

  private count(pattern: string, depth: number, write: boolean, n: number, error: number): void {
    let rw = this.shallow.get(pattern);
    if (rw === undefined) {
      if (depth === 2 && this.depth2 >= this.shallowCapacity) {
        (this.mid ??= new RWSketch(this.deepCapacity)).offer(pattern, write, n, error);
        return;
      }
      if (depth === 2) this.depth2++;
      rw = { reads: 0, writes: 0, depth };
      this.shallow.set(pattern, rw);
    }
    if (write) rw.writes += n;
    else rw.reads += n;
  }

  /**
   * Every pattern this client touched, named as `tree` names it now and merged, by reads + writes
   * descending then pattern. Renames kept names in place when the tree collapsed since the last call.
   */
  entries(tree: PatternNames): PatternCount[] {
    if (tree.epoch !== this.epoch) this.compact(tree);
    const out: PatternCount[] = [];
    for (const [pattern, rw] of this.shallow) out.push({ pattern, reads: rw.reads, writes: rw.writes, error: 0 });
    const push = (pattern: string, reads: number, writes: number, error: number): void => void out.push({ pattern, reads, writes, error });
    this.mid?.forEach(push);
    this.deep?.forEach(push);
    // The depth-2 sketch may hold a name that the exact map holds too (a rename merged two
    // names, one exact, one not): merge by name.
    const merged = new Map<string, { pattern: string; reads: number; writes: number; error: number }>();
    for (const e of out) {
      const m = merged.get(e.pattern);
      if (m === undefined) merged.set(e.pattern, { ...e });
      else {
        m.reads += e.reads;
        m.writes += e.writes;
        m.error += e.error;
      }
    }
    return [...merged.values()]
      .map((e) => Object.freeze(e))
      .sort((a, b) => b.reads + b.writes - (a.reads + a.writes) || (a.pattern < b.pattern ? -1 : a.pattern > b.pattern ? 1 : 0));
  }

  /**
   * Adds what `other` counted (a connection the ledger split off by mistake, folded back into the
   * one it was). Names are taken as they are; the older of the two epochs is kept, so the next
   * `entries` renames anything either of them recorded before a collapse.
   */
  absorb(other: ClientPatterns): void {
    this.readSum += other.readSum;
    this.writeSum += other.writeSum;
    this.epoch = Math.min(this.epoch, other.epoch);
    for (const [pattern, rw] of other.shallow) {
      if (rw.reads > 0) this.count(pattern, rw.depth, false, rw.reads, 0);
      if (rw.writes > 0) this.count(pattern, rw.depth, true, rw.writes, 0);
    }
    other.mid?.forEach((pattern, reads, writes, error) => {
      if (reads > 0 || error > 0) this.count(pattern, 2, false, reads, error);
      if (writes > 0) this.count(pattern, 2, true, writes, 0);
    });
    other.deep?.forEach((pattern, reads, writes, error) => {
      const deep = (this.deep ??= new RWSketch(this.deepCapacity));
      if (reads > 0 || error > 0) deep.offer(pattern, false, reads, error);
      if (writes > 0) deep.offer(pattern, true, writes);
    });
  }

  /** Renames every kept pattern through `tree.canonical`, merging those that now share a name. */
  compact(tree: PatternNames): void {
    this.epoch = tree.epoch;
    const old = this.shallow;
    this.shallow = new Map();
    this.depth2 = 0;
    for (const [pattern, rw] of old) {
      const name = tree.canonical(pattern);
      if (rw.reads > 0) this.count(name, rw.depth, false, rw.reads, 0);
      if (rw.writes > 0) this.count(name, rw.depth, true, rw.writes, 0);
    }
    const mid = this.mid;
    this.mid = null;
    if (mid !== null) {
      for (const [name, reads, writes, error] of renamed(mid, tree)) {
        // A renamed depth-2 name may now be in the exact map, or fit in it.
        if (reads > 0 || error > 0) this.count(name, 2, false, reads, error);
        if (writes > 0) this.count(name, 2, true, writes, 0);
      }
    }
    if (this.deep !== null) {
      const rows = renamed(this.deep, tree);
      const deep = (this.deep = new RWSketch(this.deepCapacity));
      for (const [name, reads, writes, error] of rows) {
        if (reads > 0 || error > 0) deep.offer(name, false, reads, error);
        if (writes > 0) deep.offer(name, true, writes);
      }
    }
  }

  /** Distinct names held: exact ones plus sketch entries. */
  get size(): number {
    return this.shallow.size + (this.mid?.size ?? 0) + (this.deep?.size ?? 0);
  }

  get reads(): number {
    return this.readSum;
  }

  get writes(): number {
    return this.writeSum;
  }

  clear(): void {
    this.shallow.clear();
    this.depth2 = 0;
    this.mid = null;
    this.deep = null;
    this.readSum = 0;
    this.writeSum = 0;
  }
}

/**
 * A sketch's entries as [name under `tree` now, reads, writes, error], largest first, so that a
 * sketch rebuilt from them keeps the same heavy hitters. Errors travel with the reads (offered
 * first) so that the total overcount stays the same.
 */
function renamed(sketch: RWSketch, tree: PatternNames): Array<[string, number, number, number]> {
  const rows: Array<[string, number, number, number]> = [];
  sketch.forEach((pattern, reads, writes, error) => rows.push([tree.canonical(pattern), reads, writes, error]));
  return rows.sort((a, b) => b[1] + b[2] + b[3] - (a[1] + a[2] + a[3]));
}
