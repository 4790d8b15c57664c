// MONITOR fails closed (issue 9), against real valkey-servers, each check seen from the server's
// side too (a probe lists our MONITOR connection every 100 ms from its own connection):
// - hidden: a proxy that removes our MONITOR connection from CLIENT LIST (as Redis Enterprise's may)
//   makes MONITOR run in a short duty cycle with a warning; --monitor-unguarded runs it continuously
//   and says it is unguarded;
// - the health gate: memory pressure and climbing latency hold MONITOR off, and let it back;
// - the watchdog: a main thread that stops (a busy loop) closes MONITOR until it runs again;
// - the backlog: a collector that falls behind closes MONITOR and comes back after a cool-down.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createClient } from 'redis';
import { resolveConfig, type Config } from '../src/config.ts';
import { createReconStore, type ReconStore } from '../src/store.ts';
import { startEngine } from '../src/engine.ts';
import { UNGUARDED_NOTICE } from '../src/collect/live.ts';
import { monitorWords } from '../components/StatusBar.tsx';
import { startServer, waitFor, type TestServer } from './helpers/servers.ts';
import { hideLines, startRewritingProxy, type RewritingProxy } from './helpers/proxy.ts';
import { openPeriods, startMonitorProbe, type ProbeSample } from './helpers/monitorProbe.ts';
import { startTunedEngine } from './helpers/tunedEngine.ts';
import { ptyEnv, runInPty } from './helpers/pty.ts';
import { CLI } from './helpers/cli.ts';

function configFor(url: string, extra: string[] = []): Config {
  const r = resolveConfig(['--url', url, '--monitor', 'on', '--poll-interval', '200ms', '--flush-interval', '50ms', ...extra], {});
  if (!r.ok) throw new Error(r.error);
  return r.config;
}

