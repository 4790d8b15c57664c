// The lenses cheaper than MONITOR, against real servers: CLIENT LIST counters (Valkey 8.0 prints
// them, Redis 7.0 does not), SLOWLOG entries joined to client names, INFO commandstats findings
// with MONITOR off, and sampled MONITOR's estimates against the truth on steady traffic. The
// servers log every command (`slowlog-log-slower-than 0`, set at start: redis-recon never changes
// a server's settings).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { resolveConfig, type Config } from '../src/config.ts';
import { createReconStore, type ReconStore } from '../src/store.ts';
import { startEngine, type Engine } from '../src/engine.ts';
import type { ClientView } from '../src/analysis/session.ts';
import { clientEstimate, clientScale, serverFindings, windowScale } from '../src/analysis/lenses.ts';
import { inventoryOf } from '../src/export/exportFile.ts';
import { freePort, startServer, waitFor, type ServerKind, type TestServer } from './helpers/servers.ts';

const SLOWLOG_ALL = ['--slowlog-log-slower-than', '0', '--slowlog-max-len', '4096'];

function configFor(url: string, extra: string[] = []): Config {
  const r = resolveConfig(['--url', url, '--poll-interval', '200ms', '--flush-interval', '50ms', ...extra], {});
  if (!r.ok) throw new Error(r.error);
  return r.config;
}

function run(config: Config, target = 'elasticache-valkey'): { store: ReconStore; engine: Engine } {
  const store = createReconStore({
    endpoint: config.endpoint,
    monitor: config.monitor,
    monitorMode: config.monitorMode,
    monitorMaxOmemBytes: config.monitorMaxOmemBytes,
  });
  return { store, engine: startEngine(config, store, { audit: { target } }) };
}

const byName = (store: ReconStore, name: string): ClientView | undefined =>
  store.getState().view.clients.find((c) => c.name === name && c.listed);

const within = (got: number, want: number, share: number, what: string): void =>
  assert.ok(Math.abs(got - want) <= want * share, `${what}: ${got} is not within ${share * 100}% of ${want}`);

