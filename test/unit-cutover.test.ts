// Service matching across the source and the target, and the cutover states a user acts on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientView } from '../src/analysis/views.ts';
import { CutoverTracker, leftOnSource, serviceOf, stateCounts } from '../src/analysis/cutover.ts';
import { cutoverNames } from '../src/owners/cutoverNames.ts';
import { buildOwnerMap } from '../src/owners/ownerMap.ts';
import { clientView } from './helpers/clientView.ts';

const T0 = 1_700_000_000_000;
let seq = 0;
function client(p: Partial<ClientView> & { name: string }): ClientView {
  const port = 40000 + seq++;
  // MONITOR saw it (its ops/s are MONITOR's), unless a test says otherwise.
  return clientView({ key: String(seq), addr: `10.0.0.5:${port}`, firstSeen: T0, lastSeen: T0, lastActiveAt: T0, events: 1, ...p });
}

const opts = { quietAfterMs: 60_000, recentMs: 10_000 };

test('services match by name first, then library and address, then address, and say how', () => {
  assert.deepEqual(serviceOf({ name: 'billing', libName: 'ioredis', ip: '10.0.0.5', addr: '' }), { service: 'billing', matchedBy: 'name' });
  assert.deepEqual(serviceOf({ name: '', libName: 'redis-py', ip: '10.0.0.7', addr: '' }), { service: 'redis-py from 10.0.0.7', matchedBy: 'library+address' });
  assert.deepEqual(serviceOf({ name: '', ip: '10.0.0.7', addr: '10.0.0.7:5000' }), { service: 'unnamed from 10.0.0.7', matchedBy: 'address' });
  // Two unnamed connections of one library from one host, one on each side, are one service.
  const tracker = new CutoverTracker(opts);
  const out = tracker.observe(T0, [client({ name: '', libName: 'redis-py' })], [client({ name: '', libName: 'redis-py' })]);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.matchedBy, 'library+address');
  assert.equal(out[0]!.source.connections, 1);
  assert.equal(out[0]!.target.connections, 1);
});

test('each state follows what the two sides show', () => {
  const tracker = new CutoverTracker(opts);
  const byName = (xs: ReturnType<CutoverTracker['observe']>) => Object.fromEntries(xs.map((s) => [s.service, s]));
  // t0: cart on the source only; search already on both; report only on the target; mail starts writing to both.
  const src0 = [client({ name: 'cart', opsPerSec: 40, writes: 10 }), client({ name: 'search', opsPerSec: 5 }), client({ name: 'mail', writes: 3 })];
  const tgt0 = [client({ name: 'search', opsPerSec: 30 }), client({ name: 'report' }), client({ name: 'mail', writes: 2 })];
  let out = byName(tracker.observe(T0, src0, tgt0));
  assert.equal(out.cart!.state, 'source only');
  assert.equal(out.search!.state, 'moving');
  assert.equal(out.report!.state, 'target only');
  assert.equal(out.mail!.state, 'moving', 'writes on both for a moment are a repointing, not yet writing to both');
  assert.equal(out.cart!.source.opsPerSec, 40);
  assert.equal(out.search!.target.opsPerSec, 30);

  // 6 s later mail still writes on both sides: the red flag.
  const t1 = T0 + 6_000;
  out = byName(tracker.observe(t1, [client({ name: 'mail', writes: 9, lastActiveAt: t1, lastSeen: t1, events: 9 })], [client({ name: 'mail', writes: 8, lastActiveAt: t1, lastSeen: t1, events: 8 })]));
  assert.equal(out.mail!.state, 'both');

  // Later: search left the source (its connection closed, last active at t0); mail's source writes stopped.
  const later = T0 + 61_000;
  const src1 = [
    client({ name: 'cart', opsPerSec: 40, writes: 500, lastActiveAt: later }),
    client({ name: 'search', connected: false, lastActiveAt: T0, lastSeen: T0 }),
    client({ name: 'mail', writes: 9, lastActiveAt: later - 20_000 }),
  ];
  const tgt1 = [client({ name: 'search', opsPerSec: 30, lastActiveAt: later }), client({ name: 'report', lastActiveAt: later }), client({ name: 'mail', writes: 90, lastActiveAt: later })];
  out = byName(tracker.observe(later, src1, tgt1));
  assert.equal(out.search!.state, 'done', 'no traffic on the source for the quiet period');
  assert.equal(out.search!.source.connections, 0);
  assert.equal(out.search!.source.lastSeen, T0);
  assert.equal(out.mail!.state, 'moving', 'writes on the source are older than the recent window');
  assert.equal(out.cart!.state, 'source only');
  assert.deepEqual(stateCounts(Object.values(out)), { 'source only': 1, moving: 1, both: 0, 'target only': 1, done: 1 });
  assert.equal(leftOnSource(out.cart!), '1 connection, 40 ops/s on the source');
  assert.equal(leftOnSource(out.search!), 'nothing');
});

test('a service that repointed (its last source write just before its first target write) is moving, not both', () => {
  const tracker = new CutoverTracker(opts);
  tracker.observe(T0, [client({ name: 'cart', writes: 100, events: 100, lastSeen: T0 })], []);
  const t1 = T0 + 1_000;
  tracker.observe(t1, [client({ name: 'cart', writes: 120, events: 120, lastSeen: t1, connected: false })], [client({ name: 'cart', writes: 1, events: 1, lastSeen: t1, lastActiveAt: t1 })]);
  const t2 = T0 + 8_000;
  const out = tracker.observe(t2, [client({ name: 'cart', writes: 120, events: 120, lastSeen: t1, lastActiveAt: t1, connected: false })], [client({ name: 'cart', writes: 90, events: 90, lastSeen: t2, lastActiveAt: t2 })]);
  assert.equal(out[0]!.state, 'moving');
});

