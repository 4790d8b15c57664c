// What the keyspace sampler learns about the keys it inspected, as plain sufficient statistics per
// database and key pattern: what a collector sends, what the main thread's estimator reads
// (keyspaceEstimate.ts). Pure: the sampler (src/collect/keyspace.ts) feeds it.
//
// Per pattern it keeps the count of sampled keys, the sum and the sum of squares of their sizes
// (for the bytes estimate and its interval), types, encodings, TTL buckets, the biggest keys seen,
// and for hashes on servers with hash-field expiry whether their fields expire. Patterns come from
// the sampler's own PatternTree (its collapse decisions travel with the report, and the main thread
// renames everything through the merged tree), so nothing here grows with keys: only with patterns,
// which the tree bounds.
//
// SCAN may return a key more than once (the table rehashed during the scan): `KeySet` remembers the
// keys already seen by a 64-bit fingerprint, up to BOUNDS.keyspaceDedupeKeys keys (16 bytes a key);
// past that it stops remembering and says so (`dedupeFull`): duplicates need a rehash during the
// scan, and then only keys in the buckets being moved come back, a negligible share of a keyspace
// that large.
import { BOUNDS } from '../bounds.ts';
import { detach } from './boundedCounter.ts';
import { PatternTree, type PatternSnapshot } from './patternTree.ts';

/** TTL buckets, as migration checklists (and BetterDB) use them. */
export const TTL_BUCKETS = ['none', 'lt1h', 'lt24h', 'lt7d', 'longer'] as const;
export type TtlBucket = (typeof TTL_BUCKETS)[number];
export type TtlCounts = Record<TtlBucket, number>;

const HOUR = 3_600_000;

/** The bucket of a PTTL reply (ms; -1 = no expiry). */
export function ttlBucket(pttlMs: number): TtlBucket {
  if (pttlMs < 0) return 'none';
  if (pttlMs < HOUR) return 'lt1h';
  if (pttlMs < 24 * HOUR) return 'lt24h';
  if (pttlMs < 7 * 24 * HOUR) return 'lt7d';
  return 'longer';
}

export const emptyTtl = (): TtlCounts => ({ none: 0, lt1h: 0, lt24h: 0, lt7d: 0, longer: 0 });

export interface BigKey {
  readonly key: string;
  readonly bytes: number;
  readonly type: string;
}

/** One inspected key. */
export interface InspectedKey {
  readonly key: string;
  /** TYPE's answer (`string`, `hash`, …). */
  readonly type: string;
  /** MEMORY USAGE … SAMPLES 5; undefined when the server refused it. */
  readonly bytes?: number;
  /** PTTL (ms); -1 without expiry. */
  readonly pttl: number;
  readonly encoding?: string;
  /** Hashes on servers with field expiry: whether any field checked expires; undefined if not checked. */
  readonly fieldsExpire?: boolean;
}

/** Sufficient statistics of one pattern in one database (plain data). */
export interface PatternSample {
  /** Keys inspected under the pattern. */
  keys: number;
  /** Of those, keys whose size is known (MEMORY USAGE answered). */
  sized: number;
  /** Sum and sum of squares of their sizes (bytes). */
  bytes: number;
  bytesSq: number;
  types: Record<string, number>;
  encodings: Record<string, number>;
  ttl: TtlCounts;
  /** The biggest keys seen, biggest first (at most BOUNDS.keyspaceBigKeys). */
  bigKeys: BigKey[];
  /** Hashes whose fields were checked for expiry, and those with expiring fields. */
  hashesChecked: number;
  hashesExpiring: number;
}

export const emptyPatternSample = (): PatternSample => ({
  keys: 0,
  sized: 0,
  bytes: 0,
  bytesSq: 0,
  types: {},
  encodings: {},
  ttl: emptyTtl(),
  bigKeys: [],
  hashesChecked: 0,
  hashesExpiring: 0,
});

/** One database of one node (plain data). */
export interface KeyspacePart {
  readonly db: number;
  /** Keys in the database at the last reading (INFO keyspace): the population. */
  dbsize: number;
  /** Distinct keys SCAN returned. */
  scanned: number;
  /** Of those, keys inspected that still existed (the sample). */
  sampled: number;
  /** Of those, keys whose size is known. */
  sized: number;
  /** SCAN's cursor came back to 0: every key present for the whole scan was seen. */
  complete: boolean;
  /** Per pattern (the sampler tree's names at the time of the report). */
  patterns: Record<string, PatternSample>;
}

