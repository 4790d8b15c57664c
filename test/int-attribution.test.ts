// Attribution against real servers: what the engine says a client did is what that client did,
// in the cases issue 8 found wrong: a port reused by a new connection, a read-only script, a
// transaction across slots, unix-socket clients in two databases, another redis-recon instance,
// and a server restart that hands a departed connection's id to a new one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createClient } from 'redis';
import { resolveConfig, type Config } from '../src/config.ts';
import { createReconStore, type ReconStore } from '../src/store.ts';
import { startEngine } from '../src/engine.ts';
import { connectedClients, type ClientView } from '../src/analysis/session.ts';
import { inventoryOf } from '../src/export/exportFile.ts';
import { freePort, startServer, waitFor, type ServerKind, type TestServer } from './helpers/servers.ts';

function configFor(url: string, extra: string[] = []): Config {
  // MONITOR continuously (the default samples it): these tests follow every line.
  const r = resolveConfig(['--url', url, '--monitor', 'on', '--poll-interval', '200ms', '--flush-interval', '50ms', ...extra], {});
  if (!r.ok) throw new Error(r.error);
  return r.config;
}

function storeFor(config: Config): ReconStore {
  return createReconStore({ endpoint: config.endpoint, monitor: true, monitorMaxOmemBytes: config.monitorMaxOmemBytes });
}


/** Runs `body` with an engine on `url`, MONITOR on, and stops everything after. */
async function withEngine<T>(url: string, extra: string[], body: (store: ReconStore) => Promise<T>): Promise<T> {
  const config = configFor(url, extra);
  const store = storeFor(config);
  const engine = startEngine(config, store, { audit: { target: 'elasticache-valkey-cluster' } });
  try {
    await engine.ready;
    await waitFor(() => store.getState().monitor.phase === 'on' && store.getState().poll.polls > 0, 'MONITOR on');
    return await body(store);
  } finally {
    await engine.stop();
  }
}

const clients = (store: ReconStore): readonly ClientView[] => store.getState().view.clients;
const named = (store: ReconStore, name: string): ClientView[] => clients(store).filter((c) => c.name === name);
/** A client's key-pattern prefixes (`a:`), without the leaves (`a:*`): where its traffic went. */
const prefixes = (c: ClientView | undefined): string[] => (c?.prefixes ?? []).map((p) => p.prefix).filter((p) => p.endsWith(':')).sort();

type App = ReturnType<typeof createClient>;
async function app(url: string, name: string, socket: Record<string, unknown> = {}, database?: number): Promise<App> {
  const u = new URL(url);
  const c = createClient({
    RESP: 2,
    name,
    database,
    socket: socket.path ? { ...socket, reconnectStrategy: false } : { host: u.hostname, port: Number(u.port), reconnectStrategy: false, ...socket },
  }) as unknown as App;
  c.on('error', () => {});
  await c.connect();
  return c;
}

/** Closes from the server's side (QUIT), so the client's port is free to be bound again at once. */
const quit = async (c: App): Promise<void> => {
  await (c as unknown as { quit(): Promise<unknown> }).quit().catch(() => {});
};

