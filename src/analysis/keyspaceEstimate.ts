// From what the keyspace samplers report (keyspaceSample.ts) to figures per key pattern: how many
// keys and bytes, with an interval when only part of the keyspace was read. Pure; the main thread
// runs it once per report, in time proportional to patterns × parts (databases on nodes), never to
// keys.
//
// The estimator. A SCAN stopped before its end has visited a set of hash-table buckets in an order
// unrelated to key names (buckets follow a seeded hash of the key), so the keys it returned are,
// for what a pattern holds, a simple random sample without replacement of the database's N keys
// (DBSIZE; INFO keyspace). Per database (a part: n keys sampled, x of them under the pattern):
// - keys: N·x/n, in a Wilson interval on the share x/n with the finite-population correction
//   (z² scaled by (N−n)/(N−1)), so it narrows to the exact count as n reaches N and stays sane
//   for small x (x = 0 gives [0, ~z²/n·N]);
// - bytes: the expansion estimator N·ȳ over every sampled key (y = its MEMORY USAGE if under the
//   pattern, else 0), with a CLT interval from the sample variance of y, again corrected for the
//   finite population. It carries the uncertainty of both the count and the mean size. Sizes are
//   heavy-tailed (a few big keys): with few keys of a pattern sampled, the interval is indicative.
// - A part read to the end (SCAN's cursor back to 0) is exact: the counts and sums themselves.
// Parts (databases, cluster primaries) are independent samples of disjoint populations: their
// estimates add, and so do their variances, so each side's half-width is the root of the sum of
// the parts' squared half-widths. A pattern's prefix row (`cart:`) sums the statistics of its
// leaves within each part before estimating (its share is the sum of theirs, not their intervals).
// Intervals are at CONFIDENCE (99%): a migration plans for the upper end.
import { BOUNDS, OTHER_PREFIX } from '../bounds.ts';
import type { PatternKind, PatternTreeReader } from './patternTree.ts';
import {
  addPatternSample,
  emptyPatternSample,
  mergeBigKeys,
  TTL_BUCKETS,
  type BigKey,
  type KeyspacePart,
  type PatternSample,
  type TtlCounts,
} from './keyspaceSample.ts';

export const CONFIDENCE = 0.99;
/** Two-sided normal quantile for CONFIDENCE. */
export const Z = 2.5758293035489004;

export interface Estimate {
  readonly value: number;
  readonly low: number;
  readonly high: number;
  /** Counted, not estimated (every part read to its end). */
  readonly exact: boolean;
}

const exactly = (v: number): Estimate => ({ value: v, low: v, high: v, exact: true });

/** Finite-population correction (N − n)/(N − 1), 0 once the sample is the whole population. */
function fpc(n: number, N: number): number {
  if (N <= 1 || n >= N) return 0;
  return (N - n) / (N - 1);
}

/** Wilson score interval on a share x/n, z² scaled by the finite-population correction. */
export function wilson(x: number, n: number, N: number, z = Z): { low: number; high: number } {
  if (n <= 0) return { low: 0, high: 1 };
  const p = x / n;
  const z2 = z * z * fpc(n, N);
  if (z2 === 0) return { low: p, high: p };
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const h = Math.sqrt((z2 * p * (1 - p)) / n + (z2 * z2) / (4 * n * n)) / denom;
  return { low: x === 0 ? 0 : Math.max(0, center - h), high: x === n ? 1 : Math.min(1, center + h) };
}

/**
 * Keys under a pattern in one part: x of n sampled, N in the database. A complete part is exact.
 * The low end is at least x (those keys were seen), the high end at most N − (n − x).
 */
export function keysEstimate(x: number, n: number, N: number, complete: boolean, z = Z): Estimate {
  if (complete) return exactly(x);
  const pop = Math.max(N, n);
  if (n <= 0) return { value: 0, low: 0, high: pop, exact: false };
  const w = wilson(x, n, pop, z);
  const value = (x / n) * pop;
  return { value, low: Math.max(x, w.low * pop), high: Math.max(value, Math.min(pop - (n - x), w.high * pop)), exact: false };
}

/**
 * Bytes under a pattern in one part: `s` the pattern's sums over its sized keys, `sized` the keys
 * of the part whose size is known (the sample for bytes), N the database's keys.
 */
export function bytesEstimate(s: Pick<PatternSample, 'bytes' | 'bytesSq'>, sized: number, N: number, complete: boolean, z = Z): Estimate {
  if (complete) return exactly(s.bytes);
  const pop = Math.max(N, sized);
  if (sized <= 0) return { value: 0, low: 0, high: 0, exact: false };
  const mean = s.bytes / sized;
  const value = mean * pop;
  if (sized < 2) return { value, low: s.bytes, high: Math.max(value, s.bytes), exact: false };
  const variance = Math.max(0, (s.bytesSq - (s.bytes * s.bytes) / sized) / (sized - 1));
  const half = z * pop * Math.sqrt((variance / sized) * fpc(sized, pop));
  return { value, low: Math.max(s.bytes, value - half), high: value + half, exact: false };
}

