// The dashboard driven by its keys, on a real Session's view: each binding, filters across every
// pane, grouping, sorting, drill-down, the help overlay, resizes, and quitting.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup } from 'ink-testing-library';
import { render as inkRender } from 'ink';
import { StoreContext } from '../components/context.tsx';
import { Dashboard } from '../components/App.tsx';
import { KEYMAP } from '../src/ui/keymap.ts';
import { FakeStdin, FakeStdout, makeFixture, T0 } from './ui-fixtures.ts';
import { KEY, mount, until } from './helpers/uiMount.tsx';

afterEach(() => cleanup());

/** The line of a pane that holds the selection pointer. */
const pointed = (f: string, pointer = '›'): string[] => f.split('\n').filter((l) => l.includes(`${'│'}${pointer}`) || l.includes(`┃${pointer}`));
const lineWith = (f: string, text: string): string => f.split('\n').find((l) => l.includes(text)) ?? '';

test('opens on the whole picture: server, MONITOR, inactive presets, every client but our own', async () => {
  const m = await mount();
  const f = m.frame();
  assert.match(f, /Valkey 8\.0\.1 · standalone · master at 127\.0\.0\.1:6379/);
  // The view's count, as the panes and the export give it: 4 of the 6 listed (the batch job left,
  // our own connection is left out and said so), not INFO's connected_clients (5, ours included).
  assert.match(f, /4 clients connected \(\+1 redis-recon hidden\)/);
  assert.match(f, /Clients.*4 connected/);
  assert.match(f, /MONITOR on/);
  assert.match(f, /of 10m00s budget/);
  assert.match(f, /\[1 app:\] \[2 orders:\]/);
  assert.match(f, /none active: showing every key/);
  for (const name of ['checkout-7f9c8d6b5-x2x7q', 'orders-writer', 'batch-job']) assert.ok(f.includes(name), name);
  assert.ok(!f.includes('redis-recon-poll'), 'our own connection is hidden');
  assert.match(f, /Keys.*all keys/);
  assert.match(f, /Libraries/);
});

test('self connections show with showSelf', async () => {
  const m = await mount({ showSelf: true });
  assert.ok(m.frame().includes('redis-recon-poll-test'));
});

test('flagged libraries are marked, departed clients stay dimmed as "gone"', async () => {
  const m = await mount();
  const f = m.frame();
  assert.match(lineWith(f, '10.0.0.1:5001'), /! 10\.0\.0\.1:5001/, 'outdated go-redis is marked !');
  assert.match(lineWith(f, '10.0.0.3:7000'), /\? 10\.0\.0\.3:7000/, 'missing lib-name is marked ?');
  assert.doesNotMatch(lineWith(f, '10.0.0.2:6000'), /[!?] 10\.0\.0\.2/, 'a current library has no mark');
  assert.match(lineWith(f, 'batch-job'), /gone/);
  assert.match(f, /Libraries\s+5 · 2 to upgrade in 2 services/);
  assert.match(f, /! checkout · go-redis\S* 9\.17\.2 → ≥ 9\.18\.0/, 'the libraries pane flags the version, with its service and the version to upgrade to');
});

test('Tab and Shift-Tab cycle the panes; focus shows without colour (heavy border)', async () => {
  const m = await mount();
  assert.match(m.frame(), /┏━ Clients/);
  await m.press(KEY.tab);
  await m.waitFor((f) => /┏━ Keys/.test(f) && /╭─ Clients/.test(f), 'Keys focused');
  await m.press(KEY.tab);
  await m.waitFor((f) => /┏━ Libraries/.test(f), 'Libraries focused');
  await m.press(KEY.tab);
  await m.waitFor((f) => /┏━ Findings/.test(f), 'Findings focused');
  await m.press(KEY.tab);
  await m.waitFor((f) => /┏━ Clients/.test(f), 'back to Clients');
  await m.press(KEY.shiftTab);
  await m.waitFor((f) => /┏━ Findings/.test(f), 'Shift-Tab goes back');
});

test('arrows and j/k move the selection; Home/End jump', async () => {
  const m = await mount();
  assert.match(pointed(m.frame())[0]!, /checkout-7f9c8d6b5-x2x7q/);
  await m.press('j');
  await m.waitFor((f) => /orders-writer/.test(pointed(f)[0] ?? ''), 'j moves down');
  await m.press(KEY.down);
  await m.waitFor((f) => /checkout-7f9c8d6b5-k2x9z/.test(pointed(f)[0] ?? ''), '↓ moves down');
  await m.press('k', KEY.up);
  await m.waitFor((f) => /x2x7q/.test(pointed(f)[0] ?? ''), 'k and ↑ move up');
  await m.press(KEY.up);
  assert.match(pointed(m.frame())[0]!, /x2x7q/, 'the top stays the top');
  await m.press('\u001b[F'); // End
  await m.waitFor((f) => /batch-job/.test(pointed(f)[0] ?? ''), 'End');
});

