// Counters with a hard cap on distinct keys. Past the cap, new keys are counted under OTHER_PREFIX,
// so totals stay exact while memory stays bounded by the cap, whatever the stream.
import { OTHER_PREFIX } from '../bounds.ts';

/**
 * A copy of `s` that shares no memory with the string it may have been cut from.
 *
 * V8 represents `line.slice(a, b)` (13 characters or more) as a view on `line`: storing such a key
 * in a long-lived map keeps the whole MONITOR line alive (value payload included), so a "bounded"
 * structure of 2,000 keys could pin gigabytes. Concatenating makes a cons string; slicing a cons
 * string flattens it into a fresh sequential copy first, so the result refers to that copy only.
 * About 30-40 ns; call it when a key is first stored, never on a hit.
 */
export function detach(s: string): string {
  return (s + ' ').slice(0, -1);
}

function positive(n: number): boolean {
  return n > 0 && n !== Infinity;
}

export interface CounterEntry {
  readonly key: string;
  readonly count: number;
}

/**
 * `Map<string, number>`-like counter holding at most `capacity` named keys plus the OTHER_PREFIX
 * bucket (so `size <= capacity + 1`). A key equal to OTHER_PREFIX is counted in that bucket.
 */
export class BoundedCounter {
  readonly capacity: number;
  private readonly counts = new Map<string, number>();
  private named = 0;
  private sum = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be a non-negative integer, got ${capacity}`);
    this.capacity = capacity;
  }

  /** Adds `n` (> 0; other values are ignored) to `key`, or to OTHER_PREFIX when the cap is reached. */
  add(key: string, n = 1): void {
    if (!positive(n)) return;
    this.sum += n;
    const counts = this.counts;
    const current = counts.get(key);
    if (current !== undefined) {
      counts.set(key, current + n);
    } else if (this.named < this.capacity && key !== OTHER_PREFIX) {
      this.named++;
      counts.set(detach(key), n);
    } else {
      counts.set(OTHER_PREFIX, (counts.get(OTHER_PREFIX) ?? 0) + n);
    }
  }

  /** The count of `key` (0 when unknown; keys beyond the cap read 0, their counts are in OTHER_PREFIX). */
  get(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  has(key: string): boolean {
    return this.counts.has(key);
  }

  /** Every entry, OTHER_PREFIX included, by count descending then key ascending. */
  entries(): CounterEntry[] {
    const out: CounterEntry[] = [];
    for (const [key, count] of this.counts) out.push(Object.freeze({ key, count }));
    return out.sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Distinct entries held, the OTHER_PREFIX bucket included. */
  get size(): number {
    return this.counts.size;
  }

  /** Sum of everything added: exact, whatever the cap. */
  get total(): number {
    return this.sum;
  }

  clear(): void {
    this.counts.clear();
    this.named = 0;
    this.sum = 0;
  }
}

export interface ReadWriteEntry {
  readonly key: string;
  readonly reads: number;
  readonly writes: number;
}

interface RW {
  reads: number;
  writes: number;
}

/**
 * Reads and writes per key (per-client prefixes), at most `capacity` named keys plus the
 * OTHER_PREFIX bucket, like BoundedCounter.
 */
export class ReadWriteCounter {
  readonly capacity: number;
  private readonly counts = new Map<string, RW>();
  private named = 0;
  private readSum = 0;
  private writeSum = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be a non-negative integer, got ${capacity}`);
    this.capacity = capacity;
  }

  /** Adds `n` (> 0; other values are ignored) reads or writes to `key` (or to OTHER_PREFIX past the cap). */
  add(key: string, write: boolean, n = 1): void {
    if (!positive(n)) return;
    let rw = this.counts.get(key);
    if (rw === undefined) {
      if (this.named < this.capacity && key !== OTHER_PREFIX) {
        this.named++;
        rw = { reads: 0, writes: 0 };
        this.counts.set(detach(key), rw);
      } else {
        rw = this.counts.get(OTHER_PREFIX);
        if (rw === undefined) {
          rw = { reads: 0, writes: 0 };
          this.counts.set(OTHER_PREFIX, rw);
        }
      }
    }
    if (write) {
      rw.writes += n;
      this.writeSum += n;
    } else {
      rw.reads += n;
      this.readSum += n;
    }
  }

  get(key: string): ReadWriteEntry | undefined {
    const rw = this.counts.get(key);
    return rw === undefined ? undefined : Object.freeze({ key, reads: rw.reads, writes: rw.writes });
  }

  has(key: string): boolean {
    return this.counts.has(key);
  }

  /** Every entry, OTHER_PREFIX included, by reads + writes descending then key ascending. */
  entries(): ReadWriteEntry[] {
    const out: ReadWriteEntry[] = [];
    for (const [key, rw] of this.counts) out.push(Object.freeze({ key, reads: rw.reads, writes: rw.writes }));
    return out.sort(
      (a, b) => b.reads + b.writes - (a.reads + a.writes) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
  }

  /** Distinct entries held, the OTHER_PREFIX bucket included. */
  get size(): number {
    return this.counts.size;
  }

  get reads(): number {
    return this.readSum;
  }

  get writes(): number {
    return this.writeSum;
  }

  /** reads + writes: exact, whatever the cap. */
  get total(): number {
    return this.readSum + this.writeSum;
  }

  clear(): void {
    this.counts.clear();
    this.named = 0;
    this.readSum = 0;
    this.writeSum = 0;
  }
}