/** The sum of independent estimates: values add, each side's half-widths add in quadrature. */
export function combine(list: readonly Estimate[]): Estimate {
  let value = 0;
  let lo2 = 0;
  let hi2 = 0;
  let floor = 0;
  let exact = true;
  for (const e of list) {
    value += e.value;
    lo2 += (e.value - e.low) ** 2;
    hi2 += (e.high - e.value) ** 2;
    floor += e.exact ? e.value : Math.min(e.low, e.value);
    exact &&= e.exact;
  }
  if (exact) return exactly(value);
  return { value, low: Math.max(Math.min(floor, value), value - Math.sqrt(lo2)), high: value + Math.sqrt(hi2), exact: false };
}

// ---------------------------------------------------------------------------------------------
// Reports and the view the UI and exports read

export type KeyspacePhase = 'off' | 'starting' | 'running' | 'held' | 'done' | 'stopped' | 'error';

/** What one node's sampler says of itself. */
export interface KeyspaceNodeStatus {
  readonly phase: KeyspacePhase;
  /** In words: why it is held, stopped or failing, or how it ended. */
  readonly reason?: string;
  /** How a finished scan ended: the whole keyspace read, the sample size reached, stopped (by you, the run's end), an error. */
  readonly end?: 'complete' | 'sample' | 'stopped' | 'error';
  /** The keys-per-second budget, and the rate in force (lower while backing off). */
  readonly budget: number;
  readonly pace: number;
  /** Keys per second actually inspected lately. */
  readonly rate: number;
  /** Stop after this many keys sampled; 0 = the whole keyspace. */
  readonly limit: number;
  readonly startedAt?: number;
  /** Time spent running (held time included). */
  readonly elapsedMs: number;
  /** Commands sent to the server by the sampler. */
  readonly commands: number;
  /** SCAN returned more keys than the dedupe set holds: later duplicates were not dropped. */
  readonly dedupeFull: boolean;
  /** MEMORY USAGE refused (some managed services): sizes are unknown. */
  readonly bytesUnavailable?: string;
  /** Hash-field expiry: the server has none (before Redis 7.4, Valkey), none in use, or hashes were checked. */
  readonly fieldExpiry: 'unsupported' | 'unused' | 'checked';
}

/** One node's report (plain data): its status, its parts, and its pattern tree when it changed. */
export interface KeyspaceReport {
  readonly status: KeyspaceNodeStatus;
  readonly parts: readonly KeyspacePart[];
  /** The sampler's tree (counts are sampled keys): its structure and collapse decisions. */
  readonly tree?: import('./patternTree.ts').PatternSnapshot;
}

export interface KeyspaceRow {
  readonly pattern: string;
  readonly kind: PatternKind;
  readonly keys: Estimate;
  /** null when no size is known (MEMORY USAGE refused). */
  readonly bytes: Estimate | null;
  /** Keys sampled under it. */
  readonly sampled: number;
  /** Among the sampled keys (all of them when exact). */
  readonly types: Readonly<Record<string, number>>;
  readonly encodings: Readonly<Record<string, number>>;
  readonly ttl: Readonly<TtlCounts>;
  readonly bigKeys: readonly BigKey[];
  readonly hashesChecked: number;
  readonly hashesExpiring: number;
}

export interface KeyspaceSummary {
  readonly phase: KeyspacePhase;
  readonly reason?: string;
  readonly end?: KeyspaceNodeStatus['end'];
  /** Distinct keys SCAN returned, and of those the keys inspected (the sample). */
  readonly scanned: number;
  readonly sampled: number;
  /** Keys in the databases scanned (latest DBSIZE), over every node. */
  readonly dbsize: number;
  /** Every database of every node read to its end. */
  readonly complete: boolean;
  readonly budget: number;
  readonly pace: number;
  readonly rate: number;
  readonly limit: number;
  readonly elapsedMs: number;
  readonly dedupeFull: boolean;
  readonly bytesUnavailable?: string;
  readonly fieldExpiry: KeyspaceNodeStatus['fieldExpiry'];
  /** Databases seen, with their keys and whether each was read to its end. */
  readonly dbs: ReadonlyArray<{ readonly db: number; readonly keys: number; readonly scanned: number; readonly complete: boolean }>;
}