for (const kind of ['valkey', 'redis'] as ServerKind[]) {
  describe(`lenses without MONITOR against ${kind}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(kind, SLOWLOG_ALL);
    });
    after(async () => {
      await server?.stop();
    });

    test('CLIENT LIST counters: named clients get what they sent, within 2% (null where the server has none)', async () => {
      const { store, engine } = run(configFor(server.url, ['--monitor', 'off']));
      const a = createClient({ url: server.url, name: 'count-a', RESP: 2 });
      const b = createClient({ url: server.url, name: 'count-b', RESP: 2 });
      try {
        await engine.ready;
        await waitFor(() => store.getState().poll.polls >= 1, 'first poll');
        await Promise.all([a.connect(), b.connect()]);
        for (let i = 0; i < 300; i++) await a.set(`count:a:${i}`, 'x');
        for (let i = 0; i < 500; i++) await b.get(`count:b:${i % 7}`);
        for (let i = 0; i < 100; i++) await b.incr('count:b:n');
        const sent = { a: 300, b: 600 };
        if (kind === 'valkey') {
          const va = await waitFor(() => { const c = byName(store, 'count-a'); return c?.counters && c.counters.commands >= sent.a && c; }, 'count-a counters');
          const vb = await waitFor(() => { const c = byName(store, 'count-b'); return c?.counters && c.counters.commands >= sent.b && c; }, 'count-b counters');
          // node-redis also sends CLIENT SETNAME and two CLIENT SETINFO when it connects.
          within(va.counters!.commands, sent.a, 0.02, 'count-a commands');
          within(vb.counters!.commands, sent.b, 0.02, 'count-b commands');
          assert.ok(va.counters!.netIn > 300 * 20 && va.counters!.netOut >= 300 * 5, 'bytes in and out');
          assert.ok(va.counterRates !== undefined);
          assert.equal(va.events, 0, 'MONITOR off: nothing from MONITOR');
          assert.equal(store.getState().nodes[0]!.lenses?.counters, 'on');
          // The export carries them, with their lens.
          const inv = inventoryOf(store.getState(), {});
          const ea = inv.clients.find((c) => c.name === 'count-a')!;
          assert.deepEqual(Object.keys(ea.counters!).sort(), ['commands', 'netIn', 'netOut']);
          within(ea.counters!.commands, sent.a, 0.02, 'exported count-a commands');
          assert.equal(inv.lenses!.counters, 'on');
          assert.equal(inv.lenses!.monitor.mode, 'off');
        } else {
          await waitFor(() => store.getState().nodes[0]?.lenses?.counters === 'absent' && byName(store, 'count-b'), 'a poll');
          assert.equal(byName(store, 'count-a')!.counters, undefined);
          const inv = inventoryOf(store.getState(), {});
          assert.equal(inv.clients.find((c) => c.name === 'count-a')!.counters, null);
          assert.equal(inv.lenses!.counters, 'absent');
        }
      } finally {
        await Promise.all([a.close(), b.close()].map((p) => p.catch(() => {})));
        await engine.stop();
      }
    });

    test('SLOWLOG entries are joined to the right client names, with their keys', async () => {
      const { store, engine } = run(configFor(server.url, ['--monitor', 'off']));
      const a = createClient({ url: server.url, name: 'slow-a', RESP: 2 });
      const b = createClient({ url: server.url, name: 'slow-b', RESP: 2 });
      try {
        await engine.ready;
        await waitFor(() => store.getState().poll.polls >= 2, 'first polls');
        await Promise.all([a.connect(), b.connect()]);
        for (let i = 0; i < 3; i++) await a.set('lens:slow:a', String(i));
        await a.hSet('lens:slow:hash', 'f', 'v');
        await b.get('lens:slow:b');
        const va = await waitFor(() => { const c = byName(store, 'slow-a'); return c?.logged?.commands.some(([n]) => n === 'HSET') && c; }, 'slow-a logged');
        const vb = await waitFor(() => { const c = byName(store, 'slow-b'); return c?.logged?.commands.some(([n]) => n === 'GET') && c; }, 'slow-b logged');
        assert.equal(Object.fromEntries(va.logged!.commands).SET, 3);
        assert.equal(va.logged!.lens, 'slowlog');
        assert.ok(va.logged!.recent.some((e) => e.command === 'HSET' && e.keys.includes('lens:slow:hash')));
        assert.ok(!Object.fromEntries(va.logged!.commands).GET, 'slow-b\'s GET is not slow-a\'s');
        assert.ok(vb.logged!.recent.some((e) => e.command === 'GET' && e.keys[0] === 'lens:slow:b'));

        const log = store.getState().nodes[0]!.lenses!.log;
        const mine = log.filter((e) => e.keys.some((k) => k.startsWith('lens:slow:')));
        assert.ok(mine.length >= 5);
        for (const e of mine) {
          const who = e.keys.includes('lens:slow:b') ? vb : va;
          assert.equal(e.client, who.key, `${e.command} ${e.keys.join(' ')} joined to ${who.name}`);
          assert.equal(e.name, who.name);
          assert.equal(e.self, false);
        }
        // redis-recon's own commands are logged too (everything is): marked, and left out of the export.
        await waitFor(() => store.getState().nodes[0]!.lenses!.log.some((e) => e.self), 'our own entries');
        const inv = inventoryOf(store.getState(), {});
        assert.ok(inv.slowlog!.length >= 5 && inv.slowlog!.every((e) => !e.name.startsWith('redis-recon-')));
        const hset = inv.slowlog!.find((e) => e.command === 'HSET' && e.keys.includes('lens:slow:hash'))!;
        assert.equal(hset.client, va.id);
        assert.equal(hset.name, 'slow-a');
        assert.ok(hset.durationUs !== null && hset.durationUs >= 0 && hset.bytes === null);
        assert.equal(inv.lenses!.slowlog, 'on');
        assert.equal(inv.lenses!.commandlog, 'absent', 'COMMANDLOG is Valkey 8.1+: tried once, remembered');
      } finally {
        await Promise.all([a.close(), b.close()].map((p) => p.catch(() => {})));
        await engine.stop();
      }
    });

    test('with MONITOR off, a command the target blocks is a finding, naming the client the other lenses saw', async () => {
      const { store, engine } = run(configFor(server.url, ['--monitor', 'off']), 'elasticache-valkey');
      const c = createClient({ url: server.url, name: 'cfg-reader', RESP: 2 });
      try {
        await engine.ready;
        await waitFor(() => store.getState().poll.polls >= 2, 'first polls');
        await c.connect();
        await c.configGet('maxmemory');
        const f = await waitFor(() => {
          const s = store.getState();
          return serverFindings(s.nodes, s.view.clients).find((x) => x.command === 'CONFIG|GET' && x.calls >= 1 && x.clients.length > 0);
        }, 'the CONFIG|GET finding');
        assert.equal(f.severity, 'error');
        assert.equal(f.lens, 'commandstats');
        assert.deepEqual(f.clients.map((x) => [x.name, x.lens]), [['cfg-reader', 'slowlog']]);
        const v = byName(store, 'cfg-reader')!;
        const mine = v.findings!.find((x) => x.code === 'unsupported-command' && x.example === 'CONFIG|GET')!;
        assert.equal(mine.lens, 'slowlog');
        assert.equal(store.getState().monitor.phase, 'off');
        const inv = inventoryOf(store.getState(), { target: { id: 'elasticache-valkey', title: 'ElastiCache' } });
        const sf = inv.serverFindings!.find((x) => x.command === 'CONFIG|GET')!;
        assert.deepEqual(sf.clients.map((x) => [x.name, x.lens]), [['cfg-reader', 'slowlog']]);
        assert.ok(inv.commands!.some((x) => x.name === 'CONFIG|GET' && x.calls >= 1 && x.source === 'commandstats'));
        // Our own INFO, CLIENT LIST and PING are left out of the window's calls.
        assert.equal(inv.commands!.find((x) => x.name === 'CLIENT|LIST')?.calls ?? 0, 0);
      } finally {
        await c.close().catch(() => {});
        await engine.stop();
      }
    });
  });
}

const REDIS_74 = '/work/shared/servers/redis-7.4.1/redis-server';

describe('lenses against Redis 7.4.1 (hash-field expiry, which Valkey 8 lacks)', () => {
  let child: ChildProcess | undefined;
  let url = '';
  let dir = '';
  before(async () => {
    if (!existsSync(REDIS_74)) return;
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'recon-redis74-'));
    child = spawn(REDIS_74, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...SLOWLOG_ALL], { stdio: 'ignore' });
    url = `redis://127.0.0.1:${port}`;
    await waitFor(async () => {
      const c = createClient({ url, RESP: 2 });
      c.on('error', () => {});
      try {
        await c.connect();
        await c.ping();
        return true;
      } catch {
        return false;
      } finally {
        await c.destroy();
      }
    }, 'redis 7.4.1');
  });
  after(async () => {
    child?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('HEXPIRE with MONITOR off: a finding for a Valkey 8 target, with the client SLOWLOG saw', { skip: !existsSync(REDIS_74) && `${REDIS_74} is not on this machine` }, async () => {
    const { store, engine } = run(configFor(url, ['--monitor', 'off']), 'valkey-8');
    const c = createClient({ url, name: 'session-store', RESP: 2 });
    try {
      await engine.ready;
      await waitFor(() => store.getState().poll.polls >= 2, 'first polls');
      await c.connect();
      await c.hSet('sess:1', 'token', 'x');
      await c.sendCommand(['HEXPIRE', 'sess:1', '60', 'FIELDS', '1', 'token']);
      const f = await waitFor(() => {
        const s = store.getState();
        return serverFindings(s.nodes, s.view.clients).find((x) => x.command === 'HEXPIRE' && x.clients.length > 0);
      }, 'the HEXPIRE finding');
      assert.equal(f.severity, 'error');
      assert.equal(f.calls, 1);
      assert.deepEqual(f.clients.map((x) => [x.name, x.lens]), [['session-store', 'slowlog']]);
      const v = byName(store, 'session-store')!;
      assert.ok(v.logged!.recent.some((e) => e.command === 'HEXPIRE' && e.keys[0] === 'sess:1'));
      assert.equal(v.counters, undefined, 'Redis 7.4 prints no per-client counters');
    } finally {
      await c.close().catch(() => {});
      await engine.stop();
    }
  });
});

