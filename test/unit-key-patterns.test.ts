// Key patterns (issue 8): segment shapes, the pattern tree on real keyspaces (the demo traffic as a
// valkey 8.0 saw it, and the shipped demo recording), collapse at scale, bounds, merging collectors,
// per-client patterns and filters.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { OTHER_PREFIX } from '../src/bounds.ts';
import {
  ClientPatterns,
  DEEP_SEGMENT,
  DEFAULT_PATTERN_LIMITS,
  EMPTY_SEGMENT,
  ID_RULES,
  NAMED_NUMBERS,
  PatternTree,
  idRule,
  keyPassesFilter,
  mergeSnapshots,
  patternMayPass,
  patternPasses,
  segmentPattern,
  profileOf,
  globIncludes,
  globsIntersect,
  globMatch,
  type PatternLimits,
  type PatternTreeReader,
} from '../src/analysis/keyPatterns.ts';
import type { PrefixTreeReader } from '../src/analysis/session.ts';

const here = (path: string): string => new URL(path, import.meta.url).pathname;

/** xorshift32. */
function prng(seed: number): () => number {
  let s = seed | 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

interface KeyCount {
  key: string;
  reads: number;
  writes: number;
}

/** test/fixtures/keyspace-<load>-valkey-8.0.txt (see capture-keyspace.sh). */
function recordedKeyspace(load: 'traffic' | 'benchmark'): KeyCount[] {
  const out: KeyCount[] = [];
  for (const line of readFileSync(here(`fixtures/keyspace-${load}-valkey-8.0.txt`), 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\d+) (\d+) (.*)$/.exec(line);
    assert.ok(m, line);
    out.push({ key: m[3]!, reads: Number(m[1]), writes: Number(m[2]) });
  }
  return out;
}

interface Touch {
  key: string;
  write: boolean;
  src: string;
}

/** Every key touch of data/demo/demo-session.jsonl.gz, in recorded order. */
function demoTouches(): Touch[] {
  const out: Touch[] = [];
  const text = gunzipSync(readFileSync(here('../data/demo/demo-session.jsonl.gz'))).toString('utf8');
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const rec = JSON.parse(line) as { t: string; events?: Array<{ src: string; k?: string[]; w?: boolean[] }> };
    if (rec.t !== 'batch') continue;
    for (const e of rec.events ?? []) (e.k ?? []).forEach((key, i) => out.push({ key, write: e.w?.[i] === true, src: e.src }));
  }
  return out;
}

function feedCounts(tree: PatternTree, keys: readonly KeyCount[]): void {
  for (const { key, reads, writes } of keys) {
    if (reads > 0) tree.add(key, false, reads);
    if (writes > 0) tree.add(key, true, writes);
    if (reads + writes === 0) tree.add(key, false);
  }
}

const leafRows = (t: PatternTreeReader): string[] => t.all().filter((s) => s.kind !== 'prefix').map((s) => s.pattern);

/** Every prefix's counts are its children's sums; the leaves sum to the total. */
function assertConserved(t: PatternTreeReader): void {
  const visit = (pattern: string): void => {
    const node = t.node(pattern)!;
    const kids = t.children(pattern);
    if (kids.length === 0) return;
    const sum = (f: 'count' | 'reads' | 'writes'): number => kids.reduce((s, k) => s + k[f], 0);
    assert.equal(sum('count'), node.count, `children of ${JSON.stringify(pattern)} sum to its count`);
    assert.equal(sum('reads'), node.reads, `reads under ${JSON.stringify(pattern)}`);
    assert.equal(sum('writes'), node.writes, `writes under ${JSON.stringify(pattern)}`);
    for (const k of kids) visit(k.pattern);
  };
  visit('');
  const leaves = t.all().filter((s) => s.kind !== 'prefix');
  assert.equal(leaves.reduce((s, l) => s + l.count, 0), t.total);
}

/** Pattern → [count, reads, writes], for comparing trees. */
const table = (t: PatternTreeReader): Map<string, [number, number, number]> =>
  new Map(t.all().map((s) => [s.pattern, [s.count, s.reads, s.writes] as [number, number, number]]));

