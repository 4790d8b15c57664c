// The migration view, driven by its keys on a real Session's view: the findings pane and its
// services, roll-ups by service, the target in the header, the footer's way out at 80 columns, a
// help that scrolls, and a replay that ends.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup } from 'ink-testing-library';
import { KEY, lineWith, mount } from './helpers/uiMount.tsx';
import { SORT_COLUMNS } from '../src/ui/clients.ts';
import { T0 } from './ui-fixtures.ts';

afterEach(() => cleanup());

const TARGET = { id: 'elasticache-valkey-cluster', title: 'ElastiCache for Valkey (cluster mode)' };

test('Tab reaches the findings pane: a cross-slot MULTI … EXEC with its service, example and severity', async () => {
  const m = await mount({ transactions: true, target: TARGET });
  await m.press(KEY.tab, KEY.tab, KEY.tab);
  const f = await m.waitFor((x) => /┏━ Findings/.test(x), 'findings focused');
  const row = lineWith(f, 'MULTI … EXEC');
  assert.match(row, /✖ MULTI … EXEC across slots\s+checkout ×2\s+2 MULTI HSET DEL EXEC: order:1 cart:\{u1\}:items/, 'one row for both checkout pods, the count of transactions and the call');
  assert.match(f, /Findings\s+on ElastiCache for Valkey \(cluster mode\)/, 'the pane says which target');
  // Errors first; the library finding has its version in the row.
  const lib = f.indexOf('! library to upgrade go-redis');
  assert.ok(lib > 0 && f.indexOf('MULTI … EXEC') < lib, 'errors first, then the library version');
  // The selected finding's explanation, once, under the table.
  assert.equal(f.split('touch keys in different hash slots').length - 1, 1);
});

test('Enter on a finding narrows the clients to its services; Esc shows every service again', async () => {
  const m = await mount({ transactions: true });
  await m.press(KEY.tab, KEY.tab, KEY.tab, KEY.enter);
  let f = await m.waitFor((x) => /┏━ Clients/.test(x) && /checkout ✓/.test(x), 'narrowed to checkout');
  assert.match(f, /x2x7q/);
  assert.match(f, /k2x9z/);
  assert.ok(!f.includes('orders-writer'), 'other services are gone');
  assert.ok(!f.includes('10.0.0.3:7000'));
  assert.match(f, /MULTI … EXEC across slots\) Esc shows all/, 'the filter line says what narrowed it');
  await m.press(KEY.esc);
  f = await m.waitFor((x) => x.includes('orders-writer') && !/checkout ✓/.test(x), 'every service again');
  // x clears it too.
  await m.press(KEY.tab, KEY.tab, KEY.tab, KEY.enter);
  await m.waitFor((x) => /checkout ✓/.test(x), 'narrowed again');
  await m.press('x');
  await m.waitFor((x) => x.includes('orders-writer') && !/checkout ✓/.test(x), 'x shows every service');
});

test('the libraries pane rolls up by service and never cuts off the version to upgrade to', async () => {
  let m = await mount({ columns: 140, rows: 36 });
  let f = m.frame();
  assert.match(f, /! checkout · go-redis\(,go1\.24\.13\) 9\.17\.2 → ≥ 9\.18\.0/);
  assert.match(f, /\? \(unnamed\) · \(no lib-name\) → set lib-name/);
  assert.match(f, /Libraries\s+5 · 2 to upgrade in 2 services/);
  cleanup();
  // At 80 columns the pane is 32 wide: the name gives way, never the version or its target.
  m = await mount({ columns: 80, rows: 24 });
  f = m.frame();
  assert.match(lineWith(f, '→ ≥'), /! go-redis… 9\.17\.2 → ≥ 9\.18\.0│/);
});

test('the migration target is in the header at 80 and at 160 columns', async () => {
  for (const [columns, rows] of [[80, 24], [160, 45]] as const) {
    const m = await mount({ columns, rows, target: TARGET });
    assert.match(m.frame().split('\n')[0]!, /→ target elasticache-valkey-cluster/, `${columns} columns`);
    cleanup();
  }
});

test('the footer keeps ? help and q quit at 80 columns, with a message too', async () => {
  const m = await mount({ columns: 80, rows: 24 });
  const last = (): string => m.frame().split('\n').at(-1)!;
  assert.match(last(), /\? help\s+q quit\s*$/);
  assert.match(last(), /^Tab pane/, 'the other hints come first, as many as fit');
  m.fx.store.getState().ui.actions.notify('wrote a-very-long-file-name-for-the-inventory-export-of-this-run.md: 4 services (5 connections), 1 library version to upgrade in 1 service');
  await m.waitFor((x) => x.includes('wrote a-very'), 'the message');
  assert.match(last(), /…\s+\? help\s+q quit\s*$/, 'the message gives way');
});