export interface KeyspaceView {
  readonly summary: KeyspaceSummary;
  /** Every pattern (leaves and the prefixes above them), by the merged tree's names. */
  readonly rows: ReadonlyMap<string, KeyspaceRow>;
  /** Leaf patterns (and OTHER buckets), most bytes first (most keys where sizes are unknown). */
  readonly leaves: readonly KeyspaceRow[];
  /** Per part, the leaves' statistics by merged name: what a selection of patterns is estimated from. */
  readonly parts: readonly KeyspaceViewPart[];
}

export interface KeyspaceViewPart {
  readonly db: number;
  readonly dbsize: number;
  readonly sampled: number;
  readonly sized: number;
  readonly complete: boolean;
  readonly leaves: ReadonlyMap<string, PatternSample>;
}

/**
 * Keys and bytes of a set of leaf patterns together (an extraction plan's selection): their
 * statistics summed within each part before estimating, then parts combined. null bytes when no
 * size is known.
 */
export function estimateSelection(view: KeyspaceView, leaves: readonly string[]): { keys: Estimate; bytes: Estimate | null } {
  const keys: Estimate[] = [];
  const bytes: Estimate[] = [];
  let sized = false;
  for (const part of view.parts) {
    if (part.sampled === 0 && !part.complete) continue;
    const s = emptyPatternSample();
    for (const name of leaves) {
      const x = part.leaves.get(name);
      if (x) addPatternSample(s, x);
    }
    keys.push(keysEstimate(s.keys, part.sampled, part.dbsize, part.complete));
    if (part.sized > 0 || part.complete) {
      sized ||= part.sized > 0;
      bytes.push(bytesEstimate(s, part.sized, part.dbsize, part.complete));
    }
  }
  return { keys: combine(keys), bytes: sized ? combine(bytes) : null };
}

const PHASE_RANK: readonly KeyspacePhase[] = ['error', 'held', 'running', 'starting', 'done', 'stopped', 'off'];

/** The prefixes above a pattern: `a:b:c` → `a:`, `a:b:`; `a:b:` → `a:`. */
export function ancestors(pattern: string, delimiter: string): string[] {
  const out: string[] = [];
  let at = pattern.indexOf(delimiter);
  while (at >= 0 && at + delimiter.length < pattern.length) {
    out.push(pattern.slice(0, at + delimiter.length));
    at = pattern.indexOf(delimiter, at + delimiter.length);
  }
  return out;
}

function kindOf(pattern: string, delimiter: string): PatternKind {
  if (pattern.endsWith(OTHER_PREFIX)) return 'other';
  return pattern.endsWith(delimiter) ? 'prefix' : 'leaf';
}

interface Acc {
  sample: PatternSample;
}

/**
 * Joins the nodes' reports into one view named by `tree` (the merged heatmap tree, which holds the
 * samplers' collapse decisions too): each sampled pattern is renamed through `tree.canonical`,
 * patterns that now share a name are merged, each prefix above them sums them, and estimates are
 * made per part and combined.
 */
