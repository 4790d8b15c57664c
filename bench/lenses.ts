// What each lens costs the server. Two measurements, on throwaway loopback servers this script
// starts (it changes their settings freely; redis-recon itself never does):
//
// 1. Per call: the server's own µs per call (INFO commandstats) of every command a lens sends, with
//    N idle connections open (CLIENT LIST walks them all) and a full slow log: CLIENT LIST on
//    Valkey 8.0 (prints tot-cmds/tot-net-in/tot-net-out) and Redis 7.0 (does not), SLOWLOG GET 1
//    (a poll with nothing new) and GET 128 (a full read), INFO commandstats, INFO errorstats, INFO.
// 2. Under load: valkey-benchmark against Valkey 8.0 with no redis-recon, with its lenses only
//    (--monitor off), with MONITOR sampled (1/6 of the time) and with MONITOR on: the server's CPU
//    per request (robust on a busy machine) and requests per second (not so robust).
//
//   node --import tsx bench/lenses.ts [--connections 1000] [--seconds 12] [--calls 200] [--rounds 3]
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { createClient } from 'redis';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '12' },
    calls: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
  },
});
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const SECONDS = Number(values.seconds);
const CALLS = Number(values.calls);
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

interface Server {
  url: string;
  port: number;
  pid: number;
  stop(): void;
}

async function server(binary: string): Promise<Server> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'recon-bench-lenses-'));
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--maxclients', '20000'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const c = createClient({ url, RESP: 2 });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.destroy();
      break;
    } catch {
      await sleep(50);
    }
  }
  return {
    url,
    port,
    pid: child.pid!,
    stop() {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function idleConnections(port: number, n: number): Promise<Socket[]> {
  const out: Socket[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await new Promise<Socket>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
      s.on('error', () => {});
    }));
  }
  return out;
}

/** µs per call of each command as the server counts it, over CALLS calls. */
async function perCall(url: string, commands: ReadonlyArray<readonly [string, string[]]>): Promise<Record<string, number>> {
  const c = createClient({ url, RESP: 2 });
  await c.connect();
  const out: Record<string, number> = {};
  for (const [label, args] of commands) {
    await c.sendCommand(['CONFIG', 'RESETSTAT']);
    for (let i = 0; i < CALLS; i++) await c.sendCommand(args);
    const stats = String(await c.sendCommand(['INFO', 'commandstats']));
    const stat = args[0]!.toLowerCase() + (['client', 'slowlog'].includes(args[0]!.toLowerCase()) ? `|${args[1]!.toLowerCase()}` : '');
    const m = new RegExp(`cmdstat_${stat.replace('|', '\\|')}:calls=(\\d+),usec=(\\d+)`).exec(stats);
    out[label] = m ? Math.round((Number(m[2]) / Number(m[1])) * 10) / 10 : NaN;
  }
  await c.close();
  return out;
}

async function perCallTable(): Promise<void> {
  const commands: ReadonlyArray<readonly [string, string[]]> = [
    [`CLIENT LIST (${CONNECTIONS} connections)`, ['CLIENT', 'LIST']],
    ['SLOWLOG GET 1', ['SLOWLOG', 'GET', '1']],
    ['SLOWLOG GET 128 (a full log)', ['SLOWLOG', 'GET', '128']],
    ['INFO commandstats', ['INFO', 'commandstats']],
    ['INFO errorstats', ['INFO', 'errorstats']],
    ['INFO (all sections)', ['INFO']],
  ];
  const rows: Record<string, Record<string, number>> = {};
  for (const [name, binary] of [['Valkey 8.0', 'valkey-server'], ['Redis 7.0', 'redis-server']] as const) {
    const s = await server(binary);
    const idle = await idleConnections(s.port, CONNECTIONS);
    // A full slow log of realistic entries (the server keeps 128 by default).
    const c = createClient({ url: s.url, RESP: 2 });
    await c.connect();
    await c.configSet('slowlog-log-slower-than', '0');
    for (let i = 0; i < 200; i++) await c.hSet(`bench:user:${i}`, { name: 'x'.repeat(40), email: 'y'.repeat(40) });
    await c.configSet('slowlog-log-slower-than', '1000000');
    await c.close();
    rows[name] = await perCall(s.url, commands);
    for (const sock of idle) sock.destroy();
    s.stop();
  }
  console.log('\n### Per call (µs, INFO commandstats; %d calls each)\n', CALLS);
  console.log('| command | Valkey 8.0 | Redis 7.0 |\n|---|---|---|');
  for (const [label] of commands) console.log(`| ${label} | ${rows['Valkey 8.0']![label]} | ${rows['Redis 7.0']![label]} |`);
}

