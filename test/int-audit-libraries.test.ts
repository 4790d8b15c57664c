// Real client libraries of different ages, installed from npm, connect to a real Valkey 8.0 and
// the headless export judges each one: who must upgrade before the cutover, and who cannot be told.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { createClient as createClientV4 } from 'redis-v4';
import { Redis as IORedis } from 'ioredis';
import { Redis as IORedisOld } from 'ioredis-v5-3';
import { Valkey } from 'iovalkey';
import { startServer, waitFor, type TestServer } from './helpers/servers.ts';
import { CLI } from './helpers/cli.ts';

interface Client {
  close(): Promise<unknown>;
}

describe('library audit with real client libraries', () => {
  let server: TestServer;
  const clients: Client[] = [];
  before(async () => {
    server = await startServer('valkey');
    const current = createClient({ url: server.url, name: 'svc-node-redis-6' });
    const v4 = createClientV4({ url: server.url, name: 'svc-node-redis-4' });
    await Promise.all([current.connect(), v4.connect()]);
    const io6 = new IORedis(server.port, '127.0.0.1', { connectionName: 'svc-ioredis-6' });
    const io53 = new IORedisOld(server.port, '127.0.0.1', { connectionName: 'svc-ioredis-5-3' });
    const valkey = new Valkey(server.port, '127.0.0.1', { connectionName: 'svc-iovalkey' });
    const anon = createClient({ url: server.url, RESP: 2 });
    await anon.connect();
    clients.push(
      { close: () => current.close() },
      { close: () => v4.quit() },
      { close: () => io6.quit() },
      { close: () => io53.quit() },
      { close: () => valkey.quit() },
      { close: () => anon.close() },
    );
    // Each does some work, so the inventory has commands to judge against the target.
    await current.set('orders:1', 'x');
    await v4.get('orders:1');
    await io6.hset('users:1', 'name', 'a');
    await io53.get('users:2');
    await valkey.lpush('jobs:q', '1');
    await anon.get('cache:1');
    // ioredis announces its name in the background: wait until every name shows in CLIENT LIST.
    await waitFor(async () => {
      const list = String(await anon.sendCommand(['CLIENT', 'LIST']));
      return ['svc-node-redis-6', 'svc-node-redis-4', 'svc-ioredis-6', 'svc-ioredis-5-3', 'svc-iovalkey'].every((n) => list.includes(`name=${n} `));
    }, 'all clients named');
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await server?.stop();
  });

  test('the export judges each library and flags who must change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recon-audit-'));
    const out = join(dir, 'inventory.json');
    const code = await new Promise<number>((resolve) =>
      execFile(process.execPath, [...CLI, '--url', server.url, '--headless', '--duration', '1s', '--export', out], { env: { PATH: process.env.PATH ?? '', RECON_ENV_FILE: '/nonexistent' } }, (err) =>
        resolve(err ? Number(err.code ?? 1) : 0),
      ),
    );
    assert.equal(code, 0);
    const inv = JSON.parse(readFileSync(out, 'utf8'));
    const byName = (n: string) => inv.clients.find((c: { name: string; connected: boolean }) => c.name === n && c.connected);
    const verdict = (n: string) => byName(n)?.library?.verdict;
    const codes = (n: string) => (byName(n)?.findings ?? []).map((f: { code: string }) => f.code);

    assert.equal(byName('svc-node-redis-6').libName, 'node-redis');
    assert.equal(verdict('svc-node-redis-6'), 'ok');

    // redis@4 reports its @redis/client version (1.6.x): mapped to the 4.7 line, below the minimum.
    assert.equal(byName('svc-node-redis-4').libName, 'node-redis');
    assert.match(byName('svc-node-redis-4').libVer, /^1\.6\./);
    assert.equal(verdict('svc-node-redis-4'), 'outdated');
    assert.ok(codes('svc-node-redis-4').includes('library-outdated'));
    assert.match(byName('svc-node-redis-4').library.reason, /4\.7/);

    assert.equal(byName('svc-ioredis-6').libName, 'ioredis');
    assert.equal(verdict('svc-ioredis-6'), 'ok');

    // ioredis before 5.8 and iovalkey never send CLIENT SETINFO: nothing identifies the library.
    assert.equal(byName('svc-ioredis-5-3').libName, '');
    assert.equal(verdict('svc-ioredis-5-3'), 'missing');
    assert.ok(codes('svc-ioredis-5-3').includes('library-missing'));
    assert.equal(verdict('svc-iovalkey'), 'missing');

    const anon = inv.clients.find((c: { name: string; connected: boolean }) => c.name === '' && c.connected);
    assert.ok(anon, 'the unnamed client is in the inventory');
    assert.ok(anon.findings.some((f: { code: string }) => f.code === 'no-client-name'));
    assert.equal(anon.library.verdict, 'ok', 'unnamed, but its library (current node-redis) is fine');

    assert.equal(inv.target.id, 'elasticache-valkey');
    assert.ok(inv.summary.libraries.outdated >= 1 && inv.summary.libraries.missing >= 2);
    assert.ok(inv.summary.findings['no-client-name'] >= 1);
  });
});
