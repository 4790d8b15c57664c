// The fault suite: redis-recon against real Valkey 8.0 servers while an operator's production
// faults happen to it: a restart, CLIENT PAUSE, DEBUG SLEEP, CLIENT KILL of each of its connections,
// ACL users missing one permission each, every TLS mistake, signals, a full disk, bad capture files,
// hostile key bytes, forged recordings. Each case asserts what a user relies on: counts exact (or
// short by exactly what MONITOR could not see, which the export then states), the tool back by
// itself within a stated time, one clear sentence, no secret, no stack. Faults are bounded in time;
// traffic comes from real node-redis clients and is counted. Figures the README's "Is it safe on
// production?" table publishes are printed as `# measured:` diagnostics.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createClient } from 'redis';
import { resolveConfig } from '../src/config.ts';
import { createReconStore } from '../src/store.ts';
import { startEngine } from '../src/engine.ts';
import { startServer, startTlsServer, waitFor, type TestServer, type TlsFiles } from './helpers/servers.ts';
import { CLI, waitForStopHandlers } from './helpers/cli.ts';

const ENV = { PATH: process.env.PATH ?? '', RECON_ENV_FILE: '/nonexistent/.env' };
const dir = mkdtempSync(join(tmpdir(), 'recon-faults-'));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
after(() => { if (!process.env.RECON_KEEP_FAULTS) rmSync(dir, { recursive: true, force: true }); });

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From spawn to exit. */
  readonly ms: number;
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
}

function startCli(args: string[], opts: { env?: Record<string, string>; stdin?: 'pipe' | 'ignore' } = {}): Running {
  const t0 = Date.now();
  const child = spawn(process.execPath, [...CLI, ...args], { env: { ...ENV, ...opts.env }, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  // Bounded: a hung run fails its test instead of holding the suite.
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const exited = new Promise<Exit>((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    }),
  );
  return { child, exited };
}

const cli = (args: string[], opts: { env?: Record<string, string> } = {}): Promise<Exit> => startCli(args, opts).exited;

/** One sentence per line, never a stack trace, an internal error or a native assertion. */
function clean(r: Exit): void {
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error|Assertion|Native stack/, `stderr:\n${r.stderr}`);
}

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

async function adminOf(server: TestServer) {
  const c = createClient({ url: server.url, RESP: 2 });
  c.on('error', () => {});
  await c.connect();
  return c;
}