/** CPU time (user + system, all threads) the process has used, in µs, from /proc. */
function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) / CLOCK_TICKS) * 1e6;
}
const CLOCK_TICKS = 100;

/** One valkey-benchmark run: requests per second, and the server's CPU µs per request. */
async function benchmark(s: Server, requests: number): Promise<{ rps: number; cpuPerRequest: number }> {
  const cpu0 = cpuUs(s.pid);
  const t0 = performance.now();
  await run('valkey-benchmark', ['-p', String(s.port), '-q', '-t', 'set,get', '-P', '16', '-c', '20', '-n', String(requests), '-r', '100000'], { maxBuffer: 1 << 24 });
  const secs = (performance.now() - t0) / 1000;
  return { rps: (2 * requests) / secs, cpuPerRequest: (cpuUs(s.pid) - cpu0) / (2 * requests) };
}

function recon(url: string, args: string[]): ChildProcess {
  const cli = new URL('../src/cli.ts', import.meta.url).pathname;
  return spawn(process.execPath, ['--import', 'tsx', cli, '--url', url, '--headless', '--duration', '10m', ...args], { stdio: 'ignore' });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Each mode against the same server, ROUNDS times, interleaved (a busy machine drifts): the
 * server's CPU per request is the robust figure (what MONITOR costs it is work per command: a
 * line formatted and written); requests per second also depend on everything else the machine runs.
 */
async function throughputTable(): Promise<void> {
  const s = await server('valkey-server');
  // Calibrate: enough requests for about SECONDS of each run (SET and GET together).
  const probe = await benchmark(s, 200_000);
  const requests = Math.round((probe.rps * SECONDS) / 2);
  const onS = Math.max(1, Math.round(SECONDS / 12));
  const modes: ReadonlyArray<readonly [string, string[] | null]> = [
    ['no redis-recon', null],
    ['lenses only (--monitor off)', ['--monitor', 'off']],
    [`MONITOR sampled ${onS}s/${onS * 6}s (the default's 1/6)`, ['--monitor', 'sampled', '--monitor-sample', `${onS}s/${onS * 6}s`]],
    ['MONITOR on', ['--monitor', 'on']],
    // The raw cost of one MONITOR, without redis-recon's guard or health gate holding it off.
    ['valkey-cli monitor > /dev/null (reference)', ['raw']],
  ];
  const results = new Map<string, Array<{ rps: number; cpuPerRequest: number }>>(modes.map(([l]) => [l, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, args] of modes) {
      const child = args?.[0] === 'raw' ? spawn('valkey-cli', ['-p', String(s.port), 'monitor'], { stdio: 'ignore' }) : args ? recon(s.url, args) : undefined;
      if (child) await sleep(4000);
      results.get(label)!.push(await benchmark(s, requests));
      child?.kill('SIGTERM');
      await sleep(1500);
    }
  }
  s.stop();
  const base = results.get(modes[0]![0])!;
  const baseCpu = median(base.map((r) => r.cpuPerRequest));
  const baseRps = median(base.map((r) => r.rps));
  console.log(`\n### Server cost under load (valkey-benchmark -t set,get -P 16 -c 20, ${2 * requests} requests a run, ${ROUNDS} rounds interleaved, medians; load average ${loadavg()[0]!.toFixed(1)} at the end)\n`);
  console.log('| with | server CPU µs per request | vs none | requests/s | vs none |\n|---|---|---|---|---|');
  for (const [label] of modes) {
    const r = results.get(label)!;
    const cpu = median(r.map((x) => x.cpuPerRequest));
    const rps = median(r.map((x) => x.rps));
    console.log(`| ${label} | ${cpu.toFixed(2)} | ${((cpu / baseCpu) * 100).toFixed(0)}% | ${Math.round(rps)} | ${((rps / baseRps) * 100).toFixed(0)}% |`);
  }
}

await perCallTable();
await throughputTable();
