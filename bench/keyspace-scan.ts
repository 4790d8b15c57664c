// What a full keyspace scan costs the server (issue 15): a valkey-server 8.0 on loopback seeded with
// ~1M keys in 13 patterns (test/helpers/keyspace.ts, scaled), then the real CLI, headless, with
// `--keyspace --no-monitor` at a budget, to the end of the keyspace. Meanwhile an independent client
// PINGs every 10 ms (what an application would feel) and INFO is read every second. Reports:
// - the server's own time on our commands (INFO commandstats `usec`, per key and in total), and its
//   CPU (INFO used_cpu_user + used_cpu_sys) over the scan against the same span idle;
// - the server's ops/s while scanning (instantaneous_ops_per_sec, ours: ~4 commands per key);
// - the PING round trip (p50, p99, max) idle and during the scan;
// - wall time, keys/s reached, and what the default budget (2,000 keys/s) would take.
// Usage: node --import tsx bench/keyspace-scan.ts [KEYS=1000000] [RATE=10000] [SAMPLE=all]
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { startServer } from '../test/helpers/servers.ts';
import { commandCalls, seedKeyspace, seedPatterns } from '../test/helpers/keyspace.ts';

const keys = Number(process.argv[2] ?? 1_000_000);
const rate = Number(process.argv[3] ?? 10_000);
const sample = process.argv[4] ?? 'all';
const server = await startServer('valkey');
const client = createClient({ url: server.url, RESP: 2, commandOptions: { timeout: 60_000 } });
await client.connect();
const t0 = performance.now();
const seeded = await seedKeyspace(client, seedPatterns(keys / 195_009));
console.log(`seeded ${seeded.toLocaleString('en')} keys in ${((performance.now() - t0) / 1000).toFixed(1)}s; used_memory ${info(await client.sendCommand(['INFO', 'memory'])).used_memory_human}`);