describe('segment shapes', () => {
  test("every rule's examples are read by that rule, and the table explains itself", () => {
    for (const rule of ID_RULES) {
      assert.ok(rule.why.length > 40, `${rule.name} says why`);
      assert.ok(rule.examples.length > 0, `${rule.name} has examples`);
      for (const ex of rule.examples) assert.equal(idRule(ex)?.name, rule.name, `${ex} is ${rule.name}`);
    }
  });

  test('ids of every shape become *', () => {
    const ids: Record<string, string> = {
      '12345': 'number',
      '1795569379123456': 'number',
      '0': 'number',
      '-7': 'number',
      '19.99': 'number',
      '4f1c2d3e-9a8b-4c7d-8e6f-0123456789ab': 'uuid',
      '4f1c2d3e9a8b4c7d8e6f0123456789ab': 'hex',
      '507f1f77bcf86cd799439011': 'hex',
      'da39a3ee5e6b4b0d3255bfef95601890afd80709': 'hex',
      '01ARZ3NDEKTSV4RRFFQ69G5FAV': 'ulid',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U': 'jwt',
      'V1StGXR8_Z5jdHi6B-myT': 'token',
      'q3Zx9Lk2M0pT7wBv1YcR8g==': 'token',
      '2026-11-25': 'date-time',
      '2026/11/25': 'date-time',
      '2026-11-25T10': 'date-time',
      '203.0.113.12': 'ipv4',
      'alice@example.com': 'email',
      u253: 'prefixed-number',
      u1000: 'prefixed-number',
      order_98765: 'prefixed-number',
      'sku-1001': 'prefixed-number',
      '{u253}': 'prefixed-number',
      '{u1}': 'tag-content',
      [`x${'y'.repeat(60)}`]: 'long',
    };
    for (const [segment, rule] of Object.entries(ids)) assert.equal(idRule(segment)?.name, rule, segment);
  });

  test('words, versions and near misses stay literal', () => {
    const words = [
      'items', 'cart', 'daily', 'v2', 'p3', 'ipv6', 'x86', 'h2', 's3', 'utf8', 'base64', 'sha256', 'SHA512', 'x509', 'rs256', 'iso88591', 'ISO8601',
      'deadbeef', 'facade', 'decade', 'cafe', 'checkout-v2', 'checkout-v2-experiment-2024', 'migration-2024-q1-batch',
      'ProductDetailsV2', 'home-hero', 'last-run', 'blog/release-notes', 'docs/api', 'valkey-cutover', 'rain-jacket',
      'u17', 'p1', 'q', 'mylist', 'myhash', '__rand_int__', 'key', 'counter', '{orders}', '{queue}', '', '1.2.3', 'a@b',
      'views', 'bestsellers', 'feature', 'fragment', 'stats', 'hits',
    ];
    for (const w of words) assert.equal(idRule(w)?.name, undefined, `${w} is a word`);
  });

  test('the shortcuts (the no-digit gate, the hot path of the tree) agree with the table of rules', () => {
    const chars = '0123456789abcdefxyzABCDEFXYZ-_.{}@/+=é';
    const seg = fc.oneof(
      fc.array(fc.constantFrom(...chars), { maxLength: 40 }).map((c) => c.join('')),
      fc.array(fc.constantFrom(...'0123456789abcdef-'), { minLength: 36, maxLength: 36 }).map((c) => c.join('')),
      fc.uuid(),
      fc.integer().map(String),
    );
    fc.assert(
      fc.property(seg, (s) => {
        const byTable = ID_RULES.find((r) => r.tagOnly !== true && r.test(profileOf(s) as never, s, 0, s.length));
        if (!/[{}]/.test(s)) assert.equal(idRule(s)?.name, byTable?.name, s);
        // The tree's mapping (hot path included) is the segment's pattern, as a leaf and as a prefix.
        if (s === '' || s === EMPTY_SEGMENT || s === DEEP_SEGMENT || s === OTHER_PREFIX) return;
        const t = new PatternTree(':');
        assert.equal(t.add(s, false)!.pattern, segmentPattern(s), s);
        assert.equal(t.add(s, false)!.pattern, segmentPattern(s), `${s} again (cache)`);
        assert.equal(t.add(`${s}:x`, false)!.parent!.pattern, `${segmentPattern(s)}:`, `${s}:`);
      }),
      { numRuns: 2000 },
    );
  });

  test('prefixed-number, decided from the profile, is letters, an optional separator and digits', () => {
    const reference = (x: string): boolean => /^[A-Za-z]{1,8}[-_]?[0-9]{3,}$/.test(x) && !NAMED_NUMBERS.has(x.toLowerCase());
    const seg = fc.array(fc.constantFrom('a', 'Z', 'x', '1', '2', '0', '-', '_', 's', 'h', '5', '6'), { minLength: 1, maxLength: 14 }).map((c) => c.join(''));
    fc.assert(
      fc.property(fc.oneof(seg, fc.constantFrom(...NAMED_NUMBERS)), (x) => {
        const rule = ID_RULES.find((r) => r.name === 'prefixed-number')!;
        assert.equal(rule.test(profileOf(x) as never, x, 0, x.length), reference(x), x);
      }),
      { numRuns: 3000 },
    );
  });

  test('hash tags: only the content is judged and replaced', () => {
    assert.equal(segmentPattern('{u253}'), '{*}');
    assert.equal(segmentPattern('cart{u1}'), 'cart{*}');
    assert.equal(segmentPattern('{orders}'), '{orders}');
    assert.equal(segmentPattern('{4f1c2d3e-9a8b-4c7d-8e6f-0123456789ab}'), '{*}');
    // A tag spanning the delimiter: `{user:1000}:followers` is read piece by piece.
    assert.equal(segmentPattern('{user'), '{user');
    assert.equal(segmentPattern('1000}'), '*}');
    assert.equal(segmentPattern('{}'), '{}');
    assert.equal(segmentPattern('12345'), '*');
    assert.equal(segmentPattern('items'), 'items');
  });
});