describe('sampled MONITOR against valkey', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('valkey');
  });
  after(async () => {
    await server?.stop();
  });

  test('scaled estimates are within 15% of the truth on steady traffic, and say they are estimates', async () => {
    const { store, engine } = run(configFor(server.url, ['--monitor', 'sampled', '--monitor-sample', '2s/5s', '--poll-interval', '500ms']));
    const c = createClient({ url: server.url, name: 'steady', RESP: 2 });
    try {
      await engine.ready;
      await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR on');
      await c.connect();
      // Steady: about 400 commands a second for 17 s (three and a half duty cycles).
      let sent = 0;
      const end = Date.now() + 17_000;
      while (Date.now() < end) {
        const tick = Date.now();
        for (let i = 0; i < 4; i++) await c.set(`steady:${sent++ % 50}`, 'x');
        await new Promise((r) => setTimeout(r, Math.max(0, 10 - (Date.now() - tick))));
      }
      await engine.sync();
      const s = store.getState();
      const now = Date.now();
      const v = byName(store, 'steady')!;
      const scale = clientScale(v, s.nodes, now);
      assert.ok(scale !== undefined && scale > 1.5, `a scale for a sampled client (${scale})`);
      assert.ok(v.events < sent * 0.8, `MONITOR saw a sample, not everything (${v.events} of ${sent})`);
      within(clientEstimate(v, scale).events, sent, 0.15, 'estimated events');
      assert.equal(s.monitor.mode, 'sampled');
      assert.ok(windowScale(s.nodes, s.startedAt, now)! > 1.5);

      const inv = inventoryOf(s, { now: () => now });
      const e = inv.clients.find((x) => x.name === 'steady')!;
      assert.equal(e.events, v.events, 'the count stays what MONITOR saw');
      within(e.estimate!.events, sent, 0.15, 'exported estimate');
      // The counters (Valkey 8) are the exact figure the estimate approaches, once a poll has read them.
      const counted = await waitFor(() => { const c = byName(store, 'steady'); return c?.counters && c.counters.commands >= sent && c; }, 'counters', 15_000).catch((e) => { const c = byName(store, 'steady'); throw new Error(`${e.message}: sent ${sent}, counters ${JSON.stringify(c?.counters)} polls ${store.getState().poll.polls} interval ${store.getState().nodes[0]?.poll.intervalMs}`); });
      within(counted.counters!.commands, sent, 0.02, 'counters');
      assert.ok(e.estimate!.scale > 1.5);
      assert.equal(inv.lenses!.monitor.mode, 'sampled');
      assert.deepEqual(inv.lenses!.monitor.sample, { onSeconds: 2, periodSeconds: 5, linesPerWindow: 1_000_000, cappedWindows: 0 });
      assert.ok(inv.lenses!.monitor.scale! > 1.5);
    } finally {
      await c.close().catch(() => {});
      await engine.stop();
    }
  });
});
