// A real 3-primary 3-replica Valkey 8.0 cluster on loopback (with a password, which every node's
// collector must carry), real cluster clients working against it (ioredis Cluster, node-redis
// createCluster, redis-py RedisCluster from Debian's python3-redis), each naming itself and writing
// and reading keys across every slot in bounded rounds. The tool is given one node's URL; it must
// watch every node, count exactly what the clients sent, follow a failover, a node killed and
// restarted, say what happened, never lose a count, and record the session so that it replays as one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createClient, createCluster } from 'redis';
import { Cluster } from 'ioredis';
import { resolveConfig, type Config } from '../src/config.ts';
import { createReconStore, type ReconStore } from '../src/store.ts';
import { prepareRun } from '../src/run.ts';
import { inventoryOf } from '../src/export/exportFile.ts';
import type { ClientView } from '../src/analysis/session.ts';
import type { Inventory } from '../src/export/inventory.ts';
import type { NodeStatus } from '../src/collect/protocol.ts';
import { parseClusterNodes } from '../src/parse/clusterTopology.ts';
import { startCluster, type ClusterNode, type TestCluster } from './helpers/cluster.ts';
import { waitFor } from './helpers/servers.ts';
import { CLI } from './helpers/cli.ts';

/** The CLI from this checkout, with a clean environment (the password in it, never on the command line). */
function runCli(args: string[], password = PASSWORD): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', RECON_ENV_FILE: '/nonexistent/.env', REDIS_PASSWORD: password }, timeout: 60_000 },
      (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }),
    );
  });
}

const PASSWORD = 'cluster-test-secret';
const PER_ROUND = 150;
const SERVICES = { 'io-cluster': 'io:item:', 'nr-cluster': 'nr:order:', 'py-cluster': 'py:report:' } as const;
type Service = keyof typeof SERVICES;
const AUDIT = { target: 'elasticache-valkey-cluster' };

function configFor(args: string[], env: Record<string, string> = { REDIS_PASSWORD: PASSWORD }): Config {
  const r = resolveConfig(['--monitor', 'on', '--poll-interval', '300ms', '--flush-interval', '100ms', ...args], env);
  if (!r.ok) throw new Error(r.error);
  return r.config;
}

const storeFor = (c: Config): ReconStore =>
  createReconStore({ endpoint: c.endpoint, monitor: c.monitor, monitorMaxOmemBytes: c.monitorMaxOmemBytes });

type Tagged = ClientView & { node: string };
const clientsOf = (store: ReconStore, name: string): Tagged[] => store.getState().view.clients.filter((c) => c.name === name) as Tagged[];
const sum = (list: readonly ClientView[], f: (c: ClientView) => number): number => list.reduce((n, c) => n + f(c), 0);
const live = (store: ReconStore): NodeStatus[] => store.getState().nodes.filter((n) => n.gone === undefined);
const statusOf = (store: ReconStore, addr: string): NodeStatus | undefined => live(store).find((n) => n.addr === addr);
const eventsOf = (store: ReconStore) => store.getState().cluster?.events ?? [];

/**
 * A command retried while the cluster settles: node-redis rejects what it had queued for a node it
 * dropped ("Disconnects client"), ioredis what it sent to a node that died. Neither reached a server,
 * so the count of successful calls is what the servers executed.
 */
async function settled<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const m = (err as Error).message ?? '';
      if (attempt >= 50 || !/Disconnects client|Connection is closed|ECONNREFUSED|CLUSTERDOWN|TRYAGAIN|MOVED|Socket closed|Client is closed|not connected|Failed to refresh slots/i.test(m)) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** The python client: one line per round on stdin, `done N` back. */
