import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { BOUNDS, OTHER_PREFIX } from '../src/bounds.ts';
import { SpaceSaving } from '../src/analysis/spaceSaving.ts';
import { PrefixTree, DEFAULT_PREFIX_LIMITS, type PrefixLimits } from '../src/analysis/prefixTree.ts';
import { BoundedCounter, ReadWriteCounter, detach } from '../src/analysis/boundedCounter.ts';
import { EwmaRate, ewmaAlpha } from '../src/analysis/rate.ts';

/** xorshift32, for streams fast-check can shrink through their seed. */
function prng(seed: number): () => number {
  let s = seed | 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** Zipf-ish: rank r drawn with P ~ 1/(r+1)^s, s in (0, 2], over `distinct` items. */
function zipfStream(seed: number, length: number, distinct: number, s: number, maxWeight: number): Array<[string, number]> {
  const random = prng(seed);
  const weights = Array.from({ length: distinct }, (_, r) => 1 / Math.pow(r + 1, s));
  const cumulative: number[] = [];
  let sum = 0;
  for (const w of weights) cumulative.push((sum += w));
  const out: Array<[string, number]> = [];
  for (let i = 0; i < length; i++) {
    const u = random() * sum;
    let lo = 0;
    let hi = distinct - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    out.push([`k${lo}`, 1 + Math.floor(random() * maxWeight)]);
  }
  return out;
}

function checkSpaceSaving(capacity: number, stream: ReadonlyArray<readonly [string, number]>): void {
  const ss = new SpaceSaving(capacity);
  const exact = new Map<string, number>();
  let total = 0;
  for (const [key, w] of stream) {
    ss.offer(key, w);
    exact.set(key, (exact.get(key) ?? 0) + w);
    total += w;
  }
  assert.equal(ss.total, total);
  assert.ok(ss.size <= capacity);
  assert.equal(ss.size, Math.min(capacity, exact.size));
  const top = ss.top(capacity);
  assert.equal(top.length, ss.size);
  let sumCounts = 0;
  for (let i = 0; i < top.length; i++) {
    const { key, count, error } = top[i]!;
    if (i > 0) assert.ok(top[i - 1]!.count >= count, 'sorted by count descending');
    const truth = exact.get(key) ?? 0;
    assert.ok(count - error <= truth && truth <= count, `${key}: ${count}-${error} vs true ${truth}`);
    assert.ok(error >= 0 && error <= ss.threshold);
    sumCounts += count;
  }
  assert.equal(sumCounts, total, 'counts always sum to the total');
  const monitored = new Set(top.map((t) => t.key));
  for (const [key, truth] of exact) {
    if (truth > total / capacity) assert.ok(monitored.has(key), `${key} (${truth} of ${total}) must be monitored`);
    if (!monitored.has(key)) assert.ok(truth <= ss.threshold, `${key} not monitored but ${truth} > threshold ${ss.threshold}`);
  }
  if (exact.size <= capacity) {
    for (const t of top) assert.deepEqual([t.count, t.error], [exact.get(t.key), 0], 'exact until full');
  }
}

describe('SpaceSaving', () => {
  test('guarantees hold on random Zipf-ish weighted streams (fast-check vs exact Map)', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 1, max: 400 }),
        fc.double({ min: 0.3, max: 2, noNaN: true }),
        fc.constantFrom(1, 1, 3, 100),
        (seed, capacity, length, distinct, s, maxWeight) => {
          checkSpaceSaving(capacity, zipfStream(seed, length, distinct, s, maxWeight));
        },
      ),
      { numRuns: 300 },
    );
  });

  test('guarantees hold on arbitrary small streams (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'), fc.integer({ min: 1, max: 5 })), { maxLength: 200 }),
        (capacity, stream) => checkSpaceSaving(capacity, stream),
      ),
      { numRuns: 500 },
    );
  });

  test('the paper example: replacement takes the minimum count as error', () => {
    const ss = new SpaceSaving(2);
    for (const k of ['a', 'a', 'a', 'b', 'c']) ss.offer(k);
    assert.deepEqual(ss.top(5), [
      { key: 'a', count: 3, error: 0 },
      { key: 'c', count: 2, error: 1 },
    ]);
    assert.equal(ss.threshold, 2);
    assert.equal(ss.get('b'), undefined);
    assert.deepEqual(ss.get('a'), { key: 'a', count: 3, error: 0 });
    assert.deepEqual(ss.top(1), [{ key: 'a', count: 3, error: 0 }]);
    assert.deepEqual(ss.top(0), []);
  });

  test('weighted offers jump over several buckets', () => {
    const ss = new SpaceSaving(4);
    for (const k of ['a', 'b', 'c']) ss.offer(k);
    ss.offer('b', 2);
    ss.offer('c', 5);
    ss.offer('d', 4);
    ss.offer('a', 3);
    assert.deepEqual(
      ss.top().map((t) => [t.key, t.count]),
      [['c', 6], ['a', 4], ['d', 4], ['b', 3]],
    );
  });

  test('ignores weights that are not positive and finite', () => {
    const ss = new SpaceSaving(3);
    ss.offer('a', 0);
    ss.offer('a', -1);
    ss.offer('a', Number.NaN);
    ss.offer('a', Infinity);
    assert.equal(ss.size, 0);
    assert.equal(ss.total, 0);
    ss.offer('a', 2.5);
    assert.deepEqual(ss.top(), [{ key: 'a', count: 2.5, error: 0 }]);
  });

  test('returns frozen snapshots, and clear() empties it', () => {
    const ss = new SpaceSaving(3);
    ss.offer('x');
    const [first] = ss.top();
    assert.ok(Object.isFrozen(first));
    ss.offer('x');
    assert.equal(first!.count, 1, 'a snapshot does not move with the sketch');
    ss.clear();
    assert.equal(ss.size, 0);
    assert.equal(ss.total, 0);
    assert.deepEqual(ss.top(), []);
    ss.offer('y');
    assert.deepEqual(ss.top(), [{ key: 'y', count: 1, error: 0 }]);
  });

  test('rejects a capacity that is not a positive integer', () => {
    assert.throws(() => new SpaceSaving(0), RangeError);
    assert.throws(() => new SpaceSaving(1.5), RangeError);
  });
});

