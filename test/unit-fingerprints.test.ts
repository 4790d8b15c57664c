// Behavioural fingerprints on sessions built the way the engine builds them (CLIENT LIST lines and
// MONITOR events through the real Session, so key patterns are inferred as in production): an
// unnamed twin of a named service is found with its evidence; an unrelated one, a look-alike on the
// same keys with other commands, a quiet one and an ambiguous one are not; unnamed look-alikes form
// unknown services with stable labels; node owners corroborate; the pass stays cheap on a fleet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { billing, catalog, checkout, limiter, Scene, sweeper, T0, type Conn, type Workload } from './helpers/workloads.ts';
import { attribute, attributionOf, type Attributions } from '../src/owners/attribute.ts';
import { compare, FINGERPRINT, leafPatterns, profileOf, type Feature } from '../src/owners/fingerprint.ts';
import { buildOwnerMap } from '../src/owners/ownerMap.ts';
import { createReconStore } from '../src/store.ts';
import { inventoryOf } from '../src/export/exportFile.ts';
import { renderInventory } from '../src/export/formats.ts';
import { attributionText, buildClientRows, defaultSort, ownerLabel } from '../src/ui/clients.ts';

const attributed = (s: Scene, owners: Parameters<typeof attribute>[0]['owners'] = null): Attributions =>
  attribute({ clients: s.clients(), owners, dns: new Map() });

function fleet(): { s: Scene; named: Conn[]; twin: Conn; other: Conn } {
  const s = new Scene();
  const named = [
    s.add({ port: 5001, name: 'checkout-api-7f9c8d6b5-x2x7q' }),
    s.add({ port: 5002, name: 'checkout-api-7f9c8d6b5-k2x9z' }),
    s.add({ port: 5003, name: 'legacy-billing', lib: 'node-redis', ver: '4.7.1' }),
    s.add({ port: 5004, name: 'catalog-indexer', lib: 'ioredis', ver: '5.8.2' }),
  ];
  const twin = s.add({ port: 6001 });
  const other = s.add({ port: 6002, lib: 'ioredis', ver: '5.8.2' });
  s.run([
    [named[0]!, checkout, 120],
    [named[1]!, checkout, 80],
    [named[2]!, billing, 60],
    [named[3]!, catalog, 60],
    [twin, (i) => checkout(i + 1000), 40],
    [other, limiter, 50],
  ]);
  return { s, named, twin, other };
}

test("an unnamed twin is likely its named service, with the evidence; an unrelated one is not", () => {
  const { s, twin, other } = fleet();
  const a = attributed(s);
  const t = a.byKey.get(s.at(twin).key)!;
  assert.ok(t.likely, `twin matched: ${t.note}`);
  assert.equal(t.likely.service, 'checkout-api', 'pods of one Deployment are one service');
  assert.ok(t.likely.score >= 0.9, `score ${t.likely.score}`);
  const ev = Object.fromEntries(t.likely.evidence.map((e) => [e.feature, e])) as Record<Feature, (typeof t.likely.evidence)[number]>;
  assert.match(ev.keys.detail, /shares .*cart:\{\*\}:items/);
  assert.match(ev.commands.detail, /HINCRBY|HGETALL/);
  assert.equal(ev.library.detail, 'same library: node-redis 5.8.2');
  assert.ok(ev.keys.weight > ev.rw.weight && ev.commands.weight > ev.rw.weight, 'what the code does weighs most');
  assert.deepEqual([ev.library.weight, ev.library.factor, ev.db.factor, ev.user.factor], [0, 1, 1, 1], 'the context agrees: it multiplies by 1, adds nothing');
  assert.ok(t.likely.runnerUp === undefined || t.likely.score - t.likely.runnerUp.score >= FINGERPRINT.margin);
  const o = a.byKey.get(s.at(other).key)!;
  assert.equal(o.likely, null);
  assert.equal(o.unknownService, 'unknown service 1');
  assert.match(o.note!, /no named service touches the same keys/);
  // Named connections are references, never judged.
  for (const c of s.clients().filter((v) => v.name !== '')) assert.equal(a.byKey.get(c.key)!.likely, null);
});

test('the same keys with other commands are not the service (the command gate)', () => {
  const { s } = fleet();
  const sweep = s.add({ port: 6003 });
  s.run([[sweep, sweeper, 40]]);
  const a = attributed(s).byKey.get(s.at(sweep).key)!;
  assert.equal(a.likely, null);
  assert.equal(a.closest?.service, 'checkout-api');
  assert.match(a.note!, /closest checkout-api: (commands|key patterns) differ/);
  const cmp = compare(profileOf(s.at(sweep)), profileOf(s.clients().find((c) => c.name.startsWith('checkout'))!));
  assert.ok(cmp.gated, 'gated');
});

