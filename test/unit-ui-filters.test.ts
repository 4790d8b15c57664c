import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activePrefixes, addFilter, clientPasses, deactivateAll, keyPasses, MAX_FILTERS, presetFilters, toggleFilter } from '../src/ui/filters.ts';
import { PatternTree } from '../src/analysis/keyPatterns.ts';
import { heatRows, parentPrefix, topKeysUnder } from '../src/ui/heatmap.ts';

const client = (prefixes: string[], keys: string[]) => ({
  prefixes: prefixes.map((prefix) => ({ prefix, reads: 1, writes: 0 })),
  topKeys: keys.map((key) => ({ key, count: 1 })),
});

test('with no active filter every key and client passes', () => {
  assert.equal(keyPasses('anything', []), true);
  assert.equal(clientPasses(client([], []), []), true);
});

test('a key passes when it starts with any active prefix', () => {
  assert.equal(keyPasses('app:user:1', ['orders:', 'app:']), true);
  assert.equal(keyPasses('apple:1', ['app:']), false);
  assert.equal(keyPasses('app:user:1', ['app:us']), true);
});

test('a client passes through its key patterns or its top keys', () => {
  // Through a pattern at or below the filter.
  assert.equal(clientPasses(client(['app:', 'app:user:'], []), ['app:user:']), true);
  // A filter ending mid-segment matches through the deeper pattern.
  assert.equal(clientPasses(client(['app:', 'app:user:'], []), ['app:us']), true);
  // Only an ancestor pattern (app:) is not enough: it may have touched app:session: only.
  assert.equal(clientPasses(client(['app:', 'app:session:'], ['app:session:1']), ['app:user:']), false);
  // A filter deeper than any remembered pattern matches through a top key.
  assert.equal(clientPasses(client(['app:'], ['app:user42']), ['app:user4']), true);
  // A client with no activity does not pass an active filter.
  assert.equal(clientPasses(client([], []), ['app:']), false);
  // A pattern filter: ids in the middle.
  assert.equal(clientPasses(client(['cart:', 'cart:{*}:', 'cart:{*}:items'], []), ['cart:{*}:items']), true);
  assert.equal(clientPasses(client(['user:', 'user:*:', 'user:*:cart'], []), ['user:*:cart']), true);
  assert.equal(clientPasses(client(['user:', 'user:*:', 'user:*:profile'], []), ['user:*:cart']), false);
  // A literal id under a pattern: the pattern only says it may have; the top keys decide.
  assert.equal(clientPasses(client(['user:', 'user:*:', 'user:*:cart'], ['user:7:cart']), ['user:12345:']), false);
  assert.equal(clientPasses(client(['user:', 'user:*:', 'user:*:cart'], ['user:12345:cart']), ['user:12345:']), true);
});

test('presets start inactive, deduplicated; typed filters append active, or re-activate', () => {
  const presets = presetFilters(['app:', 'orders:', 'app:', '']);
  assert.deepEqual(presets, [
    { prefix: 'app:', active: false, preset: true },
    { prefix: 'orders:', active: false, preset: true },
  ]);
  assert.deepEqual(activePrefixes(presets), []);
  const added = addFilter(presets, 'cache:');
  assert.equal(added.slot, 3);
  assert.deepEqual(added.filters[2], { prefix: 'cache:', active: true, preset: false });
  const again = addFilter(added.filters, 'app:');
  assert.equal(again.slot, 1);
  assert.equal(again.filters.length, 3);
  assert.equal(again.filters[0]!.active, true);
});

test('toggle flips one slot; out-of-range slots change nothing; x turns all off', () => {
  const f = presetFilters(['a:', 'b:']);
  const t = toggleFilter(f, 2);
  assert.deepEqual(activePrefixes(t), ['b:']);
  assert.equal(toggleFilter(t, 9), t);
  assert.deepEqual(activePrefixes(toggleFilter(t, 2)), []);
  assert.deepEqual(activePrefixes(deactivateAll(toggleFilter(t, 1))), []);
  assert.equal(deactivateAll(f), f, 'unchanged list keeps its identity');
});