/** Adds `b` into `a` (same database): counts summed, big keys merged. */
export function addPatternSample(a: PatternSample, b: PatternSample): void {
  a.keys += b.keys;
  a.sized += b.sized;
  a.bytes += b.bytes;
  a.bytesSq += b.bytesSq;
  for (const [t, n] of Object.entries(b.types)) a.types[t] = (a.types[t] ?? 0) + n;
  for (const [e, n] of Object.entries(b.encodings)) a.encodings[e] = (a.encodings[e] ?? 0) + n;
  for (const k of Object.keys(a.ttl) as TtlBucket[]) a.ttl[k] += b.ttl[k];
  a.bigKeys = mergeBigKeys(a.bigKeys, b.bigKeys, BOUNDS.keyspaceBigKeys);
  a.hashesChecked += b.hashesChecked;
  a.hashesExpiring += b.hashesExpiring;
}

/** The `limit` biggest of two lists (each biggest first), a key listed once. */
export function mergeBigKeys(a: readonly BigKey[], b: readonly BigKey[], limit: number): BigKey[] {
  if (b.length === 0) return a.slice(0, limit);
  const seen = new Set<string>();
  const out: BigKey[] = [];
  for (const k of [...a, ...b].sort((x, y) => y.bytes - x.bytes || (x.key < y.key ? -1 : 1))) {
    if (seen.has(k.key)) continue;
    seen.add(k.key);
    out.push(k);
    if (out.length >= limit) break;
  }
  return out;
}

function addBigKey(list: BigKey[], k: BigKey, limit: number): void {
  if (list.length >= limit && list[list.length - 1]!.bytes >= k.bytes) return;
  let i = list.length;
  while (i > 0 && list[i - 1]!.bytes < k.bytes) i--;
  list.splice(i, 0, k);
  if (list.length > limit) list.pop();
}

/**
 * The sample of one node: its parts (databases), the key patterns of what it inspected (its own
 * PatternTree, which learns which positions hold ids from the keys themselves, bounded like the
 * heatmap's), and the keys already seen.
 */
export class KeyspaceSample {
  readonly tree: PatternTree;
  private readonly parts = new Map<number, KeyspacePart>();
  private readonly seen = new KeySet(BOUNDS.keyspaceDedupeKeys);
  private renamedAt = 0;

  constructor(readonly delimiter: string) {
    this.tree = new PatternTree(delimiter);
  }

  part(db: number): KeyspacePart {
    let p = this.parts.get(db);
    if (!p) {
      p = { db, dbsize: 0, scanned: 0, sampled: 0, sized: 0, complete: false, patterns: {} };
      this.parts.set(db, p);
    }
    return p;
  }

  /** Whether `key` (in `db`) is new to this scan; counts it as scanned when it is. */
  firstSighting(db: number, key: string): boolean {
    if (!this.seen.add(db, key)) return false;
    this.part(db).scanned++;
    return true;
  }

  /** Keys the dedupe set could not hold (past its bound they are no longer remembered). */
  get dedupeFull(): boolean {
    return this.seen.full;
  }

  /** Records one inspected key (TYPE answered something other than `none`). */
  add(db: number, k: InspectedKey): void {
    const part = this.part(db);
    const key = k.key.length > BOUNDS.keyLength ? k.key.slice(0, BOUNDS.keyLength) : k.key;
    // The tree counts sampled keys (its collapse decisions need them); these counts never reach
    // the heatmap, which counts traffic (the merger zeroes them).
    const leaf = this.tree.add(key, false);
    const name = leaf?.pattern ?? key;
    let s = part.patterns[name];
    if (!s) part.patterns[name] = s = emptyPatternSample();
    part.sampled++;
    s.keys++;
    s.types[k.type] = (s.types[k.type] ?? 0) + 1;
    if (k.encoding !== undefined) s.encodings[k.encoding] = (s.encodings[k.encoding] ?? 0) + 1;
    s.ttl[ttlBucket(k.pttl)]++;
    if (k.bytes !== undefined && Number.isFinite(k.bytes)) {
      part.sized++;
      s.sized++;
      s.bytes += k.bytes;
      s.bytesSq += k.bytes * k.bytes;
      addBigKey(s.bigKeys, { key: detach(key), bytes: k.bytes, type: k.type }, BOUNDS.keyspaceBigKeys);
    }
    if (k.fieldsExpire !== undefined) {
      s.hashesChecked++;
      if (k.fieldsExpire) s.hashesExpiring++;
    }
  }