test('Enter opens the client detail; ↑↓ step through clients; Esc closes it', async () => {
  const m = await mount();
  await m.press(KEY.enter);
  let f = await m.waitFor((x) => /┏━ Detail/.test(x), 'detail open');
  assert.match(f, /Detail\s+checkout-7f9c8d6b5-x2x7q \(10\.0\.0\.1:5001\)/);
  assert.match(f, /! outdated: go-redis 9\.17\.2 is older than/);
  // Findings first, then who it is, then the live tail of its last commands (MONITOR); the pane scrolls.
  assert.ok(f.indexOf('! upgrade go-redis') < f.indexOf('name     checkout'), 'findings above the fields');
  assert.match(f, /library\s+go-redis\(,go1\.24\.13\) 9\.17\.2/);
  await m.press('\u001b[F');
  f = await m.waitFor((x) => /Last commands \(MONITOR, newest first\)/.test(x), 'the tail, at the end');
  assert.match(f, /seen\s+first 1h01m ago/, 'from CLIENT LIST age');
  assert.match(f, /┃\s+3s GET app:user:9 /, 'the newest command first, with its key');
  await m.press('\u001b[H');
  await m.waitFor((x) => /┃Findings/.test(x), 'back at the top');
  assert.match(f, /GET\s+40/);
  assert.match(f, /app:user:\s+40\s+0/);
  assert.ok(!/╭─ Keys/.test(f), 'the detail takes the lower row');
  await m.press(KEY.down);
  f = await m.waitFor((x) => /Detail\s+orders-writer/.test(x), 'next client');
  assert.match(f, /SET\s+30/);
  assert.match(f, /orders:eu:/);
  await m.press(KEY.esc);
  f = await m.waitFor((x) => /┏━ Clients/.test(x) && /Keys/.test(x), 'detail closed');
  assert.match(pointed(f)[0]!, /orders-writer/, 'the selection followed the detail');
});

test('the heatmap drills into a prefix and backs out; top keys follow the prefix', async () => {
  const m = await mount();
  await m.press(KEY.tab);
  let f = await m.waitFor((x) => /┏━ Keys/.test(x), 'keys focused');
  assert.match(lineWith(f, '│›app:') || lineWith(f, '┃›app:'), /app:/);
  assert.ok(f.includes('orders:') && f.includes('cache:') && f.includes('jobs:'));
  await m.press(KEY.enter);
  f = await m.waitFor((x) => /Keys\s+app:/.test(x), 'drilled into app:');
  assert.match(f, /user:/);
  assert.match(f, /Top keys under app:/);
  assert.ok(!/cache:page/.test(f), 'top keys stay under the prefix');
  await m.press(KEY.right);
  f = await m.waitFor((x) => /Keys\s+app:user:/.test(x), '→ drills deeper');
  await m.press(KEY.esc);
  await m.waitFor((x) => /Keys\s+app:\s/.test(x) && /┃›user:/.test(x), 'Esc goes up one level, selecting where it came from');
  await m.press(KEY.left);
  await m.waitFor((x) => /Keys\s+all keys/.test(x), '← goes up to the top');
  await m.press('l', 'h');
  await m.waitFor((x) => /Keys\s+all keys/.test(x), 'l then h come back');
});

test('f adds a typed prefix as an active filter, and every pane narrows to passing keys', async () => {
  const m = await mount();
  await m.press('f');
  await m.waitFor((x) => /Filter keys by prefix:/.test(x), 'prompt open');
  await m.press('ordres', KEY.backspace, KEY.backspace, KEY.backspace, KEY.backspace, 'ders:');
  await m.waitFor((x) => /Filter keys by prefix: orders:/.test(x), 'typed');
  await m.press(KEY.enter);
  const f = await m.waitFor((x) => /only keys under the lit prefixes/.test(x), 'filter active');
  assert.match(f, /2 orders: ✓/, 'the existing preset is lit rather than duplicated');
  // Clients: only the one that wrote orders:*.
  assert.match(f, /Clients\s+1 of 5 \(filtered\)/);
  assert.ok(f.includes('orders-writer') && !f.includes('x2x7q') && !f.includes('batch-job'));
  // Heatmap: only the orders: prefix.
  assert.ok(/orders:/.test(f) && !/│.app:\s/.test(f) && !/cache:/.test(f));
  // Libraries: only the orders client's library.
  assert.match(f, /Libraries\s+1/);
  assert.ok(f.includes('node-redis') && !f.includes('go-redis'));
});

