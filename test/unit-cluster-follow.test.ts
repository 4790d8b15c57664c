// The main thread's side of a cluster, on topologies parsed from replies captured on a real Valkey
// 8.0 cluster: the follower's fan-out, node configs, events and departures; the merger's node
// bookkeeping; the dashboard's node rows and n/N narrowing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolveConfig } from '../src/config.ts';
import { ClusterFollower, GONE_AFTER_MS, nodeConfig, type ClusterEvent, type ClusterState } from '../src/collect/cluster.ts';
import { PatternTree } from '../src/analysis/keyPatterns.ts';
import { Merger } from '../src/collect/merge.ts';
import type { CollectorSpec, NodeCluster, NodeDelta, NodeStatus, TopologyReport } from '../src/collect/protocol.ts';
import { parseClusterShards, type Topology } from '../src/parse/clusterTopology.ts';
import { describeNodeFilter, likelyNotClusterAware, narrowedKeys, nextNodeFilter, nextShardFilter, nodeRows } from '../src/ui/nodes.ts';
import type { ClientView } from '../src/analysis/session.ts';

const cap = JSON.parse(readFileSync(new URL('fixtures/cluster-valkey-8.0.json', import.meta.url), 'utf8'));
const healthy: Topology = parseClusterShards(cap.healthy.shards);
const hostnames: Topology = parseClusterShards(cap.hostnames.shards);
const seedId: string = cap.healthy.myid;

function config(args: string[] = []) {
  const r = resolveConfig(['--url', `redis://127.0.0.1:${cap.healthy.port}`, ...args], { REDIS_PASSWORD: 'pw' });
  if (!r.ok) throw new Error(r.error);
  return r.config;
}

function harness(mode: 'fan-out' | 'pinned', args: string[] = []) {
  const started: CollectorSpec[] = [];
  const retired: Array<{ key: string; forget: boolean }> = [];
  const events: ClusterEvent[] = [];
  let state: ClusterState | undefined;
  let polls = 0;
  const clock = { now: 1_000_000 };
  const cfg = config(args);
  const f = new ClusterFollower({
    mode,
    config: cfg,
    seedKey: cfg.endpoint,
    monitorReplicas: false,
    now: () => clock.now,
    hooks: {
      start: (s) => started.push(s),
      retire: (key, _why, forget) => retired.push({ key, forget }),
      pollAll: () => polls++,
      changed: (s) => (state = s),
      event: (e) => events.push(e),
    },
  });
  return { f, started, retired, events, clock, cfg, state: () => state, polls: () => polls };
}

const report = (reporter: string, self: string, topology: Topology, at = 1): TopologyReport => ({ reporter, self, at, topology });

function status(key: string, c: Partial<NodeCluster> & { role: 'primary' | 'replica' }, extra: Partial<NodeStatus> = {}): NodeStatus {
  return {
    id: key,
    addr: extra.addr ?? key,
    poll: { polls: 1, intervalMs: 1000, lastAt: 1 },
    monitor: { phase: c.role === 'primary' ? 'on' : 'off', onMs: 0, offPeriods: [], guard: 'idle' },
    stream: { lines: 0, unparsed: 0, unparsedReasons: {}, dropped: 0, eventsPerSec: 0 },
    commandTable: { source: 'server' },
    notices: [],
    clock: 0,
    cluster: { id: key, slots: '', ...c },
    ...extra,
  };
}