test('the help scrolls: ↓, PgDn, End reach its last line and Home its first', async () => {
  const m = await mount({ columns: 80, rows: 24 });
  await m.press('?');
  let f = await m.waitFor((x) => /┏━ Help/.test(x) && /lines 1–\d+ of \d+/.test(x), 'help at its top');
  const total = Number(/lines \d+–\d+ of (\d+)/.exec(f)![1]);
  assert.ok(!f.includes('Legend'), 'the legend is below the fold');
  await m.press(KEY.down);
  await m.waitFor((x) => /lines 2–/.test(x), 'one line down');
  await m.press('\u001b[6~');
  await m.waitFor((x) => !/lines [12]–/.test(x), 'a page down');
  await m.press('\u001b[F');
  f = await m.waitFor((x) => new RegExp(`–${total} of ${total}`).test(x), 'the end');
  assert.match(f, /Legend/);
  await m.press('\u001b[H');
  await m.waitFor((x) => /lines 1–/.test(x), 'the top again');
  await m.press(KEY.esc);
  await m.waitFor((x) => !/┏━ Help/.test(x), 'closed');
});

test('a replay that ended says so; p does nothing misleading; r asks to replay it again', async () => {
  const m = await mount();
  const st = m.fx.store;
  st.getState().actions.stopMonitor('end of recording (1,234 events)');
  st.getState().actions.sourceEnded('end of recording (1,234 events)', true);
  let f = await m.waitFor((x) => /■ end of recording \(1,234 events\) · r replays it from the start/.test(x), 'ended');
  assert.ok(!/MONITOR/.test(lineWith(f, '■ end of recording')), 'no MONITOR state beside it');
  assert.match(lineWith(f, 'events/s'), /– events\/s/, 'no rate shows as live');
  await m.press('p');
  f = await m.waitFor((x) => /nothing to pause · r replays it from the start/.test(x), 'p explains');
  assert.equal(st.getState().monitor.desired, 'off', 'p did not ask MONITOR to come on');
  assert.ok(!/connecting/.test(f));
  await m.press('r');
  await m.waitFor((x) => /replaying from the start/.test(x), 'r');
  assert.equal(st.getState().restartRequest, 1);
  assert.equal(st.getState().ended, undefined);
});

test('while paused the event rate does not show as live', async () => {
  const m = await mount();
  await m.press('p');
  const f = await m.waitFor((x) => /MONITOR paused by you/.test(x), 'paused');
  assert.match(lineWith(f, 'events/s'), /– events\/s/);
});

test('a service’s disconnected connections fold into one row under the live ones; D lists them', async () => {
  const m = await mount({ shortLived: 12, columns: 140, rows: 36 });
  let f = m.frame();
  assert.match(f, /⋯ cleanup-cron: 12 disconnected connections \(D lists them\)/);
  assert.ok(!f.includes('10.0.0.9:9000'), 'no row per disconnected connection');
  assert.ok(f.indexOf('orders-writer') < f.indexOf('⋯ cleanup-cron'), 'live connections first');
  assert.match(lineWith(f, 'batch-job'), /gone/, 'a lone disconnected connection keeps its row');
  await m.press('D');
  f = await m.waitFor((x) => x.includes('10.0.0.9:9000') && !x.includes('⋯ cleanup-cron'), 'listed');
  await m.press('D');
  await m.waitFor((x) => x.includes('⋯ cleanup-cron') && !x.includes('10.0.0.9:9000'), 'folded again');
  // Grouped by service, the folded row closes its group.
  await m.press('g');
  f = await m.waitFor((x) => /by service name/.test(x), 'grouped');
  assert.match(f, /▾ cleanup-cron 12 clients · 0 connected/);
});

test('y copies the selected value of the focused pane, escaped; < and > pick the sort column', async () => {
  const m = await mount({ transactions: true });
  const st = m.fx.store;
  await m.press('y');
  await m.waitFor((x) => /copied checkout-7f9c8d6b5-x2x7q 10\.0\.0\.1:5001/.test(x), 'copied the client');
  assert.equal(st.getState().ui.copyRequest?.text, 'checkout-7f9c8d6b5-x2x7q 10.0.0.1:5001');
  await m.press(KEY.tab, KEY.tab, KEY.tab, 'y');
  await m.waitFor((x) => /copied MULTI HSET DEL EXEC: order:1 cart:\{u1\}:items/.test(x), 'copied the finding’s example');
  await m.press(KEY.tab);
  // > is the next column, < the previous one; the header marks it.
  await m.press('>');
  await m.waitFor((x) => /sort reads ↓/.test(x) && /↓READS/.test(x), 'sorted by reads');
  await m.press('<');
  await m.waitFor((x) => /sort ops\/s ↓/.test(x), 'back to ops/s');
  await m.press('<');
  await m.waitFor((x) => !/sort ops\/s/.test(x), 'wrapped to the last column');
  assert.equal(st.getState().ui.sort.column, SORT_COLUMNS.at(-1));
});