function info(text: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of String(text).split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) out[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return out;
}
async function cpu(): Promise<number> {
  const i = info(await client.sendCommand(['INFO', 'cpu']));
  return Number(i.used_cpu_user) + Number(i.used_cpu_sys);
}
async function usec(): Promise<Record<string, number>> {
  const text = String(await client.sendCommand(['INFO', 'commandstats']));
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=\d+,usec=(\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}
/** µs per call of a command over the scan. */
const perCall = (c: string, u0: Record<string, number>, u1: Record<string, number>, c0: Record<string, number>, c1: Record<string, number>): string =>
  (((u1[c] ?? 0) - (u0[c] ?? 0)) / Math.max(1, (c1[c] ?? 0) - (c0[c] ?? 0))).toFixed(2);

/** PINGs every 10 ms on its own connection until stopped; the round trips in ms. */
function probe(): { stop(): Promise<number[]> } {
  const p = createClient({ url: server.url, RESP: 2, commandOptions: { timeout: 60_000 } });
  const rtts: number[] = [];
  let running = true;
  const loop = (async () => {
    await p.connect();
    while (running) {
      const t = performance.now();
      await p.sendCommand(['PING']);
      rtts.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
    await p.close();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return rtts;
    },
  };
}
const pct = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
const ms = (x: number): string => `${x.toFixed(2)} ms`;

// Idle: 10 s.
const idleCpu0 = await cpu();
const idleProbe = probe();
await new Promise((r) => setTimeout(r, 10_000));
const idleRtt = await idleProbe.stop();
const idleCpu = (await cpu()) - idleCpu0;

// The scan.
const dir = mkdtempSync(join(tmpdir(), 'recon-kbench-'));
const out = join(dir, 'inventory.json');
const calls0 = await commandCalls(client);
const usec0 = await usec();
const cpu0 = await cpu();
const scanProbe = probe();
const ops: number[] = [];
let scanning = true;
const sampler = (async () => {
  while (scanning) {
    await new Promise((r) => setTimeout(r, 1000));
    ops.push(Number(info(await client.sendCommand(['INFO', 'stats'])).instantaneous_ops_per_sec));
  }
})();
const w0 = performance.now();
const code = await new Promise<number>((resolve) =>
  execFile(
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts', '--url', server.url, '--headless', '--keyspace', '--no-monitor', '--keyspace-rate', String(rate), '--keyspace-sample', sample, '--export', out],
    { env: { ...process.env, RECON_ENV_FILE: '/nonexistent' }, maxBuffer: 1 << 20 },
    (err, _o, stderr) => {
      if (err) process.stderr.write(stderr);
      resolve(err ? 1 : 0);
    },
  ),
);
const wall = (performance.now() - w0) / 1000;
scanning = false;
await sampler;
const scanRtt = await scanProbe.stop();
const scanCpu = (await cpu()) - cpu0;
const calls1 = await commandCalls(client);
const usec1 = await usec();
const k = JSON.parse(readFileSync(out, 'utf8')).keyspace;
const ours = ['scan', 'type', 'memory|usage', 'pttl', 'object|encoding', 'select', 'info', 'client|list', 'ping'];
const serverUsec = ours.reduce((t, c) => t + ((usec1[c] ?? 0) - (usec0[c] ?? 0)), 0);
const keyUsec = ['scan', 'type', 'memory|usage', 'pttl', 'object|encoding'].reduce((t, c) => t + ((usec1[c] ?? 0) - (usec0[c] ?? 0)), 0);
const commands = ['scan', 'type', 'memory|usage', 'pttl', 'object|encoding'].reduce((t, c) => t + ((calls1[c] ?? 0) - (calls0[c] ?? 0)), 0);
const running = k.elapsedSeconds;

console.log(`
exit ${code}; ${k.sampled.toLocaleString('en')} of ${k.dbsize.toLocaleString('en')} keys, complete ${k.complete}, ${k.patterns.length} patterns
budget ${rate.toLocaleString('en')} keys/s: scan ran ${running}s (${Math.round(k.sampled / running).toLocaleString('en')} keys/s), CLI wall ${wall.toFixed(1)}s
commands: ${commands.toLocaleString('en')} (${(commands / k.sampled).toFixed(2)} per key): scan ${(calls1.scan ?? 0) - (calls0.scan ?? 0)}, type ${(calls1.type ?? 0) - (calls0.type ?? 0)}, memory|usage ${(calls1['memory|usage'] ?? 0) - (calls0['memory|usage'] ?? 0)}, pttl ${(calls1.pttl ?? 0) - (calls0.pttl ?? 0)}, object|encoding ${(calls1['object|encoding'] ?? 0) - (calls0['object|encoding'] ?? 0)}
server time on the scan's commands (commandstats usec): ${(keyUsec / 1e6).toFixed(2)}s = ${(keyUsec / k.sampled).toFixed(2)} µs per key; all our commands ${(serverUsec / 1e6).toFixed(2)}s
µs per call: scan ${perCall('scan', usec0, usec1, calls0, calls1)} (COUNT ${Math.max(10, Math.min(250, Math.round(rate / 10)))}), type ${perCall('type', usec0, usec1, calls0, calls1)}, memory|usage ${perCall('memory|usage', usec0, usec1, calls0, calls1)}, pttl ${perCall('pttl', usec0, usec1, calls0, calls1)}, object|encoding ${perCall('object|encoding', usec0, usec1, calls0, calls1)}; one 64-key round trip holds the server ~${((64 * keyUsec) / k.sampled).toFixed(0)} µs
server CPU (user+sys): ${scanCpu.toFixed(2)}s over the ${wall.toFixed(0)}s scan (${((scanCpu / wall) * 100).toFixed(1)}% of a core) vs ${idleCpu.toFixed(2)}s over 10s idle (${((idleCpu / 10) * 100).toFixed(1)}%)
server ops/s while scanning: median ${pct(ops, 0.5).toLocaleString('en')}, max ${Math.max(...ops).toLocaleString('en')}
PING idle: p50 ${ms(pct(idleRtt, 0.5))}, p99 ${ms(pct(idleRtt, 0.99))}, max ${ms(Math.max(...idleRtt))} (${idleRtt.length} pings)
PING while scanning: p50 ${ms(pct(scanRtt, 0.5))}, p99 ${ms(pct(scanRtt, 0.99))}, max ${ms(Math.max(...scanRtt))} (${scanRtt.length} pings)
at the default budget (2,000 keys/s) a full scan of these ${k.sampled.toLocaleString('en')} keys takes ~${Math.round(k.sampled / 2000 / 60)} min and costs the server ~${((2000 * keyUsec) / k.sampled / 1e4).toFixed(1)}% of a core in command time`);
await client.close();
await server.stop();