for (const kind of ['valkey', 'redis'] as ServerKind[]) {
  describe(`attribution against ${kind}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(kind);
    });
    after(async () => {
      await server?.stop();
    });

    for (const between of ['no poll', 'a poll'] as const) {
      test(`a new connection on a departed connection's ip:port, with ${between} between them, is its own client`, async () => {
        await withEngine(server.url, ['--poll-interval', between === 'no poll' ? '30s' : '150ms'], async (store) => {
          const localPort = await freePort();
          const old = await app(server.url, `old-svc-${between.length}`, { localPort });
          await waitFor(() => named(store, old.options!.name!)[0]?.listed, 'the old connection listed');
          for (let i = 0; i < 5; i++) await old.set(`a:${i}`, 'x');
          await quit(old);
          if (between === 'a poll') await waitFor(() => named(store, old.options!.name!)[0]?.connected === false, 'a poll saw it leave');
          const fresh = await app(server.url, `new-svc-${between.length}`, { localPort });
          for (let i = 0; i < 3; i++) await fresh.get(`b:${i}`);
          try {
            // With no poll between (early polls come at most once per interval), the new one is
            // known by what its setup announced; with one, by CLIENT LIST. Either way, its own entry.
            const n = await waitFor(
              () => clients(store).find((x) => x.name === fresh.options!.name && x.reads >= 3 && (between === 'no poll' || x.listed)),
              'the new connection with its reads',
              10_000,
            );
            const o = named(store, old.options!.name!);
            assert.equal(o.length, 1);
            assert.equal(n.addr, o[0]!.addr, 'the same ip:port');
            assert.deepEqual(prefixes(o[0]), ['a:']);
            assert.equal(o[0]!.writes, 5);
            assert.equal(o[0]!.reads, 0);
            assert.equal(n.name, fresh.options!.name);
            assert.deepEqual(prefixes(n), ['b:']);
            assert.equal(n.writes, 0);
          } finally {
            await fresh.close().catch(() => {});
          }
        });
      });
    }

    test('a read-only EVALSHA and the GET its script ran: one read, no write', async () => {
      await withEngine(server.url, [], async (store) => {
        const limiter = await app(server.url, 'limiter');
        try {
          const sha = String(await limiter.scriptLoad("return redis.call('GET', KEYS[1])"));
          await limiter.evalSha(sha, { keys: ['rl:user:1'] });
          const c = await waitFor(() => named(store, 'limiter').find((x) => x.events >= 2 && x.listed), 'script events');
          assert.equal(c.reads, 1);
          assert.equal(c.writes, 0);
          assert.deepEqual(c.prefixes.find((p) => p.prefix === 'rl:user:'), { prefix: 'rl:user:', reads: 1, writes: 0 });
          assert.equal(Object.fromEntries(c.commands).EVALSHA, 1);
          assert.equal(Object.fromEntries(c.commands).GET, 1);
        } finally {
          await limiter.close();
        }
      });
    });

    test('MULTI with keys in two slots is flagged for elasticache-valkey-cluster; one slot is not', async () => {
      // First, what MONITOR shows of a transaction on this server (the order atomicity.ts relies on).
      const lines: string[] = [];
      const mon = await app(server.url, 'probe-monitor');
      await mon.monitor((l: string) => void lines.push(l));
      const checkout = await app(server.url, 'checkout');
      const single = await app(server.url, 'single-slot');
      try {
        await checkout.multi().hSet('order:1', 'status', 'paid').del('cart:{u385}:items').exec();
        await waitFor(() => lines.some((l) => l.includes('"EXEC"')), 'EXEC in MONITOR');
        const seen = lines.filter((l) => /"(MULTI|HSET|DEL|EXEC)"/.test(l)).map((l) => /"([A-Z]+)"/.exec(l)![1]);
        assert.deepEqual(seen, ['MULTI', 'HSET', 'DEL', 'EXEC'], 'queued commands show as EXEC runs them, then EXEC');
      } finally {
        await mon.close().catch(() => {});
      }
      await withEngine(server.url, [], async (store) => {
        await waitFor(() => named(store, 'checkout')[0]?.listed && named(store, 'single-slot')[0]?.listed, 'both listed');
        await checkout.multi().hSet('order:1', 'status', 'paid').del('cart:{u385}:items').exec();
        await single.multi().hSet('{u385}:order', 'status', 'paid').del('cart:{u385}:items').exec();
        try {
          const c = await waitFor(() => named(store, 'checkout').find((x) => x.crossSlotTransactions.count > 0), 'the transaction flagged');
          const f = c.findings?.find((x) => x.code === 'cross-slot-transaction');
          assert.ok(f, JSON.stringify(c.findings));
          assert.equal(f.severity, 'error');
          assert.equal(f.example, 'MULTI HSET DEL EXEC: order:1 cart:{u385}:items');
          assert.ok(!c.findings!.some((x) => x.code === 'cross-slot'), 'no single call crossed slots');
          const s = await waitFor(() => named(store, 'single-slot').find((x) => x.events >= 4), 'the one-slot transaction seen');
          assert.equal(s.crossSlotTransactions.count, 0);
          assert.ok(!s.findings?.some((x) => x.code === 'cross-slot-transaction'));
        } finally {
          await Promise.all([checkout.close(), single.close()].map((p) => p.catch(() => {})));
        }
      });
    });

    test('unix-socket clients in two databases are told apart by the db MONITOR prints', async () => {
      await withEngine(server.url, [], async (store) => {
        const a = await app(server.url, 'unix-db0', { path: server.unixSocket }, 0);
        const b = await app(server.url, 'unix-db3', { path: server.unixSocket }, 3);
        try {
          // Their setup lines came before any poll listed them: MONITOR could not tell them apart yet.
          const listed = (name: string) => named(store, name).find((c) => c.listed && c.connected);
          await waitFor(() => listed('unix-db0') && listed('unix-db3')?.db === 3, 'both listed, in their databases');
          for (let i = 0; i < 4; i++) await a.get(`zero:${i}`);
          for (let i = 0; i < 2; i++) await b.set(`three:${i}`, 'x');
          const x = await waitFor(() => named(store, 'unix-db0').find((c) => c.listed && c.reads >= 4), 'db 0 reads');
          const y = await waitFor(() => named(store, 'unix-db3').find((c) => c.listed && c.writes >= 2), 'db 3 writes');
          assert.deepEqual(prefixes(x), ['zero:']);
          assert.deepEqual(prefixes(y), ['three:']);
          assert.equal(x.writes, 0);
          assert.equal(y.reads, 0);
          assert.ok(!clients(store).some((c) => c.sharedBy !== undefined && c.events > 0), 'nothing left to a shared entry');
        } finally {
          await Promise.all([a.close(), b.close()].map((p) => p.catch(() => {})));
        }
      });
    });

    test('another redis-recon instance\'s connections are hidden and counted apart, in the view and the export', async () => {
      await withEngine(server.url, [], async (store) => {
        const other = new Promise<void>((resolve) => {
          execFile(
            process.execPath,
            [new URL('../bin/redis-recon.js', import.meta.url).pathname, '--url', server.url, '--headless', '--duration', '3s', '--poll-interval', '200ms'],
            { env: { PATH: process.env.PATH ?? '', RECON_ENV_FILE: '/nonexistent/.env' }, timeout: 30_000 },
            () => resolve(),
          );
        });
        const user = await app(server.url, 'orders');
        try {
          // The other instance's poll and MONITOR connections (its own process, its own token).
          const mine = (c: ClientView) => c.name.endsWith(clients(store).find((x) => x.name.startsWith('redis-recon-poll-') && x.self)!.name.split('-').pop()!);
          const theirs = await waitFor(() => {
            const t = clients(store).filter((c) => c.connected && c.name.startsWith('redis-recon-') && !mine(c));
            return t.length >= 2 && t;
          }, 'the other instance connected', 15_000);
          assert.ok(theirs.every((c) => c.self), 'marked as redis-recon\'s, though not this run\'s');
          const view = clients(store);
          const count = connectedClients(view, false);
          assert.ok(count.selfLeftOut >= 4, `ours and theirs left out: ${count.selfLeftOut}`);
          assert.equal(count.connected, view.filter((c) => c.connected && !c.self && !c.sharedBy).length);
          const inv = inventoryOf(store.getState(), {});
          assert.ok(!inv.clients.some((c) => c.name.startsWith('redis-recon-')), 'not in the export');
          assert.equal(inv.summary.connected, count.connected);
          assert.equal(inv.summary.selfLeftOut, count.selfLeftOut);
          assert.ok(inv.clients.some((c) => c.name === 'orders'));
        } finally {
          await user.close().catch(() => {});
          await other;
        }
      });
    });

    test('after a restart, a new connection that gets a departed one\'s id does not inherit its history', async () => {
      await withEngine(server.url, [], async (store) => {
        // Push ids up first, so that after the restart our engine's reconnections come before.
        for (let i = 0; i < 12; i++) {
          const t = await app(server.url, `warmup-${i}`);
          await t.close();
        }
        const alpha = await app(server.url, 'alpha');
        const alphaId = Number(await alpha.clientId());
        for (let i = 0; i < 100; i++) await alpha.set(`alpha:${i}`, 'x');
        await waitFor(() => named(store, 'alpha').find((c) => c.writes >= 100 && c.listed), 'alpha\'s writes');
        const pollsBefore = store.getState().poll.polls;
        await server.restart();
        await waitFor(() => store.getState().poll.polls > pollsBefore + 1 && !store.getState().poll.lastError, 'polls resumed', 15_000);
        await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR back on', 15_000);
        // Open connections until the next one gets alpha's id.
        const fillers: App[] = [];
        let beta: App | undefined;
        try {
          for (let tries = 0; tries < alphaId + 5 && !beta; tries++) {
            const probe = await app(server.url, 'filler');
            const id = Number(await probe.clientId());
            if (id === alphaId) {
              await probe.sendCommand(['CLIENT', 'SETNAME', 'beta-0']);
              beta = probe;
            } else fillers.push(probe);
            assert.ok(id <= alphaId, `ids after the restart passed alpha's (${id} > ${alphaId})`);
          }
          assert.ok(beta, 'a new connection got alpha\'s id');
          await beta.get('beta:1');
          const b = await waitFor(() => named(store, 'beta-0').find((c) => c.listed && c.reads >= 1), 'beta listed with its read', 10_000);
          assert.equal(b.id, String(alphaId));
          assert.equal(b.writes, 0, 'none of alpha\'s 100 writes');
          assert.ok(!prefixes(b).includes('alpha:'));
          const a = named(store, 'alpha');
          assert.equal(a.length, 1, 'alpha stays, departed');
          assert.equal(a[0]!.writes, 100);
          assert.equal(a[0]!.connected, false);
          assert.notEqual(a[0]!.key, b.key);
          const inv = inventoryOf(store.getState(), {});
          assert.ok(inv.clients.some((c) => c.name === 'alpha' && c.writes === 100), 'alpha in the export');
        } finally {
          await Promise.all([...fillers, beta, alpha].map((c) => c?.close().catch(() => {})));
        }
      });
    });
  });
}
