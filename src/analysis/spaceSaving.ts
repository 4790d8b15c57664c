// Space-Saving heavy hitters (Metwally, Agrawal, El Abbadi, "Efficient Computation of Frequent and
// Top-k Elements in Data Streams", ICDT 2005), with `capacity` counters whatever the stream.
//
// Structure: the paper's stream-summary. Counters with equal counts share a bucket; buckets form a
// doubly-linked list in ascending count order, and each bucket holds its counters in a doubly-linked
// list. A hash table of our own finds a key's counter (see KeyIndex). A unit increment moves the
// counter to the next bucket (or a new one right after): O(1). A weighted increment walks forward to
// its bucket: O(buckets passed), at most `capacity`. Counters and buckets are recycled: once the
// sketch is full the only allocation is the copy of each newly admitted key (see `detach`).
// (A binary min-heap was measured first: on skewed streams most counters tie at the minimum and each
// replaced minimum sinks through all of them: ~1.4x slower than this on the Zipf bench.)
//
// Guarantees (weights > 0): while fewer than `capacity` keys were seen, counts are exact. After that,
// an unseen key takes over a counter of the minimum count m, with count m + weight and error m.
// Counts always sum to `total`, so m <= total / capacity, hence for every monitored key
//   count - error <= true count <= count,
// every key with true count > total / capacity is monitored, and any key not monitored has a true
// count <= `threshold` (the minimum count).
import { BOUNDS } from '../bounds.ts';
import { detach } from './boundedCounter.ts';

export interface HeavyHitter {
  readonly key: string;
  /** Upper bound of the key's true count. */
  readonly count: number;
  /** Overestimation bound: the true count is at least `count - error`. */
  readonly error: number;
}

class Counter {
  /** Previous and next counters in the same bucket. */
  prev: Counter | null = null;
  next: Counter | null = null;
  /** Position in the KeyIndex. */
  slot = -1;

  constructor(
    public key: string,
    public hash: number,
    public error: number,
    public bucket: Bucket,
  ) {}
}

/**
 * Open-addressing hash table (linear probing, backward-shift deletion) from key to counter, at most
 * half full; it starts at 8 slots, since the per-client sketches of thousands of clients mostly stay
 * small. Why not a Map: keys arrive as fresh strings cut out of MONITOR lines; a Map hashes each in
 * C++ (~50 ns for 20 characters) and, on the miss that replaces a counter, hashes the stored copy
 * again, then churns its table with a delete and a set. Here the key is hashed once, in JS, and a
 * replacement only moves a few slots. On the Zipf bench, where half the events replace a counter,
 * the sketch runs about twice as fast as with a Map.
 */
/** One seed per process: no fixed set of keys collides in every run, and every sketch agrees on a key's hash. */
const SEED = (Math.random() * 0x100000000) | 0;

/**
 * FNV-1a over the UTF-16 code units, seeded, with a final mix so that the low bits spread. The same
 * for every sketch, so a key offered to two sketches (the server's and its client's) is hashed once.
 */
export function keyHash(key: string): number {
  let h = SEED ^ 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  return h ^ (h >>> 13);
}

class KeyIndex {
  private mask = 7;
  private hashes = new Int32Array(8);
  private slots: Array<Counter | null> = new Array<Counter | null>(8).fill(null);
  private count = 0;

