// The engine against real servers: real node-redis clients that name themselves work on prefixed
// keys while the engine polls CLIENT LIST and streams MONITOR; we assert what the store says.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createClient } from 'redis';
import { resolveConfig, type Config } from '../src/config.ts';
import { createReconStore, type ReconStore } from '../src/store.ts';
import { startEngine, type Engine } from '../src/engine.ts';
import type { ClientView } from '../src/analysis/session.ts';
import { startServer, waitFor, type ServerKind, type TestServer } from './helpers/servers.ts';

const REDIS_PKG_VERSION = (await import('redis/package.json', { with: { type: 'json' } })).default.version as string;

function configFor(url: string, extra: string[] = [], env: Record<string, string> = {}): Config {
  // MONITOR continuously (the default samples it): these tests follow every line.
  const r = resolveConfig(['--url', url, '--monitor', 'on', '--poll-interval', '200ms', '--flush-interval', '50ms', ...extra], env);
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

/** The connection CLIENT LIST lists under that name (MONITOR alone can name one a poll has not listed yet). */
const byName = (store: ReconStore, name: string): ClientView | undefined =>
  store.getState().view.clients.find((c) => c.name === name && c.connected && c.listed);

for (const kind of ['redis', 'valkey'] as ServerKind[]) {
  describe(`engine against ${kind}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(kind);
    });
    after(async () => {
      await server?.stop();
    });

    test('joins MONITOR events to named clients: commands, read/write mix, prefixes, keys, scripts', async () => {
      const config = configFor(server.url);
      const store = storeFor(config);
      const engine = startEngine(config, store);
      const writer = createClient({ url: server.url, name: 'orders-writer', RESP: 2 });
      const reader = createClient({ url: server.url, name: 'catalog-reader' });
      const anon = createClient({ url: server.url, disableClientInfo: true, RESP: 2 });
      try {
        await engine.ready;
        await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR on');
        await Promise.all([writer.connect(), reader.connect(), anon.connect()]);
        for (let i = 0; i < 50; i++) await writer.set(`orders:${i}`, `v${i}`);
        for (let i = 0; i < 30; i++) await reader.get(`catalog:item:${i % 10}`);
        await reader.mGet(['catalog:item:1', 'catalog:item:2']);
        await anon.eval("return redis.call('SET', KEYS[1], ARGV[1])", { keys: ['scripts:counter'], arguments: ['1'] });

        const w = await waitFor(() => { const c = byName(store, 'orders-writer'); return c && c.writes >= 50 && c; }, 'writer events');
        const r = await waitFor(() => { const c = byName(store, 'catalog-reader'); return c && c.reads >= 31 && c; }, 'reader events');
        const anonId = String(await anon.clientId());
        const a = await waitFor(() => store.getState().view.clients.find((c) => c.id === anonId && c.events >= 2), 'script caller events');

        assert.equal(w.writes, 50);
        assert.equal(w.reads, 0);
        assert.deepEqual(Object.fromEntries(w.commands).SET, 50);
        assert.deepEqual(w.prefixes.find((p) => p.prefix === 'orders:'), { prefix: 'orders:', reads: 0, writes: 50 });
        assert.equal(w.user, 'default');

        assert.equal(r.reads, 31);
        assert.equal(Object.fromEntries(r.commands).GET, 30);
        assert.equal(Object.fromEntries(r.commands).MGET, 1);
        assert.deepEqual(r.prefixes.find((p) => p.prefix === 'catalog:item:'), { prefix: 'catalog:item:', reads: 32, writes: 0 });
        assert.equal(r.topKeys.find((k) => k.key === 'catalog:item:1')?.count, 4);

        // The SET the script ran belongs to the client whose EVAL preceded it, not to "lua".
        assert.equal(Object.fromEntries(a.commands).EVAL, 1);
        assert.equal(Object.fromEntries(a.commands).SET, 1);
        assert.equal(a.name, '');
        assert.ok(!store.getState().view.clients.some((c) => c.addr === 'lua'), 'no client called lua');
        // The key declared to EVAL is where the script runs, not an access: the scripted SET is the
        // one write, counted once.
        assert.deepEqual(a.prefixes.find((p) => p.prefix === 'scripts:'), { prefix: 'scripts:', reads: 0, writes: 1 });
        assert.equal(a.writes, 1);
        assert.equal(a.reads, 0);

        if (kind === 'valkey') {
          // Valkey 8 prints lib-name; node-redis sends SETINFO, the disabled client sends nothing.
          assert.equal(w.libName, 'node-redis');
          assert.equal(w.libVer, REDIS_PKG_VERSION);
          assert.equal(a.libName, '');
        } else {
          // Redis 7.0 predates CLIENT SETINFO: the field is absent, not empty.
          assert.equal(w.libName, undefined);
          await waitFor(() => store.getState().notices.some((n) => n.includes('lib-name needs 7.2')), 'notice about lib-name');
        }

        // Server-wide aggregates and the tool's own connections.
        const view = store.getState().view;
        assert.equal(view.tree.node('orders:')?.writes, 50);
        assert.equal(view.tree.node('catalog:item:')?.reads, 32);
        const self = view.clients.filter((c) => c.self && c.connected);
        assert.ok(self.some((c) => c.name.startsWith('redis-recon-poll-')), 'poll connection is marked self');
        assert.ok(self.some((c) => c.name.startsWith('redis-recon-monitor-')), 'monitor connection is marked self');
      } finally {
        await Promise.all([writer.close(), reader.close(), anon.close()].map((p) => p.catch(() => {})));
        await engine.stop();
      }
    });

    test('a connection that came and went between polls stays in the ledger, disconnected', async () => {
      const config = configFor(server.url, ['--poll-interval', '30s']);
      const store = storeFor(config);
      const engine = startEngine(config, store);
      try {
        await engine.ready;
        await waitFor(() => store.getState().monitor.phase === 'on' && store.getState().poll.polls >= 1, 'first poll');
        const brief = createClient({ url: server.url, RESP: 2 });
        await brief.connect();
        await brief.get('cron:last-run');
        await brief.close();
        const gone = await waitFor(
          () => store.getState().view.clients.find((c) => c.prefixes.some((p) => p.prefix === 'cron:') && !c.connected),
          'brief client marked disconnected',
        );
        assert.equal(Object.fromEntries(gone.commands).GET, 1);
        assert.ok(store.getState().poll.polls >= 2, 'the unknown address triggered an early poll');
      } finally {
        await engine.stop();
      }
    });

    test('pause closes the MONITOR connection; resume opens a new one; the budget stops it', async () => {
      const config = configFor(server.url, ['--monitor-budget', '1500ms']);
      const store = storeFor(config);
      const engine = startEngine(config, store);
      const probe = createClient({ url: server.url, RESP: 2 });
      try {
        await engine.ready;
        await probe.connect();
        await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR on');
        const monitors = async () =>
          String(await probe.sendCommand(['CLIENT', 'LIST'])).split('\n').filter((l) => / flags=O /.test(l)).length;
        assert.equal(await monitors(), 1);

        store.getState().actions.toggleMonitor();
        await waitFor(() => store.getState().monitor.phase === 'paused', 'paused');
        await waitFor(async () => (await monitors()) === 0, 'no MONITOR connection while paused');

        store.getState().actions.toggleMonitor();
        await waitFor(() => store.getState().monitor.phase === 'on', 'resumed');
        await waitFor(async () => (await monitors()) === 1, 'MONITOR connection back');

        await waitFor(() => store.getState().monitor.phase === 'stopped', 'budget stops MONITOR', 5000);
        assert.match(store.getState().monitor.reason ?? '', /budget/);
        await waitFor(async () => (await monitors()) === 0, 'no MONITOR connection after the budget');
      } finally {
        await probe.close().catch(() => {});
        await engine.stop();
      }
    });

    test('survives a server restart: polls and MONITOR resume by themselves', async () => {
      const config = configFor(server.url);
      const store = storeFor(config);
      const engine = startEngine(config, store);
      try {
        await engine.ready;
        await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR on');
        const pollsBefore = store.getState().poll.polls;
        await server.restart();
        await waitFor(() => store.getState().poll.lastError, 'poll error reported while down');
        await waitFor(() => store.getState().poll.polls > pollsBefore + 1 && !store.getState().poll.lastError, 'polls resumed', 15_000);
        await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR back on', 15_000);
        const after = createClient({ url: server.url, name: 'after-restart', RESP: 2 });
        await after.connect();
        try {
          for (let i = 0; i < 5; i++) await after.set(`restart:${i}`, '1');
          await waitFor(() => (byName(store, 'after-restart')?.writes ?? 0) >= 5, 'events after restart', 10_000);
        } finally {
          await after.close();
        }
      } finally {
        await engine.stop();
      }
    });

    test('an ACL user without +monitor still gets the client list, and MONITOR says why it is off', async () => {
      const admin = createClient({ url: server.url, RESP: 2 });
      await admin.connect();
      await admin.sendCommand(['ACL', 'SETUSER', 'nomon', 'on', '>nomon-pw', '~*', '+@all', '-monitor']);
      await admin.close();
      const config = configFor(server.url.replace('//', '//nomon@'), [], { REDIS_PASSWORD: 'nomon-pw' });
      const store = storeFor(config);
      const engine = startEngine(config, store);
      try {
        await engine.ready;
        await waitFor(() => store.getState().monitor.phase === 'error', 'MONITOR error');
        assert.match(store.getState().monitor.reason ?? '', /permission denied/);
        assert.doesNotMatch(store.getState().monitor.reason ?? '', /nomon-pw/);
        await waitFor(() => store.getState().poll.polls >= 2, 'polls continue');
        assert.ok(store.getState().view.clients.length >= 1);
      } finally {
        await engine.stop();
      }
    });
  });
}

describe('safety on a production server', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer('valkey');
  });
  after(async () => {
    await server?.stop();
  });

  test('MONITOR does not run unwatched: without CLIENT LIST the buffer guard holds it off, and lets it back when polls answer', async () => {
    const admin = createClient({ url: server.url, RESP: 2 });
    await admin.connect();
    await admin.sendCommand(['ACL', 'SETUSER', 'blind', 'on', '>blind-pw', '~*', '+@all', '-client|list']);
    const config = configFor(server.url.replace('//', '//blind@'), [], { REDIS_PASSWORD: 'blind-pw' });
    const store = storeFor(config);
    const engine = startEngine(config, store);
    const monitors = async () => String(await admin.sendCommand(['CLIENT', 'LIST'])).split('\n').filter((l) => / flags=O /.test(l)).length;
    try {
      await engine.ready;
      await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR on');
      await waitFor(() => store.getState().monitor.hold === 'blind', 'held off by the guard', 10_000);
      const m = store.getState().monitor;
      assert.equal(m.desired, 'on', 'the guard holds MONITOR off; the user\'s intent is untouched');
      assert.equal(m.phase, 'paused');
      assert.match(m.reason ?? '', /buffer guard: no CLIENT LIST .*permission denied/);
      await waitFor(async () => (await monitors()) === 0, 'the MONITOR connection is closed');
      // CLIENT LIST is allowed again: the guard can see, and MONITOR comes back by itself.
      await admin.sendCommand(['ACL', 'SETUSER', 'blind', '+client|list']);
      await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR back by itself', 10_000);
      assert.ok(store.getState().monitor.offPeriods.some((p) => p.to !== undefined && /no CLIENT LIST/.test(p.why)), 'the off period is on record');
    } finally {
      await engine.stop();
      await admin.close();
    }
  });

  test('the buffer guard pauses MONITOR when the server buffers more than the limit for it', async () => {
    const config = configFor(server.url, ['--poll-interval', '100ms', '--monitor-max-omem', '1KB']);
    const store = storeFor(config);
    const engine = startEngine(config, store);
    try {
      await engine.ready;
      await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR on');
      // Bounded storms on loopback until the server holds output for our MONITOR connection.
      for (let round = 0; round < 5 && store.getState().monitor.hold !== 'guard'; round++) {
        await new Promise<void>((resolve) => {
          const bench = spawn('valkey-benchmark', ['-p', String(server.port), '-P', '16', '-c', '20', '-n', '300000', '-t', 'set', '-q'], { stdio: 'ignore' });
          bench.once('exit', () => resolve());
        });
      }
      await waitFor(() => store.getState().monitor.hold === 'guard', 'held off by the guard', 5000);
      assert.equal(store.getState().monitor.desired, 'on');
      assert.match(store.getState().monitor.reason ?? '', /^buffer guard: the server held .* for our MONITOR connection \(limit 1 KB\); back in 5s/);
      // The storm is over, the cool-down ends: MONITOR comes back by itself.
      await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR back after the cool-down', 15_000);
    } finally {
      await engine.stop();
    }
  });

  test('connections that churn do not turn early polls into a poll storm', async () => {
    const config = configFor(server.url, ['--poll-interval', '1s']);
    const store = storeFor(config);
    const engine = startEngine(config, store);
    const probe = createClient({ url: server.url, RESP: 2 });
    try {
      await engine.ready;
      await probe.connect();
      await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR on');
      const clientListCalls = async () => Number(/cmdstat_client\|list:calls=(\d+)/.exec(String(await probe.sendCommand(['INFO', 'commandstats'])))?.[1] ?? 0);
      const before = await clientListCalls();
      const t0 = Date.now();
      // Bounded churn: ~15 short-lived connections a second for 3 seconds, each from a new port.
      while (Date.now() - t0 < 3000) {
        const c = createClient({ url: server.url, RESP: 2 });
        await c.connect();
        await c.get('churn:1');
        await c.close();
        await new Promise((r) => setTimeout(r, 60));
      }
      const calls = (await clientListCalls()) - before;
      const seconds = (Date.now() - t0) / 1000;
      // One regular poll per second plus at most one early poll per second.
      assert.ok(calls <= 2 * Math.ceil(seconds) + 1, `${calls} CLIENT LIST calls in ${seconds.toFixed(1)} s`);
    } finally {
      await probe.close().catch(() => {});
      await engine.stop();
    }
  });
});
