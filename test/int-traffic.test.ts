// `npm run traffic` for real: its entry point against a real valkey-server on a loopback port.
// The server's own CLIENT LIST, taken mid-run, must show every service under its name with the
// lib-name its library really sends; the run must end by itself (and on SIGINT) with code 0,
// leaving no child process and no connection behind.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createClient } from 'redis';
import { WORKERS, probe, type Found } from '../scripts/traffic/workers.ts';
import { startServer, waitFor, type TestServer } from './helpers/servers.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const SELF = 'int-traffic-test';

type Entry = Record<string, string>;

interface Traffic {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

function startTraffic(url: string, duration: string, env: Record<string, string> = {}): Traffic {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/traffic.ts', '--url', url, '--duration', duration], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

async function clientList(client: ReturnType<typeof createClient>): Promise<Entry[]> {
  const text = String(await client.sendCommand(['CLIENT', 'LIST']));
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => Object.fromEntries(line.trim().split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])))
    .filter((e) => e.name !== SELF);
}

/** Every process below `pid`, with its command line, read from /proc. */
function descendants(pid: number): Map<number, string> {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = new Map<number, string>();
  let frontier = [pid];
  while (frontier.length) {
    const next: number[] = [];
    for (const [p, pp] of parent) if (frontier.includes(pp) && !out.has(p)) next.push(p);
    for (const p of next) out.set(p, cmdline(p));
    frontier = next;
  }
  return out;
}

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
};

/** The ones still running the same command line (a reused pid does not count). */
const survivors = (procs: Map<number, string>): string[] =>
  [...procs].filter(([pid, cmd]) => existsSync(`/proc/${pid}`) && cmdline(pid) === cmd).map(([pid, cmd]) => `${pid} ${cmd}`);

const NODE_NAMES = ['checkout-api', 'legacy-billing', 'catalog-indexer', 'search-cache', 'edge-gateway', 'admin-console'];