test('a seed that is a cluster node: one collector per node at its announced address, the seed forgotten', () => {
  const h = harness('fan-out');
  h.f.onReport(report(h.cfg.endpoint, seedId, healthy));
  assert.equal(h.started.length, 6);
  assert.deepEqual(new Set(h.started.map((s) => (s.kind === 'live' ? s.nodeId : ''))), new Set(healthy.nodes.map((n) => n.id)));
  for (const s of h.started) {
    assert.ok(s.kind === 'live' && s.cluster?.mode === 'node');
    const n = healthy.nodes.find((x) => x.id === s.nodeId)!;
    assert.equal(s.config.port, n.port);
    assert.equal(s.config.endpoint, `127.0.0.1:${n.port}`);
    assert.equal(s.config.auth.password, 'pw', 'the seed\'s credentials');
  }
  assert.deepEqual(h.retired, [{ key: h.cfg.endpoint, forget: true }]);
  assert.equal(h.events[0]!.kind, 'fan-out');
  assert.match(h.events[0]!.text, /is a node of a cluster \(3 primaries, 3 replicas\): watching every node, MONITOR on the primaries/);
  assert.equal(h.state()!.nodes.length, 6);
  assert.ok(h.state()!.nodes.every((n) => n.key === n.id), 'every listed node has its collector');
});

test('--single-node: the seed stays alone, the others are listed, unwatched', () => {
  const h = harness('pinned', ['--single-node']);
  h.f.onReport(report(h.cfg.endpoint, seedId, healthy));
  assert.equal(h.started.length, 0);
  assert.deepEqual(h.retired, []);
  assert.match(h.events[0]!.text, /one node of a cluster \(3 primaries, 3 replicas\): watching it alone \(--single-node\); the other 5 are not watched/);
  const rows = nodeRows([status(h.cfg.endpoint, { id: seedId, role: 'primary', slots: '0-5460' })], h.state(), new Map());
  assert.equal(rows.length, 6);
  assert.equal(rows.filter((r) => r.state === 'unwatched').length, 5);
});

test('TLS: the announced hostname is where to connect and what the certificate names; the TLS port when there is one', () => {
  const cfg = config(['--tls', '--tls-servername', 'shared.example']);
  const n = hostnames.nodes[0]!;
  const c = nodeConfig(cfg, n);
  assert.equal(c.host, n.hostname);
  assert.equal(c.tls.servername, n.hostname);
  assert.equal(c.tls.enabled, true);
  // An ip endpoint without a hostname keeps the user's shared certificate name.
  const ipOnly = nodeConfig(cfg, { ...healthy.nodes[0]!, tlsPort: 7443 });
  assert.equal(ipOnly.tls.servername, 'shared.example');
  assert.equal(ipOnly.port, 7443);
  assert.equal(ipOnly.socketPath, undefined);
});

test('events from the nodes\' own states: failover, demotion, down, back, restarted; none for a steady cluster', () => {
  const h = harness('fan-out');
  h.f.onReport(report(h.cfg.endpoint, seedId, healthy));
  const [a, b] = healthy.nodes.filter((n) => n.role === 'primary');
  const ra = healthy.nodes.find((n) => n.primaryId === a!.id)!;
  const up = (key: string, role: 'primary' | 'replica', extra: Partial<NodeStatus> = {}, uptime = 100) =>
    status(key, { role, slots: '0-5460', primaryId: role === 'replica' ? a!.id : undefined }, { addr: `127.0.0.1:${healthy.nodes.find((n) => n.id === key)!.port}`, server: { name: 'valkey', version: '8.0.1', redisVersion: '7.2.4', mode: 'cluster', role: role === 'primary' ? 'master' : 'slave', uptimeSeconds: uptime }, ...extra });
  h.f.observe([up(a!.id, 'primary'), up(ra.id, 'replica'), up(b!.id, 'primary')]);
  const n0 = h.events.length;
  h.f.observe([up(a!.id, 'primary'), up(ra.id, 'replica'), up(b!.id, 'primary')]);
  assert.equal(h.events.length, n0, 'nothing happened');
  h.f.observe([up(a!.id, 'replica'), up(ra.id, 'primary'), up(b!.id, 'primary')]);
  const kinds = h.events.slice(n0).map((e) => e.kind);
  assert.deepEqual(kinds.sort(), ['demoted', 'failover']);
  assert.match(h.events.find((e) => e.kind === 'failover')!.text, /failover: 127\.0\.0\.1:\d+ is now the primary of slots 0-5460: MONITOR moves to it/);
  const down = up(b!.id, 'primary', { poll: { polls: 1, intervalMs: 1000, lastAt: 1, lastError: 'connection refused by 127.0.0.1:1', lastErrorAt: 2 } });
  h.f.observe([down]);
  assert.equal(h.events.at(-1)!.kind, 'down');
  h.f.observe([up(b!.id, 'primary', { poll: { polls: 2, intervalMs: 1000, lastAt: 3 } }, 2)]);
  assert.deepEqual(h.events.slice(-2).map((e) => e.kind), ['up', 'restarted']);
});