describe('PatternTree', () => {
  test('a key counts at its prefixes and at its leaf, ids become *', () => {
    const t = new PatternTree(':');
    const leaf = t.add('cart:{u253}:items', false)!;
    assert.equal(leaf.pattern, 'cart:{*}:items');
    assert.equal(leaf.kind, 'leaf');
    assert.equal(leaf.depth, 3);
    assert.deepEqual([leaf.parent!.pattern, leaf.parent!.parent!.pattern, leaf.parent!.parent!.parent!.pattern], ['cart:{*}:', 'cart:', '']);
    t.add('cart:{u9999}:items', true);
    t.add('counter', true);
    t.add('12345', false);
    assert.equal(t.total, 4);
    assert.deepEqual(
      t.children('').map((v) => [v.pattern, v.kind, v.count]),
      [['cart:', 'prefix', 2], ['*', 'leaf', 1], ['counter', 'leaf', 1]],
    );
    const items = t.node('cart:{*}:items')!;
    assert.deepEqual([items.count, items.reads, items.writes, items.segment, items.hasChildren, items.prefix], [2, 1, 1, 'items', false, 'cart:{*}:items']);
    assert.equal(t.node('cart:{u253}:'), undefined, 'no per-id node');
    assert.equal(t.patternOf('cart:{u42}:items'), 'cart:{*}:items');
    assert.equal(t.patternOf('user:12345:'), 'user:*:∅');
  });

  test('special leaves: a key ending with the delimiter, the empty key, keys deeper than the depth limit', () => {
    const t = new PatternTree(':', { ...DEFAULT_PATTERN_LIMITS, depth: 3 });
    assert.equal(t.add('user:', false)!.pattern, `user:${EMPTY_SEGMENT}`);
    assert.equal(t.add('', false)!.pattern, EMPTY_SEGMENT);
    assert.equal(t.add('a:b:c:d:e:f', false)!.pattern, `a:b:c:${DEEP_SEGMENT}`);
    assert.equal(t.add('a:b:c', false)!.pattern, 'a:b:c');
    assert.equal(t.add('a:b:c:d', false)!.pattern, 'a:b:c:d');
    assert.equal(t.node('user:')!.kind, 'prefix');
    assert.equal(t.node(`user:${EMPTY_SEGMENT}`)!.kind, 'leaf');
    assertConserved(t);
  });

  test('a position with more than collapseAfter distinct names turns wild and merges what it held', () => {
    const limits: PatternLimits = { ...DEFAULT_PATTERN_LIMITS, collapseAfter: 4 };
    const t = new PatternTree(':', limits);
    const tenants = ['acme', 'globex', 'initech', 'umbrella'];
    for (const name of tenants) {
      t.add(`tenant:${name}:orders`, true, 2);
      t.add(`tenant:${name}:users`, false);
    }
    assert.equal(t.epoch, 0);
    assert.equal(t.node('tenant:acme:orders')!.count, 2);
    const before = t.canonical('tenant:acme:orders');
    assert.equal(before, 'tenant:acme:orders');
    t.add('tenant:hooli:orders', true, 2); // the fifth name
    assert.equal(t.epoch, 1);
    assert.deepEqual(t.decisions(), [{ pattern: 'tenant:', level: 1 }]);
    assert.deepEqual(t.children('tenant:').map((v) => v.pattern), ['tenant:*:']);
    assert.deepEqual(
      t.children('tenant:*:').map((v) => [v.pattern, v.count, v.reads, v.writes]),
      [['tenant:*:orders', 10, 0, 10], ['tenant:*:users', 4, 4, 0]],
    );
    assert.equal(t.node('tenant:acme:'), undefined);
    assert.equal(t.canonical('tenant:acme:orders'), 'tenant:*:orders');
    assert.equal(t.canonical('tenant:acme:'), 'tenant:*:');
    assert.equal(t.add('tenant:stark:users', false)!.pattern, 'tenant:*:users', 'later names map to * at once');
    assertConserved(t);
  });

  test('a collapsed position keeps the decisions made below it', () => {
    const t = new PatternTree(':', { ...DEFAULT_PATTERN_LIMITS, collapseAfter: 3 });
    for (const page of ['a', 'b', 'c', 'd']) t.add(`site:acme:page:${page}`, false);
    assert.deepEqual(t.decisions(), [{ pattern: 'site:acme:page:', level: 1 }]);
    for (const site of ['globex', 'initech', 'umbrella']) t.add(`site:${site}:page:home`, false);
    assert.deepEqual(t.decisions(), [{ pattern: 'site:', level: 1 }, { pattern: 'site:*:page:', level: 1 }]);
    assert.deepEqual(leafRows(t), ['site:*:page:*']);
    assert.equal(t.node('site:*:page:*')!.count, 7);
    assertConserved(t);
  });

  test('hash-tag forms: many distinct wild forms take the position to level 2', () => {
    const t = new PatternTree(':', { ...DEFAULT_PATTERN_LIMITS, collapseAfter: 3 });
    for (const pre of ['a', 'b', 'c']) t.add(`x:${pre}{u1}:y`, false);
    assert.deepEqual(t.children('x:').map((v) => v.segment).sort(), ['a{*}', 'b{*}', 'c{*}']);
    t.add('x:d{u2}:y', false);
    assert.deepEqual(t.decisions(), [{ pattern: 'x:', level: 2 }]);
    assert.deepEqual(leafRows(t), ['x:*:y']);
    assertConserved(t);
  });

  test('sibling prefixes with the same children make their parent wild (twins)', () => {
    const t = new PatternTree(':');
    const terms = ['boots', 'tent', 'map', 'socks', 'stove', 'gloves', 'compass', 'headlamp'];
    for (const term of terms) for (const page of ['p1', 'p2', 'p3']) t.add(`search:q:${term}:${page}`, false);
    assert.deepEqual(t.decisions(), [{ pattern: 'search:q:', level: 1 }]);
    assert.deepEqual(leafRows(t).sort(), ['search:q:*:p1', 'search:q:*:p2', 'search:q:*:p3']);
    // Namespaces whose only literal child is the same word do not count: one shared child is common.
    const u = new PatternTree(':');
    for (const ns of terms) {
      u.add(`${ns}:lock`, true);
      u.add(`${ns}:123`, true);
    }
    assert.deepEqual(u.decisions(), []);
    assertConserved(t);
  });

  test('the demo traffic as valkey 8.0 saw it reads as the patterns its services write', () => {
    const keys = recordedKeyspace('traffic');
    assert.ok(keys.length > 1000, 'the fixture has the per-id keys a minute of traffic makes');
    // In the recorded order, and shuffled: the rows do not depend on the order keys arrive in.
    const shuffled = [...keys];
    const random = prng(7);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    for (const order of [keys, shuffled]) {
      const t = new PatternTree(':');
      feedCounts(t, order);
      const rows = leafRows(t);
      // scripts/traffic: checkout (session:*, cart:{user}:items|checkouts, order:*), billing
      // (customer:*, invoice:*), catalog (product:*, rank:*), search-cache (search:q:<term>:p<n>),
      // feature-flags, edge-gateway (ratelimit:<ip>), cron, reports-worker (report:daily:<date>),
      // mailer (queue:mail, mail:sent), legacy-cms (page:<slug>, page:views:<slug>), storefront
      // (fragment:<name>, stats:hits:<date>).
      for (const p of [
        'session:*', 'cart:{*}:items', 'cart:{*}:checkouts', 'order:*', 'customer:*', 'invoice:*', 'product:*',
        'rank:trending', 'rank:bestsellers', 'rank:new', 'search:q:*:p1', 'search:q:*:p2', 'search:q:*:p3',
        'feature:flags:dark-mode', 'feature:flags:valkey-cutover', 'ratelimit:*', 'cron:last-run', 'report:daily:*',
        'queue:mail', 'mail:sent', 'page:views:docs/api', 'page:home', 'fragment:nav', 'stats:hits:*',
      ]) {
        assert.ok(rows.includes(p), `${p} in ${rows.join(' ')}`);
      }
      assert.ok(rows.length >= 20 && rows.length <= 60, `tens of rows, not thousands: ${rows.length} for ${keys.length} keys`);
      assert.ok(t.children('').length <= 20, 'one top-level row per key family');
      for (const r of rows) assert.doesNotMatch(r, /\d{3}|\{u\d|:u\d/, `no id left in ${r}`);
      assertConserved(t);
      assert.equal(t.total, keys.reduce((s, k) => s + Math.max(1, k.reads + k.writes), 0));
    }
  });

  test('a valkey-benchmark keyspace reads as its six families', () => {
    const keys = recordedKeyspace('benchmark');
    assert.ok(keys.length > 3000);
    const t = new PatternTree(':');
    feedCounts(t, keys);
    assert.deepEqual(leafRows(t).sort(), ['counter:*', 'key:*', 'myhash', 'mylist', 'myset', 'myzset']);
    assert.equal(t.node('key:*')!.count, keys.filter((k) => k.key.startsWith('key:')).reduce((s, k) => s + Math.max(1, k.reads + k.writes), 0));
    assertConserved(t);
  });

  test('the shipped demo recording (real client libraries) reads the same, and per client', () => {
    const touches = demoTouches();
    const t = new PatternTree(':');
    const clients = new Map<string, ClientPatterns>();
    for (const { key, write, src } of touches) {
      const leaf = t.add(key, write);
      let c = clients.get(src);
      if (c === undefined) clients.set(src, (c = new ClientPatterns()));
      c.add(leaf, write);
    }
    const rows = leafRows(t);
    assert.ok(new Set(touches.map((x) => x.key)).size > 1500);
    assert.ok(rows.length >= 20 && rows.length <= 60, `${rows.length} rows`);
    for (const p of ['session:*', 'cart:{*}:items', 'order:*', 'product:*', 'invoice:*', 'ratelimit:*', 'search:q:*:p2', 'stats:hits:*']) {
      assert.ok(rows.includes(p), `${p} in ${rows.join(' ')}`);
    }
    assertConserved(t);
    // The checkout client (the one that touches carts) shows its families, not its users.
    const checkout = [...clients.values()].find((c) => c.entries(t).some((e) => e.pattern === 'cart:{*}:items'))!;
    const names = checkout.entries(t).map((e) => e.pattern);
    for (const p of ['session:', 'session:*', 'cart:', 'cart:{*}:', 'cart:{*}:items', 'order:', 'order:*']) assert.ok(names.includes(p), `${p} in ${names.join(' ')}`);
    assert.ok(names.length <= 12, names.join(' '));
    // Every client's pattern reads and writes add up to its key touches, whatever the renames.
    for (const [src, c] of clients) {
      const top = c.entries(t).filter((e) => !e.pattern.slice(0, -1).includes(':'));
      const touched = touches.filter((x) => x.src === src);
      assert.equal(top.reduce((s, e) => s + e.reads + e.writes, 0), touched.length, src);
    }
  });

  test('100k+ distinct ids in several positions: collapse, exact counts, bounds', () => {
    const random = prng(42);
    const t = new PatternTree(':');
    const words = ['red', 'green', 'blue', 'amber', 'violet', 'teal', 'olive', 'coral', 'ivory', 'onyx', 'jade', 'rust'];
    const word = (): string => words[Math.floor(random() * words.length)]!;
    let reads = 0;
    for (let i = 0; i < 150_000; i++) {
      const n = Math.floor(random() * 1e9);
      const write = (i & 3) === 0;
      if (!write) reads++;
      switch (i % 6) {
        case 0: t.add(`user:${n}:cart`, write); break;
        case 1: t.add(`sess:${n.toString(16).padStart(8, '0')}${n.toString(16)}:data`, write); break;
        // Tenant names have no id shape: only their number collapses them.
        case 2: t.add(`tenant:${word()}-${word()}-${word()}:orders:${n}`, write); break;
        case 3: t.add(`cart:{${word()}${n % 1000}}:items`, write); break;
        case 4: t.add(`cache:page:${word()}/${word()}/${word()}`, write); break;
        default: t.add(`job:${n}:step:${i % 5}:log:${n}`, write); break;
      }
    }
    assert.equal(t.total, 150_000);
    assert.equal(t.node('')!.reads, reads);
    const rows = leafRows(t);
    assert.deepEqual(rows.sort(), [
      'cache:page:*', 'cart:{*}:items', 'job:*:step:*:log:*', 'sess:*:data', 'tenant:*:orders:*', 'user:*:cart',
    ]);
    assert.ok(t.decisions().some((d) => d.pattern === 'tenant:'), 'tenant names collapsed by number');
    assert.ok(t.size < 40, `${t.size} nodes`);
    assert.ok(t.tableSize <= 4096);
    assertConserved(t);
  });

  test('bounds: the node cap sends the rest to OTHER buckets, counts stay exact', () => {
    const t = new PatternTree(':', { depth: 4, nodes: 30, collapseAfter: 1000, twinsAfter: 0 });
    for (let i = 0; i < 2000; i++) t.add(`ns${i % 7}:name${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + ((i >> 5) % 26))}:x`, i % 2 === 0);
    assert.equal(t.size, 30);
    assert.equal(t.total, 2000);
    assert.ok(t.all().some((s) => s.kind === 'other' && s.pattern.endsWith(OTHER_PREFIX)));
    assertConserved(t);
  });

  test('a stream of 10,000,000 distinct ids does not grow the tree or the heap', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const t = new PatternTree(':');
    const letters = (i: number): string => {
      let s = '';
      for (let x = i; s.length < 5; x = Math.floor(x / 26)) s += String.fromCharCode(97 + (x % 26));
      return s;
    };
    const feed = (from: number, to: number): void => {
      for (let i = from; i < to; i++) {
        switch (i & 3) {
          case 0: t.add(`user:${i}:cart`, false); break;
          case 1: t.add(`blob:${i.toString(16)}a${i}`, true); break;
          case 2: t.add(`tenant:${letters(i)}:settings`, false); break; // no id shape: cardinality
          default: t.add(`ev:{${letters(i)}}:${i}`, true); break;
        }
      }
    };
    feed(0, 200_000);
    gc();
    const heap = process.memoryUsage().heapUsed;
    const size = t.size;
    const slots = t.tableSize;
    feed(200_000, 10_000_000);
    gc();
    const grown = process.memoryUsage().heapUsed - heap;
    assert.equal(t.total, 10_000_000);
    assert.equal(t.size, size, 'no node after the first 200,000 keys');
    assert.equal(t.tableSize, slots);
    assert.ok(grown < 2 << 20, `heap grew by ${(grown / 1048576).toFixed(1)} MB over 9.8M more distinct keys`);
    assert.deepEqual(leafRows(t).sort(), ['blob:*', 'ev:{*}:*', 'tenant:*:settings', 'user:*:cart']);
  });

  test('stored patterns do not keep alive the keys they were cut from', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const t = new PatternTree(':');
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 40; i++) {
      const line = `1700000000.000000 [0 127.0.0.1:5000] "SET" "svc${String.fromCharCode(97 + i)}:profile:blob" "${'v'.repeat(1 << 20)}"`;
      const from = line.indexOf('svc');
      t.add(line.slice(from, line.indexOf('"', from)), true);
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(grown < 4 << 20, `heap grew by ${(grown / 1048576).toFixed(1)} MB for 40 short keys`);
  });

  test('rates: tick turns counts into events per second, and a collapse keeps them', () => {
    const t = new PatternTree(':', { ...DEFAULT_PATTERN_LIMITS, collapseAfter: 2 });
    t.tick(0);
    for (let i = 0; i < 100; i++) t.add(`a:${['x', 'y'][i % 2]}:k`, false);
    t.tick(1000);
    assert.equal(t.node('a:')!.rate, 100);
    assert.equal(t.node('a:x:k')!.rate, 50);
    t.add('a:z:k', false); // third name: collapse
    assert.equal(t.node('a:*:k')!.rate, 100);
  });

  test("reads like PrefixTree: a PatternTree (live or merged) is a PrefixTreeReader, as the heatmap takes it", () => {
    const t = new PatternTree(':');
    t.add('a:1:b', false);
    const readers: PrefixTreeReader[] = [t, mergeSnapshots([t.snapshot()])];
    for (const r of readers) {
      assert.deepEqual(r.children('').map((v) => [v.prefix, v.segment, v.count, v.hasChildren]), [['a:', 'a', 1, true]]);
      assert.deepEqual(r.all().map((s) => s.prefix), ['a:', 'a:*:', 'a:*:b']);
    }
  });

  test('clear forgets everything', () => {
    const t = new PatternTree(':');
    t.add('a:1', false);
    t.clear();
    assert.equal(t.total, 0);
    assert.deepEqual(t.all(), []);
    assert.equal(t.add('a:1', false)!.pattern, 'a:*');
  });

  test('rejects bad limits and delimiters, ignores bad weights', () => {
    assert.throws(() => new PatternTree(''), RangeError);
    assert.throws(() => new PatternTree(':', { ...DEFAULT_PATTERN_LIMITS, nodes: -1 }), RangeError);
    const t = new PatternTree(':');
    for (const n of [0, -1, Number.NaN, Infinity]) assert.equal(t.add('a', false, n), undefined);
    assert.equal(t.total, 0);
  });
});