describe('npm run traffic', () => {
  let server: TestServer;
  let client: ReturnType<typeof createClient>;
  const found = new Map<string, Found | undefined>();
  before(async () => {
    server = await startServer('valkey');
    client = createClient({ url: server.url, name: SELF });
    await client.connect();
    for (const w of WORKERS) found.set(w.name, await probe(w));
  });
  after(async () => {
    await client?.close().catch(() => {});
    await server?.stop();
  });

  describe('a 4 s run', () => {
    let traffic: Traffic;
    let mid: Entry[] = [];
    let procs = new Map<number, string>();
    let code: number | null = null;
    let elapsedMs = 0;
    const expectedWorkers = (): string[] => WORKERS.filter((w) => found.get(w.name)).map((w) => w.name);
    before(async () => {
      await client.flushAll();
      const started = Date.now();
      traffic = startTraffic(server.url, '4s');
      // Mid-run: wait until every long-lived service is connected, then take that CLIENT LIST.
      mid = await waitFor(
        async () => {
          const list = await clientList(client);
          const names = new Set(list.map((e) => e.name));
          const ready = [...NODE_NAMES, ...expectedWorkers()].every((n) => names.has(n)) && list.some((e) => e.name === '');
          return ready && list;
        },
        `every service in CLIENT LIST (stderr so far: ${traffic.stderr()})`,
        15_000,
      );
      procs = descendants(traffic.child.pid as number);
      code = await traffic.exited;
      elapsedMs = Date.now() - started;
    });
    after(() => {
      traffic?.child.kill('SIGKILL');
    });

    const one = (name: string): Entry => {
      const e = mid.find((x) => x.name === name);
      assert.ok(e, `${name} in CLIENT LIST: ${mid.map((x) => x.name).join(', ')}`);
      return e;
    };

    test('the Node services announce the libraries they run', () => {
      assert.equal(one('checkout-api')['lib-name'], 'node-redis');
      assert.match(one('checkout-api')['lib-ver'] ?? '', /^6\./);
      // redis@4 reports its @redis/client version: the old library the audit must flag.
      assert.equal(one('legacy-billing')['lib-name'], 'node-redis');
      assert.match(one('legacy-billing')['lib-ver'] ?? '', /^1\.6\./);
      assert.equal(one('catalog-indexer')['lib-name'], 'ioredis');
      assert.match(one('catalog-indexer')['lib-ver'] ?? '', /^6\./);
      assert.equal(one('edge-gateway')['lib-name'], 'ioredis');
      // iovalkey names itself but never sends CLIENT SETINFO.
      assert.equal(one('search-cache')['lib-name'], '');
      assert.equal(mid.filter((e) => e.name === 'admin-console').length, 2);
      // The unnamed ioredis 5.3 client: neither a name nor a library.
      const unnamed = mid.filter((e) => e.name === '');
      assert.ok(unnamed.length >= 1);
      assert.ok(unnamed.every((e) => e['lib-name'] === '' && e['lib-ver'] === ''));
    });

    test('reports-worker runs redis-py from python3-redis', (t) => {
      const py = found.get('reports-worker');
      if (!py) return t.skip('no python3 with the redis module (Debian python3-redis)');
      // redis-py sends CLIENT SETINFO from 5.0 on; Debian bookworm ships 4.3.4, which does not.
      const major = Number(py.version.split('.')[0]);
      assert.equal(one('reports-worker')['lib-name'], major >= 5 ? 'redis-py' : '');
    });

    test('mailer runs redis-rb from ruby-redis, one connection blocked in BRPOP', (t) => {
      if (!found.get('mailer')) return t.skip('no ruby with the redis gem (Debian ruby-redis)');
      const mailer = mid.filter((e) => e.name === 'mailer');
      assert.equal(mailer.length, 2);
      assert.ok(mailer.every((e) => e['lib-name'] === ''), 'redis-rb 4.x sends no lib-name');
    });

    test('legacy-cms runs Redis.pm and storefront runs phpredis', (t) => {
      if (!found.get('legacy-cms') || !found.get('storefront')) return t.skip('no perl Redis.pm or php-redis (Debian libredis-perl, php-redis)');
      assert.equal(one('legacy-cms')['lib-name'], '');
      assert.equal(one('storefront')['lib-name'], '');
    });

    test('one worker process per language, and no secret or address on their command lines', () => {
      const workers = [...procs.values()].filter((c) => /traffic\/(reports_worker\.py|mailer\.rb|cms\.pl|storefront\.php)/.test(c));
      assert.equal(workers.length, expectedWorkers().length, [...procs.values()].join('\n'));
      for (const c of workers) assert.doesNotMatch(c, new RegExp(String(server.port)));
    });

    test('ends by itself after the duration with code 0, leaving no process and no connection', async () => {
      assert.equal(code, 0, traffic.stderr());
      assert.ok(elapsedMs < 15_000, `took ${elapsedMs} ms`);
      assert.deepEqual(survivors(procs), []);
      assert.deepEqual(await clientList(client), []);
      assert.match(traffic.stderr(), /traffic: done after/);
      assert.doesNotMatch(traffic.stderr(), /\n\s+at /, 'no stack trace');
    });

    test('the traffic has the variety the dashboard should show', async () => {
      const stats = String(await client.sendCommand(['INFO', 'commandstats']));
      const calls = (cmd: string): number => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      assert.ok(calls('evalsha') + calls('eval') > 0, 'the rate limiter ran its script');
      for (const cmd of ['multi', 'exec', 'hgetall', 'zadd', 'zrange', 'mget', 'scan']) assert.ok(calls(cmd) > 0, cmd);
      if (found.get('mailer')) assert.ok(calls('brpop') > 0 && calls('lpush') > 0, 'brpop/lpush');
      // The short-lived cron connection came and went.
      assert.ok(await client.get('cron:last-run'));
      // Every key it wrote expires.
      const keys = await client.keys('*');
      assert.ok(keys.length > 100);
      const ttls = await Promise.all(keys.slice(0, 300).map((k) => client.ttl(k)));
      assert.deepEqual(keys.slice(0, 300).filter((_, i) => (ttls[i] ?? -1) < 0), []);
    });
  });

  test('SIGINT (Ctrl-C) stops it cleanly: code 0, no process, no connection', async () => {
    const traffic = startTraffic(server.url, '60s');
    try {
      await waitFor(async () => {
        const names = new Set((await clientList(client)).map((e) => e.name));
        return NODE_NAMES.every((n) => names.has(n)) && (!found.get('mailer') || names.has('mailer'));
      }, 'services connected');
      const procs = descendants(traffic.child.pid as number);
      const sent = Date.now();
      traffic.child.kill('SIGINT');
      const code = await traffic.exited;
      assert.equal(code, 0, traffic.stderr());
      assert.ok(Date.now() - sent < 8000, 'stops within a few seconds');
      assert.deepEqual(survivors(procs), []);
      assert.deepEqual(await clientList(client), []);
      assert.match(traffic.stderr(), /stopping/);
    } finally {
      traffic.child.kill('SIGKILL');
    }
  });

  test('survives a server restart: the services come back and it still ends by itself', async () => {
    const own = await startServer('valkey');
    const probe: ReturnType<typeof createClient> = createClient({ url: own.url });
    try {
      const traffic = startTraffic(own.url, '12s');
      await probe.connect();
      const connected = async () => new Set((await clientList(probe)).map((e) => e.name));
      await waitFor(async () => (await connected()).has('checkout-api'), 'traffic up', 15_000);
      await probe.close();
      await own.restart();
      await probe.connect();
      await waitFor(async () => (await connected()).has('checkout-api') && (await connected()).has('catalog-indexer'), 'services back after the restart', 15_000);
      const code = await traffic.exited;
      assert.equal(code, 0, traffic.stderr());
      assert.doesNotMatch(traffic.stderr(), /\n\s+at /, 'no stack trace');
    } finally {
      await probe.close().catch(() => {});
      await own.stop();
    }
  });

  test('a password comes from REDIS_PASSWORD and is never shown', async () => {
    const secret = 'hunter2-traffic-secret';
    const locked = await startServer('valkey', ['--requirepass', secret]);
    try {
      const traffic = startTraffic(locked.url, '2s', { REDIS_PASSWORD: secret });
      const code = await traffic.exited;
      assert.equal(code, 0, traffic.stderr());
      assert.ok(!traffic.stderr().includes(secret));
      assert.doesNotMatch(traffic.stderr(), /^\s+\[/m, 'no service warned (every library authenticated)');
      const refused = startTraffic(locked.url, '2s');
      assert.equal(await refused.exited, 1);
      assert.match(refused.stderr(), /REDIS_PASSWORD/);
    } finally {
      await locked.stop();
    }
  });

  test('refuses a password on the command line and a server that is not on this machine', async () => {
    const inUrl = startTraffic('redis://:hunter3@127.0.0.1:1', '2s');
    assert.equal(await inUrl.exited, 2);
    assert.match(inUrl.stderr(), /REDIS_PASSWORD/);
    assert.ok(!inUrl.stderr().includes('hunter3'));
    // A .invalid name never resolves, so even a broken guard could not send anything anywhere.
    const remote = startTraffic('redis://cache.example.invalid:6379', '2s');
    assert.equal(await remote.exited, 2);
    assert.match(remote.stderr(), /not on this machine/);
  });
});