test("redis-recon's own connections are no service", () => {
  const tracker = new CutoverTracker(opts);
  const out = tracker.observe(T0, [client({ name: 'redis-recon-poll', self: true })], [client({ name: 'redis-recon-poll', self: true })]);
  assert.deepEqual(out, []);
});

test('the red flags come first', () => {
  const tracker = new CutoverTracker(opts);
  tracker.observe(T0, [client({ name: 'a' }), client({ name: 'z', writes: 1 })], [client({ name: 'z', writes: 1 })]);
  const t1 = T0 + 6_000;
  const out = tracker.observe(t1, [client({ name: 'a', lastActiveAt: t1 }), client({ name: 'z', writes: 5, lastActiveAt: t1, lastSeen: t1, events: 5 })], [client({ name: 'z', writes: 5, lastActiveAt: t1, lastSeen: t1, events: 5 })]);
  assert.deepEqual(out.map((s) => [s.service, s.state]), [['z', 'both'], ['a', 'source only']]);
});

test("ops/s come from CLIENT LIST's counters where the server prints them, MONITOR's count otherwise, and say which", () => {
  const tracker = new CutoverTracker(opts);
  const out = tracker.observe(
    T0,
    [client({ name: 'cart', opsPerSec: 3 })],
    [client({ name: 'cart', opsPerSec: 3, counterRates: { commands: 25, netIn: 0, netOut: 0 } })],
  );
  assert.equal(out[0]!.source.opsPerSec, 3);
  assert.equal(out[0]!.source.opsLens, 'monitor');
  assert.equal(out[0]!.target.opsPerSec, 25);
  assert.equal(out[0]!.target.opsLens, 'counters');
});

test("pods of one service on either side are one service (their names' pod suffixes dropped)", () => {
  const tracker = new CutoverTracker(opts);
  const out = tracker.observe(T0, [client({ name: 'checkout-7f9c8d6b5-x2x7q' }), client({ name: 'checkout-7f9c8d6b5-k2x9z' })], [client({ name: 'checkout-5d8b9c7f4-zz2wq' })]);
  assert.deepEqual(out.map((s) => [s.service, s.matchedBy, s.source.connections, s.target.connections]), [['checkout', 'name', 2, 1]]);
});

test('unnamed connections take the name the owner files give their address (--hosts), on both sides', () => {
  const built = buildOwnerMap([{ path: 'owners.csv', text: '10.0.7.10,reports-cron,data\n10.0.8.0/24,legacy-vms,ops\n' }]);
  assert.ok(built.ok);
  const owners = { map: built.map, dns: new Map() };
  const src = [client({ name: '', ip: '10.0.7.10', addr: '10.0.7.10:5000', libName: 'redis-py' }), client({ name: '', ip: '10.0.9.9', addr: '10.0.9.9:5000' })];
  const tgt = [client({ name: '', ip: '10.0.7.10', addr: '10.0.7.10:6000' })];
  const out = new CutoverTracker(opts).observe(T0, src, tgt, cutoverNames(src, tgt, owners));
  const by = Object.fromEntries(out.map((s) => [s.service, s]));
  assert.equal(by['reports-cron']!.matchedBy, 'owner');
  assert.equal(by['reports-cron']!.state, 'moving');
  assert.equal(by['unnamed from 10.0.9.9']!.matchedBy, 'address', 'an address no file names keeps its address');
});

test("without MONITOR's counts, the polls that caught a writing command (CLIENT LIST cmd=) still show writing to both", () => {
  const isWrite = (cmd: string): boolean => cmd === 'SET' || cmd === 'HSET';
  const tracker = new CutoverTracker({ ...opts, isWrite });
  const t1 = T0 + 6_000;
  const src = [client({ name: 'ledger', sampledCommands: [['SET', 4], ['GET', 9]], lastActiveAt: t1 })];
  const tgt = [client({ name: 'ledger', sampledCommands: [['HSET', 2]], firstSeen: T0, lastActiveAt: t1 })];
  const out = tracker.observe(t1, src, tgt);
  assert.equal(out[0]!.state, 'both');
  assert.deepEqual([out[0]!.source.writes, out[0]!.target.writes], [4, 2]);
  // Reads only on the source: moving, not both.
  const reads = new CutoverTracker({ ...opts, isWrite }).observe(t1, [client({ name: 'ledger', sampledCommands: [['GET', 9]], lastActiveAt: t1 })], tgt);
  assert.equal(reads[0]!.state, 'moving');
});

test('connections no lens counted (no counters, MONITOR off) have unknown ops/s, not zero', () => {
  const out = new CutoverTracker(opts).observe(T0, [client({ name: 'cart', events: 0 })], [client({ name: 'cart', counterRates: { commands: 5, netIn: 0, netOut: 0 } }), client({ name: 'cart', events: 0 })]);
  assert.equal(out[0]!.source.opsLens, 'unknown');
  assert.equal(out[0]!.target.opsLens, 'mixed');
});
