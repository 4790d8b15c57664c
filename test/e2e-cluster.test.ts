// The real CLI in a real terminal (tmux), pointed at one node of a real 3-primary 3-replica Valkey
// cluster with real cluster clients (ioredis Cluster, node-redis createCluster) working on it, as a
// user would see it at 80x24 and at 160x45: the per-node state in the status bar, `n` and `N`
// narrowing every pane to a node and a shard, `c` the nodes view with what happened (a failover).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createCluster } from 'redis';
import { Cluster } from 'ioredis';
import { terminal } from './helpers/tmux.ts';
import { startCluster, type TestCluster } from './helpers/cluster.ts';
import { parseClusterNodes } from '../src/parse/clusterTopology.ts';
import { CLI } from './helpers/cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const term = terminal('e2e-cluster');
const { keys, waitScreen } = term;

let cluster: TestCluster | undefined;
let stopTraffic = false;
let traffic: Promise<void> | undefined;
after(async () => {
  stopTraffic = true;
  await traffic;
  term.kill();
  await cluster?.stop();
});

/** Lines of the screen from the first that matches. */
const lineWith = (screen: string, re: RegExp): string => screen.split('\n').find((l) => re.test(l)) ?? '';

test('a cluster in the dashboard: per-node status, n/N narrowing, the nodes view, at 80x24 and 160x45', { timeout: 120_000 }, async () => {
  cluster = await startCluster();
  const c = cluster;
  const seed = c.nodes[0]!;
  const io = new Cluster([{ host: '127.0.0.1', port: seed.port }], { redisOptions: { connectionName: 'catalog-api' } });
  const nr = createCluster({ rootNodes: [{ url: c.url }], defaults: { name: 'orders-worker' } });
  nr.on('error', () => {});
  await Promise.all([io.ping(), nr.connect()]);
  const deadline = Date.now() + 100_000;
  traffic = (async () => {
    for (let i = 0; !stopTraffic && Date.now() < deadline; i++) {
      // Bounded, and tolerant of the failover below (clients follow MOVED by themselves).
      await Promise.allSettled([io.set(`catalog:item:${i % 200}`, 'x'), nr.set(`orders:${i % 300}`, 'y'), nr.get(`orders:${(i * 7) % 300}`)]);
      await new Promise((r) => setTimeout(r, 15));
    }
    io.disconnect();
    await nr.close().catch(() => {});
  })();

  const env = ['env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', 'TERM=xterm-256color'];
  const cmd = [...env, process.execPath, ...CLI, '--url', c.url, '--monitor', 'on'].map((a) => `'${a}'`).join(' ');
  term.start(['sh', '-c', `${cmd}; echo "EXITED:$?"; sleep 30`], { cwd: ROOT, columns: 80, rows: 24 });

  // 80 columns: the cluster in one run of glyphs, MONITOR on the three primaries.
  let s = await waitScreen((x) => /3P ●●● · 3R ○○○/.test(x) && /on 3\/6 nodes/.test(x) && /catalog-api/.test(x) && /orders-worker/.test(x), 'the cluster at 80x24', 40_000);
  assert.match(lineWith(s, /cluster/), /Valkey 8\.0\.\d+ · cluster/);
  assert.match(s, /All nodes \(n node, N shard\)/);
  for (const line of s.split('\n')) assert.ok([...line].length <= 80, `fits 80 columns: ${line}`);

  // n: the first node of the first shard (the primary serving slot 0), every pane narrowed to it.
  const slot0 = parseClusterNodes(await c.cli(seed.port, 'CLUSTER', 'NODES')).nodes.find((n) => n.role === 'primary' && n.slots[0]?.[0] === 0)!;
  keys('n');
  s = await waitScreen((x) => new RegExp(`node :${slot0.port} \\(primary, slots 0-5460\\) ✓`).test(x), 'narrowed to the slot-0 primary');
  const before = Number(/Clients\s+(\d+)/.exec(s)?.[1]);
  keys('n');
  s = await waitScreen((x) => /node :\d+ \(replica, slots 0-5460\) ✓/.test(x), 'narrowed to its replica');
  // N: the shards, in slot order.
  keys('N');
  s = await waitScreen((x) => /shard 0-5460 \(:\d+\* :\d+\) ✓/.test(x), 'narrowed to the first shard');
  keys('N');
  s = await waitScreen((x) => /shard 5461-10922 /.test(x), 'the second shard');
  keys('N', 'N');
  s = await waitScreen((x) => /All nodes \(n node, N shard\)/.test(x), 'back to all nodes');
  const all = Number(/Clients\s+(\d+)/.exec(s)?.[1]);
  assert.ok(before > 0 && all > before, `one node's clients (${before}) are fewer than all (${all})`);

  // c: the nodes view.
  keys('c');
  s = await waitScreen((x) => /Nodes\s+6 nodes · 3 primaries/.test(x) && (x.match(/replica of :\d+/g) ?? []).length === 3, 'the nodes view at 80x24');
  assert.equal((s.match(/ primary /g) ?? []).length, 3, s);
  assert.match(s, /What happened/);
  assert.match(s, /is a node of a cluster \(3 primaries, 3 replicas\)/);

  // A failover while watching: the nodes view says what happened.
  const replica = parseClusterNodes(await c.cli(seed.port, 'CLUSTER', 'NODES')).nodes.find((n) => n.primaryId === slot0.id)!;
  await c.cli(replica.port!, 'CLUSTER', 'FAILOVER');
  s = await waitScreen((x) => new RegExp(`failover: 127\\.0\\.0\\.1:${replica.port} is now the primary`).test(x), 'the failover in the nodes view', 20_000);
  keys('Escape');
  await waitScreen((x) => /Clients/.test(x) && !/Nodes\s+6 nodes/.test(x), 'the nodes view closed');

  // 160x45: each node with its label and connections; the NODE column.
  term.resize(160, 45);
  s = await waitScreen((x) => /3 primaries ●:\d+ \d+c ●:\d+ \d+c ●:\d+ \d+c · 3 replicas ○:\d+/.test(x) && /CLIENT\s+NODE\s+NAME/.test(x), 'the wide layout', 20_000);
  assert.match(s, new RegExp(`●:${replica.port} \\d+c`), 'the new primary streams MONITOR');
  keys('n');
  s = await waitScreen((x) => /node :\d+ \(primary, slots 0-5460\) ✓/.test(x), 'narrowed, wide');
  const port = /node :(\d+) \(primary/.exec(s)![1];
  const rows = s.split('\n').filter((l) => /^┃[ ›]/.test(l) && /127\.0\.0\.1:\d+\s+:\d+/.test(l));
  assert.ok(rows.length > 0 && rows.every((l) => l.includes(`:${port} `)), `every client row is on :${port}:\n${rows.join('\n')}`);

  keys('q');
  s = await waitScreen((x) => /EXITED:0/.test(x), 'quit with code 0', 15_000);
});
