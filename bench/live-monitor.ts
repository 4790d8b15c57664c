// Live completeness under load (issue 2): a valkey-server on loopback, `valkey-cli monitor` and the
// headless engine (the real CLI, its own process) both attached, then `valkey-benchmark -P 16 -c 20`.
// Reports how many of the benchmark's commands each MONITOR consumer saw, and the peak `omem` the
// server held for the engine's MONITOR connection while the storm ran (sampled from CLIENT LIST).
// Target: the engine counts >= 99% of what valkey-cli receives, with omem staying near zero.
// Usage: node --import tsx bench/live-monitor.ts [REQUESTS=2000000]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createClient } from 'redis';
import { startServer, waitFor } from '../test/helpers/servers.ts';

const requests = Number(process.argv[2] ?? 2_000_000);
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

const monitorLines = async (): Promise<string[]> =>
  String(await probe.sendCommand(['CLIENT', 'LIST'])).split('\n').filter((l) => / flags=O /.test(l));
await waitFor(async () => (await monitorLines()).length === 2, 'both MONITOR consumers attached', 20_000);

let peakOmem = 0;
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    for (const l of await monitorLines()) {
      if (/ name=redis-recon-monitor-/.test(l)) peakOmem = Math.max(peakOmem, Number(/ omem=(\d+)/.exec(l)?.[1] ?? 0));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
})();

const t0 = Date.now();
const bench = spawn('valkey-benchmark', ['-p', String(server.port), '-P', '16', '-c', '20', '-n', String(requests / 2), '-r', '100000', '-t', 'set,get', '-q'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
let benchOut = '';
bench.stdout!.on('data', (d) => (benchOut += d));
await new Promise((r) => bench.once('exit', r));
const benchSeconds = (Date.now() - t0) / 1000;
await new Promise((r) => setTimeout(r, 2000)); // let both consumers drain
sampling = false;
await sampler;

engine.kill('SIGINT');
await new Promise((r) => engine.once('exit', r));
cli.kill('SIGINT');
const inv = JSON.parse(readFileSync(out, 'utf8'));
let engineCount = 0;
for (const c of inv.clients) engineCount += (c.commands.SET ?? 0) + (c.commands.GET ?? 0);

console.log(
  JSON.stringify({
    requests,
    benchSeconds,
    benchmark: benchOut.split(/\r|\n/).filter((l) => l.includes('requests per second')).map((l) => l.trim()),
    valkeyCliLines: cliCount,
    engineEvents: engineCount,
    ratio: Number((engineCount / cliCount).toFixed(4)),
    peakEngineOmemBytes: peakOmem,
    unparsed: inv.window.unparsedLines,
    engineSummary: engineStderr.trim().split('\n').at(-1),
  }),
);
await probe.close();
await server.stop();