function pythonClient(cluster: TestCluster): { round(first: number, count: number): Promise<void>; close(): Promise<void>; ready: Promise<void> } {
  const child: ChildProcess = spawn('/usr/bin/python3', [new URL('helpers/cluster_client.py', import.meta.url).pathname], {
    env: { ...process.env, CLUSTER_HOST: '127.0.0.1', CLUSTER_PORT: String(cluster.nodes[0]!.port), REDIS_PASSWORD: PASSWORD, CLIENT_NAME: 'py-cluster' },
    // redis-py logs every MOVED it follows as a traceback: kept out of the test's output.
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (l) => waiting.shift()?.(l));
  const next = (): Promise<string> => new Promise((r) => waiting.push(r));
  const ready = next().then((l) => assert.equal(l, 'ready'));
  return {
    ready,
    async round(first, count) {
      const answer = next();
      child.stdin!.write(`round ${first} ${count} ${SERVICES['py-cluster']}\n`);
      assert.equal(await answer, `done ${count}`);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

describe('a Valkey 8.0 cluster, watched from one node', () => {
  let cluster: TestCluster;
  let dir: string;
  before(async () => {
    cluster = await startCluster({ password: PASSWORD, nodeTimeoutMs: 2000 });
    dir = mkdtempSync(join(tmpdir(), 'recon-cluster-test-'));
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('headless, --single-node: the given node alone, the cluster listed; fanning out: a Markdown summary of every node', { timeout: 90_000 }, async () => {
    const seed = cluster.nodes[0]!;
    const pinned = join(dir, 'pinned.json');
    const one = await runCli(['--url', cluster.url, '--single-node', '--headless', '--duration', '2s', '--poll-interval', '300ms', '--export', pinned]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stderr, /one node of a cluster \(3 primaries, 3 replicas\): watching it alone \(--single-node\)/);
    assert.match(one.stderr, /\(cluster: 1 of 6 nodes watched\)/);
    const inv = JSON.parse(readFileSync(pinned, 'utf8')) as Inventory;
    assert.equal(inv.cluster?.mode, 'pinned');
    assert.equal(inv.nodes.length, 6);
    assert.deepEqual(inv.nodes.filter((n) => n.state !== 'unwatched').map((n) => [n.id, n.addr]), [[seed.id, seed.addr]]);
    assert.ok(inv.clients.length > 0 && inv.clients.every((c) => c.node === seed.id), 'every connection is on the pinned node');
    assert.ok(!JSON.stringify(inv).includes(PASSWORD), 'no secret in the export');

    const md = join(dir, 'cluster.md');
    const all = await runCli(['--url', cluster.url, '--headless', '--duration', '3s', '--poll-interval', '300ms', '--export', md]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stderr, /\(cluster: 6 nodes watched, 3 primaries\)/);
    const text = readFileSync(md, 'utf8');
    assert.match(text, /- Cluster: 3 primaries, 3 replicas; every node watched; MONITOR ran on 3 of 6 nodes/);
    assert.match(text, /## Nodes/);
    for (const n of cluster.nodes) assert.match(text, new RegExp(`\\| ${n.addr.replace(/\./g, '\\.')} \\| (primary|replica of 127\\.0\\.0\\.1:\\d+) \\|`));
    assert.match(text, /## What happened to the cluster\n\n- .* is a node of a cluster/);

    // An ACL user that may not read the topology: it cannot fan out, so it watches the given node and says why.
    await cluster.cli(seed.port, 'ACL', 'SETUSER', 'notopo', 'on', '>notopo-pw', '~*', '+@all', '-cluster|shards', '-cluster|nodes');
    const blind = join(dir, 'blind.json');
    const acl = await runCli(['--url', cluster.url.replace('//', '//notopo@'), '--headless', '--duration', '2s', '--poll-interval', '300ms', '--export', blind], 'notopo-pw');
    assert.equal(acl.code, 0, acl.stderr);
    assert.match(acl.stderr, /cannot read the cluster topology from this node .*NOPERM.*: the ACL user needs \+cluster\|info \+cluster\|shards/);
    assert.match(acl.stderr, /is a cluster node, but the topology cannot be read from it: watching this node only/);
    const b = JSON.parse(readFileSync(blind, 'utf8')) as Inventory;
    assert.equal(b.nodes.length, 1);
    assert.ok(b.window.monitorEvents > 0, 'MONITOR ran on the given node');
  });

  test('every node, one picture: exact counts per client and node through a failover, a node killed and restarted; the recording replays as one', { timeout: 150_000 }, async () => {
    const recording = join(dir, 'cluster.jsonl.gz');
    const config = configFor(['--url', cluster.url, '--record', recording]);
    const store = storeFor(config);
    const prepared = prepareRun(config);
    assert.ok(prepared.ok);
    const { engine } = prepared.run.start(store, { audit: AUDIT });

    // Counts never go down: every commit is checked.
    const regressions: string[] = [];
    let lastTotal = 0;
    const lastPerService = new Map<string, number>();
    const unwatch = store.subscribe((s) => {
      if (s.view.totals.events < lastTotal) regressions.push(`total ${lastTotal} -> ${s.view.totals.events}`);
      lastTotal = s.view.totals.events;
      for (const name of Object.keys(SERVICES)) {
        const n = sum(s.view.clients.filter((c) => c.name === name), (c) => c.events);
        if (n < (lastPerService.get(name) ?? 0)) regressions.push(`${name} ${lastPerService.get(name)} -> ${n}`);
        lastPerService.set(name, n);
      }
    });

    const primariesOn = (count = 3) =>
      waitFor(() => {
        const p = live(store).filter((n) => n.cluster?.role === 'primary' && n.poll.lastError === undefined);
        return p.length === count && p.every((n) => n.monitor.phase === 'on') ? p : undefined;
      }, 'MONITOR on every primary', 30_000);

    const io = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }], { redisOptions: { password: PASSWORD, connectionName: 'io-cluster' } });
    const nr = createCluster({ rootNodes: [{ url: cluster.url }], defaults: { password: PASSWORD, name: 'nr-cluster' } });
    const py = pythonClient(cluster);
    const plain = createClient({ url: cluster.url, password: PASSWORD, name: 'plain-client', RESP: 2 });
    let rounds = 0;
    try {
      await engine.ready;
      // The seed fanned out: six nodes, each at its announced address, the seed retired.
      await waitFor(() => live(store).filter((n) => n.cluster).length === 6 && live(store).every((n) => n.cluster), 'six node collectors', 20_000);
      assert.deepEqual(new Set(live(store).map((n) => n.cluster!.id)), new Set(cluster.nodes.map((n) => n.id)));
      assert.deepEqual(new Set(live(store).map((n) => n.addr)), new Set(cluster.nodes.map((n) => n.addr)));
      assert.ok(!store.getState().nodes.some((n) => n.id === config.endpoint), 'the seed collector is gone, not kept as a seventh node');
      assert.match(store.getState().notices.join('\n'), /is a node of a cluster \(3 primaries, 3 replicas\): watching every node/);
      await primariesOn();
      for (const r of live(store).filter((n) => n.cluster!.role === 'replica')) {
        assert.equal(r.monitor.phase, 'off');
        assert.match(r.monitor.reason ?? '', /replica/);
      }

      // A client that is not cluster-aware, on one node: the MOVED replies never reach MONITOR, but
      // INFO errorstats counts them on that node.
      await plain.connect();
      let moved = 0;
      for (let i = 0; i < 60; i++) {
        try {
          await plain.get(`plain:k:${i}`);
        } catch (err) {
          if (/^MOVED/.test((err as Error).message)) moved++;
        }
      }
      assert.ok(moved > 20 && moved < 60, `${moved} MOVED`);
      const seedNode = cluster.nodes[0]!;
      await waitFor(() => statusOf(store, seedNode.addr)?.cluster?.redirects?.moved === moved, `${moved} MOVED counted on ${seedNode.addr}`);
      const plainView = clientsOf(store, 'plain-client');
      assert.equal(sum(plainView, (c) => c.commands.find(([k]) => k === 'GET')?.[1] ?? 0), 60 - moved, 'only the GETs the node served reach MONITOR');
      await plain.close();

      await Promise.all([io.ping(), nr.connect(), py.ready]);
      const round = async (): Promise<void> => {
        const first = rounds * PER_ROUND;
        rounds++;
        await Promise.all([
          (async () => {
            for (let i = first; i < first + PER_ROUND; i++) {
              await settled(() => io.set(`${SERVICES['io-cluster']}${i}`, 'v'));
              await settled(() => io.get(`${SERVICES['io-cluster']}${i}`));
            }
          })(),
          (async () => {
            for (let i = first; i < first + PER_ROUND; i++) {
              await settled(() => nr.set(`${SERVICES['nr-cluster']}${i}`, 'v'));
              await settled(() => nr.get(`${SERVICES['nr-cluster']}${i}`));
            }
          })(),
          py.round(first, PER_ROUND),
        ]);
        // Exactly what each service sent, summed over its connections on every node.
        const want = rounds * PER_ROUND;
        await waitFor(
          () => (Object.keys(SERVICES) as Service[]).every((s) => {
            const list = clientsOf(store, s);
            return sum(list, (c) => c.writes) === want && sum(list, (c) => c.reads) === want;
          }),
          `round ${rounds}: ${want} writes and reads per service`,
          20_000,
        ).catch((err: Error) => {
          const got = (Object.keys(SERVICES) as Service[]).map((s) => `${s} w=${sum(clientsOf(store, s), (c) => c.writes)} r=${sum(clientsOf(store, s), (c) => c.reads)}`);
          throw new Error(`${err.message}: ${got.join(', ')}`);
        });
      };

      await round();
      // One picture: each service's connections on every primary, each with traffic, the right prefixes.
      const primaryKeys = new Set(live(store).filter((n) => n.cluster!.role === 'primary').map((n) => n.id));
      for (const [name, prefix] of Object.entries(SERVICES)) {
        const list = clientsOf(store, name);
        const busy = new Set(list.filter((c) => c.writes > 0).map((c) => c.node));
        assert.deepEqual(busy, primaryKeys, `${name} wrote on every primary`);
        const prefixes = new Set(list.flatMap((c) => c.prefixes.map((p) => p.prefix)));
        const top = prefix.split(':')[0]!;
        // The namespace, the entity prefix and the pattern of its ids: nothing else, on any node.
        assert.deepEqual(prefixes, new Set([`${top}:`, prefix, `${prefix}*`]), `${name}'s prefixes`);
        assert.ok(list.every((c) => c.library === undefined || c.findings !== undefined));
      }

      // A manual failover of the seed's shard: its replica takes over, MONITOR follows.
      const nodesText = await cluster.cli(seedNode.port, 'CLUSTER', 'NODES');
      const replicaOf = (primary: ClusterNode): ClusterNode => {
        const t = parseClusterNodes(nodesText);
        const r = t.nodes.find((n) => n.primaryId === primary.id)!;
        return cluster.nodes.find((n) => n.id === r.id)!;
      };
      const promoted = replicaOf(seedNode);
      await cluster.cli(promoted.port, 'CLUSTER', 'FAILOVER');
      await waitFor(() => eventsOf(store).some((e) => e.kind === 'failover' && e.node === promoted.addr), `failover event for ${promoted.addr}`, 20_000);
      await waitFor(() => statusOf(store, seedNode.addr)?.cluster?.role === 'replica', 'the old primary demoted');
      await cluster.waitOk();
      await primariesOn();
      assert.equal(statusOf(store, promoted.addr)!.monitor.phase, 'on');
      assert.equal(statusOf(store, seedNode.addr)!.monitor.phase, 'off');
      await round();

      // A primary of another shard dies: the cluster promotes its replica; the tool says so.
      const t0 = parseClusterNodes(await cluster.cli(promoted.port, 'CLUSTER', 'NODES'));
      // A shard's primary: one holding slots (just after the failover the old primary may still be
      // listed as a primary without slots, and has no replica to promote).
      const victimId = t0.nodes.find((n) => n.role === 'primary' && n.slots.length > 0 && n.id !== promoted.id)!.id;
      const victim = cluster.nodes.find((n) => n.id === victimId)!;
      const heirId = t0.nodes.find((x) => x.primaryId === victimId)?.id;
      assert.ok(heirId, `a replica of ${victimId} in ${JSON.stringify(t0.nodes)}`);
      const heir = cluster.nodes.find((n) => n.id === heirId)!;
      await victim.kill();
      await waitFor(() => eventsOf(store).some((e) => e.kind === 'down' && e.node === victim.addr), `down event for ${victim.addr}`, 20_000);
      await waitFor(() => eventsOf(store).some((e) => e.kind === 'failover' && e.node === heir.addr), `failover to ${heir.addr}`, 30_000);
      await primariesOn();
      await round();

      // It comes back (same id, same port) as a replica of its heir.
      await victim.start();
      await cluster.waitOk(30_000);
      await waitFor(() => eventsOf(store).some((e) => e.kind === 'up' && e.node === victim.addr), `${victim.addr} back`, 20_000);
      await waitFor(() => statusOf(store, victim.addr)?.cluster?.role === 'replica', `${victim.addr} a replica`, 20_000);
      await primariesOn();
      await round();

      assert.deepEqual(regressions, [], 'counts never went down');
      const kinds = eventsOf(store).map((e) => `${e.kind} ${e.node}`);
      for (const k of [`fan-out ${cluster.nodes[0]!.addr}`, `failover ${promoted.addr}`, `demoted ${seedNode.addr}`, `down ${victim.addr}`, `failover ${heir.addr}`, `up ${victim.addr}`, `restarted ${victim.addr}`]) {
        assert.ok(kinds.includes(k), `event "${k}" in ${JSON.stringify(kinds)}`);
      }
    } finally {
      unwatch();
      io.disconnect();
      await Promise.all([nr.close().catch(() => {}), py.close(), plain.isOpen ? plain.close() : Promise.resolve()]);
      await engine.stop();
    }

    // The export: every connection with its node, every node with its place.
    const inv: Inventory = inventoryOf(store.getState(), { target: { id: AUDIT.target, title: 't' } });
    assert.equal(inv.nodes.length, 6);
    assert.deepEqual(new Set(inv.nodes.map((n) => n.id)), new Set(cluster.nodes.map((n) => n.id)));
    for (const n of inv.nodes) {
      assert.ok(n.role === 'primary' || n.role === 'replica');
      assert.match(n.slots ?? '', /^\d+-\d+$/);
      if (n.role === 'replica') assert.equal(inv.nodes.find((p) => p.id === n.primary)?.role, 'primary');
    }
    assert.deepEqual(inv.nodes.filter((n) => n.role === 'primary').map((n) => n.slots).sort(), ['0-5460', '10923-16383', '5461-10922']);
    const ids = new Set(inv.nodes.map((n) => n.id));
    assert.ok(inv.clients.every((c) => c.node !== null && ids.has(c.node)), 'every connection names its node');
    for (const name of Object.keys(SERVICES)) {
      const list = inv.clients.filter((c) => c.name === name);
      assert.equal(list.reduce((n, c) => n + c.writes, 0), rounds * PER_ROUND, `${name} writes in the export`);
      assert.equal(list.reduce((n, c) => n + c.reads, 0), rounds * PER_ROUND, `${name} reads in the export`);
    }
    assert.ok(inv.cluster && inv.cluster.mode === 'fan-out' && inv.cluster.events.length >= 7);
    // The client that is not cluster-aware: on one node, which answered MOVED; the cluster clients are not named.
    assert.deepEqual(inv.cluster.notClusterAware.map((s) => [s.name, s.node]), [['plain-client', cluster.nodes[0]!.id]]);

    // The recording replays as the same picture.
    const replayConfig = configFor(['--replay', recording, '--speed', 'max']);
    const replayStore = storeFor(replayConfig);
    const replay = prepareRun(replayConfig);
    assert.ok(replay.ok);
    const run = replay.run.start(replayStore, { audit: AUDIT });
    await run.done;
    await run.engine.stop();
    const again = inventoryOf(replayStore.getState(), { target: { id: AUDIT.target, title: 't' } });
    const pick = (i: Inventory) =>
      i.clients
        .filter((c) => c.name !== '' && c.events > 0)
        .map((c) => ({ node: c.node, id: c.id, addr: c.addr, name: c.name, commands: c.commands, reads: c.reads, writes: c.writes, prefixes: c.prefixes }))
        .sort((a, b) => `${a.node}/${a.id}`.localeCompare(`${b.node}/${b.id}`));
    assert.deepEqual(pick(again), pick(inv));
    const place = (i: Inventory) => i.nodes.map(({ id, addr, role, primary, slots }) => ({ id, addr, role, primary, slots }));
    assert.deepEqual(place(again), place(inv));
    assert.equal(again.window.monitorEvents, inv.window.monitorEvents);
    assert.deepEqual(new Set(again.prefixes.map((p) => `${p.prefix}=${p.count}`)), new Set(inv.prefixes.map((p) => `${p.prefix}=${p.count}`)));
  });
});

describe('a TLS cluster whose nodes announce hostnames (each node\'s certificate names its hostname only)', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster({ tlsDomain: 'recon.test' });
  });
  after(async () => {
    await cluster?.stop();
  });

  test('every node is reached with the seed\'s TLS settings and checked against the hostname it announces', { timeout: 90_000 }, async () => {
    const tls = cluster.tls!;
    // The seed is given by IP, so the user names its certificate; every other node's name comes from the cluster.
    const config = configFor(['--url', cluster.url, '--tls-ca', tls.ca, '--tls-servername', tls.nodes[0]!.hostname], {});
    assert.equal(config.tls.enabled, true);
    const store = storeFor(config);
    const prepared = prepareRun(config);
    assert.ok(prepared.ok);
    const { engine } = prepared.run.start(store, { audit: AUDIT });
    // The application: a cluster client over TLS (it checks the chain; node-redis cannot name each node).
    const app = createCluster({
      rootNodes: [{ url: cluster.url }],
      defaults: { name: 'tls-app', socket: { tls: true, ca: readFileSync(tls.ca), checkServerIdentity: () => undefined } },
    });
    try {
      await engine.ready;
      const nodes = await waitFor(() => {
        const l = live(store);
        return l.length === 6 && l.every((n) => n.cluster && n.poll.polls > 0 && n.poll.lastError === undefined) ? l : undefined;
      }, 'six nodes polled over TLS', 40_000);
      assert.deepEqual(new Set(nodes.map((n) => n.addr)), new Set(cluster.nodes.map((n) => n.addr)));
      await waitFor(() => live(store).filter((n) => n.cluster?.role === 'primary' && n.monitor.phase === 'on').length === 3, 'MONITOR on the primaries over TLS', 20_000);
      await app.connect();
      for (let i = 0; i < 90; i++) await app.set(`tls:key:${i}`, 'v');
      await waitFor(() => sum(clientsOf(store, 'tls-app'), (c) => c.writes) === 90, '90 writes over TLS on every primary', 20_000);
      const writers = new Set(clientsOf(store, 'tls-app').filter((c) => c.writes > 0).map((c) => c.node));
      assert.equal(writers.size, 3, 'on each primary');
      assert.ok(!store.getState().notices.some((n) => /certificate|TLS/i.test(n)), store.getState().notices.join('\n'));
    } finally {
      await app.close().catch(() => {});
      await engine.stop();
    }
  });
});