  get(key: string, hash: number): Counter | null {
    const { hashes, slots, mask } = this;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const c = slots[i]!;
      if (c === null) return null;
      if (hashes[i] === hash && c.key === key) return c;
    }
  }

  /** Adds `c` (whose key is not in the table), doubling the table to stay at most half full. */
  insert(c: Counter): void {
    if (++this.count * 2 > this.slots.length) {
      const old = this.slots;
      const size = old.length * 2;
      this.slots = new Array<Counter | null>(size).fill(null);
      this.hashes = new Int32Array(size);
      this.mask = size - 1;
      for (const d of old) if (d !== null) this.place(d);
    }
    this.place(c);
  }

  private place(c: Counter): void {
    const { hashes, slots, mask } = this;
    let i = c.hash & mask;
    while (slots[i] !== null) i = (i + 1) & mask;
    slots[i] = c;
    hashes[i] = c.hash;
    c.slot = i;
  }

  remove(c: Counter): void {
    const { hashes, slots, mask } = this;
    this.count--;
    let hole = c.slot;
    c.slot = -1;
    // Shift back every later entry of the run that may not sit past the hole.
    for (let j = (hole + 1) & mask; ; j = (j + 1) & mask) {
      const d = slots[j]!;
      if (d === null) break;
      const home = hashes[j]! & mask;
      // d may move to the hole unless its home lies cyclically in (hole, j].
      const stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (stays) continue;
      slots[hole] = d;
      hashes[hole] = hashes[j]!;
      d.slot = hole;
      hole = j;
    }
    slots[hole] = null;
  }

  clear(): void {
    this.slots.fill(null);
    this.count = 0;
  }
}

class Bucket {
  /** Neighbouring buckets: `prev` has a smaller count, `next` a larger one. */
  prev: Bucket | null = null;
  next: Bucket | null = null;
  /** Counters with this count (never empty while the bucket is linked). */
  head: Counter | null = null;

  constructor(public count: number) {}
}

export interface SpaceSavingOptions {
  /**
   * 'always' (default): every miss takes over the minimum counter, with the guarantees above.
   * 'randomized': RAP (Ben Basat et al., "Randomized Admission Policy for Efficient Top-k and
   * Frequency Estimation", INFOCOM 2017): a miss takes it over with probability w / (min + w).
   * Heavy hitters still get in almost at once, but a stream of one-off keys (a cache's long tail)
   * no longer replaces a counter, and keeps a new string, on nearly every event: the exact bounds
   * become probabilistic, and the memory churn that dominated the cost goes away.
   */
  readonly admission?: 'always' | 'randomized';
  /** Source of randomness for 'randomized' (tests pass a seeded one). */
  readonly random?: () => number;
}

export class SpaceSaving {
  readonly capacity: number;
  private readonly randomized: boolean;
  private readonly random: () => number;
  private readonly index: KeyIndex;
  private monitored = 0;
  /** Bucket with the smallest count, and the one with the largest. */
  private min: Bucket | null = null;
  private max: Bucket | null = null;
  /** Unlinked buckets for reuse. */
  private spare: Bucket | null = null;
  private sum = 0;

