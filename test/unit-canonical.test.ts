// The main thread keeps one copy of what repeats among 30,000 client views (canonical.ts): the
// views must read exactly as they came, and what is shared must be one object that nobody can change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Canonical } from '../src/collect/canonical.ts';
import { clientView } from './helpers/clientView.ts';
import { nodeStatus } from './helpers/inProcess.ts';
import { Merger } from '../src/collect/merge.ts';

const audit = { verdict: 'outdated' as const, reason: 'node-redis 4.6.13 is below the minimum 5.0.0', minimum: '5.0.0' };
const view = (key: string) =>
  structuredClone(
    clientView({
      key,
      addr: `10.0.0.5:${key}`,
      user: 'default',
      libName: 'node-redis',
      libVer: '4.6.13',
      library: audit,
      commands: [['GET', 3]],
      findings: [{ code: 'library-outdated', severity: 'error', message: audit.reason, count: 1, example: 'node-redis 4.6.13' }],
    }),
  );

test('views read as they came; their repeated parts are one frozen copy', () => {
  const canonical = new Canonical();
  const a = canonical.adopt(view('1'));
  const b = canonical.adopt(view('2'));
  assert.deepEqual(a, view('1'));
  assert.deepEqual(b, view('2'));
  assert.equal(a.library, b.library, 'one verdict object');
  assert.equal(a.findings![0], b.findings![0], 'one finding object');
  assert.equal(a.commands[0], b.commands[0], 'one [command, count] pair');
  assert.equal(a.prefixes, b.prefixes, 'one empty list');
  assert.ok(Object.isFrozen(a.library));
  assert.throws(() => {
    (a.library as { verdict: string }).verdict = 'ok';
  }, TypeError);
  assert.notEqual(a.addr, b.addr);
});

test('values that differ in kind or split differently are never taken for one another', () => {
  const canonical = new Canonical();
  const pairs: Array<[unknown, unknown]> = [
    [['a\u0001n2'], ['a', 2]],
    [['1'], [1]],
    [{ a: 'b;c' }, { a: 'b', c: undefined }],
    [[true], ['true']],
    [[null], [undefined]],
  ];
  for (const [x, y] of pairs) {
    const v = canonical.adopt(structuredClone(clientView({ key: 'x', commands: x as never })));
    const w = canonical.adopt(structuredClone(clientView({ key: 'y', commands: y as never })));
    assert.deepEqual(v.commands, x);
    assert.deepEqual(w.commands, y);
  }
});

test('past its bound it keeps new values as they come, still correct', () => {
  const canonical = new Canonical(3);
  const views = Array.from({ length: 20 }, (_, i) => canonical.adopt(structuredClone(clientView({ key: `${i}`, user: `u${i}`, commands: [[`C${i}`, i]] }))));
  views.forEach((v, i) => {
    assert.equal(v.user, `u${i}`);
    assert.deepEqual(v.commands, [[`C${i}`, i]]);
  });
});

test('the merger shares them after the fact, a slice at a time: the views keep their identity and read the same', () => {
  const merger = new Merger(':');
  const views = Array.from({ length: 5 }, (_, i) => view(`${i}`));
  const totals = { events: 0, reads: 0, writes: 0, eventsPerSec: 0 } as never;
  merger.apply({ status: nodeStatus({ id: 'n' }), totals, clients: { upsert: views, remove: [] } });
  const before = merger.view().clients;
  assert.notEqual(before[0]!.library, before[1]!.library, 'each its own copy, as received');
  assert.equal(merger.tidy(3), true, 'two left');
  assert.equal(merger.tidy(3), false);
  const after = merger.view().clients;
  after.forEach((v, i) => assert.equal(v, before[i], 'the same view objects'));
  assert.deepEqual(after, Array.from({ length: 5 }, (_, i) => view(`${i}`)));
  assert.equal(after[0]!.library, after[4]!.library);
});