const small = (l: Partial<PrefixLimits>): PrefixLimits => ({ ...DEFAULT_PREFIX_LIMITS, ...l });
const counts = (t: PrefixTree, prefix = ''): Array<[string, number]> => t.children(prefix).map((c) => [c.prefix, c.count]);

describe('SpaceSaving with randomized admission (RAP)', () => {
  test('on a Zipf stream over a long tail it finds the true heavy hitters with close counts', () => {
    for (const seed of [1, 7, 42]) {
      const stream = zipfStream(seed, 200_000, 50_000, 1.1, 1);
      const exact = new Map<string, number>();
      for (const [k] of stream) exact.set(k, (exact.get(k) ?? 0) + 1);
      const ss = new SpaceSaving(500, { admission: 'randomized', random: prng(seed * 31 + 1) });
      for (const [k] of stream) ss.offer(k);
      const trueTop = [...exact].sort((a, b) => b[1] - a[1]).slice(0, 10);
      const found = new Map(ss.top(20).map((h) => [h.key, h.count]));
      for (const [k, n] of trueTop) {
        assert.ok(found.has(k), `seed ${seed}: ${k} (${n}) missing from the top 20`);
        assert.ok(Math.abs(found.get(k)! - n) <= n * 0.05, `seed ${seed}: ${k} counted ${found.get(k)} of ${n}`);
      }
      assert.equal(ss.total, stream.length, 'the total stays exact');
      assert.ok(ss.size <= 500);
    }
  });

  test('a stream of one-off keys rarely replaces a counter', () => {
    const admissions = (ss: SpaceSaving): number => {
      let n = 0;
      // Every key is new, so it is monitored right after its offer only if it was admitted.
      for (let i = 0; i < 100_000; i++) if (ss.offer(`once:${i}`) && ss.get(`once:${i}`) !== undefined) n++;
      return n;
    };
    assert.equal(admissions(new SpaceSaving(100)), 100_000, 'always-admit replaces a counter every time');
    const rap = admissions(new SpaceSaving(100, { admission: 'randomized', random: prng(3) }));
    // RAP admits about sum over the stream of 1/(min+1): a few thousand here.
    assert.ok(rap < 5_000, `${rap} admissions`);
  });
});