test('a read-only job on the same keys, same library, is not the service (the read/write gate)', () => {
  const { s } = fleet();
  const report = s.add({ port: 6005 });
  s.run([[report, (i) => [['GET', `session:u${(i * 13) % 400}`], ['HGETALL', `cart:{u${(i * 13) % 400}}:items`]], 60]]);
  const a = attributed(s).byKey.get(s.at(report).key)!;
  assert.equal(a.likely, null);
  assert.match(a.note!, /closest checkout-api: (read\/write mixes|commands) differ/);
});

test('the same behaviour from another library is taken down by the context, and says why', () => {
  const s = new Scene();
  const ref = s.add({ port: 5001, name: 'checkout-api' });
  const go = s.add({ port: 6001, lib: 'go-redis', ver: '9.18.0' });
  s.run([[ref, checkout, 80], [go, (i) => checkout(i + 300), 80]]);
  const cmp = compare(profileOf(s.at(go)), profileOf(s.at(ref)));
  const lib = cmp.features.find((f) => f.feature === 'library')!;
  assert.deepEqual([lib.factor, lib.detail], [0.6, 'other library: go-redis 9.18.0 vs node-redis 5.8.2']);
  assert.ok(cmp.score <= 0.6 && cmp.score >= 0.5, `behaviour ~1 × 0.6: ${cmp.score}`);
  assert.equal(attributed(s).byKey.get(s.at(go).key)!.likely, null);
});

test('too little traffic gives no verdict, and says so', () => {
  const { s } = fleet();
  const quiet = s.add({ port: 6004 });
  s.run([[quiet, checkout, 5]]);
  const a = attributed(s).byKey.get(s.at(quiet).key)!;
  assert.equal(a.likely, null);
  assert.equal(a.unknownService, null);
  assert.match(a.note!, /too little traffic to tell: \d+ commands of its own, 30 needed/);
});

test('two named services that behave the same: the unnamed one is ambiguous, not guessed', () => {
  const s = new Scene();
  const a1 = s.add({ port: 5001, name: 'cart-api' });
  const a2 = s.add({ port: 5002, name: 'cart-api-canary' });
  const u = s.add({ port: 6001 });
  s.run([[a1, checkout, 60], [a2, (i) => checkout(i + 500), 60], [u, (i) => checkout(i + 900), 60]]);
  const r = attributed(s).byKey.get(s.at(u).key)!;
  assert.equal(r.likely, null);
  assert.match(r.note!, /^ambiguous: cart-api(-canary)? [01]\.\d\d and cart-api(-canary)? [01]\.\d\d are too close$/);
});

test('unnamed look-alikes form one unknown service; labels stay as newer groups appear', () => {
  const s = new Scene();
  const ref = s.add({ port: 5001, name: 'legacy-billing' });
  const limiters = [6001, 6002, 6003].map((port) => s.add({ port, lib: 'ioredis', ver: '5.8.2', age: 900 }));
  s.run([[ref, billing, 60], ...limiters.map((c, k): [Conn, Workload, number] => [c, (i) => limiter(i + k * 7), 40])]);
  let a = attributed(s);
  assert.deepEqual(limiters.map((c) => a.byKey.get(s.at(c).key)!.unknownService), ['unknown service 1', 'unknown service 1', 'unknown service 1']);
  assert.equal(a.unknownServices.length, 1);
  assert.deepEqual(a.unknownServices[0]!.patterns, ['ratelimit:*']);
  assert.deepEqual(a.unknownServices[0]!.commands.slice().sort(), ['EXPIRE', 'INCR']);
  // A later, different workload is a second unknown service; the first keeps its number.
  const indexers = [7001, 7002].map((port) => s.add({ port, lib: 'ioredis', ver: '5.8.2', age: 10 }));
  s.run(indexers.map((c, k): [Conn, Workload, number] => [c, (i) => catalog(i + k * 13), 40]));
  a = attributed(s);
  assert.equal(a.byKey.get(s.at(limiters[0]!).key)!.unknownService, 'unknown service 1');
  assert.deepEqual(indexers.map((c) => a.byKey.get(s.at(c).key)!.unknownService), ['unknown service 2', 'unknown service 2']);
  // In the clients pane, grouped by owner: "3 unknown services", not "N unnamed connections".
  const rows = buildClientRows({ clients: s.clients(), filters: [], showSelf: false, sort: defaultSort(), grouping: 'owner', attribution: a });
  const groups = rows.rows.flatMap((r) => (r.kind === 'group' ? [`${r.label}:${r.clients}`] : []));
  assert.deepEqual(groups.sort(), ['legacy-billing:1', 'unknown service 1:3', 'unknown service 2:2']);
});

