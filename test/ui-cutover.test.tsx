// The cutover pane (T): each service with its state on both sides, the state counts in the status
// bar, the real target's verdicts; T without a target says how to get one.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup } from 'ink-testing-library';
import { createReconStore, type ReconStore } from '../src/store.ts';
import { mountStore } from './helpers/uiMount.tsx';
import { emptyView, type ClientView } from '../src/analysis/session.ts';
import type { NodeStatus } from '../src/collect/protocol.ts';
import { clientView } from './helpers/clientView.ts';

afterEach(() => cleanup());

const T0 = 1_700_000_000_000;
let seq = 0;
const client = (p: Partial<ClientView> & { name: string }): ClientView =>
  clientView({ key: String(++seq), addr: `10.0.0.5:${4000 + seq}`, firstSeen: T0, lastSeen: T0, lastActiveAt: T0, ...p });
const node = (id: string, name: 'redis' | 'valkey', version: string, facts: NodeStatus['facts']): NodeStatus => ({
  id, addr: id, server: { name, version, redisVersion: version, mode: 'standalone', role: 'master' },
  poll: { polls: 2, lastAt: T0, intervalMs: 2000 }, monitor: { phase: 'on', onMs: 0, onSince: T0, offPeriods: [], guard: 'watching' },
  stream: { lines: 0, unparsed: 0, unparsedReasons: {}, dropped: 0, eventsPerSec: 0 }, commandTable: { source: 'server' }, notices: [], clock: T0,
  endpoint: id.endsWith('6380') ? 'target' : 'source', facts,
});

const mount = (store: ReconStore) => mountStore(store, { clock: () => T0 + 3000, columns: 150, rows: 30 });

test('T opens the cutover: services by state, both sides, matched by, counts in the status bar, the target\'s refusals', async () => {
  const clock = { t: T0 };
  const store = createReconStore({ endpoint: '127.0.0.1:6379', to: '127.0.0.1:6380', monitor: true, monitorMaxOmemBytes: 1 << 25, now: () => clock.t, viewport: { columns: 150, rows: 30 } });
  const { actions } = store.getState();
  // mail writes on both sides, for longer than a repointing takes.
  for (const [i, at] of [T0 - 6000, T0].entries()) {
    clock.t = at;
    actions.published(
      { ...emptyView(), version: 1 + i, clients: [client({ name: 'cart', opsPerSec: 40, writes: 5, commands: [['FT.SEARCH', 7]] }), client({ name: 'mail', writes: 2 + i, lastSeen: at, events: 2 + i }), client({ name: '', libName: 'redis-py' })] },
      [node('127.0.0.1:6379', 'redis', '7.0.15', { keys: 1200 })],
    );
    actions.publishedTarget(
      { ...emptyView(), version: 1 + i, clients: [client({ name: 'mail', writes: 3 + i, opsPerSec: 12, lastSeen: at, events: 3 + i, firstSeen: T0 - 6000 }), client({ name: 'report' })] },
      [node('127.0.0.1:6380', 'valkey', '8.0.1', { keys: 300, commands: ['GET', 'SET'] })],
    );
  }
  const r = await mount(store);
  await r.waitFor((f) => f.includes('cutover 2 on source · 0 moving · 1 BOTH · 1 target only · 0 done'), 'the status bar counts the states');
  await r.press('T');
  const f = await r.waitFor((x) => x.includes('Cutover') && x.includes('SERVICE'), 'the cutover pane opens');
  const line = (name: string): string => f.split('\n').find((l) => l.includes(` ${name} `)) ?? '';
  assert.match(line('mail'), /both/);
  assert.match(line('cart'), /source only/);
  assert.match(line('report'), /target only/);
  assert.match(f, /redis-py from 10\.0\.0\.5.*library\+address/);
  assert.match(f, /keys: source 1\.2k · target 300/);
  assert.match(f, /FT\.SEARCH: the target has no FT\.SEARCH command/);
  // The red flag comes first.
  assert.ok(f.indexOf(' mail ') < f.indexOf(' cart '));
  await r.press('\u001b');
  await r.waitFor((x) => !x.includes('SERVICE'), 'Esc closes it');
});

test('T without a target says how to follow a cutover; ? lists T', async () => {
  const store = createReconStore({ endpoint: '127.0.0.1:6379', monitor: true, monitorMaxOmemBytes: 1 << 25, now: () => T0, viewport: { columns: 150, rows: 30 } });
  const r = await mount(store);
  await r.press('T');
  await r.waitFor((f) => f.includes('no target: start with --to URL'), 'the hint');
  assert.doesNotMatch(r.frame(), /cutover \d/);
  await r.press('?');
  await r.waitFor((f) => f.includes('Show or hide this help') || f.includes('Tab'), 'the help opens');
  // The help scrolls: page down until the Cutover section shows.
  const listed = (f: string): boolean => /Cutover[\s\S]*T\s+Show or hide the cutover/.test(f);
  for (let i = 0; i < 12 && !listed(r.frame()); i++) {
    await r.press(' ');
    await new Promise((res) => setTimeout(res, 30));
  }
  await r.waitFor(listed, 'the help lists T under Cutover');
});

test('more services than lines: the pane says how many it leaves out', async () => {
  const store = createReconStore({ endpoint: '127.0.0.1:6379', to: '127.0.0.1:6380', monitor: true, monitorMaxOmemBytes: 1 << 25, now: () => T0, viewport: { columns: 150, rows: 30 } });
  const { actions } = store.getState();
  actions.published({ ...emptyView(), version: 1, clients: Array.from({ length: 40 }, (_, i) => client({ name: `svc${String(i).padStart(2, '0')}` })) }, [node('127.0.0.1:6379', 'redis', '7.0.15', {})]);
  actions.publishedTarget({ ...emptyView(), version: 1, clients: [] }, [node('127.0.0.1:6380', 'valkey', '8.0.1', {})]);
  const r = await mount(store);
  await r.press('T');
  const f = await r.waitFor((x) => x.includes('SERVICE'), 'the cutover pane opens');
  const shown = f.split('\n').filter((l) => /\ssvc\d\d\s/.test(l)).length;
  assert.ok(shown > 5 && shown < 40);
  assert.match(f, new RegExp(`… ${40 - shown} more services \\(the export lists them all\\)`));
});