function storeFor(config: Config): ReconStore {
  return createReconStore({
    endpoint: config.endpoint,
    monitor: config.monitor,
    monitorBudgetMs: config.monitorBudgetMs,
    monitorMaxOmemBytes: config.monitorMaxOmemBytes,
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ourMonitor = (l: string): boolean => / name=redis-recon-monitor-/.test(l);
const fmt = (periods: Array<{ from: number; to: number }>, t0: number): string =>
  periods.map((p) => `${((p.from - t0) / 1000).toFixed(1)}-${((p.to - t0) / 1000).toFixed(1)}s`).join(', ');

/** The status bar's MONITOR lines a screen drew, each once (short enough for a failure message). */
const statusLines = (text: string): string => [...new Set(text.split(/\r?\n/).filter((l) => /MONITOR/.test(l)).map((l) => l.trim()))].join('\n');

/** The monitor's words as the status bar draws them. */
const words = (store: ReconStore): string => {
  const w = monitorWords(store.getState().monitor, Date.now());
  return `MONITOR ${w.label} ${w.detail}`;
};

describe('a proxy hides our MONITOR connection from CLIENT LIST', () => {
  let server: TestServer;
  let proxy: RewritingProxy;
  before(async () => {
    server = await startServer('valkey');
    proxy = await startRewritingProxy(server.port, hideLines(ourMonitor));
  });
  after(async () => {
    await proxy?.close();
    await server?.stop();
  });

  test('MONITOR runs in a duty cycle, held off between its on-periods with the reason', { timeout: 60_000 }, async () => {
    const config = configFor(proxy.url);
    const store = storeFor(config);
    // 2 s on, 3 s off instead of 10 s on in every 60 s (CollectorInit.tuning, tests only).
    const engine = startTunedEngine(config, store, { hiddenDuty: { onMs: 2000, offMs: 3000 } });
    const probe = startMonitorProbe(server.port);
    const t0 = Date.now();
    let samples: ProbeSample[] = [];
    try {
      await engine.ready;
      await waitFor(() => store.getState().monitor.guard === 'hidden', 'the guard to find our connection hidden');
      await waitFor(() => store.getState().monitor.hold === 'duty', 'the duty cycle to hold MONITOR off', 10_000);
      const m = store.getState().monitor;
      assert.equal(m.desired, 'on', "the duty cycle holds MONITOR off; the user's intent is untouched");
      assert.equal(m.phase, 'paused');
      assert.match(m.reason ?? '', /^buffer guard cannot see our MONITOR connection in CLIENT LIST \(a proxy hides it\): MONITOR runs 2s in every 5s$/);
      assert.match(words(store), /^MONITOR held off by its duty cycle buffer guard cannot see our MONITOR connection .* · back by itself/);
      // Two more whole cycles, seen from the server.
      await sleep(10_500);
    } finally {
      samples = await probe.stop();
      await engine.stop();
    }
    assert.ok(proxy.rewritten > 10, `the proxy rewrote ${proxy.rewritten} CLIENT LIST replies`);
    const periods = openPeriods(samples);
    const shown = fmt(periods, t0);
    assert.ok(periods.length >= 3, `at least three on-periods: ${shown}`);
    // The first on-period also spans the two polls that found the connection hidden.
    for (const p of periods.slice(1, -1)) {
      const on = p.to - p.from;
      assert.ok(on >= 1200 && on <= 3200, `on ~2 s each time: ${shown}`);
    }
    for (let i = 1; i < periods.length; i++) {
      const off = periods[i]!.from - periods[i - 1]!.to;
      assert.ok(off >= 2500 && off <= 4500, `off ~3 s each time: ${shown}`);
    }
    assert.ok(store.getState().monitor.offPeriods.filter((p) => /cannot see our MONITOR connection/.test(p.why)).length >= 2, 'the off-periods are on record');
  });

  test('the real CLI: 10 s on, then held off with the reason on screen; --monitor-unguarded runs on and says so', { timeout: 90_000 }, async () => {
    // Two dashboards, each behind its own proxy and server, so the probes tell them apart.
    const other = await startServer('valkey');
    const otherProxy = await startRewritingProxy(other.port, hideLines(ourMonitor));
    const env = ptyEnv();
    // Wide enough that the status bar's reasons are not cut.
    const dutyRun = runInPty([process.execPath, ...CLI, '--url', proxy.url, '--monitor', 'on', '--poll-interval', '500ms'], { env, columns: 260 });
    const unguardedRun = runInPty([process.execPath, ...CLI, '--url', otherProxy.url, '--monitor', 'on', '--poll-interval', '500ms', '--monitor-unguarded'], { env, columns: 260 });
    const dutyProbe = startMonitorProbe(server.port);
    const unguardedProbe = startMonitorProbe(other.port);
    const t0 = Date.now();
    let dutySamples: ProbeSample[] = [];
    let unguardedSamples: ProbeSample[] = [];
    try {
      await Promise.all([
        dutyRun.waitText((t) => /MONITOR on/.test(t), 'MONITOR on (duty run)', 30_000),
        unguardedRun.waitText((t) => /MONITOR on/.test(t), 'MONITOR on (unguarded run)', 30_000),
      ]);
      await dutyRun.waitText((t) => /server buffer unknown \(our MONITOR connection is not in CLIENT LIST\)/.test(t), 'the warning while on', 10_000);
      const offText = await dutyRun.waitText((t) => /MONITOR held off by its duty cycle/.test(t), 'the duty cycle on screen', 25_000);
      assert.match(statusLines(offText), /buffer guard cannot see our MONITOR connection in CLIENT LIST \(a proxy hides it\): MONITOR runs 10s in every 60s/);
      // The unguarded run has kept MONITOR on all along, and says why it may.
      const unguardedText = statusLines(unguardedRun.text());
      assert.match(unguardedText, /MONITOR runs unguarded \(--monitor-unguarded\)/);
      assert.match(unguardedText, /server buffer unknown \(our MONITOR connection is not in CLIENT LIST\)/);
      assert.doesNotMatch(unguardedText, /held off/);
      await sleep(2000);
    } finally {
      dutySamples = await dutyProbe.stop();
      unguardedSamples = await unguardedProbe.stop();
      dutyRun.keys('q');
      unguardedRun.keys('q');
      await Promise.all([dutyRun.exited, unguardedRun.exited].map((p) => Promise.race([p, sleep(8000)])));
      dutyRun.kill();
      unguardedRun.kill();
      await otherProxy.close();
      await other.stop();
    }
    const duty = openPeriods(dutySamples);
    assert.ok(duty.length >= 1, 'the duty run opened MONITOR');
    const firstOn = duty[0]!.to - duty[0]!.from;
    // 10 s on, plus the two 500 ms polls that found the connection hidden.
    assert.ok(firstOn >= 9500 && firstOn <= 13_500, `on for ~10 s: ${fmt(duty, t0)}`);
    assert.ok(dutySamples.at(-1)!.omem === undefined && dutySamples.at(-1)!.at - duty[0]!.to >= 1500, `then off: ${fmt(duty, t0)}`);
    const unguarded = openPeriods(unguardedSamples);
    assert.equal(unguarded.length, 1, `the unguarded run never closed MONITOR: ${fmt(unguarded, t0)}`);
    assert.ok(unguarded[0]!.to - unguarded[0]!.from >= 12_000, `on past the 10 s a duty cycle allows: ${fmt(unguarded, t0)}`);
    assert.ok(UNGUARDED_NOTICE.startsWith('MONITOR runs unguarded'));
  });
});

describe('the health gate', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('valkey', ['--maxmemory', '24mb', '--maxmemory-policy', 'noeviction', '--enable-debug-command', 'yes']);
  });
  after(async () => {
    await server?.stop();
  });

  test('memory pressure (>= 85% of maxmemory) holds MONITOR off with the reason; freeing memory lets it back', { timeout: 60_000 }, async () => {
    const config = configFor(server.url);
    const store = storeFor(config);
    const engine = startEngine(config, store);
    const admin = createClient({ url: server.url, RESP: 2 });
    const probe = startMonitorProbe(server.port);
    let samples: ProbeSample[] = [];
    let heldAt = 0;
    let freedAt = 0;
    try {
      await admin.connect();
      await engine.ready;
      await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR on');
      const max = 24 * 1024 * 1024;
      const used = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(String(await admin.sendCommand(['INFO', 'memory'])))![1]);
      const value = 'm'.repeat(256 * 1024);
      for (let i = 0; (await used()) < 0.9 * max && i < 200; i++) await admin.set(`fill:${i}`, value);
      assert.ok((await used()) >= 0.85 * max, 'filled past 85%');
      await waitFor(() => store.getState().monitor.hold === 'health', 'the health gate to hold MONITOR off', 10_000);
      heldAt = Date.now();
      assert.match(store.getState().monitor.reason ?? '', /^health gate: the server uses (8[5-9]|9\d|1\d\d)% of its maxmemory$/);
      assert.match(words(store), /^MONITOR held off by the health gate health gate: the server uses \d+% of its maxmemory · back by itself/);
      await sleep(1000);
      await admin.flushAll();
      freedAt = Date.now();
      await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR back once memory is freed', 10_000);
      await sleep(500);
    } finally {
      samples = await probe.stop();
      await admin.close().catch(() => {});
      await engine.stop();
    }
    // Closed on the server while held, open again afterwards.
    const held = samples.filter((s) => s.at > heldAt + 300 && s.at < freedAt);
    assert.ok(held.length > 0 && held.every((s) => s.omem === undefined), 'no MONITOR connection of ours while memory was short');
    assert.ok(samples.some((s) => s.at > freedAt && s.omem !== undefined), 'MONITOR open again after memory was freed');
    assert.ok(store.getState().monitor.offPeriods.some((p) => p.to !== undefined && /maxmemory/.test(p.why)), 'the off-period is on record');
  });

  test('latency climbing (DEBUG SLEEP) holds MONITOR off; a quick server lets it back', { timeout: 60_000 }, async () => {
    const config = configFor(server.url);
    const store = storeFor(config);
    const engine = startEngine(config, store);
    const sleeper = createClient({ url: server.url, RESP: 2 });
    try {
      await sleeper.connect();
      await engine.ready;
      await waitFor(() => store.getState().monitor.phase === 'on' && store.getState().poll.polls >= 6, 'MONITOR on and the usual round trip known');
      // The server stalls in 400 ms sleeps, back to back: a PING waits up to 400 ms behind one.
      let sleeping = true;
      const stalls = (async () => {
        const end = Date.now() + 15_000;
        while (sleeping && Date.now() < end) await sleeper.sendCommand(['DEBUG', 'SLEEP', '0.4']);
      })();
      try {
        await waitFor(() => store.getState().monitor.hold === 'health', 'the health gate to hold MONITOR off', 12_000);
      } finally {
        const reason = store.getState().monitor.reason ?? '';
        sleeping = false;
        await stalls;
        assert.match(reason, /^health gate: the server answers slowly \(PING \d+ ms, usually (<1|\d+) ms\)$/);
      }
      await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR back once the server answers quickly', 10_000);
      assert.ok(store.getState().monitor.offPeriods.some((p) => p.to !== undefined && /answers slowly/.test(p.why)), 'the off-period is on record');
    } finally {
      await sleeper.close().catch(() => {});
      await engine.stop();
    }
  });
});