describe('PrefixTree', () => {
  test('counts every proper prefix ending at a delimiter, not the key itself', () => {
    const t = new PrefixTree(':');
    t.add('app:user:42', false);
    t.add('app:user:43', true);
    t.add('app:session:1', false);
    t.add('other:x', true);
    assert.deepEqual(counts(t), [['app:', 3], ['other:', 1]]);
    assert.deepEqual(counts(t, 'app:'), [['app:user:', 2], ['app:session:', 1]]);
    assert.deepEqual(counts(t, 'app:user:'), []);
    assert.equal(t.node('app:user:42:'), undefined);
    assert.equal(t.node('app:user:42'), undefined);
    assert.deepEqual(t.node('app:user:'), {
      prefix: 'app:user:', segment: 'user', count: 2, reads: 1, writes: 1, rate: 0, hasChildren: false,
    });
    assert.deepEqual(t.node('app:'), {
      prefix: 'app:', segment: 'app', count: 3, reads: 2, writes: 1, rate: 0, hasChildren: true,
    });
    assert.deepEqual(t.node(''), { prefix: '', segment: '', count: 4, reads: 2, writes: 2, rate: 0, hasChildren: true });
    assert.equal(t.total, 4);
    assert.equal(t.size, 4);
  });

  test('keys without a delimiter, or ending with one, count only where they have proper prefixes', () => {
    const t = new PrefixTree(':');
    t.add('plain', false);
    t.add('a:', false); // `a:` is the key itself
    t.add('a:b:', true); // counts at `a:` only
    t.add('', false);
    assert.equal(t.total, 4);
    assert.deepEqual(counts(t), [['a:', 1]]);
    assert.deepEqual(counts(t, 'a:'), []);
    assert.deepEqual(t.node('a:'), { prefix: 'a:', segment: 'a', count: 1, reads: 0, writes: 1, rate: 0, hasChildren: false });
  });

  test('empty segments are segments', () => {
    const t = new PrefixTree(':');
    t.add('a::b', false);
    t.add(':x', false);
    t.add('::', false);
    assert.deepEqual(counts(t), [[':', 2], ['a:', 1]]);
    assert.deepEqual(counts(t, 'a:'), [['a::', 1]]);
    assert.equal(t.node('a::')!.segment, '');
    assert.equal(t.node(':')!.segment, '');
    assert.deepEqual(counts(t, ':'), []);
  });

  test('multi-character delimiters', () => {
    const t = new PrefixTree('::');
    t.add('ns::user::1', true);
    t.add('ns::user::2', false);
    t.add('ns:x', false);
    t.add('a:::b', false); // first `::` at 1: prefix `a::`, rest `:b`
    assert.deepEqual(counts(t), [['ns::', 2], ['a::', 1]]);
    assert.deepEqual(counts(t, 'ns::'), [['ns::user::', 2]]);
    assert.deepEqual(t.node('ns::user::'), {
      prefix: 'ns::user::', segment: 'user', count: 2, reads: 1, writes: 1, rate: 0, hasChildren: false,
    });
    assert.deepEqual(counts(t, 'a::'), []);
    const slash = new PrefixTree('->');
    slash.add('a->b->c', false);
    assert.deepEqual(slash.all().map((s) => s.prefix), ['a->', 'a->b->']);
  });

  test('stops at the depth limit', () => {
    const t = new PrefixTree(':', small({ depth: 2 }));
    t.add('a:b:c:d:e', false);
    t.add('a:b:x:y', true);
    assert.deepEqual(t.all().map((s) => [s.prefix, s.count]), [['a:', 2], ['a:b:', 2]]);
    assert.equal(t.node('a:b:')!.hasChildren, false);
    const none = new PrefixTree(':', small({ depth: 0 }));
    none.add('a:b', false);
    assert.equal(none.total, 1);
    assert.deepEqual(none.all(), []);
  });

  test('a full node sends new names to its OTHER child, a leaf', () => {
    const t = new PrefixTree(':', small({ children: 2 }));
    for (const k of ['a:1:z', 'b:1', 'c:1:z:q', 'd:1', 'a:2', 'c:1:w']) t.add(k, k === 'd:1');
    const other = `${OTHER_PREFIX}:`;
    assert.deepEqual(counts(t), [[other, 3], ['a:', 2], ['b:', 1]]);
    assert.deepEqual(t.node(other), {
      prefix: other, segment: OTHER_PREFIX, count: 3, reads: 2, writes: 1, rate: 0, hasChildren: false,
    });
    assert.deepEqual(counts(t, other), [], 'nothing is recorded below OTHER');
    // Known names keep counting once the node is full.
    t.add('b:9', false);
    assert.equal(t.node('b:')!.count, 2);
    // Children limit per node, not per tree.
    t.add('a:3:x', false);
    t.add('a:4:x', false);
    assert.deepEqual(counts(t, 'a:'), [['a:1:', 1], ['a:3:', 1], [`a:${OTHER_PREFIX}:`, 1]]);
    assert.equal(t.node(`a:${OTHER_PREFIX}:`)!.count, 1);
  });

  test('a key whose segment is literally OTHER_PREFIX counts in the OTHER child', () => {
    const t = new PrefixTree(':');
    t.add(`${OTHER_PREFIX}:x:y`, false);
    assert.deepEqual(t.all().map((s) => s.prefix), [`${OTHER_PREFIX}:`]);
    assert.equal(t.size, 0);
  });

  test('a full tree sends new names to the parent OTHER child', () => {
    const t = new PrefixTree(':', small({ nodes: 3 }));
    t.add('a:b:c:1', false); // a:, a:b:, a:b:c:
    t.add('a:x:1', true); // no room: a:…:
    t.add('z:1', false); // no room: …:
    t.add('a:b:c:d:1', false); // no room: a:b:c:…:
    t.add('a:b:c:2', false); // known all the way
    assert.equal(t.size, 3);
    assert.deepEqual(
      t.all().map((s) => [s.prefix, s.count]),
      [
        ['a:', 4],
        ['a:b:', 3],
        ['a:b:c:', 3],
        [`a:b:c:${OTHER_PREFIX}:`, 1],
        [`a:${OTHER_PREFIX}:`, 1],
        [`${OTHER_PREFIX}:`, 1],
      ],
    );
    assert.equal(t.nodeCount, 6);
  });

  test('reads, writes and n', () => {
    const t = new PrefixTree(':');
    t.add('a:b:1', true, 5);
    t.add('a:b:2', false, 2);
    t.add('a:c:1', false);
    t.add('a:c:1', false, 0); // ignored
    t.add('a:c:1', false, Number.NaN); // ignored
    assert.deepEqual(t.all(), [
      { prefix: 'a:', reads: 3, writes: 5, count: 8, rate: 0 },
      { prefix: 'a:b:', reads: 2, writes: 5, count: 7, rate: 0 },
      { prefix: 'a:c:', reads: 1, writes: 0, count: 1, rate: 0 },
    ]);
    assert.ok(t.all().every((s) => Object.isFrozen(s)));
  });

  test('rates: EWMA with a 5 s half-life over the time between ticks', () => {
    const t = new PrefixTree(':');
    t.add('a:1', false, 10); // before the baseline tick: not in any rate
    t.tick(1_000);
    t.add('a:1', false, 100);
    t.tick(2_000); // first interval sets the rate directly
    assert.equal(t.node('a:')!.rate, 100);
    assert.equal(t.node('')!.rate, 100);
    t.add('b:1', true, 50); // a node born between ticks: its whole count is in the interval
    t.tick(2_500);
    assert.equal(t.node('b:')!.rate, 100);
    assert.equal(t.node('a:')!.rate, 100 * Math.pow(2, -500 / 5000));
    t.tick(7_500); // a whole half-life without events halves the rate
    assert.ok(Math.abs(t.node('b:')!.rate - 50) < 1e-9);
    t.tick(7_500); // not after the previous tick: ignored
    t.tick(7_000);
    assert.ok(Math.abs(t.node('b:')!.rate - 50) < 1e-9);
    t.add('b:1', true, 400);
    t.tick(8_500); // 400/s instant over 1 s
    const alpha = 1 - Math.pow(2, -1000 / 5000);
    assert.ok(Math.abs(t.node('b:')!.rate - (50 + alpha * 350)) < 1e-9);
    assert.deepEqual(t.children('').map((c) => c.prefix), ['b:', 'a:']);
  });

  test('clear() forgets nodes and the tick baseline', () => {
    const t = new PrefixTree(':');
    t.tick(0);
    t.add('a:1', false);
    t.clear();
    assert.equal(t.total, 0);
    assert.deepEqual(t.all(), []);
    t.tick(100);
    t.add('a:1', false, 4);
    t.tick(1_100);
    assert.equal(t.node('a:')!.rate, 4);
  });

  test('fast-check: same counts as a naive model, limits and OTHER included', () => {
    /** The rules, spelled out with strings and a Map. */
    function model(delimiter: string, limits: PrefixLimits, events: Array<[string, boolean]>) {
      const nodes = new Map<string, { count: number; reads: number; writes: number; named: number }>();
      let named = 0;
      for (const [key, write] of events) {
        const touched: string[] = [];
        let parent = '';
        let start = 0;
        for (let depth = 1; depth <= limits.depth; depth++) {
          const at = key.indexOf(delimiter, start);
          if (at < 0 || at + delimiter.length >= key.length) break;
          const prefix = key.slice(0, at + delimiter.length);
          const segment = key.slice(start, at);
          const parentNode = nodes.get(parent);
          if (segment !== OTHER_PREFIX && nodes.has(prefix)) {
            touched.push(prefix);
          } else if (
            segment !== OTHER_PREFIX &&
            (parentNode?.named ?? (parent === '' ? rootNamed : 0)) < limits.children &&
            named < limits.nodes
          ) {
            nodes.set(prefix, { count: 0, reads: 0, writes: 0, named: 0 });
            named++;
            if (parent === '') rootNamed++;
            else parentNode!.named++;
            touched.push(prefix);
          } else {
            const other = parent + OTHER_PREFIX + delimiter;
            if (!nodes.has(other)) nodes.set(other, { count: 0, reads: 0, writes: 0, named: 0 });
            touched.push(other);
            break;
          }
          parent = prefix;
          start = at + delimiter.length;
        }
        for (const p of touched) {
          const n = nodes.get(p)!;
          n.count++;
          if (write) n.writes++;
          else n.reads++;
        }
      }
      return new Map([...nodes].map(([p, n]) => [p, [n.count, n.reads, n.writes]]));
    }
    let rootNamed = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(':', '::', 'ab'),
        fc.record({ depth: fc.integer({ min: 0, max: 4 }), children: fc.integer({ min: 0, max: 4 }), nodes: fc.integer({ min: 0, max: 12 }) }),
        fc.array(fc.tuple(fc.string({ unit: fc.constantFrom('a', 'b', ':', OTHER_PREFIX, 'c'), maxLength: 12 }), fc.boolean()), { maxLength: 80 }),
        (delimiter, limits, events) => {
          rootNamed = 0;
          const t = new PrefixTree(delimiter, limits);
          for (const [key, write] of events) t.add(key, write);
          const expected = model(delimiter, limits, events);
          const actual = new Map(t.all().map((s) => [s.prefix, [s.count, s.reads, s.writes]]));
          assert.deepEqual(actual, expected);
          assert.equal(t.total, events.length);
          assert.ok(t.size <= limits.nodes);
          for (const prefix of expected.keys()) assert.equal(t.node(prefix)?.prefix, prefix);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('many prefixes of equal length stay apart', () => {
    const t = new PrefixTree(':');
    for (let i = 0; i < 40_000; i++) t.add(`${i.toString(36).padStart(4, '0')}:x`, false, (i % 7) + 1);
    assert.equal(t.size, BOUNDS.prefixChildren);
    for (let i = 0; i < BOUNDS.prefixChildren; i++) {
      assert.equal(t.node(`${i.toString(36).padStart(4, '0')}:`)!.count, (i % 7) + 1);
    }
    const t2 = new PrefixTree(':', small({ children: 100_000, nodes: 100_000 }));
    for (let i = 0; i < 40_000; i++) t2.add(`${i.toString(36).padStart(4, '0')}:${i % 3}:x`, false);
    assert.equal(t2.size, 80_000);
    assert.ok(t2.all().every((s) => s.count === 1));
  });

  test('rejects an empty delimiter and bad limits', () => {
    assert.throws(() => new PrefixTree(''), RangeError);
    assert.throws(() => new PrefixTree(':', small({ nodes: -1 })), RangeError);
  });
});

describe('BoundedCounter and ReadWriteCounter', () => {
  test('totals stay exact beyond capacity; new keys go to OTHER_PREFIX', () => {
    const c = new BoundedCounter(2);
    for (const k of ['a', 'b', 'a', 'c', 'd', 'b', 'c']) c.add(k);
    c.add('a', 10);
    c.add('a', -3); // ignored
    assert.equal(c.total, 17);
    assert.equal(c.size, 3);
    assert.deepEqual(c.entries(), [
      { key: 'a', count: 12 },
      { key: OTHER_PREFIX, count: 3 },
      { key: 'b', count: 2 },
    ]);
    assert.equal(c.get('c'), 0);
    assert.equal(c.get(OTHER_PREFIX), 3);
    assert.ok(c.has('a') && !c.has('c'));
    c.clear();
    assert.deepEqual([c.size, c.total, c.entries()], [0, 0, []]);
  });

  test('a key named OTHER_PREFIX goes to the bucket and takes no named slot', () => {
    const c = new BoundedCounter(1);
    c.add(OTHER_PREFIX);
    c.add('a');
    c.add('b');
    assert.deepEqual(c.entries(), [
      { key: OTHER_PREFIX, count: 2 },
      { key: 'a', count: 1 },
    ]);
  });

  test('ReadWriteCounter splits reads and writes, with exact totals', () => {
    const c = new ReadWriteCounter(2);
    c.add('u:', false);
    c.add('u:', true, 3);
    c.add('s:', false, 2);
    c.add('x:', true);
    c.add('y:', false);
    c.add('s:', true);
    assert.deepEqual(c.entries(), [
      { key: 'u:', reads: 1, writes: 3 },
      { key: 's:', reads: 2, writes: 1 },
      { key: OTHER_PREFIX, reads: 1, writes: 1 },
    ]);
    assert.deepEqual([c.reads, c.writes, c.total, c.size], [4, 5, 9, 3]);
    assert.deepEqual(c.get('s:'), { key: 's:', reads: 2, writes: 1 });
    assert.equal(c.get('x:'), undefined);
  });

  test('fast-check: totals and per-key counts against a Map', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), fc.boolean(), fc.integer({ min: 1, max: 9 }))),
        (capacity, stream) => {
          const c = new BoundedCounter(capacity);
          const rw = new ReadWriteCounter(capacity);
          const exact = new Map<string, number>();
          for (const [k, write, n] of stream) {
            c.add(k, n);
            rw.add(k, write, n);
            exact.set(k, (exact.get(k) ?? 0) + n);
          }
          const total = stream.reduce((s, [, , n]) => s + n, 0);
          assert.equal(c.total, total);
          assert.equal(rw.total, total);
          assert.ok(c.size <= capacity + 1 && rw.size <= capacity + 1);
          const entries = c.entries();
          assert.equal(entries.reduce((s, e) => s + e.count, 0), total);
          for (const e of entries) if (e.key !== OTHER_PREFIX) assert.equal(e.count, exact.get(e.key));
          assert.equal(rw.entries().reduce((s, e) => s + e.reads + e.writes, 0), total);
        },
      ),
    );
  });
});