describe('properties', () => {
  // Small vocabularies so that collapses happen with small limits.
  const segment = fc.oneof(
    fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'items', 'cart', 'v2'),
    fc.integer({ min: 0, max: 50 }).map(String),
    fc.constantFrom('{u1}', '{u2}', 'x{k}', 'y{k}', '{w}', ''),
  );
  const key = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join(':'));
  const event = fc.record({ key, write: fc.boolean(), n: fc.integer({ min: 1, max: 5 }) });
  const limits = fc.record({
    depth: fc.integer({ min: 1, max: 4 }),
    nodes: fc.constant(10_000),
    collapseAfter: fc.integer({ min: 0, max: 6 }),
    twinsAfter: fc.constant(0),
  });
  // The twins rule reads a moment of the tree: with it, counts are still conserved and names
  // consistent, but the result may depend on the order keys arrive in.
  const limitsWithTwins = fc.record({
    depth: fc.integer({ min: 1, max: 4 }),
    nodes: fc.constant(10_000),
    collapseAfter: fc.integer({ min: 0, max: 6 }),
    twinsAfter: fc.constantFrom(0, 2, 3),
  });

  test('counts are conserved under any collapse, and the result does not depend on the order', () => {
    fc.assert(
      fc.property(limitsWithTwins, fc.array(event, { maxLength: 120 }), fc.integer(), (lim, events, seed) => {
        const a = new PatternTree(':', lim);
        for (const e of events) a.add(e.key, e.write, e.n);
        assertConserved(a);
        assert.equal(a.total, events.reduce((s, e) => s + e.n, 0));
        if (lim.twinsAfter !== 0) return;
        const shuffled = [...events];
        const random = prng(seed);
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        const b = new PatternTree(':', lim);
        for (const e of shuffled) b.add(e.key, e.write, e.n);
        assert.deepEqual(table(b), table(a));
      }),
      { numRuns: 300 },
    );
  });

  test('add returns the pattern patternOf names; canonical is idempotent and maps old names to live ones', () => {
    fc.assert(
      fc.property(limitsWithTwins, fc.array(event, { maxLength: 120 }), (lim, events) => {
        const t = new PatternTree(':', lim);
        const seen: string[] = [];
        for (const e of events) {
          const predicted = t.patternOf(e.key);
          const leaf = t.add(e.key, e.write, e.n)!;
          seen.push(leaf.pattern);
          // A collapse during this very add may rename what patternOf predicted.
          assert.equal(t.canonical(predicted), leaf.pattern);
          assert.equal(t.patternOf(e.key), leaf.pattern);
          for (let x = leaf.parent; x !== null && x.depth > 0; x = x.parent) assert.ok(t.node(x.pattern), x.pattern);
        }
        for (const p of seen) {
          const c = t.canonical(p);
          assert.equal(t.canonical(c), c);
          assert.ok(t.node(c), `${p} → ${c} is a live node`);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('merging snapshots equals one tree fed everything, whatever each collector collapsed', () => {
    // Without the twins rule, which depends on the order keys arrive in (its decisions still travel: see below).
    fc.assert(
      fc.property(limits, fc.array(fc.tuple(event, fc.integer({ min: 0, max: 2 })), { maxLength: 150 }), (lim, events) => {
        const parts = [new PatternTree(':', lim), new PatternTree(':', lim), new PatternTree(':', lim)];
        const whole = new PatternTree(':', lim);
        for (const [e, part] of events) {
          parts[part]!.add(e.key, e.write, e.n);
          whole.add(e.key, e.write, e.n);
        }
        const merged = mergeSnapshots(parts.map((p) => structuredClone(p.snapshot())));
        assert.deepEqual(table(merged), table(whole));
        assert.deepEqual(merged.decisions(), whole.decisions());
        assert.equal(merged.total, whole.total);
        assertConserved(merged);
      }),
      { numRuns: 300 },
    );
  });
});

describe('merging collectors', () => {
  test('one node collapsed tenant:, the other did not: the merge counts everything under tenant:*:', () => {
    const limits: PatternLimits = { ...DEFAULT_PATTERN_LIMITS, collapseAfter: 8 };
    const a = new PatternTree(':', limits);
    const b = new PatternTree(':', limits);
    const whole = new PatternTree(':', limits);
    const names = Array.from({ length: 12 }, (_, i) => `tenant-${String.fromCharCode(97 + i)}`);
    for (const [i, name] of names.entries()) {
      for (const t of [a, whole]) t.add(`tenant:${name}:orders`, true, i + 1);
    }
    for (const name of names.slice(0, 3)) for (const t of [b, whole]) t.add(`tenant:${name}:orders`, false, 100);
    for (const t of [b, whole]) t.add('other:1', false);
    assert.deepEqual(a.decisions(), [{ pattern: 'tenant:', level: 1 }]);
    assert.deepEqual(b.decisions(), []);
    assert.ok(b.node('tenant:tenant-a:orders'));
    const merged = mergeSnapshots([a.snapshot(), b.snapshot()]);
    assert.deepEqual(table(merged), table(whole));
    assert.deepEqual(merged.node('tenant:*:orders')!.count, 78 + 300);
    assert.equal(merged.node('tenant:tenant-a:orders'), undefined);
    assert.equal(merged.canonical('tenant:tenant-a:orders'), 'tenant:*:orders');
  });

  test('a twins decision made by one collector applies to the merge', () => {
    const a = new PatternTree(':');
    const b = new PatternTree(':');
    const terms = ['boots', 'tent', 'map', 'socks', 'stove', 'gloves', 'compass', 'headlamp'];
    for (const term of terms) for (const page of ['p1', 'p2']) a.add(`search:q:${term}:${page}`, false);
    b.add('search:q:boots:p1', false, 5);
    assert.deepEqual(a.decisions(), [{ pattern: 'search:q:', level: 1 }]);
    const merged = mergeSnapshots([b.snapshot(), a.snapshot()]);
    assert.deepEqual(leafRows(merged).sort(), ['search:q:*:p1', 'search:q:*:p2']);
    assert.equal(merged.node('search:q:*:p1')!.count, 13);
  });

  test('snapshots are plain data that survive structured cloning; merging one gives the tree back', () => {
    const t = new PatternTree(':');
    feedCounts(t, recordedKeyspace('traffic'));
    t.tick(0);
    t.tick(1000);
    const s = t.snapshot();
    assert.deepEqual(structuredClone(s), s);
    assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
    const back = mergeSnapshots([s]);
    assert.deepEqual(table(back), table(t));
    assert.deepEqual(back.decisions(), t.decisions());
    assert.throws(() => mergeSnapshots([]), RangeError);
    assert.throws(() => mergeSnapshots([s, { ...s, delimiter: '/' }]), RangeError);
  });

  test('merging costs time in nodes, not events', () => {
    const parts = Array.from({ length: 4 }, () => new PatternTree(':'));
    for (let i = 0; i < 400_000; i++) parts[i & 3]!.add(`svc${i % 5}:user:${i}:cart`, false);
    const snaps = parts.map((p) => p.snapshot());
    assert.ok(snaps.every((s) => s.nodes.length <= 20));
    const t0 = performance.now();
    const merged = mergeSnapshots(snaps);
    assert.ok(performance.now() - t0 < 50);
    assert.equal(merged.total, 400_000);
  });
});

describe('ClientPatterns', () => {
  test("issue 8: 300 users' user:N:cart reads, then 5,000 orders:N writes: orders: is there with writes=5000", () => {
    const t = new PatternTree(':');
    const c = new ClientPatterns();
    for (let n = 1; n <= 300; n++) c.add(t.add(`user:${n}:cart`, false), false);
    for (let n = 1; n <= 5000; n++) c.add(t.add(`orders:${n}`, true), true);
    const entries = c.entries(t);
    const by = new Map(entries.map((e) => [e.pattern, e]));
    assert.deepEqual(by.get('orders:'), { pattern: 'orders:', reads: 0, writes: 5000, error: 0 });
    assert.deepEqual(by.get('orders:*'), { pattern: 'orders:*', reads: 0, writes: 5000, error: 0 });
    assert.deepEqual(by.get('user:'), { pattern: 'user:', reads: 300, writes: 0, error: 0 });
    assert.deepEqual(by.get('user:*:'), { pattern: 'user:*:', reads: 300, writes: 0, error: 0 });
    assert.deepEqual(by.get('user:*:cart'), { pattern: 'user:*:cart', reads: 300, writes: 0, error: 0 });
    assert.deepEqual(entries.map((e) => e.pattern), ['orders:', 'orders:*', 'user:', 'user:*:', 'user:*:cart']);
    assert.deepEqual([c.reads, c.writes, c.size], [300, 5000, 5]);
  });

  test('shallow patterns are never lost to deep ones, and the whole stays bounded', () => {
    const t = new PatternTree(':', { ...DEFAULT_PATTERN_LIMITS, collapseAfter: 1000, twinsAfter: 0 });
    const c = new ClientPatterns({ shallowCapacity: 16, deepCapacity: 8 });
    const w = (x: number): string => 'w' + String.fromCharCode(97 + (x % 26)) + String.fromCharCode(97 + (Math.floor(x / 26) % 26));
    // First thousands of distinct deep patterns (words: no id shape, no collapse), then a little
    // shallow traffic: the deep ones fill the sketch many times over.
    for (let i = 0; i < 5000; i++) c.add(t.add(`deep:x:${w(i)}:${w(i * 7)}:leaf`, false), false);
    c.add(t.add('late:one', true), true);
    const by = new Map(c.entries(t).map((e) => [e.pattern, e]));
    assert.deepEqual(by.get('deep:'), { pattern: 'deep:', reads: 5000, writes: 0, error: 0 });
    assert.deepEqual(by.get('deep:x:'), { pattern: 'deep:x:', reads: 5000, writes: 0, error: 0 });
    assert.deepEqual(by.get('late:'), { pattern: 'late:', reads: 0, writes: 1, error: 0 });
    assert.deepEqual(by.get('late:one'), { pattern: 'late:one', reads: 0, writes: 1, error: 0 });
    assert.ok(c.size <= 4 + 8, `${c.size} entries`);
    // Past shallowCapacity, depth-2 names compete among themselves, never with deeper ones.
    for (let i = 0; i < 40; i++) c.add(t.add(`mid:${w(i)}`, true, 100), true, 100);
    for (let i = 0; i < 5000; i++) c.add(t.add(`deep:x:${w(i)}:${w(i * 3)}:leaf`, false, 1000), false, 1000);
    const entries = c.entries(t);
    const mids = entries.filter((e) => /^mid:w/.test(e.pattern));
    assert.equal(mids.length, 16 - 2 + 8, 'exact ones (deep:x: and late:one took 2 of 16) and a full depth-2 sketch');
    assert.deepEqual(new Map(entries.map((e) => [e.pattern, e])).get('mid:'), { pattern: 'mid:', reads: 0, writes: 4000, error: 0 });
    assert.ok(c.size <= 5 + 16 + 8 + 8, `${c.size} entries`);
    for (const e of entries) assert.ok(e.error >= 0);
  });

  test('names recorded before a collapse are renamed and merged, in place', () => {
    const t = new PatternTree(':', { ...DEFAULT_PATTERN_LIMITS, collapseAfter: 4 });
    const c = new ClientPatterns();
    for (const name of ['acme', 'globex', 'initech']) c.add(t.add(`tenant:${name}:orders`, true), true);
    assert.equal(c.size, 7);
    for (const name of ['umbrella', 'hooli']) t.add(`tenant:${name}:orders`, false); // another client's keys collapse tenant:
    const entries = c.entries(t);
    assert.deepEqual(entries, [
      { pattern: 'tenant:', reads: 0, writes: 3, error: 0 },
      { pattern: 'tenant:*:', reads: 0, writes: 3, error: 0 },
      { pattern: 'tenant:*:orders', reads: 0, writes: 3, error: 0 },
    ]);
    assert.equal(c.size, 3, 'compacted');
  });

  test('a sketch entry carries reads and writes separately and an error bound', () => {
    const t = new PatternTree(':', { ...DEFAULT_PATTERN_LIMITS, collapseAfter: 1000 });
    const c = new ClientPatterns({ deepCapacity: 2 });
    for (let i = 0; i < 10; i++) c.add(t.add('a:b:hot', i % 2 === 0), i % 2 === 0);
    c.add(t.add('a:b:cold1', false), false);
    c.add(t.add('a:b:cold2', true), true);
    const by = new Map(c.entries(t).map((e) => [e.pattern, e]));
    assert.deepEqual(by.get('a:b:hot'), { pattern: 'a:b:hot', reads: 5, writes: 5, error: 0 });
    assert.deepEqual(by.get('a:b:cold2'), { pattern: 'a:b:cold2', reads: 0, writes: 1, error: 1 });
    assert.equal(by.get('a:b:cold1'), undefined);
    assert.deepEqual(by.get('a:b:'), { pattern: 'a:b:', reads: 6, writes: 6, error: 0 });
  });
});

describe('filters', () => {
  test('keys against literal and pattern filters', () => {
    const cases: Array<[string, string, boolean]> = [
      ['cart:{u1}:items', 'cart:', true],
      ['cart:{u1}:items', 'cart:{*}:', true],
      ['cart:{u1}:items', 'cart:{*}:items', true],
      ['cart:{u1}:items', 'cart:{*}:checkouts', false],
      ['cart:x:items', 'cart:{*}:', false],
      ['app:user:1', 'app:us', true],
      ['user:12345:cart', 'user:*:cart', true],
      ['user:12345:cart:x', 'user:*:cart', true],
      ['user:12345', 'user:*:cart', false],
      ['user:12345:cart', 'user:12345:', true],
      ['user:1:cart', 'user:12345:', false],
      ['user:1', 'us*', true],
      ['user:1', '*:1', true],
      ['user:1', '*:2', false],
      ['x', '', true],
    ];
    for (const [key, filter, want] of cases) assert.equal(keyPassesFilter(key, filter, ':'), want, `${key} / ${filter}`);
  });

  test('patterns pass a filter entirely, partially, or not at all', () => {
    const cases: Array<[string, string, boolean, boolean]> = [
      // pattern, filter, passes, may pass
      ['user:*:', 'user:12345:', false, true],
      ['user:*:', 'user:', true, true],
      ['user:*:cart', 'user:*:cart', true, true],
      ['user:*:cart', 'user:*:c', true, true],
      ['user:*:cart', 'user:*:cart:', false, false],
      ['user:*:', 'user:*:cart', false, true],
      ['cart:', 'cart:{*}:', false, true],
      ['cart:{*}:', 'cart:{*}:', true, true],
      ['cart:{*}:items', 'cart:', true, true],
      ['order:', 'ord', true, true],
      ['order:*', 'orders:', false, false],
      ['app:user:', 'app:us', true, true],
      ['app:', 'app:us', false, true],
      ['app:…', 'app:us', false, true],
      [`a:b:${DEEP_SEGMENT}`, 'a:b:c', false, true],
      [`a:${EMPTY_SEGMENT}`, 'a:', true, true],
      [`a:${EMPTY_SEGMENT}`, 'a:b', false, false],
      ['session:*', 'session:u1', false, true],
      ['*:x', 'a:', false, true],
      ['', 'a', false, true],
      ['', '', true, true],
    ];
    for (const [pattern, filter, passes, may] of cases) {
      assert.equal(patternPasses(pattern, filter, ':'), passes, `${pattern} passes ${filter}`);
      assert.equal(patternMayPass(pattern, filter, ':'), may, `${pattern} may pass ${filter}`);
    }
  });

  test('for literal filters and literal prefixes, the same answers as plain prefix filtering', () => {
    // What a literal prefix filter always meant (the filters before patterns): a key passes when it
    // starts with the filter; a prefix leads to the filter when the filter starts with it.
    const keyPasses = (k: string, fs: readonly string[]): boolean => fs.length === 0 || fs.some((a) => k.startsWith(a));
    const prefixLeadsToFilter = (p: string, fs: readonly string[]): boolean => fs.some((a) => a.startsWith(p));
    const seg = fc.constantFrom('a', 'b', 'ab', 'user', 'us', '');
    const prefix = fc.array(seg, { minLength: 1, maxLength: 3 }).map((s) => s.join(':') + ':');
    const filter = fc.array(seg, { minLength: 1, maxLength: 3 }).map((s) => s.join(':'));
    fc.assert(
      fc.property(prefix, filter, fc.boolean(), (p, f, trailing) => {
        const flt = trailing ? f + ':' : f;
        assert.equal(patternPasses(p, flt, ':'), keyPasses(p, [flt]));
        assert.equal(keyPassesFilter(p, flt, ':'), keyPasses(p, [flt]));
        const partial = patternMayPass(p, flt, ':') && !patternPasses(p, flt, ':');
        assert.equal(partial, prefixLeadsToFilter(p, [flt]) && !keyPasses(p, [flt]));
      }),
      { numRuns: 500 },
    );
  });

  test('a pattern that passes holds only passing keys; a passing key lies in a pattern that may pass', () => {
    const seg = fc.oneof(fc.constantFrom('a', 'b', 'ab', '{u1}', 'x{k}', ''), fc.integer({ min: 0, max: 9 }).map((n) => String(n * 111)));
    const key = fc.array(seg, { minLength: 1, maxLength: 4 }).map((s) => s.join(':'));
    const fseg = fc.constantFrom('a', 'b', '*', 'a*', '*b', '{*}', '111', '1*', '', 'x{*}');
    const filter = fc.array(fseg, { minLength: 1, maxLength: 4 }).map((s) => s.join(':'));
    fc.assert(
      fc.property(fc.array(key, { minLength: 1, maxLength: 30 }), filter, (keys, f) => {
        const t = new PatternTree(':', { ...DEFAULT_PATTERN_LIMITS, collapseAfter: 3 });
        for (const k of keys) t.add(k, false);
        for (const k of keys) {
          const pass = keyPassesFilter(k, f, ':');
          // The key's leaf and each of its prefixes.
          const leaf = t.patternOf(k);
          const chain = [leaf];
          for (let at = k.indexOf(':'); at >= 0; at = k.indexOf(':', at + 1)) chain.push(t.patternOf(k.slice(0, at + 1)).slice(0, -EMPTY_SEGMENT.length));
          for (const p of chain) {
            if (patternPasses(p, f, ':')) assert.ok(pass, `${p} passes ${f} but ${k} does not`);
          }
          if (pass) assert.ok(patternMayPass(leaf, f, ':'), `${k} passes ${f}; its pattern ${leaf} must may-pass`);
        }
      }),
      { numRuns: 400 },
    );
  });

  test('glob helpers', () => {
    assert.ok(globMatch('a*c', 'abbc'));
    assert.ok(!globMatch('a*c', 'abbd'));
    assert.ok(globMatch('a*c', 'abcd', true));
    assert.ok(globIncludes('{*}', '{*'));
    assert.ok(globIncludes('{*}', '*'));
    assert.ok(!globIncludes('*', '{*}'));
    assert.ok(globIncludes('ab', 'a*'));
    assert.ok(globsIntersect('a*', '*b'));
    assert.ok(!globsIntersect('a*', 'b*'));
    assert.ok(globsIntersect('*', '12345'));
    assert.ok(!globsIntersect('{*}', 'x'));
  });
});