export function buildKeyspaceView(reports: readonly KeyspaceReport[], tree: PatternTreeReader): KeyspaceView {
  const delimiter = tree.delimiter;
  const parts = reports.flatMap((r) => r.parts);
  // Per part: merged name → statistics (leaves and prefixes).
  const perPart: Array<Map<string, Acc>> = [];
  const viewParts: KeyspaceViewPart[] = [];
  const names = new Map<string, PatternKind>();
  for (const part of parts) {
    const m = new Map<string, Acc>();
    const leafMap = new Map<string, PatternSample>();
    const bump = (name: string, s: PatternSample): void => {
      let a = m.get(name);
      if (!a) m.set(name, (a = { sample: emptyPatternSample() }));
      addPatternSample(a.sample, s);
    };
    for (const [raw, s] of Object.entries(part.patterns)) {
      const name = tree.canonical(raw);
      if (!names.has(name)) names.set(name, tree.node(name)?.kind ?? kindOf(name, delimiter));
      bump(name, s);
      const leaf = leafMap.get(name);
      if (leaf) addPatternSample(leaf, s);
      else leafMap.set(name, { ...s, types: { ...s.types }, encodings: { ...s.encodings }, ttl: { ...s.ttl }, bigKeys: [...s.bigKeys] });
      for (const p of ancestors(name, delimiter)) {
        if (!names.has(p)) names.set(p, 'prefix');
        bump(p, s);
      }
    }
    perPart.push(m);
    viewParts.push({ db: part.db, dbsize: part.dbsize, sampled: part.sampled, sized: part.sized, complete: part.complete, leaves: leafMap });
  }

  const rows = new Map<string, KeyspaceRow>();
  for (const [name, kind] of names) {
    const keyEst: Estimate[] = [];
    const byteEst: Estimate[] = [];
    const total = emptyPatternSample();
    let anySized = false;
    // Mean size where seen: the upper end of bytes in parts that have not seen the pattern yet.
    for (const m of perPart) {
      const a = m.get(name);
      if (a) addPatternSample(total, a.sample);
    }
    const meanBytes = total.sized > 0 ? total.bytes / total.sized : 0;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part.sampled === 0 && !part.complete) continue;
      const s = perPart[i]!.get(name)?.sample;
      const k = keysEstimate(s?.keys ?? 0, part.sampled, part.dbsize, part.complete);
      keyEst.push(k);
      if (part.sized > 0 || part.complete) {
        anySized ||= part.sized > 0;
        const b = s ? bytesEstimate(s, part.sized, part.dbsize, part.complete) : part.complete ? exactly(0) : { value: 0, low: 0, high: k.high * meanBytes, exact: false };
        byteEst.push(b);
      }
    }
    rows.set(name, {
      pattern: name,
      kind,
      keys: combine(keyEst),
      bytes: anySized ? combine(byteEst) : null,
      sampled: total.keys,
      types: total.types,
      encodings: total.encodings,
      ttl: total.ttl,
      bigKeys: mergeBigKeys(total.bigKeys, [], BOUNDS.keyspaceBigKeys),
      hashesChecked: total.hashesChecked,
      hashesExpiring: total.hashesExpiring,
    });
  }
  const leaves = [...rows.values()]
    .filter((r) => r.kind !== 'prefix')
    .sort((a, b) => (b.bytes?.value ?? 0) - (a.bytes?.value ?? 0) || b.keys.value - a.keys.value || (a.pattern < b.pattern ? -1 : 1));
  return { summary: summarize(reports), rows, leaves, parts: viewParts };
}

function summarize(reports: readonly KeyspaceReport[]): KeyspaceSummary {
  const statuses = reports.map((r) => r.status);
  let lead: KeyspaceNodeStatus | undefined;
  for (const s of statuses) if (!lead || PHASE_RANK.indexOf(s.phase) < PHASE_RANK.indexOf(lead.phase)) lead = s;
  const parts = reports.flatMap((r) => r.parts);
  const dbs = new Map<number, { db: number; keys: number; scanned: number; complete: boolean }>();
  for (const p of parts) {
    const d = dbs.get(p.db) ?? { db: p.db, keys: 0, scanned: 0, complete: true };
    d.keys += p.dbsize;
    d.scanned += p.scanned;
    d.complete &&= p.complete;
    dbs.set(p.db, d);
  }
  const sum = (f: (s: KeyspaceNodeStatus) => number): number => statuses.reduce((t, s) => t + f(s), 0);
  const ends = new Set(statuses.map((s) => s.end));
  // An empty keyspace read to its end has no parts, and is complete.
  const complete = parts.length > 0 ? parts.every((p) => p.complete) : statuses.length > 0 && statuses.every((s) => s.end === 'complete');
  return {
    phase: lead?.phase ?? 'off',
    ...(lead?.reason !== undefined ? { reason: lead.reason } : {}),
    ...(ends.size === 1 && lead?.end !== undefined ? { end: lead.end } : complete ? { end: 'complete' as const } : {}),
    scanned: parts.reduce((t, p) => t + p.scanned, 0),
    sampled: parts.reduce((t, p) => t + p.sampled, 0),
    dbsize: parts.reduce((t, p) => t + p.dbsize, 0),
    complete,
    budget: sum((s) => s.budget),
    pace: statuses.length > 0 ? Math.min(...statuses.map((s) => s.pace)) : 1,
    rate: sum((s) => s.rate),
    limit: sum((s) => s.limit),
    elapsedMs: statuses.length > 0 ? Math.max(...statuses.map((s) => s.elapsedMs)) : 0,
    dedupeFull: statuses.some((s) => s.dedupeFull),
    ...(statuses.find((s) => s.bytesUnavailable)?.bytesUnavailable !== undefined ? { bytesUnavailable: statuses.find((s) => s.bytesUnavailable)!.bytesUnavailable } : {}),
    fieldExpiry: statuses.some((s) => s.fieldExpiry === 'checked') ? 'checked' : statuses.some((s) => s.fieldExpiry === 'unused') ? 'unused' : 'unsupported',
    dbs: [...dbs.values()].sort((a, b) => a.db - b.db),
  };
}

/** Types as `hash 80% · string 20%` (of the sampled keys). */
export function typeMix(types: Readonly<Record<string, number>>): Array<[string, number]> {
  return Object.entries(types).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

export { TTL_BUCKETS };
