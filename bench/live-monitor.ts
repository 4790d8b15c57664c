// Live completeness under load (issues 2 and 9): a valkey-server on loopback, `valkey-cli monitor`
// and the headless CLI (its own process: the main thread and a collector worker that reads MONITOR,
// parses and aggregates) both attached, then `redis-benchmark -P 16 -c 20` (or valkey-benchmark).
// Reports how many of the benchmark's commands each MONITOR consumer saw, the peak `omem` the
// server held for our MONITOR connection while the storm ran, whether a safety hold closed it
// (sampled from CLIENT LIST every 100 ms: a hold during the storm would cost events), the lines the
// collector dropped, and the CLI's peak RSS.
// Target: the CLI counts >= 99% of what valkey-cli receives, with omem staying near zero.
// Usage: node --import tsx bench/live-monitor.ts [REQUESTS=2000000] [redis-benchmark|valkey-benchmark]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createClient } from 'redis';
import { startServer, waitFor } from '../test/helpers/servers.ts';

const requests = Number(process.argv[2] ?? 2_000_000);
const tool = process.argv[3] ?? 'redis-benchmark';
const server = await startServer('valkey');
const dir = mkdtempSync(join(tmpdir(), 'recon-live-'));
const out = join(dir, 'inventory.json');
const probe = createClient({ url: server.url, RESP: 2 });
await probe.connect();

// valkey-cli monitor: count the benchmark's SET/GET lines as they arrive.
const cli = spawn('valkey-cli', ['-p', String(server.port), 'monitor'], { stdio: ['ignore', 'pipe', 'inherit'] });
let cliCount = 0;
createInterface({ input: cli.stdout! }).on('line', (l) => {
  if (l.includes('] "SET" "key:') || l.includes('] "GET" "key:')) cliCount++;
});

const engine = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--url', server.url, '--headless', '--duration', '10m', '--export', out], {
  stdio: ['ignore', 'ignore', 'pipe'],
  env: { ...process.env, RECON_ENV_FILE: '/nonexistent' },
});
let engineStderr = '';
engine.stderr!.on('data', (d) => (engineStderr += d));
const engineExited = new Promise<number | null>((r) => engine.once('exit', (code) => r(code)));

const monitorLines = async (): Promise<string[]> =>
  String(await probe.sendCommand(['CLIENT', 'LIST'])).split('\n').filter((l) => / flags=O /.test(l));
await waitFor(async () => (await monitorLines()).length === 2, 'both MONITOR consumers attached', 20_000);

let peakOmem = 0;
let samples = 0;
let closedSamples = 0;
let sampling = true;
let peakRssKb = 0;
const sampler = (async () => {
  while (sampling) {
    const ours = (await monitorLines()).find((l) => / name=redis-recon-monitor-/.test(l));
    samples++;
    if (ours === undefined) closedSamples++;
    else peakOmem = Math.max(peakOmem, Number(/ omem=(\d+)/.exec(ours)?.[1] ?? 0));
    try {
      peakRssKb = Math.max(peakRssKb, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${engine.pid}/status`, 'utf8'))?.[1] ?? 0));
    } catch {
      /* exited */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
})();

const t0 = Date.now();
const bench = spawn(tool, ['-h', '127.0.0.1', '-p', String(server.port), '-P', '16', '-c', '20', '-n', String(requests / 2), '-r', '100000', '-t', 'set,get', '-q'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let benchOut = '';
bench.stdout!.on('data', (d) => (benchOut += d));
await new Promise((r) => bench.once('exit', r));
const benchSeconds = (Date.now() - t0) / 1000;
await new Promise((r) => setTimeout(r, 2000)); // let both consumers drain
sampling = false;
await sampler;

if (engine.exitCode !== null) console.error(`the CLI exited early (${engine.exitCode}): ${engineStderr.trim()}`);
engine.kill('SIGINT');
await engineExited;
cli.kill('SIGINT');
const inv = JSON.parse(readFileSync(out, 'utf8'));
let engineCount = 0;
for (const c of inv.clients) engineCount += (c.commands.SET ?? 0) + (c.commands.GET ?? 0);

console.log(
  JSON.stringify({
    requests,
    tool,
    benchSeconds,
    benchmark: benchOut.split(/\r|\n/).filter((l) => l.includes('requests per second')).map((l) => l.trim()),
    valkeyCliLines: cliCount,
    engineEvents: engineCount,
    ratio: Number((engineCount / cliCount).toFixed(4)),
    peakEngineOmemBytes: peakOmem,
    monitorClosedSamples: `${closedSamples} of ${samples}`,
    monitorOnSeconds: inv.window.monitorOnSeconds,
    droppedLines: inv.window.droppedLines,
    unparsed: inv.window.unparsedLines,
    peakRssMiB: Math.round(peakRssKb / 1024),
    engineSummary: engineStderr.trim().split('\n').at(-1),
  }),
);
await probe.close();
await server.stop();