describe('memory stays bounded', () => {
  test('1,000,000 distinct keys leave every structure at its cap', () => {
    const ss = new SpaceSaving(BOUNDS.topKeys);
    const tree = new PrefixTree(':');
    const counter = new BoundedCounter(BOUNDS.commandsPerClient);
    const rw = new ReadWriteCounter(BOUNDS.prefixesPerClient);
    for (let i = 0; i < 1_000_000; i++) {
      const key = `s${i % 1000}:e${i}:x${i}:id`;
      ss.offer(key);
      tree.add(key, (i & 1) === 0);
      counter.add(key);
      rw.add(key, (i & 1) === 1);
    }
    assert.equal(ss.size, BOUNDS.topKeys);
    assert.equal(ss.total, 1_000_000);
    assert.equal(tree.size, BOUNDS.prefixNodes);
    assert.ok(tree.nodeCount <= 2 * BOUNDS.prefixNodes + 1);
    assert.equal(tree.total, 1_000_000);
    assert.equal(tree.children('').length, BOUNDS.prefixChildren + 1);
    for (const top of tree.children('')) assert.ok(tree.children(top.prefix).length <= BOUNDS.prefixChildren + 1);
    assert.equal(counter.size, BOUNDS.commandsPerClient + 1);
    assert.equal(counter.total, 1_000_000);
    assert.equal(rw.size, BOUNDS.prefixesPerClient + 1);
    assert.deepEqual([rw.reads, rw.writes], [500_000, 500_000]);
  });

  test('stored keys do not keep alive the big strings they were cut from', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const ss = new SpaceSaving(100);
    const tree = new PrefixTree(':');
    const counter = new BoundedCounter(100);
    const rw = new ReadWriteCounter(100);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 40; i++) {
      // A MONITOR line with a 1 MB value; the key is a slice of it.
      const line = `1700000000.000000 [0 127.0.0.1:5000] "SET" "tenant${i}:user:${i}:profile:blob" "${'v'.repeat(1 << 20)}"`;
      const from = line.indexOf('tenant');
      const key = line.slice(from, line.indexOf('"', from));
      ss.offer(key);
      tree.add(key, true);
      counter.add(key);
      rw.add(key, true);
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.ok(grown < 4 << 20, `heap grew by ${(grown / 1048576).toFixed(1)} MB for 40 short keys`);
    assert.equal(ss.size, 40);
    assert.equal(tree.node('tenant7:user:7:')!.count, 1);
  });

  test('detach returns an equal string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => assert.equal(detach(s), s)));
  });
});

describe('rate', () => {
  test('EwmaRate: baseline, first sample, half-life decay', () => {
    const r = new EwmaRate();
    assert.equal(r.tick(100, 0), 0);
    assert.equal(r.tick(300, 1000), 200);
    assert.ok(Math.abs(r.tick(300, 6000) - 100) < 1e-9);
    assert.equal(r.tick(999, 6000), r.value, 'no time elapsed: ignored');
    r.reset();
    assert.equal(r.value, 0);
    assert.ok(Math.abs(ewmaAlpha(5000) - 0.5) < 1e-12);
  });
});
