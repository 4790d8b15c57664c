// Live keep-up across a cluster's nodes (issue 12): a 3-primary 3-replica valkey cluster on loopback,
// one `valkey-cli monitor` per primary and the headless engine (the real CLI, its own process, given
// one node's URL: it fans out by itself), then `valkey-benchmark --cluster -P 16 -c 20`. Reports how
// many of the benchmark's commands the valkey-cli monitors received, per primary and in total, how
// many the engine counted (from its export), and the peak `omem` each primary held for the engine's
// MONITOR connection. Target: the engine counts >= 99% of what the valkey-cli monitors receive.
// When the engine's health gate held MONITOR off on a node (a storm on a loaded machine makes PING
// slow: the gate steps back, as designed), the ratio is also given for the time its MONITOR was on:
// valkey-cli lines are bucketed by their own timestamps and those inside an off-period (plus half a
// second to reconnect) are left out of that second figure.
// Run by hand, not in the test suite: node --import tsx bench/cluster-monitor.ts [REQUESTS=2000000]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createClient } from 'redis';
import { startCluster } from '../test/helpers/cluster.ts';
import { waitFor } from '../test/helpers/servers.ts';

const requests = Number(process.argv[2] ?? 2_000_000);
const cluster = await startCluster();
const roles = await cluster.roles();
const primaries = cluster.nodes.filter((n) => roles.get(n.port) === 'master');
const dir = mkdtempSync(join(tmpdir(), 'recon-cluster-bench-'));
const out = join(dir, 'inventory.json');

const probes = await Promise.all(
  primaries.map(async (n) => {
    const c = createClient({ socket: { host: '127.0.0.1', port: n.port }, RESP: 2 });
    await c.connect();
    return c;
  }),
);

// One valkey-cli monitor per primary: count the benchmark's SET/GET lines as they arrive.
const cliCounts = primaries.map(() => 0);
/** Lines per 100 ms of server time, per primary. */
const buckets = primaries.map(() => new Map<number, number>());
const clis = primaries.map((n, i) => {
  const cli = spawn('valkey-cli', ['-p', String(n.port), 'monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
  createInterface({ input: cli.stdout! }).on('line', (l) => {
    if (!/\] "(SET|GET)" "key:/.test(l)) return;
    cliCounts[i]!++;
    const b = Math.floor(Number(l.slice(0, l.indexOf(' '))) * 10);
    buckets[i]!.set(b, (buckets[i]!.get(b) ?? 0) + 1);
  });
  return cli;
});

const engine = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--url', cluster.url, '--headless', '--duration', '10m', '--export', out], {
  stdio: ['ignore', 'ignore', 'pipe'],
  env: { ...process.env, RECON_ENV_FILE: '/nonexistent' },
});
let engineStderr = '';
engine.stderr!.on('data', (d) => (engineStderr += d));

const monitorLines = async (i: number): Promise<string[]> =>
  String(await probes[i]!.sendCommand(['CLIENT', 'LIST'])).split('\n').filter((l) => / flags=O /.test(l));
await waitFor(
  async () => (await Promise.all(primaries.map((_, i) => monitorLines(i)))).every((l) => l.length === 2),
  'both MONITOR consumers attached on every primary',
  60_000,
).catch(async (err: Error) => {
  engine.kill('SIGKILL');
  for (const c of clis) c.kill('SIGKILL');
  await cluster.stop();
  throw new Error(`${err.message}; the engine said: ${engineStderr || '(nothing)'}`);
});

const peakOmem = primaries.map(() => 0);
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    for (let i = 0; i < primaries.length; i++) {
      for (const l of await monitorLines(i)) {
        if (/ name=redis-recon-monitor-/.test(l)) peakOmem[i] = Math.max(peakOmem[i]!, Number(/ omem=(\d+)/.exec(l)?.[1] ?? 0));
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
})();

const t0 = Date.now();
const bench = spawn(
  'valkey-benchmark',
  ['--cluster', '-p', String(primaries[0]!.port), '-P', '16', '-c', '20', '-n', String(requests / 2), '-r', '100000', '-t', 'set,get', '-q'],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let benchOut = '';
bench.stdout!.on('data', (d) => (benchOut += d));
await new Promise((r) => bench.once('exit', r));
const benchSeconds = (Date.now() - t0) / 1000;
await new Promise((r) => setTimeout(r, 3000)); // let every consumer drain
sampling = false;
await sampler;

engine.kill('SIGINT');
await new Promise((r) => engine.once('exit', r));
for (const c of clis) c.kill('SIGINT');
const inv = JSON.parse(readFileSync(out, 'utf8'));
const perNode = new Map<string, number>();
let engineCount = 0;
for (const c of inv.clients) {
  const n = (c.commands.SET ?? 0) + (c.commands.GET ?? 0);
  engineCount += n;
  perNode.set(c.node, (perNode.get(c.node) ?? 0) + n);
}
const cliTotal = cliCounts.reduce((a, b) => a + b, 0);
/** valkey-cli lines outside the engine's MONITOR off-periods on that node (+500 ms to reconnect). */
const whileOn = primaries.map((n, i) => {
  const off = (inv.nodes.find((x: { id: string }) => x.id === n.id)?.monitor.offPeriods ?? []).map((p: { from: string; to: string | null }) => [
    Date.parse(p.from) / 100,
    (p.to ? Date.parse(p.to) : Date.now()) / 100 + 5,
  ]);
  let count = 0;
  for (const [b, c] of buckets[i]!) if (!off.some(([a, z]: number[]) => b >= Math.floor(a!) && b <= Math.ceil(z!))) count += c;
  return count;
});


console.log(
  JSON.stringify(
    {
      requests,
      benchSeconds,
      benchmark: benchOut.split(/\r|\n/).filter((l) => l.includes('requests per second')).map((l) => l.trim()),
      perPrimary: primaries.map((n, i) => ({
        node: n.addr,
        valkeyCliLines: cliCounts[i],
        engineEvents: perNode.get(n.id) ?? 0,
        ratio: Number(((perNode.get(n.id) ?? 0) / Math.max(1, cliCounts[i]!)).toFixed(4)),
        peakEngineOmemBytes: peakOmem[i],
      })),
      valkeyCliLines: cliTotal,
      engineEvents: engineCount,
      ratio: Number((engineCount / Math.max(1, cliTotal)).toFixed(4)),
      valkeyCliLinesWhileEngineMonitorOn: whileOn.reduce((a, b) => a + b, 0),
      // The engine sees nothing while its MONITOR is off: all it counted is from the on-periods.
      ratioWhileOn: Number((engineCount / Math.max(1, whileOn.reduce((a, b) => a + b, 0))).toFixed(4)),
      droppedLines: inv.window.droppedLines,
      engineMonitor: inv.nodes
        .filter((n: { role: string }) => n.role === 'primary')
        .map((n: { addr: string; monitor: { onSeconds: number; offPeriods: unknown[] } }) => ({ node: n.addr, onSeconds: n.monitor.onSeconds, offPeriods: n.monitor.offPeriods })),
      unparsed: inv.window.unparsedLines,
      engineSummary: engineStderr.trim().split('\n').at(-1),
    },
    null,
    1,
  ),
);
await Promise.all(probes.map((p) => p.close()));
await cluster.stop();