test('owners and fingerprints together: a node address lists its pods, and corroborates the match', () => {
  const pods = [
    'NAMESPACE   NAME                            READY   STATUS    RESTARTS   AGE   IP           NODE     NOMINATED NODE   READINESS GATES',
    'shop        checkout-api-7f9c8d6b5-x2x7q    1/1     Running   0          5d    10.0.9.57    node-a   <none>           <none>',
    'shop        checkout-api-7f9c8d6b5-k2x9z    1/1     Running   0          5d    10.0.9.58    node-a   <none>           <none>',
    'kube-system kube-proxy-7vqdc                1/1     Running   0          41d   10.0.1.23    node-a   <none>           <none>',
    'kube-system aws-node-8xq2v                  2/2     Running   0          41d   10.0.1.23    node-a   <none>           <none>',
  ].join('\n');
  const map = buildOwnerMap([{ path: 'pods.txt', text: pods }]);
  assert.ok(map.ok);
  const { s, twin, other } = fleet();
  const a = attributed(s, map.map);
  const t = a.byKey.get(s.at(twin).key)!;
  assert.equal(t.owner?.kind, 'node');
  assert.equal(t.likely?.owner, 'node-a runs checkout-api (2 pods)');
  assert.equal(attributionText(t), `likely checkout-api (${t.likely!.score.toFixed(2)}) · a pod on node-a`);
  assert.equal(ownerLabel(s.at(twin), t), 'likely checkout-api');
  assert.equal(ownerLabel(s.at(other), a.byKey.get(s.at(other).key)), 'unknown service 1', 'behind a node, the behaviour tells more');
  assert.equal(attributionText(a.byKey.get(s.at(other).key)), 'unknown service 1 · a pod on node-a');
});

