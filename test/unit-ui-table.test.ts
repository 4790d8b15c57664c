import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ClientView, SessionView } from '../src/analysis/session.ts';
import { clientView } from './helpers/clientView.ts';
import { buildClientRows, collationKey, compareClients, defaultSort, nextGrouping, nextSort, serviceOf, sortClients, SORT_COLUMNS } from '../src/ui/clients.ts';
import { buildLibraryRows } from '../src/ui/libraries.ts';
import { selectClientRows, selectLibraryRows, stableOthers, type SelectInput } from '../src/ui/select.ts';
import { presetFilters, toggleFilter } from '../src/ui/filters.ts';
import { fitColumns, keysSplit, layout, MIN_COLUMNS, MIN_ROWS, scrollWindow } from '../src/ui/layout.ts';
import { clean, displayWidth, fit } from '../src/ui/text.ts';
import { formatCount, formatDuration, formatPercent, formatRate } from '../src/ui/format.ts';
import { heatBar, splitBar } from '../src/ui/bars.ts';

/** A client on 10.0.0.1:1, keyed by its address unless a key is given. */
const c = (over: Partial<ClientView>): ClientView => clientView({ key: over.key ?? over.addr ?? 'k', addr: '10.0.0.1:1', ip: '10.0.0.1', ...over });

const clients = [
  c({ key: 'a', addr: '10.0.0.1:1', name: 'checkout-7f9c8d6b5-x2x7q', libName: 'go-redis', libVer: '9.17.2', opsPerSec: 5, reads: 10, library: { verdict: 'outdated', reason: 'old' }, prefixes: [{ prefix: 'app:', reads: 10, writes: 0 }] }),
  c({ key: 'b', addr: '10.0.0.1:2', name: 'checkout-7f9c8d6b5-k2x9z', libName: 'go-redis', libVer: '9.18.0', opsPerSec: 1, reads: 3, prefixes: [{ prefix: 'app:', reads: 3, writes: 0 }] }),
  c({ key: 'c', addr: '10.0.0.2:1', ip: '10.0.0.2', name: 'orders-writer', libName: 'node-redis', libVer: '5.0.0', opsPerSec: 9, writes: 30, prefixes: [{ prefix: 'orders:', reads: 0, writes: 30 }] }),
  c({ key: 'd', addr: '10.0.0.3:1', ip: '10.0.0.3', name: '', libName: '', libVer: '', opsPerSec: 0, connected: false }),
  c({ key: 'self', addr: '127.0.0.1:9', ip: '127.0.0.1', name: 'redis-recon-poll-x', self: true, opsPerSec: 100 }),
];

const rows = (over: Partial<Parameters<typeof buildClientRows>[0]> = {}) =>
  buildClientRows({ clients, filters: [], showSelf: false, sort: defaultSort(), grouping: 'none', ...over });

test('clients: self hidden unless asked, sorted by ops/s descending by default', () => {
  const r = rows();
  assert.deepEqual(r.rows.map((x) => x.id), ['c', 'a', 'b', 'd']);
  assert.equal(r.total, 4);
  assert.deepEqual(rows({ showSelf: true }).rows.map((x) => x.id)[0], 'self');
});

