import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { BOUNDS, OTHER_PREFIX } from '../src/bounds.ts';
import { SpaceSaving } from '../src/analysis/spaceSaving.ts';
import { PatternTree } from '../src/analysis/keyPatterns.ts';
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
    const tree = new PatternTree(':');
    const counter = new BoundedCounter(BOUNDS.commandsPerClient);
    const rw = new ReadWriteCounter(256);
    for (let i = 0; i < 1_000_000; i++) {
      const key = `s${i % 1000}:e${i}:x${i}:id`;
      ss.offer(key);
      tree.add(key, (i & 1) === 0);
      counter.add(key);
      rw.add(key, (i & 1) === 1);
    }
    assert.equal(ss.size, BOUNDS.topKeys);
    assert.equal(ss.total, 1_000_000);
    assert.ok(tree.nodeCount <= BOUNDS.patternNodes, `${tree.nodeCount} nodes`);
    assert.equal(tree.total, 1_000_000);
    // s0..s999 at the top are names the tree sees many of: they collapse into one wild row.
    assert.ok(tree.children('').length <= 2 * BOUNDS.patternCollapseAfter + 4);
    assert.equal(counter.size, BOUNDS.commandsPerClient + 1);
    assert.equal(counter.total, 1_000_000);
    assert.equal(rw.size, 256 + 1);
    assert.deepEqual([rw.reads, rw.writes], [500_000, 500_000]);
  });

  test('stored keys do not keep alive the big strings they were cut from', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const ss = new SpaceSaving(100);
    const tree = new PatternTree(':');
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
    assert.equal(tree.node('tenant7:user:*:profile:blob')!.count, 1);
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