test('exports carry owner, likely and unknownService for every client, and the Markdown sums them up', () => {
  const { s, twin, other } = fleet();
  const map = buildOwnerMap([{ path: 'owners.csv', text: '10.0.1.0/24,k8s-nodes,platform\n' }]);
  assert.ok(map.ok);
  const store = createReconStore({ endpoint: 'e', monitor: true, monitorMaxOmemBytes: 1 << 25, owners: map.map });
  store.getState().actions.published(s.session.view(), []);
  const inv = inventoryOf(store.getState(), { now: () => T0 + 5000 });
  const tw = inv.clients.find((c) => c.addr.endsWith(':6001'))!;
  assert.equal(tw.likely?.service, 'checkout-api');
  assert.ok(tw.likely!.evidence.some((e) => e.feature === 'keys'));
  assert.deepEqual(tw.owner, { name: 'k8s-nodes', team: 'platform', kind: 'network', source: 'owners.csv:1', match: '10.0.1.0/24' });
  assert.equal(tw.unknownService, null);
  const ot = inv.clients.find((c) => c.addr.endsWith(':6002'))!;
  assert.equal(ot.likely, null);
  assert.equal(ot.unknownService, 'unknown service 1');
  for (const c of inv.clients) for (const k of ['owner', 'likely', 'unknownService', 'likelyNote', 'reverseDns'] as const) assert.ok(k in c, `${k} in every client`);
  assert.equal(inv.summary.likely, 1);
  assert.equal(inv.summary.unknownServices, 1);
  assert.equal(inv.summary.owned, inv.clients.length);
  assert.deepEqual(inv.unknownServices!.map((u) => [u.label, u.connections, u.patterns]), [['unknown service 1', 1, ['ratelimit:*']]]);
  const md = renderInventory(inv, 'md');
  assert.match(md, /- Unnamed: 1 behaves like a named service, 1 forms 1 unknown service\n/);
  assert.match(md, /## Unnamed connections that behave like a named service[\s\S]*\| checkout-api \| 1 \| 10\.0\.1\.23 \| 0\.\d\d \|/);
  assert.match(md, /## Unknown services[\s\S]*\| unknown service 1 \| 1 \| 10\.0\.1\.23 \| ioredis 5\.8\.2 \| ratelimit:\* \|/);
  assert.match(md, /## Owners[\s\S]*\| k8s-nodes \(10\.0\.1\.0\/24\) \| network \| platform \| 6 \|/);
  const csv = renderInventory(inv, 'csv').split('\n');
  assert.match(csv[0]!, /,owner,owner_kind,owner_namespace,owner_team,owner_match,owner_source,likely_service,likely_score,unknown_service,reverse_dns,node$/);
  assert.match(csv.find((l) => l.includes(':6001'))!, /,k8s-nodes,network,,platform,10\.0\.1\.0\/24,owners\.csv:1,checkout-api,0\.\d+,,,$/);
  void twin;
  void other;
});

test("redis-recon's own connections and shared unix-socket entries are neither references nor judged", () => {
  const s = new Scene();
  const self = s.add({ port: 5001, name: 'redis-recon-poll-x' });
  const u = s.add({ port: 6001 });
  s.run([[self, checkout, 60], [u, checkout, 60]]);
  const a = attributed(s);
  assert.equal(a.byKey.has(s.at(self).key), false);
  assert.match(a.byKey.get(s.at(u).key)!.note!, /no named service touches the same keys/);
});

test('leaf patterns: prefixes above a leaf give way to it; a prefix whose leaves are gone stands for them', () => {
  const p = (prefix: string) => ({ prefix, reads: 1, writes: 0 });
  assert.deepEqual(leafPatterns([p('cart:'), p('cart:{*}:'), p('cart:{*}:items'), p('session:*'), p('session:'), p('orders:')]).map((x) => x.prefix), [
    'cart:{*}:items',
    'orders:',
    'session:*',
  ]);
});

test('the pass is memoised on its inputs and stays cheap on a fleet (2,000 unnamed, 50 services)', () => {
  const s = new Scene();
  const work: Array<[Conn, Workload, number]> = [];
  // Sixty workloads, each on its own keys (7 × 9 names: few enough per position that none turns wild).
  const TOPS = ['shop', 'billing', 'search', 'media', 'auth', 'ads', 'geo'];
  const MIDS = ['orders', 'carts', 'users', 'flags', 'jobs', 'mail', 'rank', 'quotes', 'tiles'];
  const keysOf = (k: number): [string, string] => [TOPS[k % 7]!, MIDS[Math.floor(k / 7)]!];
  const workload = (k: number, offset: number): Workload => {
    const [top, mid] = keysOf(k);
    return (i) => [['GET', `${top}:${mid}:${i + offset}`], ['SET', `${top}:${mid}:seen:${(i + offset) % 7}`, 'x'], ['HGET', 'shared:conf', mid]];
  };
  for (let k = 0; k < 50; k++) work.push([s.add({ port: 1000 + k, name: `${keysOf(k).join('-')}-api` }), workload(k, 0), 20]);
  for (let k = 0; k < 2000; k++) {
    // Ten of every sixty behave like no named service.
    work.push([s.add({ port: 10_000 + k, ip: `10.1.${k >> 8}.${k & 255}` }), workload(k % 60, k), 12]);
  }
  s.run(work);
  const clients = s.clients();
  const t = performance.now();
  const a = attribute({ clients, owners: null, dns: new Map() });
  const ms = performance.now() - t;
  const likely = [...a.byKey.values()].filter((x) => x.likely).length;
  console.log(`# measured: attribution of ${clients.length} connections (2000 unnamed, 50 services): ${Math.round(ms)} ms, ${likely} likely, ${a.unknownServices.length} unknown services`);
  assert.ok(ms < 3000, `${Math.round(ms)} ms`);
  assert.equal(likely, 1670, 'every twin found (k % 60 < 50 for 1,670 of the 2,000)');
  assert.equal(a.unknownServices.length, 10);
  const state = { view: { clients }, owners: { map: null, dns: new Map() } };
  assert.equal(attributionOf(state), attributionOf({ ...state }), 'the same inputs: the same answer, not recomputed');
});

test("a service's merged profile follows its connections: when they start doing something else, the twin no longer matches", () => {
  const { s, named, twin } = fleet();
  assert.equal(attributed(s).byKey.get(s.at(twin).key)!.likely?.service, 'checkout-api');
  // Asked again with the same views: the same answer (the merged profile is kept).
  assert.equal(attributed(s).byKey.get(s.at(twin).key)!.likely?.service, 'checkout-api');
  // Both checkout pods now mostly run the rate limiter's workload: their views change, and so does
  // checkout-api's profile.
  s.run([
    [named[0]!, limiter, 2000],
    [named[1]!, limiter, 2000],
  ]);
  const after = attributed(s).byKey.get(s.at(twin).key)!;
  assert.notEqual(after.likely?.service, 'checkout-api', `no longer like checkout-api: ${after.note}`);
});