test('/ searches the focused pane as you type; Enter keeps it, Esc clears it; other panes stay whole', async () => {
  const m = await mount();
  await m.press('/');
  await m.waitFor((x) => /Search clients:/.test(x), 'search prompt');
  await m.press('orders');
  let f = await m.waitFor((x) => /Search clients: orders/.test(x) && !x.includes('x2x7q'), 'clients narrowed while typing');
  assert.match(f, /orders-writer/);
  assert.match(f, /│›app:/, 'the keys pane is not searched');
  await m.press(KEY.enter);
  f = await m.waitFor((x) => /\/orders  in clients · Esc clears/.test(x), 'the search stays, shown');
  assert.ok(!f.includes('x2x7q'), 'still searched');
  await m.press(KEY.esc);
  await m.waitFor((x) => x.includes('x2x7q') && !/\/orders/.test(x), 'Esc cleared it');
  // By address and by prefix, in the keys pane too.
  await m.press('/', '10.0.0.3', KEY.enter);
  f = await m.waitFor((x) => /\/10\.0\.0\.3 /.test(x), 'by address');
  assert.ok(f.includes('10.0.0.3:7000') && !f.includes('10.0.0.2:6000'), `by address:\n${f}`);
  await m.press(KEY.esc, KEY.tab, '/', 'cache', KEY.enter);
  f = await m.waitFor((x) => /\/cache  in keys/.test(x), 'keys searched');
  assert.match(f, /┃›cache:/);
  assert.ok(!/┃ orders:/.test(f), `other prefixes hidden:\n${f}`);
  assert.ok(f.includes('10.0.0.2:6000') && f.includes('x2x7q'), `the clients pane is whole:\n${f}`);
});

test('F lists every filter, past the ninth: toggle and remove where it stands; x is not the only way back', async () => {
  const m = await mount({ presets: Array.from({ length: 11 }, (_, i) => `p${i + 1}:`) });
  const st = m.fx.store;
  await m.press('F');
  let f = await m.waitFor((x) => /┏━ Filters\s+11 · 0 active/.test(x), 'the list');
  assert.match(f, /p11:/);
  // The eleventh, which no number key reaches.
  for (let i = 0; i < 10; i++) await m.press('j');
  await m.press(' ');
  f = await m.waitFor((x) => /11 · 1 active/.test(x), 'p11 on');
  assert.equal(st.getState().ui.filters[10]!.active, true);
  assert.match(lineWith(f, 'p11:  (--prefix)'), /›\[✓\]/);
  // x turns all off; the list turns one back on without retyping.
  await m.press('x');
  await m.waitFor((x) => /11 · 0 active/.test(x), 'all off');
  await m.press(KEY.enter);
  await m.waitFor((x) => /11 · 1 active/.test(x), 'back on');
  await m.press('d');
  f = await m.waitFor((x) => /10 · 0 active/.test(x), 'removed');
  assert.ok(!f.includes('p11:'));
  assert.match(m.frame().split('\n').at(-1)!, /toggle.*remove.*\? help\s+q quit/);
  await m.press(KEY.esc);
  await m.waitFor((x) => !/┏━ Filters/.test(x) && /┏━ Clients/.test(x), 'closed');
});

test('with filters active, reads and writes are those on passing keys, ops/s their share (an estimate)', async () => {
  const m = await mount();
  assert.match(lineWith(m.frame(), '10.0.0.1:5001'), /20\s+40\s+0┃/, 'all of checkout: 20 ops/s, 40 reads');
  await m.press('f', 'app:user:1', KEY.enter);
  let f = await m.waitFor((x) => /app:user:1 ✓/.test(x), 'a filter finer than the patterns');
  // Only an upper bound is known: the pattern app:user:* may hold app:user:1 keys.
  assert.match(lineWith(f, '10.0.0.1:5001'), /~20\s+≤40\s+≤0┃/);
  await m.press('x', '1');
  f = await m.waitFor((x) => /1 app: ✓/.test(x), 'app: on');
  assert.match(lineWith(f, '10.0.0.1:5001'), /~20\s+40\s+0┃/, 'every command of checkout is on app: keys');
  assert.match(f, /R\/W on passing keys, ops ~ their share/);
});

test('w picks the clients’ time window: counts over the last minute, and how much of it the run covers', async () => {
  const m = await mount();
  const { fx } = m;
  // A minute later checkout read 6 more keys; the window counts those only.
  const at = T0 + 62_000;
  fx.session.ingest(Array.from({ length: 6 }, (_, i) => ({ ts: at / 1000, db: 0, source: '10.0.0.1:5001', args: ['GET', `app:user:${i}`] })), at);
  fx.setNode({ clock: at }, at);
  let f = await m.waitFor((x) => /\s46\s/.test(lineWith(x, '10.0.0.1:5001')), 'published');
  assert.match(lineWith(f, '10.0.0.1:5001'), /\s46\s+0┃/, 'since start: 46 reads');
  await m.press('w');
  f = await m.waitFor((x) => /last 5 min \(only 1m\d+s so far\)/.test(x), 'the 5-minute window, shorter so far');
  await m.press('w');
  f = await m.waitFor((x) => /Clients .*last 1 min/.test(x), 'the 1-minute window');
  assert.match(lineWith(f, '10.0.0.1:5001'), /\s6\s+0┃/, 'last minute: 6 reads');
  await m.press('w');
  await m.waitFor((x) => /\s46\s+0┃/.test(lineWith(x, '10.0.0.1:5001')) && !/last 1 min/.test(lineWith(x, 'Clients')), 'since start again');
});
