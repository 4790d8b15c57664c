// The keyspace sampler's pure parts: TTL buckets, the dedupe set, per-pattern statistics and their
// renaming, the estimator (exact on full scans; its 99% intervals cover the truth ~99% of the time
// over thousands of simulated partial scans), combining parts, the view joined to a merged tree,
// the scan pace (budget, backing off, holding), and the plan's key filters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeySet, KeyspaceSample, keyspaceOf, ttlBucket, type KeyspacePart } from '../src/analysis/keyspaceSample.ts';
import { buildKeyspaceView, bytesEstimate, combine, estimateSelection, keysEstimate, wilson, ancestors, type KeyspaceReport, type KeyspaceNodeStatus } from '../src/analysis/keyspaceEstimate.ts';
import { ScanPace, MIN_PACE } from '../src/analysis/scanPace.ts';
import { mergeSnapshots, PatternTree } from '../src/analysis/keyPatterns.ts';
import { filterRegex, globEscape, patternGlob, patternRegex, tomlString } from '../src/export/plan.ts';
import { scanCount } from '../src/collect/keyspace.ts';
import { BOUNDS } from '../src/bounds.ts';

/** A small seeded PRNG (mulberry32): the simulations are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const status = (over: Partial<KeyspaceNodeStatus> = {}): KeyspaceNodeStatus => ({
  phase: 'done',
  budget: 2000,
  pace: 1,
  rate: 0,
  limit: 0,
  elapsedMs: 1000,
  commands: 0,
  dedupeFull: false,
  fieldExpiry: 'unsupported',
  ...over,
});

test('TTL buckets: none, < 1 h, < 24 h, < 7 d, longer', () => {
  const H = 3_600_000;
  assert.equal(ttlBucket(-1), 'none');
  assert.equal(ttlBucket(0), 'lt1h');
  assert.equal(ttlBucket(H - 1), 'lt1h');
  assert.equal(ttlBucket(H), 'lt24h');
  assert.equal(ttlBucket(24 * H - 1), 'lt24h');
  assert.equal(ttlBucket(24 * H), 'lt7d');
  assert.equal(ttlBucket(7 * 24 * H - 1), 'lt7d');
  assert.equal(ttlBucket(7 * 24 * H), 'longer');
});

test('INFO keyspace: keys per database, and hashes with expiring fields where the server counts them', () => {
  const m = keyspaceOf({ db0: 'keys=12,expires=3,avg_ttl=0,subexpiry=2', db3: 'keys=5,expires=0,avg_ttl=0', dbx: 'keys=1', role: 'master', db4: 'garbage' });
  assert.deepEqual([...m], [
    [0, { keys: 12, subexpiry: 2 }],
    [3, { keys: 5 }],
  ]);
});

test('KeySet: a key seen twice is dropped, per database; past its capacity it stops remembering and says so', () => {
  const s = new KeySet(10_000);
  for (let i = 0; i < 5000; i++) assert.equal(s.add(0, `k:${i}`), true);
  for (let i = 0; i < 5000; i++) assert.equal(s.add(0, `k:${i}`), false);
  assert.equal(s.add(1, 'k:1'), true, 'another database');
  assert.equal(s.count, 5001);
  const small = new KeySet(3);
  for (const k of ['a', 'b', 'c']) small.add(0, k);
  assert.equal(small.full, false);
  assert.equal(small.add(0, 'd'), true);
  assert.equal(small.full, true);
  assert.equal(small.add(0, 'a'), false, 'what it holds still dedupes');
  assert.ok(BOUNDS.keyspaceDedupeKeys >= 1_000_000);
});

test('KeyspaceSample: keys under their patterns, types, TTLs, bounded big keys; a collapse renames and merges', () => {
  const s = new KeyspaceSample(':');
  for (let i = 0; i < 20; i++) {
    s.firstSighting(0, `user:${i}:profile`);
    s.add(0, { key: `user:${i}:profile`, type: 'hash', bytes: 100 + i, pttl: -1, encoding: 'listpack' });
  }
  // Tenant names have no id shape: they become `*` only once there are more than collapseAfter.
  for (let i = 0; i < 60; i++) s.add(0, { key: `tenant:name${String.fromCharCode(97 + (i % 26))}${i}:cfg`, type: 'string', bytes: 50, pttl: 1000 });
  const { parts, tree } = s.report();
  const p = parts[0]!;
  assert.equal(p.sampled, 80);
  assert.equal(p.scanned, 20);
  const user = p.patterns['user:*:profile']!;
  assert.equal(user.keys, 20);
  assert.equal(user.bytes, 20 * 100 + 190);
  assert.deepEqual(user.types, { hash: 20 });
  assert.equal(user.ttl.none, 20);
  assert.equal(user.bigKeys.length, BOUNDS.keyspaceBigKeys);
  assert.deepEqual(user.bigKeys.map((b) => b.bytes), [119, 118, 117, 116, 115]);
  const tenant = p.patterns['tenant:*:cfg'];
  assert.ok(tenant, Object.keys(p.patterns).join(' '));
  assert.equal(tenant.keys, 60, 'every literal tenant merged into the collapsed pattern');
  assert.equal(tenant.ttl.lt1h, 60);
  assert.ok(tree.decisions.some((d) => d.pattern === 'tenant:'));
  s.clear();
  assert.equal(s.report().parts.length, 0);
});

test('estimator: a part read to its end is exact; intervals shrink to nothing as the sample reaches the population', () => {
  assert.deepEqual(keysEstimate(17, 100, 100, true), { value: 17, low: 17, high: 17, exact: true });
  assert.deepEqual(bytesEstimate({ bytes: 1234, bytesSq: 0 }, 100, 100, true), { value: 1234, low: 1234, high: 1234, exact: true });
  const w = wilson(10, 1000, 1000);
  assert.equal(w.low, 0.01);
  assert.equal(w.high, 0.01);
  const partial = keysEstimate(100, 1000, 100_000, false);
  assert.equal(partial.value, 10_000);
  assert.ok(partial.low < 10_000 && partial.high > 10_000 && !partial.exact);
  // None seen: the estimate is 0, the upper end says how many could hide.
  const none = keysEstimate(0, 1000, 100_000, false);
  assert.equal(none.value, 0);
  assert.equal(none.low, 0);
  assert.ok(none.high > 0 && none.high < 1000, String(none.high));
  // Never below what was seen, never above what the others leave.
  const all = keysEstimate(999, 1000, 1001, false);
  assert.ok(all.low >= 999 && all.high <= 1000);
});

test('estimator: over 2,000 simulated partial scans, the 99% intervals hold the truth about 99% of the time (keys and bytes)', () => {
  const random = rng(42);
  // A population of 20,000 keys in five patterns of very different shares and size spreads.
  const shares = [0.5, 0.3, 0.15, 0.045, 0.005];
  const N = 20_000;
  const pattern: number[] = [];
  const size: number[] = [];
  let acc = 0;
  for (let i = 0; i < N; i++) {
    const u = i / N;
    let p = 0;
    acc = 0;
    while (p < shares.length - 1 && u >= acc + shares[p]!) acc += shares[p++]!;
    pattern.push(p);
    // Sizes: lognormal-ish per pattern (a long right tail).
    size.push(Math.round(60 * (p + 1) * Math.exp(0.6 * gauss(random))));
  }
  const truthKeys = shares.map((_, p) => pattern.filter((x) => x === p).length);
  const truthBytes = shares.map((_, p) => size.reduce((t, s, i) => t + (pattern[i] === p ? s : 0), 0));
  const reps = 2000;
  const n = 1500;
  let keyMiss = 0;
  let byteMiss = 0;
  let intervals = 0;
  const index = Array.from({ length: N }, (_, i) => i);
  for (let r = 0; r < reps; r++) {
    // A simple random sample without replacement (partial Fisher-Yates).
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(random() * (N - i));
      [index[i], index[j]] = [index[j]!, index[i]!];
    }
    const x = shares.map(() => 0);
    const b = shares.map(() => 0);
    const b2 = shares.map(() => 0);
    for (let i = 0; i < n; i++) {
      const k = index[i]!;
      const p = pattern[k]!;
      x[p]!++;
      b[p]! += size[k]!;
      b2[p]! += size[k]! ** 2;
    }
    for (let p = 0; p < shares.length; p++) {
      const ke = keysEstimate(x[p]!, n, N, false);
      const be = bytesEstimate({ bytes: b[p]!, bytesSq: b2[p]! }, n, N, false);
      intervals++;
      if (truthKeys[p]! < ke.low || truthKeys[p]! > ke.high) keyMiss++;
      if (truthBytes[p]! < be.low || truthBytes[p]! > be.high) byteMiss++;
    }
  }
  // 10,000 intervals each: ~100 misses expected at 99%; the CLT on skewed sizes is a little worse.
  assert.ok(keyMiss / intervals <= 0.02, `keys: ${keyMiss} misses of ${intervals}`);
  assert.ok(byteMiss / intervals <= 0.03, `bytes: ${byteMiss} misses of ${intervals}`);
  // And not absurdly wide: most intervals miss sometimes.
  assert.ok(keyMiss > 0, 'an interval that never misses is too wide');
});

function gauss(random: () => number): number {
  const u = Math.max(1e-12, random());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

test('combine: exact parts add exactly; estimates add, half-widths in quadrature', () => {
  assert.deepEqual(combine([{ value: 3, low: 3, high: 3, exact: true }, { value: 4, low: 4, high: 4, exact: true }]), { value: 7, low: 7, high: 7, exact: true });
  const c = combine([
    { value: 100, low: 70, high: 140, exact: false },
    { value: 200, low: 160, high: 230, exact: false },
    { value: 5, low: 5, high: 5, exact: true },
  ]);
  assert.equal(c.value, 305);
  assert.equal(c.low, 305 - 50);
  assert.ok(Math.abs(c.high - (305 + Math.hypot(40, 30))) < 1e-9);
  assert.equal(c.exact, false);
});

test('ancestors of a pattern', () => {
  assert.deepEqual(ancestors('a:b:c', ':'), ['a:', 'a:b:']);
  assert.deepEqual(ancestors('a:b:', ':'), ['a:']);
  assert.deepEqual(ancestors('top', ':'), []);
  assert.deepEqual(ancestors('a::b', '::'), ['a::']);
});

function part(db: number, dbsize: number, complete: boolean, patterns: Record<string, [number, number]>): KeyspacePart {
  let sampled = 0;
  const out: KeyspacePart['patterns'] = {};
  for (const [name, [keys, bytes]] of Object.entries(patterns)) {
    sampled += keys;
    out[name] = { keys, sized: keys, bytes, bytesSq: (bytes * bytes) / Math.max(1, keys), types: { string: keys }, encodings: {}, ttl: { none: keys, lt1h: 0, lt24h: 0, lt7d: 0, longer: 0 }, bigKeys: [], hashesChecked: 0, hashesExpiring: 0 };
  }
  return { db, dbsize, scanned: sampled, sampled, sized: sampled, complete, patterns: out };
}

test('the view: rows renamed through the merged tree, prefixes sum their leaves, parts combine; a selection sums before estimating', () => {
  // The traffic tree knows `tenant:` is an id position (it collapsed); the sampler saw two literal tenants.
  const traffic = new PatternTree(':', { depth: 8, nodes: 1000, collapseAfter: 3, twinsAfter: 0 });
  for (const t of ['a', 'b', 'c', 'd', 'e']) traffic.add(`tenant:${t}:cfg`, false);
  assert.equal(traffic.patternOf('tenant:zz:cfg'), 'tenant:*:cfg');
  const merged = mergeSnapshots([traffic.snapshot()]);
  const reports: KeyspaceReport[] = [
    { status: status(), parts: [part(0, 100, true, { 'tenant:acme:cfg': [10, 1000], 'tenant:beta:cfg': [5, 500], 'user:*:p': [85, 8500] })] },
    { status: status(), parts: [part(0, 1000, false, { 'user:*:p': [50, 5000], 'tenant:acme:cfg': [50, 5000] })] },
  ];
  const v = buildKeyspaceView(reports, merged);
  const tenant = v.rows.get('tenant:*:cfg')!;
  assert.ok(tenant, [...v.rows.keys()].join(' '));
  // Part 1 exact (15), part 2 estimated (50 of 100 sampled of 1000 → 500).
  assert.equal(tenant.keys.value, 515);
  assert.equal(tenant.keys.exact, false);
  assert.ok(tenant.keys.low >= 15 + 50 && tenant.keys.high <= 15 + 950);
  const prefix = v.rows.get('tenant:')!;
  assert.equal(prefix.kind, 'prefix');
  assert.equal(prefix.keys.value, tenant.keys.value);
  // A selection of every leaf sampled: its share is 1, so the estimate is every key, and only the
  // low end allows for keys of patterns the sample missed.
  const both = estimateSelection(v, ['tenant:*:cfg', 'user:*:p']);
  assert.equal(both.keys.value, 100 + 1000);
  assert.equal(both.keys.high, 1100);
  assert.ok(both.keys.low < 1100 && both.keys.low > 1000, String(both.keys.low));
  assert.deepEqual(v.leaves.map((r) => r.pattern), ['user:*:p', 'tenant:*:cfg']);
  assert.equal(v.summary.dbsize, 1100);
  assert.equal(v.summary.complete, false);
  assert.deepEqual(v.summary.dbs, [{ db: 0, keys: 1100, scanned: 200, complete: false }]);
});

test('scan pace: the budget holds over time, with at most one bucket of burst', () => {
  let t = 0;
  const pace = new ScanPace(1000, () => t);
  let sent = 0;
  // A sampler that always wants 64 keys: it waits what the bucket says, then takes them.
  while (t < 10_000) {
    const wait = pace.delay(64);
    if (wait > 0) {
      t += wait;
      continue;
    }
    pace.take(64);
    sent += 64;
    t += 1; // the round trip
  }
  assert.ok(sent <= 1000 * 10 + 250 + 64, `${sent} keys in 10s at 1000/s`);
  assert.ok(sent >= 1000 * 10 * 0.95, `${sent} keys: the budget is used`);
  // SCAN's COUNT follows the budget: a tenth of a second's keys, within [10, 250].
  assert.equal(scanCount(2000), 200);
  assert.equal(scanCount(50), 10);
  assert.equal(scanCount(100_000), 250);
});

test('scan pace: halves when the round trip or the others\' load climbs, recovers step by step, holds on the health gate', () => {
  let t = 0;
  const pace = new ScanPace(1000, () => t);
  pace.observe({ rttMs: 1, usualRttMs: 1, opsPerSec: 5000, ownOpsPerSec: 0 });
  assert.equal(pace.rate, 1000);
  // Our own commands are not the server getting busier.
  pace.observe({ rttMs: 1, opsPerSec: 9000, ownOpsPerSec: 4000 });
  assert.equal(pace.rate, 1000);
  // One slow PING is noise; two in a row halve the pace, and each further one again.
  pace.observe({ rttMs: 12, opsPerSec: 5000, ownOpsPerSec: 0 });
  assert.equal(pace.rate, 1000);
  pace.observe({ rttMs: 12, opsPerSec: 5000, ownOpsPerSec: 0 });
  assert.equal(pace.rate, 500);
  assert.match(pace.slowReason ?? '', /PING took 12 ms/);
  pace.observe({ rttMs: 1, opsPerSec: 5000 * 1.5 + 2000, ownOpsPerSec: 0 });
  assert.equal(pace.rate, 250);
  assert.match(pace.slowReason ?? '', /busier/);
  // INFO's ops and our own count cover slightly different spans: a gap of a quarter of ours is noise.
  pace.observe({ rttMs: 1, opsPerSec: 5000 + 8000 + 1900, ownOpsPerSec: 8000 });
  pace.observe({ rttMs: 1, opsPerSec: 5000 + 8000 + 1900, ownOpsPerSec: 8000 });
  assert.ok(pace.rate > 250, 'recovering, not halved');
  for (let i = 0; i < 20; i++) pace.observe({ rttMs: 1, opsPerSec: 5000, ownOpsPerSec: 0 });
  assert.equal(pace.rate, 1000);
  assert.equal(pace.slowReason, undefined);
  for (let i = 0; i < 20; i++) pace.observe({ rttMs: 50, opsPerSec: 100, ownOpsPerSec: 0 });
  assert.equal(pace.pace, MIN_PACE, 'never below the floor');
  pace.observe({ rttMs: 1, ownOpsPerSec: 0, problem: 'health gate: loading' });
  assert.equal(pace.held, 'health gate: loading');
  pace.observe({ rttMs: 1, ownOpsPerSec: 0 });
  assert.equal(pace.held, undefined);
  t += 1;
});

test('plan filters: patterns and filters as RE2 regexes and SCAN globs, TOML strings', () => {
  assert.equal(patternRegex('user:*:profile', ':'), 'user:[^:]*:profile');
  assert.equal(patternRegex('cart:{*}:items', ':'), 'cart:\\{[^:]*\\}:items');
  assert.equal(patternRegex('user:∅', ':'), 'user:');
  assert.equal(patternRegex('a:b:**', ':'), 'a:b:.*');
  assert.equal(patternRegex('app:…', ':'), 'app:.*');
  assert.equal(patternRegex('v1.2:x*y', ':'), 'v1\\.2:x[^:]*y');
  assert.equal(filterRegex('user:*:cart', ':'), 'user:[^:]*:cart');
  const re = new RegExp(`^${patternRegex('cart:{*}:items', ':')}$`);
  assert.ok(re.test('cart:{u42}:items') && !re.test('cart:{u42}:x:items') && !re.test('cart:{u42}:items2'));
  assert.equal(patternGlob('user:*:profile', ':'), 'user:*:profile');
  assert.equal(patternGlob('a:b:**', ':'), 'a:b:*');
  assert.equal(patternGlob('q?[x]:*', ':'), 'q\\?\\[x\\]:*');
  assert.equal(globEscape('a*b', false), 'a\\*b');
  assert.equal(tomlString('user:'), "'user:'");
  assert.equal(tomlString("it's"), `"it's"`);
  assert.equal(tomlString('a\\b\n'), '"a\\\\b\\u000a"');
});