test('1..9 toggle filters, x turns them all off, the detail shows passing keys only', async () => {
  const m = await mount();
  await m.press('1');
  let f = await m.waitFor((x) => /1 app: ✓/.test(x), 'preset 1 on');
  assert.match(f, /Clients\s+2 of 5/);
  assert.ok(!f.includes('orders-writer'));
  // The heatmap above the filter shows app: only.
  assert.ok(!/│ orders:/.test(f) && !/│ cache:/.test(f));
  await m.press('2');
  f = await m.waitFor((x) => /2 orders: ✓/.test(x), 'preset 2 on');
  assert.match(f, /Clients\s+3 of 5/);
  await m.press('f', 'app:user:1', KEY.enter);
  f = await m.waitFor((x) => /3 app:user:1 ✓/.test(x), 'typed filter 3');
  await m.press('3', '1', '2');
  f = await m.waitFor((x) => /\[3 app:user:1\*\]/.test(x) && /none active/.test(x), 'all toggled off by number');
  await m.press('3', KEY.enter);
  f = await m.waitFor((x) => /┏━ Detail/.test(x), 'detail under a filter');
  assert.match(f, /passing the filters/);
  assert.match(f, /app:user:1\b/);
  assert.ok(!/app:user:2\b/.test(f), 'keys that do not pass are left out of the detail');
  await m.press(KEY.esc, 'x');
  f = await m.waitFor((x) => /none active: showing every key/.test(x), 'x');
  assert.match(f, /Clients\s+5 ·/);
});

test('s cycles the sort column, S reverses it', async () => {
  const m = await mount();
  assert.match(m.frame(), /sort ops\/s ↓/);
  assert.match(m.frame(), /↓OPS\/S/);
  await m.press('s');
  let f = await m.waitFor((x) => /sort reads ↓/.test(x), 'reads');
  const order = (x: string) => ['x2x7q', 'k2x9z', 'orders-writer', '10.0.0.3:7000', 'batch-job'].map((n) => x.indexOf(n)).join(',');
  const byReads = f.indexOf('x2x7q') < f.indexOf('k2x9z') && f.indexOf('k2x9z') < f.indexOf('10.0.0.3:7000');
  assert.ok(byReads, 'most reads first');
  await m.press('S');
  f = await m.waitFor((x) => /sort reads ↑/.test(x), 'reversed');
  assert.ok(f.indexOf('x2x7q') > f.indexOf('10.0.0.3:7000'), `fewest reads first (${order(f)})`);
  await m.press('s', 's', 's', 's');
  f = await m.waitFor((x) => /sort name ↑/.test(x), 'name');
  assert.ok(f.indexOf('batch-job') < f.indexOf('k2x9z') && f.indexOf('k2x9z') < f.indexOf('orders-writer'));
});

test('g cycles the grouping: service name, owner, IP, library, none', async () => {
  const m = await mount();
  await m.press('g');
  let f = await m.waitFor((x) => /by service name/.test(x), 'service');
  assert.match(f, /▾ checkout 2 clients/);
  assert.match(f, /▾ \(unnamed\) 1 client/);
  assert.match(f, /▾ batch-job 1 client · 0 connected/);
  await m.press('g');
  f = await m.waitFor((x) => /by owner/.test(x), 'owner');
  assert.match(f, /▾ checkout 2 clients/, 'a named connection is owned by its service');
  assert.match(f, /▾ \(unknown\) 1 client/, 'ten commands: too little to tell who it is');
  await m.press('g');
  f = await m.waitFor((x) => /by IP/.test(x), 'ip');
  assert.match(f, /▾ 10\.0\.0\.1 2 clients/);
  await m.press('g');
  f = await m.waitFor((x) => /by library/.test(x), 'library');
  assert.match(f, /▾ go-redis\(,go1\.24\.13\) 2 clients .*1 flagged/);
  assert.match(f, /▾ \(no lib-name\) 1 client/);
  await m.press('g');
  f = await m.waitFor((x) => !/ by /.test(lineWith(x, 'Clients')), 'none');
  assert.ok(!f.includes('▾'));
});

test('Enter on a library lists its clients', async () => {
  const m = await mount();
  await m.press(KEY.tab, KEY.tab, 'j', KEY.enter);
  const f = await m.waitFor((x) => /by library/.test(x) && /┏━ Clients/.test(x), 'grouped by library');
  assert.match(pointed(f)[0]!, /x2x7q/, 'the selected library’s client is selected');
});