test('a node no report lists for a while has left: its collector stops, its data stays; back later under a new key', () => {
  const h = harness('fan-out');
  h.f.onReport(report(h.cfg.endpoint, seedId, healthy));
  const leaving = healthy.nodes.find((n) => n.role === 'replica')!;
  const rest: Topology = { ...healthy, nodes: healthy.nodes.filter((n) => n.id !== leaving.id) };
  for (const n of rest.nodes) h.f.onReport(report(n.id, n.id, rest, 2));
  h.f.observe([]);
  assert.deepEqual(h.retired.slice(1), [], 'not at once');
  h.clock.now += GONE_AFTER_MS + 1;
  h.f.observe([]);
  assert.deepEqual(h.retired.slice(1), [{ key: leaving.id, forget: false }]);
  assert.equal(h.events.at(-1)!.kind, 'left');
  h.f.onReport(report(rest.nodes[0]!.id, rest.nodes[0]!.id, healthy, 3));
  const again = h.started.at(-1)!;
  assert.ok(again.kind === 'live' && again.nodeId === `${leaving.id}~2`, 'a new key: the old data stays as it was');
  assert.match(h.events.at(-1)!.text, /is back in the cluster/);
});

/** A node's key-pattern tree as its collector sends it: `writes` writes of `key`. */
function treeOf(key: string, writes: number) {
  const t = new PatternTree(':');
  t.add(key, true, writes);
  return t.snapshot();
}

test('the merger: a forgotten seed leaves nothing, a gone node keeps its data, a narrowed view sums only its nodes', () => {
  const m = new Merger();
  const view = (key: string, node: string, writes: number): ClientView =>
    ({ key: `${node}/${key}`, node, addr: '127.0.0.1:1', ip: '127.0.0.1', name: 'svc', db: 0, connected: true, listed: true, self: false, firstSeen: 0, lastSeen: 0, events: writes, reads: 0, writes, opsPerSec: 0, commands: [], prefixes: [], topKeys: [], dbs: [], crossSlot: { count: 0, example: [] }, crossSlotTransactions: { count: 0, example: [], commands: [] }, crossSlotScripts: { count: 0, example: [], commands: [] } }) as unknown as ClientView;
  const delta = (node: string, writes: number, prefix: string): NodeDelta => ({
    status: status(node, { role: 'primary' }),
    clients: { upsert: [view('1', node, writes)], remove: [] },
    tree: treeOf(`${prefix}x`, writes),
    topKeys: [{ key: `${prefix}1`, count: writes }],
    totals: { events: writes, reads: 0, writes, keyed: writes, eventsPerSec: 0 },
  });
  m.apply(delta('seed', 99, 'seed:'));
  m.apply(delta('a', 10, 'a:'));
  m.apply(delta('b', 5, 'b:'));
  m.forget('seed');
  m.markGone('b', 'left the cluster');
  m.apply(delta('b', 6, 'b:'));
  const v = m.view();
  assert.equal(v.totals.writes, 16);
  assert.deepEqual(v.clients.map((c) => (c as ClientView & { node: string }).node).sort(), ['a', 'b']);
  assert.equal(m.statuses().find((s) => s.id === 'b')!.gone, 'left the cluster', 'kept across later deltas');
  const a = m.narrowed(['a']);
  assert.equal(a.totals.writes, 10);
  assert.deepEqual(a.tree.children('').map((n) => n.prefix), ['a:']);
  assert.deepEqual(a.topKeys, [{ key: 'a:1', count: 10 }]);
  assert.equal(m.narrowed(['a']), a, 'remembered until the next delta');
});