test('the filter list is bounded', () => {
  let list: readonly ReturnType<typeof presetFilters>[number][] = presetFilters([]);
  for (let i = 0; i < MAX_FILTERS + 5; i++) list = addFilter(list, `p${i}:`).filters;
  assert.equal(list.length, MAX_FILTERS);
  assert.equal(addFilter(list, 'more:').slot, 0);
});

function tree(): PatternTree {
  const t = new PatternTree(':');
  for (let i = 0; i < 6; i++) t.add(`app:user:${i}`, false);
  for (let i = 0; i < 3; i++) t.add(`app:users:${i}`, true);
  for (let i = 0; i < 4; i++) t.add(`app:session:${i}`, true);
  for (let i = 0; i < 2; i++) t.add(`orders:${i}:x`, true);
  return t;
}

test('heatmap rows: whole picture without filters, busiest first; ids are patterns', () => {
  const rows = heatRows(tree(), '', [], ':');
  assert.deepEqual(rows.map((r) => [r.prefix, r.count]), [['app:', 13], ['orders:', 2]]);
  assert.deepEqual(heatRows(tree(), 'app:', [], ':').map((r) => r.prefix), ['app:user:', 'app:session:', 'app:users:']);
  // The numbers are ids: one leaf row each, not one row per key.
  assert.deepEqual(heatRows(tree(), 'app:user:', [], ':').map((r) => [r.prefix, r.kind, r.count]), [['app:user:*', 'leaf', 6]]);
  assert.deepEqual(heatRows(tree(), 'orders:', [], ':').map((r) => [r.prefix, r.count]), [['orders:*:', 2]]);
});

test('heatmap rows above an active filter count only the passing traffic below them', () => {
  const t = tree();
  const top = heatRows(t, '', ['app:user:'], ':');
  assert.deepEqual(top.map((r) => [r.prefix, r.count, r.reads, r.writes, r.partial, r.upperBound]), [['app:', 6, 6, 0, true, false]]);
  const inside = heatRows(t, 'app:', ['app:user:'], ':');
  assert.deepEqual(inside.map((r) => [r.prefix, r.count, r.partial]), [['app:user:', 6, false]]);
  // Mid-segment filter: both app:user: and app:users: pass.
  const mid = heatRows(t, '', ['app:us'], ':');
  assert.deepEqual(mid.map((r) => [r.prefix, r.count]), [['app:', 9]]);
  // Two filters, one nested in the other: nothing counts twice.
  assert.deepEqual(heatRows(t, '', ['app:', 'app:user:'], ':').map((r) => [r.prefix, r.count, r.partial]), [['app:', 13, false]]);
  // A filter elsewhere hides unrelated patterns entirely.
  assert.deepEqual(heatRows(t, '', ['orders:'], ':').map((r) => r.prefix), ['orders:']);
  assert.deepEqual(heatRows(t, '', ['nothing:'], ':'), []);
  // A pattern filter.
  assert.deepEqual(heatRows(t, '', ['orders:*:x'], ':').map((r) => [r.prefix, r.count, r.partial]), [['orders:', 2, true]]);
  // A literal id finer than the patterns: the rows that may hold it, their counts an upper bound.
  const id = heatRows(t, '', ['app:user:3'], ':');
  assert.deepEqual(id.map((r) => [r.prefix, r.count, r.partial, r.upperBound]), [['app:', 6, true, true]]);
});

test('top keys under a pattern and passing the filters; parent patterns', () => {
  const keys = [
    { key: 'app:user:1', count: 9 },
    { key: 'app:session:1', count: 5 },
    { key: 'orders:1', count: 3 },
  ];
  assert.deepEqual(topKeysUnder(keys, 'app:', [], 10).map((k) => k.key), ['app:user:1', 'app:session:1']);
  assert.deepEqual(topKeysUnder(keys, '', ['orders:'], 10).map((k) => k.key), ['orders:1']);
  assert.deepEqual(topKeysUnder(keys, '', [], 1).length, 1);
  assert.deepEqual(topKeysUnder(keys, 'app:*:', [], 10).map((k) => k.key), ['app:user:1', 'app:session:1']);
  assert.equal(parentPrefix('app:user:', ':'), 'app:');
  assert.equal(parentPrefix('app:', ':'), '');
  assert.equal(parentPrefix('', ':'), '');
  assert.equal(parentPrefix('a::b::', '::'), 'a::');
});
