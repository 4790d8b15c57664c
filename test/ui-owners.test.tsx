// Who is behind an address, on screen: an unnamed connection's NAME says, dimmed, `likely <service>
// (score)`, its unknown service, its owner, a reverse-DNS hint; `g` groups by owner; the detail
// pane gives the evidence. Driven by its keys, on a real Session's view and a real owner map.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup } from 'ink-testing-library';
import { createReconStore, type ReconStore } from '../src/store.ts';
import { mountStore } from './helpers/uiMount.tsx';
import { buildOwnerMap } from '../src/owners/ownerMap.ts';
import { nodeStatus } from './helpers/inProcess.ts';
import { checkout, limiter, Scene, T0 } from './helpers/workloads.ts';

afterEach(() => cleanup());

const PODS = [
  'NAMESPACE     NAME                            READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES',
  'kube-system   kube-proxy-7vqdc                1/1     Running   0          41d   10.0.1.23    node-a   <none>           <none>',
  'kube-system   aws-node-8xq2v                  2/2     Running   0          41d   10.0.1.23    node-a   <none>           <none>',
  'shop          checkout-api-7f9c8d6b5-x2x7q    1/1     Running   0          5d    10.0.1.57    node-a   <none>           <none>',
  'shop          checkout-api-7f9c8d6b5-k2x9z    1/1     Running   0          5d    10.0.1.58    node-a   <none>           <none>',
].join('\n');

function scene(): ReconStore {
  const map = buildOwnerMap([{ path: 'pods.txt', text: PODS }]);
  if (!map.ok) throw new Error(map.error);
  const s = new Scene();
  const named = s.add({ port: 5001, name: 'checkout-api-7f9c8d6b5-x2x7q', ip: '10.0.1.57' });
  const twin = s.add({ port: 6001 });
  const lim = s.add({ port: 6002, lib: 'ioredis', ver: '5.8.2' });
  const quiet = s.add({ port: 6003, ip: '192.0.2.10', lib: 'redis-py', ver: '5.0.1' });
  s.run([[named, checkout, 120], [twin, (i) => checkout(i + 1000), 60], [lim, limiter, 60], [quiet, limiter, 3]]);
  const store = createReconStore({ endpoint: '10.0.0.1:6379', monitor: true, monitorMaxOmemBytes: 1 << 25, now: () => T0, owners: map.map, viewport: { columns: 150, rows: 44 } });
  store.getState().actions.published(s.session.view(), [nodeStatus({ clock: T0 })]);
  return store;
}

const mount = (store: ReconStore) => mountStore(store, { clock: () => T0 + 3000, columns: 150, rows: 44, ready: (f) => f.includes('Clients') && f.includes('Keys') });

const line = (f: string, text: string): string => f.split('\n').find((l) => l.includes(text)) ?? '';

test("an unnamed connection's NAME says who is likely behind it, never as a name", async () => {
  const store = scene();
  const m = await mount(store);
  const f = m.frame();
  // Dim, in the NAME column, as much as fits: the likely service first, then the owner.
  assert.match(line(f, '10.0.1.23:6001'), /likely checkout-api \(0\.\d\d\) · a/);
  assert.match(line(f, '10.0.1.23:6002'), /unknown service 1 · a pod on/);
  assert.match(line(f, '10.0.1.57:5001'), /checkout-api-7f9c8d6b5-x2x7q/, 'a name stays a name');
  assert.match(line(f, '192.0.2.10:6003'), /192\.0\.2\.10:6003\s+-\s/, 'nothing known: a dash');
  // A reverse-DNS answer arrives: a hint, marked as one.
  store.getState().actions.dnsResolved([['192.0.2.10', { name: 'ip-192-0-2-10.ec2.internal' }]]);
  const g = await m.waitFor((x) => line(x, '192.0.2.10:6003').includes('≈ ip-192-0-2-10'), 'the hint');
  assert.match(line(g, '192.0.2.10:6003'), /≈ ip-192-0-2-10\.ec2\.internal/);
});

test('g groups by owner: the service, its likely twin, an unknown service, a hint', async () => {
  const store = scene();
  store.getState().actions.dnsResolved([['192.0.2.10', { name: 'ip-192-0-2-10.ec2.internal' }]]);
  const m = await mount(store);
  await m.press('g', 'g');
  const f = await m.waitFor((x) => /by owner/.test(x), 'grouped by owner');
  assert.match(f, /▾ checkout-api 1 client/);
  assert.match(f, /▾ likely checkout-api 1 client/);
  assert.match(f, /▾ unknown service 1 1 client/);
  assert.match(f, /▾ ≈ ip-192-0-2-10\.ec2\.internal 1 client/);
});

test('the detail pane gives the evidence: each feature, the context, the owner, the node it runs on', async () => {
  const store = scene();
  const m = await mount(store);
  // The twin is the second busiest: move to it and open it.
  const rows = m.frame().split('\n').filter((l) => /10\.0\.1\.\d+:\d+/.test(l));
  const at = rows.findIndex((l) => l.includes(':6001'));
  await m.press(...Array<string>(at).fill('j'), '\r');
  const f = await m.waitFor((x) => /Detail\s+10\.0\.1\.23:6001/.test(x), 'the twin’s detail');
  assert.match(f, /owner\s+a pod on node-a {2}\(pods\.txt:2\)/);
  assert.match(f, /likely checkout-api \(0\.\d\d\)/);
  assert.match(f, /keys (0\.9\d|1\.00) shares cart:\{\*\}:items/);
  assert.match(f, /commands 0\.9\d|commands 1\.00/);
  assert.match(f, /rw 0\.\d\d reads \d+% vs \d+%|rw 1\.00 reads/);
  assert.match(f, /same library: node-redis 5\.8\.2; db 0 both;/);
  assert.match(f, /node-a runs checkout-api \(2 pods\)/);
  // The unknown one says why it is no one.
  await m.press('j');
  const g = await m.waitFor((x) => /Detail\s+10\.0\.1\.23:6002/.test(x) || /Detail\s+192\.0\.2\.10:6003/.test(x), 'the next client');
  if (/Detail\s+10\.0\.1\.23:6002/.test(g)) {
    assert.match(g, /unknown service 1: like no named service/);
    assert.match(g, /no named service touches the same keys/);
  }
});