  constructor(capacity: number = BOUNDS.topKeys, opts: SpaceSavingOptions = {}) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.randomized = opts.admission === 'randomized';
    this.random = opts.random ?? Math.random;
    this.index = new KeyIndex();
  }

  /**
   * Counts `weight` (> 0 and finite; other values are ignored) occurrences of `item`. Returns the
   * string the sketch holds for it (a detached copy), or undefined when it is not monitored, so a
   * second sketch fed the same key can take the held copy as `owned` and skip a copy of its own.
   * `hash` (keyHash(item)) may be passed when the caller already has it.
   */
  offer(item: string, weight = 1, owned = false, hash = keyHash(item)): string | undefined {
    if (!(weight > 0 && weight !== Infinity)) return undefined;
    this.sum += weight;
    const index = this.index;
    const counter = index.get(item, hash);
    if (counter !== null) {
      this.increment(counter, weight);
      return counter.key;
    }
    if (this.monitored < this.capacity) {
      // A new counter of count `weight`: find its place from the bottom.
      let after: Bucket | null = null;
      let b = this.min;
      while (b !== null && b.count < weight) {
        after = b;
        b = b.next;
      }
      const target = b !== null && b.count === weight ? b : this.link(weight, after, b);
      const fresh = new Counter(owned ? item : detach(item), hash, 0, target);
      push(target, fresh);
      index.insert(fresh);
      this.monitored++;
      return fresh.key;
    }
    // Full: a counter of the minimum count is handed over to the new key (under RAP, by chance).
    if (this.randomized && this.random() * (this.min!.count + weight) >= weight) return undefined;
    const victim = this.min!.head!;
    index.remove(victim);
    victim.key = owned ? item : detach(item);
    victim.hash = hash;
    victim.error = victim.bucket.count;
    index.insert(victim);
    this.increment(victim, weight);
    return victim.key;
  }

  /** The `k` largest counters by count descending (ties: smaller error, then key). */
  top(k: number = this.capacity): HeavyHitter[] {
    if (!(k > 0)) return [];
    const picked: Counter[] = [];
    // Whole buckets from the top until k counters are taken, then order and cut.
    for (let b = this.max; b !== null && picked.length < k; b = b.prev) {
      for (let c = b.head; c !== null; c = c.next) picked.push(c);
    }
    picked.sort(
      (a, b) => b.bucket.count - a.bucket.count || a.error - b.error || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
    const n = Math.min(k, picked.length);
    const out: HeavyHitter[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const c = picked[i]!;
      out[i] = Object.freeze({ key: c.key, count: c.bucket.count, error: c.error });
    }
    return out;
  }

  /** The counter of `item` if it is monitored. */
  get(item: string): HeavyHitter | undefined {
    const c = this.index.get(item, keyHash(item));
    return c === null ? undefined : Object.freeze({ key: c.key, count: c.bucket.count, error: c.error });
  }

  /** Keys monitored (<= capacity). */
  get size(): number {
    return this.monitored;
  }

  /** Sum of all weights offered. */
  get total(): number {
    return this.sum;
  }

  /**
   * Upper bound of the true count of any key not monitored: the minimum count once full, 0 before
   * (while not full every key seen is monitored exactly).
   */
  get threshold(): number {
    return this.monitored < this.capacity ? 0 : this.min!.count;
  }

  clear(): void {
    this.index.clear();
    this.monitored = 0;
    this.min = this.max = this.spare = null;
    this.sum = 0;
  }

  /** Moves `c` up by `weight`. */
  private increment(c: Counter, weight: number): void {
    const from = c.bucket;
    const count = from.count + weight;
    let after = from;
    let b = from.next;
    while (b !== null && b.count < count) {
      after = b;
      b = b.next;
    }
    // Alone in its bucket and nothing to overtake: the bucket just takes the new count.
    if (after === from && from.head === c && c.next === null && (b === null || b.count !== count)) {
      from.count = count;
      return;
    }
    const target = b !== null && b.count === count ? b : this.link(count, after, b);
    unlinkCounter(c);
    if (from.head === null) this.unlink(from);
    c.bucket = target;
    push(target, c);
  }

  /** Links an empty bucket of `count` between `after` and `before` (either may be null). */
  private link(count: number, after: Bucket | null, before: Bucket | null): Bucket {
    let b = this.spare;
    if (b !== null) {
      this.spare = b.next;
      b.count = count;
    } else b = new Bucket(count);
    b.prev = after;
    b.next = before;
    if (after !== null) after.next = b;
    else this.min = b;
    if (before !== null) before.prev = b;
    else this.max = b;
    return b;
  }

  /** Unlinks an empty bucket and keeps it for reuse. */
  private unlink(b: Bucket): void {
    if (b.prev !== null) b.prev.next = b.next;
    else this.min = b.next;
    if (b.next !== null) b.next.prev = b.prev;
    else this.max = b.prev;
    b.prev = null;
    b.next = this.spare;
    this.spare = b;
  }
}

function push(b: Bucket, c: Counter): void {
  c.prev = null;
  c.next = b.head;
  if (b.head !== null) b.head.prev = c;
  b.head = c;
}

/** Takes `c` out of its bucket's list (the bucket may be left empty). */
function unlinkCounter(c: Counter): void {
  const b = c.bucket;
  if (c.prev !== null) c.prev.next = c.next;
  else b.head = c.next;
  if (c.next !== null) c.next.prev = c.prev;
  c.prev = c.next = null;
}