  /**
   * Renames every pattern through the tree's collapses since the last call (`tenant:acme:x` →
   * `tenant:*:x`), merging those that now share a name. Cost: the patterns, only when a collapse
   * happened.
   */
  settle(): void {
    if (this.tree.epoch === this.renamedAt) return;
    this.renamedAt = this.tree.epoch;
    for (const part of this.parts.values()) {
      const next: Record<string, PatternSample> = {};
      for (const [name, s] of Object.entries(part.patterns)) {
        const to = this.tree.canonical(name);
        const at = next[to];
        if (at) addPatternSample(at, s);
        else next[to] = s;
      }
      part.patterns = next;
    }
  }

  /** Every part as plain data (copies: the sampler keeps adding to its own). */
  report(): { parts: KeyspacePart[]; tree: PatternSnapshot } {
    this.settle();
    const parts = [...this.parts.values()]
      .sort((a, b) => a.db - b.db)
      .map((p) => ({ ...p, patterns: structuredClone(p.patterns) }));
    return { parts, tree: this.tree.snapshot() };
  }

  /** Forgets everything (a new scan from the start). */
  clear(): void {
    this.parts.clear();
    this.seen.clear();
    this.tree.clear();
    this.renamedAt = this.tree.epoch;
  }
}

/**
 * Keys seen, by a 64-bit fingerprint (two 32-bit lanes) in an open-addressing table at most half
 * full, growing up to `capacity` keys; past it, new keys are reported new (not remembered) and
 * `full` is set. Two distinct keys share a fingerprint with probability ~n²/2^65: none in practice.
 */
export class KeySet {
  private h1 = new Int32Array(0);
  private h2 = new Int32Array(0);
  private used = new Uint8Array(0);
  private size = 0;
  private mask = -1;
  full = false;

  constructor(readonly capacity: number) {
    this.clear();
  }

  get count(): number {
    return this.size;
  }

  clear(): void {
    this.alloc(1024);
    this.size = 0;
    this.full = false;
  }

  private alloc(slots: number): void {
    this.h1 = new Int32Array(slots);
    this.h2 = new Int32Array(slots);
    this.used = new Uint8Array(slots);
    this.mask = slots - 1;
  }

  /** True when (db, key) was not seen before. */
  add(db: number, key: string): boolean {
    let a = 0x811c9dc5 ^ db;
    let b = 0x9747b28c ^ Math.imul(db, 0x5bd1e995);
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
    }
    a = fmix(a ^ key.length);
    b = fmix(b ^ Math.imul(key.length, 0x85ebca6b));
    let i = a & this.mask;
    while (this.used[i] === 1) {
      if (this.h1[i] === a && this.h2[i] === b) return false;
      i = (i + 1) & this.mask;
    }
    if (this.size >= this.capacity) {
      this.full = true;
      return true;
    }
    this.used[i] = 1;
    this.h1[i] = a;
    this.h2[i] = b;
    this.size++;
    if (this.size * 2 > this.used.length) this.grow();
    return true;
  }

  private grow(): void {
    const { h1, h2, used } = this;
    this.alloc(used.length * 2);
    for (let j = 0; j < used.length; j++) {
      if (used[j] !== 1) continue;
      let i = h1[j]! & this.mask;
      while (this.used[i] === 1) i = (i + 1) & this.mask;
      this.used[i] = 1;
      this.h1[i] = h1[j]!;
      this.h2[i] = h2[j]!;
    }
  }
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * The databases INFO keyspace lists (`db0:keys=12,expires=3,avg_ttl=0,subexpiry=1`): keys, and on
 * servers with hash-field expiry (Redis 7.4+) the hashes with expiring fields. Total: odd lines skipped.
 */
export function keyspaceOf(info: Readonly<Record<string, string>>): Map<number, { keys: number; subexpiry?: number }> {
  const out = new Map<number, { keys: number; subexpiry?: number }>();
  for (const [k, v] of Object.entries(info)) {
    const m = /^db(\d+)$/.exec(k);
    if (!m) continue;
    const fields = new Map<string, number>();
    for (const part of v.split(',')) {
      const at = part.indexOf('=');
      if (at > 0) fields.set(part.slice(0, at).trim(), Number(part.slice(at + 1)));
    }
    const keys = fields.get('keys');
    if (keys === undefined || !Number.isFinite(keys)) continue;
    const sub = fields.get('subexpiry');
    out.set(Number(m[1]), { keys, ...(sub !== undefined && Number.isFinite(sub) ? { subexpiry: sub } : {}) });
  }
  return out;
}