/** Our connection of a role in the server's CLIENT LIST (redis-recon-poll-… / redis-recon-monitor-…). */
async function ours(server: TestServer, role: 'poll' | 'monitor'): Promise<{ id: string; flags: string } | undefined> {
  const c = await adminOf(server);
  try {
    const list = String(await c.sendCommand(['CLIENT', 'LIST']));
    for (const line of list.split('\n')) {
      const f = Object.fromEntries(line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      if (f.name?.startsWith(`redis-recon-${role}-`) && (role === 'poll' || f.flags?.includes('O'))) return { id: f.id!, flags: f.flags! };
    }
    return undefined;
  } finally {
    await c.close().catch(() => {});
  }
}

/**
 * Traffic of a known size: one node-redis client SETs `<phase><n>` about every 10 ms and keeps the
 * time of every reply, per phase. Commands that fail (the server is down) are counted apart.
 */
function startTraffic(server: TestServer, name: string) {
  const client = createClient({ url: server.url, name, RESP: 2 });
  client.on('error', () => {});
  const ok = new Map<string, number[]>();
  const failed = new Map<string, number>();
  const state = { phase: 'p0:', running: true };
  const loop = (async () => {
    await client.connect();
    for (let i = 0; state.running; i++) {
      const phase = state.phase;
      try {
        await client.set(`${phase}${i % 50}`, 'x');
        if (!ok.has(phase)) ok.set(phase, []);
        ok.get(phase)!.push(Date.now());
      } catch {
        failed.set(phase, (failed.get(phase) ?? 0) + 1);
      }
      await sleep(10);
    }
  })();
  return {
    state,
    ok: (phase: string): number => ok.get(phase)?.length ?? 0,
    failed: (phase: string): number => failed.get(phase) ?? 0,
    /** Replies of `phase` that arrived within `margin` ms of a period. */
    within(phase: string, periods: ReadonlyArray<{ from: string; to: string }>, margin: number): number {
      const spans = periods.map((p) => [Date.parse(p.from) - margin, Date.parse(p.to) + margin] as const);
      return (ok.get(phase) ?? []).filter((t) => spans.some(([a, b]) => t >= a && t <= b)).length;
    },
    async stop(): Promise<void> {
      state.running = false;
      await loop;
      await client.close().catch(() => {});
    },
  };
}

/** Writes the export saw for keys under `prefix`. */
const writesUnder = (inv: { prefixes: Array<{ prefix: string; writes: number }> }, prefix: string): number =>
  inv.prefixes.find((p) => p.prefix === prefix)?.writes ?? 0;

function measured(t: TestContext, text: string): void {
  t.diagnostic(`measured: ${text}`);
}

describe('live faults against valkey 8.0 (counts, recovery, attribution)', { concurrency: true }, () => {
  test('a restart (3 s down), CLIENT PAUSE 5000 and DEBUG SLEEP 5 in one run: stalls lose nothing, the restart\'s gap is stated, exit 4', async (t) => {
    const server = await startServer('valkey', ['--enable-debug-command', 'yes']);
    const out = join(dir, 'stalls.json');
    try {
      const run = startCli(['--url', server.url, '--monitor', 'on', '--headless', '--duration', '32s', '--poll-interval', '250ms', '--export', out]);
      await waitFor(() => ours(server, 'monitor'), 'MONITOR on', 30_000);
      const traffic = startTraffic(server, 'traffic');
      const t0 = Date.now();
      await sleep(2000);

      traffic.state.phase = 'restart:';
      await server.restart(3000);
      const upAt = Date.now();
      const back = await waitFor(() => ours(server, 'monitor'), 'MONITOR back after the restart', 15_000);
      const monitorBackMs = Date.now() - upAt;
      assert.ok(back);
      await sleep(2500);

      traffic.state.phase = 'pause:';
      const a1 = await adminOf(server);
      await a1.sendCommand(['CLIENT', 'PAUSE', '5000']);
      await a1.close();
      await sleep(6500);

      traffic.state.phase = 'sleep:';
      const a2 = await adminOf(server);
      await a2.sendCommand(['DEBUG', 'SLEEP', '5']);
      await a2.close();
      await sleep(1000);
      // The run ends 32 s after it connected (MONITOR's coming on counts in it): stop the traffic
      // well before.
      assert.ok(Date.now() - t0 < 22_000, `the scenario took ${Date.now() - t0} ms: too slow to fit the run`);
      await traffic.stop();
      const r = await run.exited;
      clean(r);

      const inv = json(out);
      const off = inv.window.monitorOff as Array<{ from: string; to: string; seconds: number; why: string }>;
      assert.equal(r.code, 4, `the restart cost MONITOR some traffic: exit 4\n${r.stderr}`);
      assert.match(r.stderr, /note: incomplete: MONITOR was off for [\d.]+s of the [\d.]+s window/);
      assert.match(r.stderr, /MONITOR events \(MONITOR off [\d.]+s of [\d.]+s: incomplete\)/);
      // The one gap is the restart's; the stalls held nothing off and tripped no guard. The pause is
      // on record with no time off: Valkey never shows MONITOR the command a client sent during it.
      const gaps = off.filter((p) => p.seconds > 0);
      assert.equal(gaps.length, 1, `one gap: ${JSON.stringify(off)}`);
      const gap = gaps[0]!;
      assert.match(gap.why, /^connection to 127\.0\.0\.1:\d+ lost \(closed by the server or the network\); reconnecting$/);
      assert.ok(Date.parse(gap.to) <= upAt + 2000, `the gap ends with the restart: ${JSON.stringify(gap)}`);
      assert.ok(inv.window.monitorOffSeconds > 2.5 && inv.window.monitorOffSeconds < 6, `off ${inv.window.monitorOffSeconds}s`);
      const paused = off.filter((p) => p.seconds === 0);
      assert.equal(paused.length, 1, 'the pause is on record');
      assert.match(paused[0]!.why, /^CLIENT PAUSE ran on the server: Valkey never shows MONITOR a command postponed by a pause/);

      // Counts: exact where MONITOR saw everything (before the restart, through DEBUG SLEEP); the pause
      // short by the one command the traffic client had waiting; the restart by at most what ran
      // while MONITOR was reconnecting.
      const exact = (phase: string, short = 0): void => {
        const seen = writesUnder(inv, phase);
        assert.ok(
          seen >= traffic.ok(phase) - short && seen <= traffic.ok(phase) + traffic.failed(phase),
          `${phase} saw ${seen} of ${traffic.ok(phase)} (+${traffic.failed(phase)} failed); off ${JSON.stringify(off)}; prefixes ${JSON.stringify(inv.prefixes.map((p: { prefix: string; writes: number }) => [p.prefix, p.writes]))}; stderr ${r.stderr.slice(-800)}`,
        );
      };
      exact('p0:');
      exact('sleep:');
      exact('pause:', 1);
      const seen = writesUnder(inv, 'restart:');
      const mayMiss = traffic.within('restart:', gaps, 250);
      assert.ok(seen <= traffic.ok('restart:') + traffic.failed('restart:'), 'nothing counted twice');
      assert.ok(seen >= traffic.ok('restart:') - mayMiss, `restart: saw ${seen} of ${traffic.ok('restart:')}; only ${mayMiss} ran while MONITOR was off`);

      // Attribution: every SET belongs to the client that sent it, before and after the restart (its
      // server id restarted), and none to anyone else.
      const sets = (cs: Array<{ commands: Record<string, number> }>): number => cs.reduce((n, c) => n + (c.commands.SET ?? 0), 0);
      const mine = inv.clients.filter((c: { name: string }) => c.name === 'traffic');
      assert.equal(mine.length, 2, 'one client before the restart, one after');
      assert.notEqual(mine[0].id, mine[1].id);
      assert.equal(sets(mine), sets(inv.clients), 'no SET attributed to anyone else');

      measured(t, `restart 3 s: MONITOR back ${monitorBackMs} ms after the server answered; off ${inv.window.monitorOffSeconds}s, stated in the export; ${seen} of ${traffic.ok('restart:')} commands of that phase counted (${traffic.ok('restart:') - seen} ran while it reconnected)`);
      measured(t, `CLIENT PAUSE 5000: MONITOR stayed open; ${writesUnder(inv, 'pause:')} of ${traffic.ok('pause:')} counted (Valkey hides the postponed one), the pause stated`);
      measured(t, `DEBUG SLEEP 5: MONITOR stayed open; ${writesUnder(inv, 'sleep:')} of ${traffic.ok('sleep:')} counted`);
    } finally {
      await server.stop();
    }
  });

  test('CLIENT KILL of the poll connection costs nothing; of the MONITOR connection, a gap of milliseconds, stated', async (t) => {
    const server = await startServer('valkey');
    const out = join(dir, 'kills.json');
    try {
      const run = startCli(['--url', server.url, '--monitor', 'on', '--headless', '--duration', '11s', '--poll-interval', '250ms', '--export', out]);
      await waitFor(() => ours(server, 'monitor'), 'MONITOR on', 30_000);
      const traffic = startTraffic(server, 'killed-traffic');
      await sleep(1500);

      traffic.state.phase = 'pollkill:';
      const poll = (await ours(server, 'poll'))!;
      const a = await adminOf(server);
      await a.sendCommand(['CLIENT', 'KILL', 'ID', poll.id]);
      const killedAt = Date.now();
      const pollBack = await waitFor(async () => {
        const p = await ours(server, 'poll');
        return p && p.id !== poll.id && p;
      }, 'a new poll connection', 5000);
      const pollBackMs = Date.now() - killedAt;
      assert.ok(pollBack);
      await sleep(2000);

      traffic.state.phase = 'monkill:';
      const mon = (await ours(server, 'monitor'))!;
      await a.sendCommand(['CLIENT', 'KILL', 'ID', mon.id]);
      const monKilledAt = Date.now();
      await waitFor(async () => {
        const m = await ours(server, 'monitor');
        return m && m.id !== mon.id && m;
      }, 'a new MONITOR connection', 5000);
      const monBackMs = Date.now() - monKilledAt;
      await a.close();
      await sleep(2000);
      await traffic.stop();
      const r = await run.exited;
      clean(r);

      const inv = json(out);
      const off = inv.window.monitorOff as Array<{ from: string; to: string; seconds: number; why: string }>;
      assert.equal(off.length, 1, `one gap, the MONITOR kill's: ${JSON.stringify(off)}`);
      assert.match(off[0]!.why, /^connection to 127\.0\.0\.1:\d+ lost \(closed by the server or the network\); reconnecting$/);
      assert.ok(Date.parse(off[0]!.from) >= monKilledAt - 100, 'the gap is the MONITOR kill, not the poll kill');
      assert.ok(off[0]!.seconds < 1, `MONITOR back in ${off[0]!.seconds}s`);
      assert.equal(r.code, 4, r.stderr);
      for (const phase of ['p0:', 'pollkill:']) {
        assert.equal(writesUnder(inv, phase), traffic.ok(phase), `${phase} exact: the poll connection's loss costs MONITOR nothing`);
      }
      const seen = writesUnder(inv, 'monkill:');
      const mayMiss = traffic.within('monkill:', off, 100);
      assert.ok(seen <= traffic.ok('monkill:') && seen >= traffic.ok('monkill:') - mayMiss, `monkill: saw ${seen} of ${traffic.ok('monkill:')} (${mayMiss} near the gap)`);
      const gapMs = Date.parse(off[0]!.to) - Date.parse(off[0]!.from);
      measured(t, `CLIENT KILL of the poll connection: a new one in ${pollBackMs} ms, every command counted (${traffic.ok('pollkill:')})`);
      measured(t, `CLIENT KILL of the MONITOR connection: MONITOR back in ${gapMs} ms (seen by the server after ${monBackMs} ms), ${traffic.ok('monkill:') - seen} of ${traffic.ok('monkill:')} commands missed, the gap stated`);
    } finally {
      await server.stop();
    }
  });
});

// A few CLIs at a time: each compiles its sources on start, and a two-core machine starved of CPU
// would time out connecting rather than test anything.
describe('what a user is told', { concurrency: 3 }, () => {
  let plain: TestServer;
  before(async () => {
    plain = await startServer('valkey');
    const a = await adminOf(plain);
    // Each user may do everything but one thing redis-recon needs.
    for (const perm of ['client|list', 'info', 'monitor', 'command', 'client|id', 'client|setname']) {
      await a.sendCommand(['ACL', 'SETUSER', `no-${perm.replace('|', '-')}`, 'on', '>acl-secret-pw', '~*', '+@all', `-${perm}`]);
    }
    await a.close();
  });
  after(async () => {
    await plain?.stop();
  });

  const acl = (perm: string, extra: string[] = []): Promise<Exit> =>
    cli(['--url', plain.url.replace('//', `//no-${perm.replace('|', '-')}@`), '--headless', '--duration', '1500ms', '--poll-interval', '200ms', '--connect-timeout', '15s', ...extra], { env: { REDIS_PASSWORD: 'acl-secret-pw' } });

  const noSecret = (r: Exit): void => assert.doesNotMatch(r.stdout + r.stderr, /acl-secret-pw/);

  test('ACL without +client|list: exit 2 at once, naming the permission', async () => {
    const r = await acl('client|list');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /permission denied for CLIENT\|LIST: the ACL user needs \+client\|list/);
    noSecret(r);
    clean(r);
  });

  test('ACL without +info: exit 2, naming the permission', async () => {
    const r = await acl('info');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /permission denied for INFO/);
    noSecret(r);
    clean(r);
  });

  test('ACL without +monitor: the clients are listed, MONITOR off for the whole run with the reason, exit 4', async () => {
    const out = join(dir, 'acl-monitor.json');
    const r = await acl('monitor', ['--export', out]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /incomplete: MONITOR was off/);
    assert.match(r.stderr, /permission denied for MONITOR/);
    const inv = json(out);
    assert.match(inv.window.monitorOff[0].why, /permission denied for MONITOR/);
    assert.equal(inv.window.monitorEvents, 0);
    noSecret(r);
    clean(r);
  });

  test('ACL without +command: the shipped command table, and a note saying so', async () => {
    const r = await acl('command');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /note: COMMAND failed .*; using the shipped command table/);
    noSecret(r);
    clean(r);
  });

  test('ACL without +client|id: MONITOR still runs and is still found by its name', async () => {
    const out = join(dir, 'acl-id.json');
    const r = await acl('client|id', ['--export', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(json(out).window.monitorEvents > 0);
    noSecret(r);
    clean(r);
  });

  test('ACL without +client|setname: exit 2, naming the permission', async () => {
    const r = await acl('client|setname');
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /permission denied for CLIENT\|SETNAME: the ACL user needs .*\+client\|setname/);
    noSecret(r);
    clean(r);
  });

  test('a wrong password: the dashboard\'s MONITOR says why it never started, not "connecting" for ever', async () => {
    const r = resolveConfig(['--url', plain.url.replace('//', '//no-info@'), '--connect-timeout', '2s'], { REDIS_PASSWORD: 'wrong-secret' });
    assert.ok(r.ok);
    const store = createReconStore({ endpoint: r.config.endpoint, monitor: true, monitorMaxOmemBytes: r.config.monitorMaxOmemBytes });
    const engine = startEngine(r.config, store);
    try {
      await assert.rejects(engine.ready);
      const m = await waitFor(() => store.getState().monitor.phase === 'error' && store.getState().monitor, 'MONITOR in error');
      assert.match(m.reason ?? '', /^not started: authentication failed/);
      assert.doesNotMatch(JSON.stringify(store.getState().monitor), /wrong-secret/);
    } finally {
      await engine.stop();
    }
  });

  describe('TLS, every mistake', { concurrency: 2 }, () => {
    let tls: TestServer & { tls: TlsFiles };
    let mtls: TestServer & { tls: TlsFiles };
    let wrongName: TestServer & { tls: TlsFiles };
    before(async () => {
      [tls, mtls, wrongName] = await Promise.all([startTlsServer('valkey'), startTlsServer('valkey', { authClients: true }), startTlsServer('valkey', { wrongName: true })]);
    });
    after(async () => {
      await Promise.all([tls?.stop(), mtls?.stop(), wrongName?.stop()]);
    });
    // Each of these fails (or succeeds) at the handshake; the long timeout only keeps a busy machine
    // from turning it into "no answer".
    const run = (args: string[]): Promise<Exit> => cli(['--connect-timeout', '15s', ...args, '--headless', '--duration', '300ms']);

    test('an untrusted CA: --tls-ca or --tls-insecure', async () => {
      const r = await run(['--url', tls.url]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /TLS certificate rejected .*pass the CA with --tls-ca/);
      clean(r);
    });

    test('a certificate for another name: --tls-servername, which then works', async () => {
      const url = wrongName.url.replace('127.0.0.1', 'localhost');
      const r = await run(['--url', url, '--tls-ca', wrongName.tls.ca]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /the TLS certificate of localhost:\d+ is not for localhost .*--tls-servername NAME/);
      assert.doesNotMatch(r.stderr, /--tls-ca/);
      clean(r);
      const fixed = await run(['--url', url, '--tls-ca', wrongName.tls.ca, '--tls-servername', 'other.example']);
      assert.equal(fixed.code, 0, fixed.stderr);
    });

    test('mutual TLS without a client certificate: --tls-cert and --tls-key, which then work', async () => {
      const r = await run(['--url', mtls.url, '--tls-ca', mtls.tls.ca]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /requires a client certificate \(mutual TLS\): pass --tls-cert and --tls-key/);
      assert.doesNotMatch(r.stderr, /--tls-insecure|--tls-ca/);
      clean(r);
      const fixed = await run(['--url', mtls.url, '--tls-ca', mtls.tls.ca, '--tls-cert', mtls.tls.clientCert, '--tls-key', mtls.tls.clientKey]);
      assert.equal(fixed.code, 0, fixed.stderr);
    });

    test('a key that does not belong to the certificate: said so', async () => {
      const r = await run(['--url', mtls.url, '--tls-ca', mtls.tls.ca, '--tls-cert', mtls.tls.clientCert, '--tls-key', mtls.tls.key]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--tls-key does not belong to --tls-cert/);
      clean(r);
    });

    test('a plain client on a TLS port: use rediss://', async () => {
      const r = await run(['--url', tls.url.replace('rediss://', 'redis://')]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /if the server expects TLS, use rediss:\/\/ or --tls/);
      clean(r);
    });

    test('a TLS client on a plain port: drop --tls', async () => {
      // It waits for a handshake that never comes: a short connect timeout.
      const r = await run(['--url', plain.url.replace('redis://', 'rediss://'), '--connect-timeout', '2s']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /drop --tls \/ use redis:\/\//);
      clean(r);
    });
  });

  test('keys holding ESC, BEL, C1 and U+202E reach the Markdown and CSV escaped, as on screen', async () => {
    // In the prefix, so both the Markdown (prefixes) and the CSV (prefixes, top keys) carry it.
    const hostile = ['evil\u001b[2J\u001b[31mred:1', 'bell\u0007:1', 'c1\u009b31m:1', '\u202etxt.exe:1', 'zero\u200bwidth:1'];
    const w = createClient({ url: plain.url, name: 'hostile-keys', RESP: 2 });
    await w.connect();
    let running = true;
    const loop = (async () => {
      while (running) {
        for (const k of hostile) await w.set(k, 'x');
        await sleep(20);
      }
    })();
    try {
      const [md, csv] = [join(dir, 'hostile.md'), join(dir, 'hostile.csv')];
      const rs = await Promise.all([md, csv].map((out) => cli(['--url', plain.url, '--headless', '--duration', '2s', '--connect-timeout', '15s', '--export', out])));
      for (const r of rs) assert.equal(r.code, 0, r.stderr);
      const unsafe = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\u200b\u202a-\u202e\u2066-\u2069]/u;
      for (const out of [md, csv]) {
        const text = readFileSync(out, 'utf8');
        assert.doesNotMatch(text, unsafe, `${out} holds a raw control or bidi character`);
        assert.ok(text.includes('evil\\x1b[2J\\x1b[31mred:'), `${out} shows ESC as \\x1b`);
        assert.ok(text.includes('\\u202etxt.exe:'), `${out} shows U+202E as \\u202e`);
        assert.ok(text.includes('bell\\x07:') && text.includes('c1\\x9b31m:') && text.includes('zero\\u200bwidth:'));
      }
    } finally {
      running = false;
      await loop;
      await w.close();
    }
  });
});