test('text columns sort as Intl.Collator reads them (numbers by value, case and accents aside), through keys made once', () => {
  const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
  const text = fc.string({ unit: fc.constantFrom(...'aAbBzZ0123456789 _-.:/@[]É'.split('')), maxLength: 12 });
  fc.assert(
    fc.property(text, text, (x, y) => {
      const c = Math.sign(collator.compare(x, y));
      const kx = collationKey(x);
      const ky = collationKey(y);
      // Where the collator sees a difference, the keys order it the same way.
      if (c !== 0) assert.equal(kx < ky ? -1 : 1, c, `${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
    }),
    { numRuns: 3000 },
  );
  const addrs = ['10.0.0.1:10', '[::1]:6379', '10.0.0.15:1', '10.0.0.1:9', 'unix:/tmp/r.sock'];
  const many = addrs.map((addr, i) => c({ key: String(i), addr }));
  assert.deepEqual(sortClients(many, { column: 'addr', desc: false }).map((x) => x.addr), ['[::1]:6379', '10.0.0.1:9', '10.0.0.1:10', '10.0.0.15:1', 'unix:/tmp/r.sock']);
  // The sort a table uses and the comparator agree, every column, both ways.
  for (const column of SORT_COLUMNS) {
    for (const desc of [false, true]) {
      assert.deepEqual(sortClients(clients, { column, desc }).map((x) => x.key), [...clients].sort(compareClients({ column, desc })).map((x) => x.key), `${column} ${desc}`);
    }
  }
});

test('clients: every column sorts both ways, empty text values last', () => {
  for (const column of SORT_COLUMNS) {
    const asc = [...clients].sort(compareClients({ column, desc: false })).map((x) => x.key);
    const desc = [...clients].sort(compareClients({ column, desc: true })).map((x) => x.key);
    assert.equal(asc.length, clients.length, column);
    if (column === 'name') {
      assert.equal(asc.at(-1), 'd', 'unnamed last ascending');
      assert.equal(desc.at(-1), 'd', 'unnamed last descending too');
    }
  }
  assert.deepEqual(rows({ sort: { column: 'name', desc: false } }).rows.map((x) => x.id), ['b', 'a', 'c', 'd']);
  assert.deepEqual(rows({ sort: { column: 'writes', desc: true } }).rows.map((x) => x.id)[0], 'c');
  // s walks through every column and comes back.
  let s = defaultSort();
  const seen = new Set<string>();
  for (let i = 0; i < SORT_COLUMNS.length; i++, s = nextSort(s)) seen.add(s.column);
  assert.equal(seen.size, SORT_COLUMNS.length);
  assert.equal(s.column, 'ops');
});

test('clients: filters keep only clients that touched a passing key', () => {
  const filters = toggleFilter(presetFilters(['orders:']), 1);
  assert.deepEqual(rows({ filters }).rows.map((x) => x.id), ['c']);
  assert.equal(rows({ filters }).shown, 1);
});

test('clients: grouping by service, IP and library, groups ordered by their best client', () => {
  const byService = rows({ grouping: 'service' }).rows;
  assert.deepEqual(
    byService.map((r) => (r.kind === 'group' ? `[${r.label} ${r.clients}]` : r.id)),
    ['[orders-writer 1]', 'c', '[checkout 2]', 'a', 'b', '[(unnamed) 1]', 'd'],
  );
  const checkout = byService.find((r) => r.kind === 'group' && r.label === 'checkout');
  assert.ok(checkout && checkout.kind === 'group' && checkout.flagged === 1 && checkout.opsPerSec === 6);
  assert.deepEqual(
    rows({ grouping: 'ip' }).rows.filter((r) => r.kind === 'group').map((r) => (r.kind === 'group' ? r.label : '')),
    ['10.0.0.2', '10.0.0.1', '10.0.0.3'],
  );
  assert.deepEqual(
    rows({ grouping: 'library' }).rows.filter((r) => r.kind === 'group').map((r) => (r.kind === 'group' ? r.label : '')),
    ['node-redis', 'go-redis', '(no lib-name)'],
  );
  assert.equal(nextGrouping('none'), 'service');
  assert.equal(nextGrouping('library'), 'none');
});

test('service names drop pod and ordinal suffixes only', () => {
  assert.equal(serviceOf('checkout-7f9c8d6b5-x2x7q'), 'checkout');
  assert.equal(serviceOf('api-gateway-x2x7q'), 'api-gateway');
  assert.equal(serviceOf('worker-0'), 'worker');
  assert.equal(serviceOf('service1-writer'), 'service1-writer');
  assert.equal(serviceOf('monitor-v2-prod'), 'monitor-v2-prod');
  assert.equal(serviceOf(''), '');
});

test('libraries: one row per name and version, worst verdict, missing and unreported last', () => {
  const shared = c({ key: 'shared:unix:/s#0', addr: '/s:0', sharedBy: 2, libName: undefined });
  const libs = buildLibraryRows([...clients.filter((x) => !x.self), c({ key: 'e', libName: undefined }), shared]);
  assert.deepEqual(
    libs.map((l) => [l.name, l.version, l.clients, l.connected, l.audit?.verdict]),
    [
      ['go-redis', '9.18.0', 1, 1, undefined],
      ['go-redis', '9.17.2', 1, 1, 'outdated'],
      ['node-redis', '5.0.0', 1, 1, undefined],
      ['', '', 1, 0, undefined],
      [undefined, '', 1, 1, undefined],
    ],
    'an entry standing for several unix-socket connections is not one more client',
  );
});

test('text: control characters are shown, never sent; cells are exactly their width', () => {
  assert.equal(clean('a\u001b[2Jb\n'), 'a\\x1b[2Jb\\x0a');
  assert.equal(fit('abcdef', 4), 'abc…');
  assert.equal(fit('ab', 4), 'ab  ');
  assert.equal(fit('ab', 4, 'right'), '  ab');
  assert.equal(fit('app:user:42:profile', 11, 'left', 'middle'), 'app:u…ofile');
  assert.equal(fit('abcdef', 4, 'left', 'start'), '…def');
  assert.equal(displayWidth('日本'), 4);
  assert.equal(fit('日本語', 5), '日本…');
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme-composite', maxLength: 40 }), fc.integer({ min: 1, max: 30 }), fc.constantFrom('end', 'middle', 'start'), (s, w, cut) => {
      const out = fit(s, w, 'left', cut as 'end');
      assert.equal(displayWidth(out), w, `${JSON.stringify(out)} for width ${w}`);
      // eslint-disable-next-line no-control-regex
      assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(out));
    }),
  );
});

test('formatting: counts, rates, durations, shares', () => {
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(12_345), '12k');
  assert.equal(formatCount(1_234), '1.2k');
  assert.equal(formatCount(2_500_000), '2.5M');
  assert.equal(formatCount(-1), '0');
  assert.equal(formatRate(0.42), '0.4');
  assert.equal(formatRate(45.6), '46');
  assert.equal(formatDuration(42), '42s');
  assert.equal(formatDuration(245), '4m05s');
  assert.equal(formatDuration(3 * 3600 + 7 * 60), '3h07m');
  assert.equal(formatDuration(2 * 86400 + 4 * 3600), '2d04h');
  assert.equal(formatPercent(1, 300), '<1%');
  assert.equal(formatPercent(1, 4), '25%');
});

test('bars: length by share of the busiest, split into reads and writes, exact width', () => {
  assert.equal(heatBar(5, 10, 4), '██  ');
  assert.equal(heatBar(0, 10, 3), '   ');
  const b = splitBar(10, 10, 3, 1, 8);
  assert.equal(b.read.length + b.write.length + b.rest.length, 8);
  assert.equal(b.write.length, 2);
  const tiny = splitBar(1, 100, 99, 1, 10);
  assert.equal(tiny.read.length + tiny.write.length, 1, 'a non-zero value shows at least one cell');
});

test('layout: panes fill the root, which stays one row below the terminal; too small below the minimum', () => {
  for (const [w, h] of [[140, 40], [80, 24], [MIN_COLUMNS, MIN_ROWS]] as const) {
    const l = layout(w, h);
    assert.equal(l.tooSmall, false);
    assert.equal(l.height, h - 1);
    assert.equal(l.clients.height + l.keys.height, h - 1 - 4);
    assert.equal(l.keys.width + l.libraries.width, w);
  }
  assert.equal(layout(40, 10).tooSmall, true);
  assert.equal(layout(MIN_COLUMNS - 1, 40).tooSmall, true);
  const split = keysSplit(10, 3, 20);
  assert.equal(split.prefixLines + split.topLines + 1, 10);
  assert.ok(split.prefixLines >= 3);
});

test('columns: minor columns go first, the rest fit exactly', () => {
  const cols = [
    { id: 'a', title: 'A', width: 10, min: 5, priority: 0, grow: 1 },
    { id: 'b', title: 'B', width: 10, priority: 3 },
    { id: 'c', title: 'C', width: 6, priority: 1 },
  ];
  const wide = fitColumns(cols, 60);
  assert.deepEqual(wide.map((x) => x.id), ['a', 'b', 'c']);
  assert.equal(wide.at(-1)!.at + wide.at(-1)!.w, 60, 'growers take the spare width');
  const narrow = fitColumns(cols, 15);
  assert.deepEqual(narrow.map((x) => x.id), ['a', 'c']);
  assert.ok(narrow.reduce((s, x) => s + x.w, 0) + narrow.length - 1 <= 15);
});

test('scrolling moves the window as little as possible', () => {
  assert.equal(scrollWindow(0, 3, 100, 10), 0);
  assert.equal(scrollWindow(0, 12, 100, 10), 3);
  assert.equal(scrollWindow(5, 2, 100, 10), 2);
  assert.equal(scrollWindow(95, 99, 100, 10), 90);
  assert.equal(scrollWindow(40, 5, 8, 10), 0);
});

test('roll-ups are not worked out again when only our own connection changed (it does at every poll)', () => {
  const others = clients.filter((x) => !x.self);
  const stable = stableOthers();
  const first = stable(clients);
  assert.deepEqual(first.map((x) => x.key), others.map((x) => x.key));
  // A new list: our connection's view replaced, the others the same objects.
  const polled = clients.map((x) => (x.self ? { ...x, events: x.events + 1 } : x));
  assert.equal(stable(polled), first, 'the same array');
  // The store's ui state is one object until a key changes it.
  const ui: SelectInput['ui'] = { filters: [], showSelf: false, sort: defaultSort(), grouping: 'none', drill: '', delimiter: ':' };
  const input = (list: readonly ClientView[]): SelectInput => ({ view: { clients: list } as unknown as SessionView, ui });
  assert.equal(selectLibraryRows(input(polled)), selectLibraryRows(input(clients)), 'library rows not rebuilt');
  assert.equal(selectClientRows(input(polled)), selectClientRows(input(clients)), 'table rows not rebuilt');
  // Another connection changing, arriving or leaving is a new list.
  const changed = clients.map((x) => (x.key === 'a' ? { ...x, reads: 11 } : x));
  assert.notEqual(stable(changed), first);
  assert.equal(selectLibraryRows(input(changed)).length, selectLibraryRows(input(clients)).length);
  const shorter = clients.slice(1);
  assert.notEqual(stable(shorter), stable(clients));
  assert.equal(stable([...clients, c({ key: 'z' })]).length, others.length + 1);
  // Lists asked for in turn (a whole view and a narrowed one): each always gets the same answer.
  const a1 = stable(shorter);
  const b1 = stable(changed);
  assert.equal(stable(shorter), a1);
  assert.equal(stable(changed), b1);
  // Asked to show our own connections, the table has them.
  assert.ok(selectClientRows({ ...input(polled), ui: { ...ui, showSelf: true } }).rows.some((r) => r.id === 'self'));
});

test('window snapshots: counts per client in one typed array, rows shared while the clients are the same', async () => {
  const { recordSnapshot, countsAt, windowed, SNAPSHOT_MS } = await import('../src/ui/window.ts');
  const a = c({ key: 'a', events: 10, reads: 4, writes: 6 });
  const b = c({ key: 'b', events: 3, reads: 3, writes: 0 });
  let h = recordSnapshot([], [a, b], 0);
  h = recordSnapshot(h, [a, b], SNAPSHOT_MS / 2);
  assert.equal(h.length, 1, 'one snapshot per interval');
  h = recordSnapshot(h, [{ ...a, events: 20, reads: 9 }, b], SNAPSHOT_MS);
  assert.equal(h.length, 2);
  assert.equal(h[1]!.rows, h[0]!.rows, 'the same clients: the same rows');
  assert.deepEqual(countsAt(h[1]!, 'a'), [20, 9, 6, -1]);
  assert.deepEqual(countsAt(h[0]!, 'z'), [0, 0, 0, 0], 'a client not yet there counts from 0');
  // A client arrives: new rows; the older snapshot still reads its own.
  h = recordSnapshot(h, [b, a, c({ key: 'z', events: 1 })], 2 * SNAPSHOT_MS);
  assert.notEqual(h[2]!.rows, h[1]!.rows);
  assert.deepEqual(countsAt(h[2]!, 'a'), [10, 4, 6, -1]);
  assert.deepEqual(countsAt(h[1]!, 'b'), [3, 3, 0, -1]);
  const w = windowed({ ...a, events: 25, reads: 12 }, h[1]!, 3 * SNAPSHOT_MS);
  assert.deepEqual([w.events, w.reads, w.writes], [5, 3, 0]);
});
