// The cutover report in the exports: present only with a target, per service its sides, state,
// how it was matched, when it moved and what is left; the Markdown says the same per service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReconStore } from '../src/store.ts';
import { emptyView, type ClientView } from '../src/analysis/session.ts';
import type { NodeStatus } from '../src/collect/protocol.ts';
import { clientView } from './helpers/clientView.ts';
import { buildInventory } from '../src/export/inventory.ts';
import { renderInventory } from '../src/export/formats.ts';

const T0 = 1_700_000_000_000;
let seq = 0;
const client = (p: Partial<ClientView> & { name: string }): ClientView =>
  clientView({ key: String(++seq), addr: `10.0.0.5:${4000 + seq}`, firstSeen: T0, lastSeen: T0, lastActiveAt: T0, ...p });
const node = (id: string, endpoint: 'source' | 'target' | undefined, keys: number): NodeStatus => ({
  id, addr: id, server: { name: endpoint === 'target' ? 'valkey' : 'redis', version: endpoint === 'target' ? '8.0.1' : '7.0.15', redisVersion: '7.0.15', mode: 'standalone', role: 'master' },
  poll: { polls: 2, lastAt: T0, intervalMs: 2000 }, monitor: { phase: 'on', onMs: 0, onSince: T0, offPeriods: [], guard: 'watching' },
  stream: { lines: 0, unparsed: 0, unparsedReasons: {}, dropped: 0, eventsPerSec: 0 }, commandTable: { source: 'server' }, notices: [], clock: T0,
  ...(endpoint ? { endpoint, facts: { keys } } : {}),
});
const opts = { toolVersion: 'test', endMs: T0 + 600_000, monitorOnMs: 0 };

test('with a target: services with both sides, state, matchedBy, when moved, what is left; Markdown per service', () => {
  const now = { t: T0 + 600_000 };
  const store = createReconStore({ endpoint: 'old:6379', to: 'new:6380', quietAfterMs: 300_000, monitor: true, monitorMaxOmemBytes: 1 << 25, now: () => now.t });
  const { actions } = store.getState();
  actions.published({ ...emptyView(), version: 1, clients: [client({ name: 'cart', connected: false, lastActiveAt: T0, lastSeen: T0 }), client({ name: 'billing', opsPerSec: 12, events: 30, lastActiveAt: now.t })] }, [node('old:6379', 'source', 5000)]);
  actions.publishedTarget({ ...emptyView(), version: 1, clients: [client({ name: 'cart', firstSeen: T0 - 1000, lastActiveAt: now.t, counterRates: { commands: 40, netIn: 0, netOut: 0 } })] }, [node('new:6380', 'target', 4200)]);
  const inv = buildInventory(store.getState(), opts);
  const c = inv.cutover!;
  assert.deepEqual([c.source.endpoint, c.target.endpoint], ['old:6379', 'new:6380']);
  assert.deepEqual(c.keys.total, { source: 5000, target: 4200, lens: 'INFO keyspace' });
  assert.deepEqual(c.counts, { 'source only': 1, moving: 0, both: 0, 'target only': 0, done: 1 });
  const cart = c.services.find((s) => s.service === 'cart')!;
  assert.deepEqual(cart, {
    service: 'cart',
    state: 'done',
    source: { connections: 0, opsPerSec: 0, opsLens: null, lastSeen: new Date(T0).toISOString() },
    target: { connections: 1, opsPerSec: 40, opsLens: 'counters', lastSeen: new Date(now.t).toISOString() },
    matchedBy: 'name',
    movedAt: new Date(T0 - 1000).toISOString(),
    left: 'nothing',
    writes: { source: 0, target: 0 },
  });
  assert.equal(c.services.find((s) => s.service === 'billing')!.left, '1 connection, 12 ops/s on the source');
  assert.equal(inv.nodes[0]!.endpoint, 'source');
  assert.ok(c.verdicts.some((v) => v.code === 'other-engine'));
  const md = renderInventory(inv, 'md');
  assert.match(md, /## Cutover: old:6379 → new:6380/);
  assert.match(md, /\| cart \| done \| name \| 0 \| 0 \| 2023-11-14T22:13:20\.000Z \| 1 \| 40 \| 2023-11-14T22:13:19\.000Z \| nothing \|/);
  assert.match(md, /\| billing \| source only \| name \| 1 \| 12 \|/);
  assert.match(md, /\| \(every database\) \| 5000 \| 4200 \|/);
  assert.match(md, /## What will fail on the real target new:6380/);
});

test('without a target the inventory has no cutover and its nodes no endpoint, as before', () => {
  const store = createReconStore({ endpoint: 'old:6379', monitor: true, monitorMaxOmemBytes: 1 << 25, now: () => T0 });
  store.getState().actions.published({ ...emptyView(), version: 1, clients: [client({ name: 'cart' })] }, [node('old:6379', undefined, 0)]);
  const inv = buildInventory(store.getState(), opts);
  assert.equal('cutover' in inv, false);
  assert.equal('endpoint' in inv.nodes[0]!, false);
  assert.doesNotMatch(renderInventory(inv, 'md'), /Cutover/);
});