describe('signals, bad files, a full disk', { concurrency: 3 }, () => {
  let server: TestServer;
  let writer: ReturnType<typeof startTraffic>;
  before(async () => {
    server = await startServer('valkey');
    writer = startTraffic(server, 'signal-traffic');
  });
  after(async () => {
    await writer?.stop();
    await server?.stop();
  });

  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    test(`headless, ${sig}: the recording is finished, the export written, exit ${code}`, async (t) => {
      const rec = join(dir, `${sig}.jsonl.gz`);
      const out = join(dir, `${sig}.json`);
      const run = startCli(['--url', server.url, '--monitor', 'on', '--headless', '--duration', '10m', '--connect-timeout', '15s', '--poll-interval', '250ms', '--record', rec, '--export', out]);
      await waitForStopHandlers(run.child.pid!);
      await waitFor(() => ours(server, 'monitor'), 'MONITOR on', 30_000);
      await sleep(1200);
      const sent = Date.now();
      run.child.kill(sig);
      const r = await run.exited;
      clean(r);
      assert.equal(r.code, code, r.stderr);
      assert.ok(json(out).window.monitorEvents > 0, 'the export holds what was seen');
      const records = gunzipSync(readFileSync(rec)).toString('utf8').trim().split('\n');
      assert.ok(records.length > 2 && records.every((l) => JSON.parse(l)), 'the recording is whole: gzip -t passes');
      assert.ok(!readdirSync(dir).some((f) => f.startsWith(`.${sig}.json.`)), 'no temporary file left');
      measured(t, `headless ${sig}: exit ${r.code} ${Date.now() - sent} ms after the signal, export written, recording whole`);
    });
  }

  test('a second signal while the export is written ends it at once, leaving the last good file and no .tmp', async () => {
    const sub = mkdtempSync(join(dir, 'second-signal-'));
    const out = join(sub, 'inventory.json');
    writeFileSync(out, '{"the":"last good export"}\n');
    const src = (p: string): string => JSON.stringify(pathToFileURL(join(import.meta.dirname, '..', 'src', p)).href);
    // An export that never ends (a disk that has stalled): the first SIGTERM lets it finish, the second does not wait.
    const script = `
      import { writeFileAtomic } from ${src('export/writeAtomic.ts')};
      import { listenForStop } from ${src('signals.ts')};
      listenForStop();
      async function* forever() { for (;;) { yield 'x'.repeat(70000); await new Promise((r) => setTimeout(r, 10)); } }
      await writeFileAtomic(process.argv[1], forever());`;
    const child = spawn(process.execPath, ['--import', CLI[1]!, '--input-type=module', '-e', script, out], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    await waitFor(() => readdirSync(sub).some((f) => f.endsWith('.tmp')), 'the export under way', 20_000);
    child.kill('SIGTERM');
    await sleep(300);
    assert.ok(readdirSync(sub).some((f) => f.endsWith('.tmp')), 'the first signal lets the export go on');
    child.kill('SIGTERM');
    assert.equal(await exited, 143);
    assert.deepEqual(readdirSync(sub), ['inventory.json'], 'no .tmp left');
    assert.equal(readFileSync(out, 'utf8'), '{"the":"last good export"}\n');
  });

  test('--monitor-log a directory: exit 2 at once, the last good export untouched', async () => {
    const out = join(dir, 'dir-capture.json');
    writeFileSync(out, '{"last":"good"}\n');
    const r = await cli(['--monitor-log', dir, '--headless', '--export', out]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, `redis-recon: --monitor-log ${dir} is a directory, not a capture file\n`);
    assert.equal(readFileSync(out, 'utf8'), '{"last":"good"}\n');
  });

  test('--monitor-log a FIFO with no writer: SIGTERM ends it at once, with an export', async (t) => {
    const fifo = join(dir, 'no-writer.fifo');
    execFileSync('mkfifo', [fifo]);
    const out = join(dir, 'no-writer.json');
    const run = startCli(['--monitor-log', fifo, '--headless', '--export', out]);
    await waitForStopHandlers(run.child.pid!);
    await sleep(500);
    const sent = Date.now();
    run.child.kill('SIGTERM');
    const r = await run.exited;
    const took = Date.now() - sent;
    assert.equal(r.code, 143, r.stderr);
    // Before, it never ended (SIGKILL only). Bounded generously: the suite runs several CLIs at once.
    assert.ok(took < 5000, `${took} ms after SIGTERM`);
    assert.equal(json(out).window.monitorEvents, 0);
    clean(r);
    measured(t, `FIFO with no writer: exit 143 ${took} ms after SIGTERM, export written`);
  });

  test('--monitor-log a FIFO with a writer: read once, every line counted', async () => {
    const fixture = new URL('fixtures/monitor-valkey-8.0.txt', import.meta.url);
    const lines = readFileSync(fixture, 'utf8').trim().split('\n').filter((l) => l !== 'OK').length;
    const fifo = join(dir, 'writer.fifo');
    execFileSync('mkfifo', [fifo]);
    const out = join(dir, 'writer.json');
    const run = startCli(['--monitor-log', fifo, '--headless', '--export', out]);
    // The writer comes a moment later, as `valkey-cli monitor > fifo` would.
    await sleep(500);
    const fd = openSync(fifo, 'w');
    writeSync(fd, readFileSync(fixture));
    closeSync(fd);
    const r = await run.exited;
    assert.equal(r.code, 0, r.stderr);
    const inv = json(out);
    assert.equal(inv.window.monitorEvents + inv.window.unparsedLines, lines, 'each line once: not split between readers, not read twice');
  });

  test('--monitor-log - with a silent stdin: SIGINT ends it at once, with an export', async () => {
    const out = join(dir, 'silent.json');
    const run = startCli(['--monitor-log', '-', '--headless', '--export', out], { stdin: 'pipe' });
    await waitForStopHandlers(run.child.pid!);
    await sleep(300);
    const sent = Date.now();
    run.child.kill('SIGINT');
    const r = await run.exited;
    assert.equal(r.code, 130, r.stderr);
    assert.ok(Date.now() - sent < 5000, `${Date.now() - sent} ms after SIGINT`);
    assert.ok(existsSync(out));
    clean(r);
  });

  test('--monitor-log of random bytes: every line counted unparsed, with reasons and nothing of their text', async () => {
    const bin = join(dir, 'random.bin');
    const bytes = Buffer.alloc(256 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    writeFileSync(bin, bytes);
    const out = join(dir, 'random.json');
    const r = await cli(['--monitor-log', bin, '--headless', '--export', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(json(out).window.unparsedLines > 0);
    assert.match(r.stderr, /note: \d+ MONITOR line\(s\) could not be read \(.+\); their text is left out/);
    assert.doesNotMatch(r.stderr, /e\.g\./);
    assert.match(r.stderr, /^[\x20-\x7e\n×]*$/u, 'stderr is plain text: no byte of the file reaches the terminal');
  });

  test('--monitor-log with a line of 100 MB: counted as one unparsed line, the lines after it still read', async (t) => {
    const big = join(dir, 'long-line.txt');
    const fd = openSync(big, 'w');
    writeSync(fd, '1795567138.671490 [0 127.0.0.1:33624] "get" "before:1"\n1795567138.671491 [0 127.0.0.1:33624] "set" "');
    const mb = Buffer.alloc(1 << 20, 'a');
    for (let i = 0; i < 100; i++) writeSync(fd, mb);
    writeSync(fd, '" "v"\n1795567138.671492 [0 127.0.0.1:33624] "get" "after:1"\n');
    closeSync(fd);
    const out = join(dir, 'long-line.json');
    const r = await cli(['--monitor-log', big, '--headless', '--export', out]);
    rmSync(big);
    assert.equal(r.code, 0, r.stderr);
    const inv = json(out);
    assert.equal(inv.window.monitorEvents, 2, 'the lines before and after');
    assert.equal(inv.window.unparsedLines, 1);
    measured(t, `a 100 MB line: read in ${r.ms} ms (startup included), counted as 1 unparsed line`);
  });

  test('a recording with forged times: skipped and counted, the window is sane, the replay ends', async () => {
    const rec = join(dir, 'forged.jsonl.gz');
    const ev = { ts: 1, db: 0, src: '127.0.0.1:5000', c: 'GET', a: 'read', k: ['a:1'], w: [false] };
    const records = [
      { t: 'header', v: 1, tool: 'redis-recon', toolVersion: 't', endpoint: 'x:1', startedAt: 1_000_000, delimiter: ':', values: false },
      { t: 'batch', at: 1_001_000, events: [ev] },
      { t: 'batch', at: 1e16, events: [ev] },
      { t: 'monitor', at: -5e15, phase: 'paused' },
      { t: 'batch', at: 1_000_500, events: [ev] },
    ];
    writeFileSync(rec, gzipSync(records.map((x) => JSON.stringify(x)).join('\n') + '\n'));
    const out = join(dir, 'forged.json');
    const r = await cli(['--replay', rec, '--speed', '1', '--headless', '--export', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /2 damaged or cut short/);
    assert.doesNotMatch(r.stderr, /TimeoutOverflowWarning/);
    const w = json(out).window;
    assert.equal(w.monitorEvents, 2);
    assert.ok(Date.parse(w.end) >= Date.parse(w.start), `${w.start} … ${w.end}`);
    assert.ok(w.monitorOnSeconds >= 0 && w.monitorOnSeconds < 10, `monitorOnSeconds ${w.monitorOnSeconds}`);
  });

  test('an export onto /dev/full (through a link) is refused before the run: an export replaces what it names', async () => {
    const link = join(dir, 'full.json');
    symlinkSync('/dev/full', link);
    const r = await cli(['--monitor-log', new URL('fixtures/monitor-valkey-8.0.txt', import.meta.url).pathname, '--headless', '--export', link]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /cannot write --export .*full\.json: is not a regular file/);
    assert.ok(existsSync('/dev/full'));
  });

  test('a recording onto a full disk (/dev/full): the run goes on, then says so, exit 3', async () => {
    const out = join(dir, 'devfull-export.json');
    const r = await cli(['--url', server.url, '--headless', '--duration', '1500ms', '--connect-timeout', '15s', '--record', '/dev/full', '--export', out]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /recording to \/dev\/full stopped: no space left on the device\n$/);
    assert.ok(json(out).window.monitorEvents > 0, 'the export is still written');
    clean(r);
  });

  test('an export onto a full file system (a 256 KB tmpfs): exit 3 in words, the last good export kept, no .tmp', async (t) => {
    const mnt = join(dir, 'tmpfs');
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { stdio: 'ignore' });
    } catch {
      t.skip('mounting a tmpfs is not permitted here (needs root); /dev/full covers the recording');
      return;
    }
    try {
      const out = join(mnt, 'inventory.md');
      writeFileSync(out, '# the last good export\n');
      // Fill the file system to the last block.
      const fd = openSync(join(mnt, 'filler'), 'w');
      try {
        for (;;) writeSync(fd, Buffer.alloc(4096, 1));
      } catch {
        /* ENOSPC: full */
      }
      closeSync(fd);
      const capture = new URL('fixtures/monitor-valkey-8.0.txt', import.meta.url).pathname;
      const r = await cli(['--monitor-log', capture, '--headless', '--export', out]);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /cannot write .*inventory\.md: no space left on the device/);
      assert.equal(readFileSync(out, 'utf8'), '# the last good export\n');
      assert.deepEqual(readdirSync(mnt).sort(), ['filler', 'inventory.md']);
      clean(r);
    } finally {
      execFileSync('umount', [mnt], { stdio: 'ignore' });
    }
  });
});