test('node rows in shard order; n cycles nodes, N cycles shards (named by slots: a failover keeps them)', () => {
  const p1 = status('p1', { role: 'primary', slots: '5461-10922' }, { addr: '127.0.0.1:7002' });
  const p0 = status('p0', { role: 'primary', slots: '0-5460' }, { addr: '127.0.0.1:7001' });
  const r0 = status('r0', { role: 'replica', slots: '0-5460', primaryId: 'p0', standby: 'replica' }, { addr: '127.0.0.1:7003' });
  const gone = status('g', { role: 'replica', slots: '0-5460' }, { addr: '127.0.0.1:7009', gone: 'left the cluster' });
  const clients = [{ node: 'p0', connected: true, self: false }, { node: 'p0', connected: true, self: false }, { node: 'r0', connected: false, self: false }] as unknown as ClientView[];
  const connected = new Map([['p0', 2]]);
  const rows = nodeRows([p1, gone, r0, p0], undefined, connected);
  assert.deepEqual(rows.map((r) => r.label), [':7001', ':7003', ':7002', ':7009']);
  assert.equal(rows[0]!.connected, 2);
  assert.equal(rows[1]!.primaryAddr, '127.0.0.1:7001');
  assert.equal(rows[1]!.monitor, 'standby');
  assert.equal(rows[3]!.state, 'gone');
  void clients;
  let f = nextNodeFilter(undefined, rows);
  assert.deepEqual(f, { kind: 'node', key: 'p0' });
  assert.equal(describeNodeFilter(f!, rows), 'node :7001 (primary, slots 0-5460)');
  for (const want of ['r0', 'p1', 'g']) {
    f = nextNodeFilter(f, rows);
    assert.deepEqual(f, { kind: 'node', key: want });
  }
  assert.equal(nextNodeFilter(f, rows), undefined, 'after the last: all nodes');
  const s = nextShardFilter(undefined, rows);
  assert.deepEqual(s, { kind: 'shard', slots: '0-5460' });
  assert.deepEqual(narrowedKeys(s, rows), ['p0', 'r0', 'g']);
  assert.equal(describeNodeFilter(s!, rows), 'shard 0-5460 (:7001* :7003 :7009)');
  assert.deepEqual(nextShardFilter(s, rows), { kind: 'shard', slots: '5461-10922' });
  assert.equal(nextShardFilter(nextShardFilter(s, rows), rows), undefined);
});

test('likely not cluster-aware: a named service on one node of several primaries, a node that answered MOVED', () => {
  const p0 = status('p0', { role: 'primary', slots: '0-5460', redirects: { moved: 12, ask: 0 } }, { addr: '127.0.0.1:7001' });
  const p1 = status('p1', { role: 'primary', slots: '5461-16383', redirects: { moved: 0, ask: 0 } }, { addr: '127.0.0.1:7002' });
  const c = (name: string, node: string) => ({ name, node, connected: true, self: false }) as unknown as ClientView;
  const clients = [c('plain', 'p0'), c('plain', 'p0'), c('aware', 'p0'), c('aware', 'p1'), c('quiet', 'p1'), c('', 'p0')];
  const rows = nodeRows([p0, p1], undefined, new Map());
  assert.deepEqual(likelyNotClusterAware(clients, rows), [{ name: 'plain', label: ':7001', moved: 12 }]);
  assert.deepEqual(likelyNotClusterAware(clients, rows.slice(0, 1)), [], 'one primary: no cluster to be unaware of');
});