describe('the watchdog and the backlog', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('valkey');
  });
  after(async () => {
    await server?.stop();
  });

  test("the main thread stops (a 5 s busy loop): MONITOR is closed during the block and comes back after it", { timeout: 60_000 }, async () => {
    const config = configFor(server.url);
    const store = storeFor(config);
    const engine = startEngine(config, store);
    let samples: ProbeSample[] = [];
    let blockFrom = 0;
    let blockTo = 0;
    try {
      await engine.ready;
      await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR on');
      const probe = startMonitorProbe(server.port);
      try {
        await sleep(1000);
        // The dashboard's main thread blocked, as a terminal write blocks when the terminal stalls.
        blockFrom = Date.now();
        while (Date.now() - blockFrom < 5000) {
          /* busy */
        }
        blockTo = Date.now();
        await waitFor(() => store.getState().monitor.phase === 'on' && store.getState().monitor.offPeriods.length > 0, 'MONITOR back after the block', 15_000);
        await sleep(500);
      } finally {
        samples = await probe.stop();
      }
    } finally {
      await engine.stop();
    }
    const before = samples.filter((s) => s.at < blockFrom);
    assert.ok(before.length > 0 && before.at(-1)!.omem !== undefined, 'MONITOR open when the block began');
    // The watchdog's hold: STALL_MS (3 s) after the last heartbeat, give or take a gate tick, and
    // released only after the block (heartbeats steady again for 2 s).
    const off = store.getState().monitor.offPeriods.find((p) => /the screen stopped reading/.test(p.why));
    assert.ok(off && off.to !== undefined, 'the watchdog off-period is on record');
    assert.match(off.why, /^the screen stopped reading for \ds \(terminal not drained\): MONITOR closed so the server buffers nothing$/);
    assert.ok(off.from - blockFrom >= 2800 && off.from - blockFrom <= 4500, `held ${off.from - blockFrom} ms into the block`);
    assert.ok(off.to >= blockTo, 'held until the block ended');
    // Seen from the server: closed from then until the block ended, open again afterwards.
    const held = samples.filter((s) => s.at > off.from + 300 && s.at < blockTo);
    assert.ok(held.length > 0 && held.every((s) => s.omem === undefined), 'no MONITOR connection of ours while the main thread was blocked');
    assert.ok(samples.some((s) => s.at > off.to! && s.omem !== undefined), 'MONITOR came back after the block');
  });

  test('the collector falls behind its backlog bound: MONITOR closes, and comes back after the cool-down', { timeout: 60_000 }, async () => {
    // A small bound (CollectorInit.tuning) and a long flush interval: a burst overfills the queue.
    const config = configFor(server.url, ['--flush-interval', '1s']);
    const store = storeFor(config);
    const engine = startTunedEngine(config, store, { backlogHoldLines: 2000 });
    const probe = startMonitorProbe(server.port);
    let samples: ProbeSample[] = [];
    let heldAt = 0;
    try {
      await engine.ready;
      await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR on');
      await new Promise<void>((resolve) => {
        const bench = spawn('valkey-benchmark', ['-p', String(server.port), '-P', '16', '-c', '4', '-n', '40000', '-t', 'set', '-q'], { stdio: 'ignore' });
        bench.once('exit', () => resolve());
      });
      await waitFor(() => store.getState().monitor.hold === 'backlog', 'the backlog hold', 5000);
      heldAt = Date.now();
      assert.match(store.getState().monitor.reason ?? '', /^redis-recon fell behind \([\d,]+ lines waiting\): MONITOR closed so the server buffers nothing; back in 5s$/);
      assert.match(words(store), /^MONITOR held off by the watchdog redis-recon fell behind/);
      await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR back after the cool-down', 15_000);
      await sleep(500);
      // When the collector held MONITOR off, by its own record: the store hears of the hold up to a
      // flush interval (1 s here) later, and measured from then the window ran past the cool-down.
      const off = store.getState().monitor.offPeriods.find((p) => /fell behind/.test(p.why));
      assert.ok(off && off.from <= heldAt, `the backlog off-period is on record: ${JSON.stringify(store.getState().monitor.offPeriods)}`);
      heldAt = off.from;
    } finally {
      samples = await probe.stop();
      await engine.stop();
    }
    const held = samples.filter((s) => s.at > heldAt + 200 && s.at < heldAt + 4000);
    assert.ok(held.length > 10 && held.every((s) => s.omem === undefined), `no MONITOR connection of ours during the cool-down: ${JSON.stringify(held.filter((s) => s.omem !== undefined).slice(0, 3))} of ${held.length}`);
    assert.ok(samples.some((s) => s.at > heldAt + 4500 && s.omem !== undefined), 'MONITOR open again after it');
    assert.ok(store.getState().monitor.offPeriods.some((p) => p.to !== undefined && /fell behind/.test(p.why)), 'the off-period is on record');
  });
});