test('p pauses and resumes MONITOR', async () => {
  const m = await mount();
  await m.press('p');
  await m.waitFor((x) => /MONITOR paused by you/.test(x), 'paused');
  assert.equal(m.fx.store.getState().monitor.desired, 'paused');
  await m.press('p');
  await m.waitFor((x) => /MONITOR (on|connecting)/.test(x), 'resumed');
  assert.equal(m.fx.store.getState().monitor.desired, 'on');
});

test('? opens help printed from the keymap; Esc closes it', async () => {
  const m = await mount({ rows: 60, columns: 140 });
  await m.press('?');
  const f = await m.waitFor((x) => /┏━ Help/.test(x), 'help');
  for (const b of KEYMAP) {
    assert.ok(f.includes(b.label), `help lists ${b.label}`);
    assert.ok(f.includes(b.help.slice(0, 30)), `help says "${b.help}"`);
  }
  assert.match(f, /Legend/);
  await m.press(KEY.esc);
  await m.waitFor((x) => !/Help/.test(lineWith(x, '━')) && /Clients/.test(x), 'help closed');
  await m.press('?', '?');
  await m.waitFor((x) => /Clients/.test(x) && !/┏━ Help/.test(x), '? toggles');
});

test('follows resizes, and says so below a usable size', async () => {
  const m = await mount({ columns: 140, rows: 40 });
  let f = m.frame();
  const width = (x: string) => Math.max(...x.split('\n').map((l) => [...l].length));
  assert.equal(width(f), 140);
  assert.equal(f.split('\n').length, 39, 'the root stays one row below the terminal');
  assert.match(f, /LAST CMD/);
  m.resize(80, 24);
  f = await m.waitFor((x) => width(x) === 80, 'narrower');
  assert.equal(f.split('\n').length, 23);
  assert.ok(!/LAST CMD/.test(f), 'minor columns make room');
  assert.match(f, /NAME/);
  m.resize(40, 10);
  f = await m.waitFor((x) => /Terminal too small: 40×10/.test(x), 'too small');
  assert.ok(!f.includes('Clients'));
  m.resize(100, 30);
  await m.waitFor((x) => /Clients/.test(x) && width(x) === 100, 'back');
  // The store learns the size too (page sizes come from it).
  await until(() => JSON.stringify(m.fx.store.getState().ui.viewport), (v) => v === '{"columns":100,"rows":30}', 'viewport in the store');
});

test('a failed poll shows in the status bar while the panes keep working', async () => {
  const m = await mount();
  m.fx.setNode({ poll: { polls: 2, lastAt: T0 + 2000, intervalMs: 2000, lastError: 'connection refused by 127.0.0.1:6379: is the server running and the port right?', lastErrorAt: T0 + 2500 } });
  const f = await m.waitFor((x) => /✖ connection refused/.test(x), 'error shown');
  assert.match(f, /retrying · last good poll 1s ago/);
  await m.press('j');
  await m.waitFor((x) => /orders-writer/.test(pointed(x)[0] ?? ''), 'keys still work');
});

test('a page of rows moves with PgDn/PgUp', async () => {
  const m = await mount({ rows: 16, columns: 100 });
  await m.press('\u001b[6~');
  await m.waitFor((x) => /10\.0\.0\.1:5002/.test(pointed(x)[0] ?? ''), 'a page (the visible lines less one) down');
  await m.press('\u001b[5~');
  await m.waitFor((x) => /10\.0\.0\.1:5001/.test(pointed(x)[0] ?? ''), 'back up');
});

for (const [name, key] of [
  ['q', 'q'],
  ['Ctrl-C', KEY.ctrlC],
] as const) {
  test(`${name} quits: the app unmounts and its exit promise settles`, async () => {
    const fx = makeFixture();
    const stdout = new FakeStdout(100, 30);
    const stdin = new FakeStdin();
    const app = inkRender(
      <StoreContext.Provider value={{ live: fx.store, shown: fx.store }}>
        <Dashboard clock={() => T0} />
      </StoreContext.Provider>,
      { stdout: stdout as never, stdin: stdin as never, exitOnCtrlC: false, patchConsole: false, debug: true },
    );
    await until(() => stdout.frames.at(-1), (f) => f.includes('Clients'), 'first frame');
    await new Promise((r) => setImmediate(r));
    assert.equal(stdin.isRaw, true, 'keys are read in raw mode');
    stdin.press(key);
    await Promise.race([app.waitUntilExit(), new Promise((_, rej) => setTimeout(() => rej(new Error('did not exit')), 2000))]);
    assert.equal(fx.store.getState().ui.quit, true);
    assert.equal(stdin.isRaw, false, 'raw mode is off after exit');
  });
}
