// The real CLI, headless, as a user or a script runs it: exit codes, the one-line summary, the
// export contract, and what bad input looks like (a sentence, no stack trace, no secret).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { freePort, startServer, waitFor, type TestServer } from './helpers/servers.ts';
import { CLI } from './helpers/cli.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...CLI, ...args],
      // A clean environment: no .env from the checkout, no inherited REDIS_* settings.
      { env: { PATH: process.env.PATH ?? '', RECON_ENV_FILE: '/nonexistent/.env', ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const noStack = (r: Run): void => {
  assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace in: ${r.stderr}`);
};

describe('headless CLI', () => {
  let server: TestServer;
  let secured: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'recon-headless-'));
  before(async () => {
    [server, secured] = await Promise.all([
      startServer('valkey'),
      startServer('valkey', ['--requirepass', 'right-horse-battery']),
    ]);
  });
  after(async () => {
    await Promise.all([server?.stop(), secured?.stop()]);
  });

  test('writes the export contract and a one-line summary', async () => {
    const out = join(dir, 'inventory.json');
    const writer = createClient({ url: server.url, name: 'orders-writer', RESP: 2 });
    await writer.connect();
    let running = true;
    const traffic = (async () => {
      // Bounded: at most 2,000 commands, and it stops when the run ends.
      for (let i = 0; i < 2000 && running; i++) {
        await writer.set(`orders:${i % 20}`, 'x');
        await writer.get(`orders:${i % 20}`);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const run = await runCli(['--url', server.url, '--headless', '--duration', '2s', '--export', out]);
    running = false;
    await traffic;
    await writer.close();

    assert.equal(run.code, 0, run.stderr);
    noStack(run);
    assert.match(run.stderr, new RegExp(`^redis-recon: valkey 8\\.0\\.\\d+ at 127\\.0\\.0\\.1:${server.port}: \\d+ clients .*wrote `, 'm'));
    const inv = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(Object.keys(inv.server).sort(), ['mode', 'name', 'role', 'version']);
    assert.equal(inv.server.name, 'valkey');
    for (const k of ['start', 'end', 'monitorEvents', 'unparsedLines']) assert.ok(k in inv.window, `window.${k}`);
    assert.ok(inv.window.monitorEvents > 0);
    assert.equal(inv.window.unparsedLines, 0);

    const w = inv.clients.find((c: { name: string }) => c.name === 'orders-writer');
    assert.ok(w, 'the named client is in the export');
    for (const k of ['id', 'addr', 'ip', 'name', 'libName', 'libVer', 'user', 'db', 'connected', 'firstSeen', 'lastSeen', 'commands', 'reads', 'writes', 'prefixes', 'topKeys']) {
      assert.ok(k in w, `clients[].${k}`);
    }
    assert.equal(w.libName, 'node-redis');
    assert.equal(w.ip, '127.0.0.1');
    assert.ok(w.commands.SET > 0 && w.commands.GET > 0);
    assert.equal(w.reads, w.commands.GET);
    assert.equal(w.writes, w.commands.SET);
    assert.deepEqual(Object.keys(w.prefixes[0]).sort(), ['prefix', 'reads', 'writes']);
    assert.deepEqual(Object.keys(w.topKeys[0]).sort(), ['count', 'key']);
    assert.ok(!Number.isNaN(Date.parse(w.firstSeen)) && !Number.isNaN(Date.parse(w.lastSeen)));

    assert.ok(!inv.clients.some((c: { name: string }) => c.name.startsWith('redis-recon-')), 'own connections left out');
    const orders = inv.prefixes.find((p: { prefix: string }) => p.prefix === 'orders:');
    assert.deepEqual(Object.keys(orders).sort(), ['count', 'kind', 'prefix', 'reads', 'writes']);
    assert.equal(orders.count, orders.reads + orders.writes);
    assert.ok(inv.topKeys.length > 0 && typeof inv.topKeys[0].key === 'string');
  });

  test('a wrong password: exit 2, says so, never echoes it', async () => {
    const run = await runCli(['--url', secured.url, '--headless', '--duration', '1s'], { REDIS_PASSWORD: 'wrong-pony-staple' });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /authentication failed/);
    assert.doesNotMatch(run.stderr + run.stdout, /wrong-pony-staple/);
    noStack(run);
  });

  test('a password in the URL is never echoed either', async () => {
    const url = secured.url.replace('//', '//default:sneaky-url-secret@');
    const run = await runCli(['--url', url, '--headless', '--duration', '1s']);
    assert.equal(run.code, 2);
    assert.doesNotMatch(run.stderr + run.stdout, /sneaky-url-secret/);
    noStack(run);
  });

  test('no password where one is required: exit 2 and what to set', async () => {
    const run = await runCli(['--url', secured.url, '--headless', '--duration', '1s']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /requires a password: set REDIS_PASSWORD/);
    noStack(run);
  });

  test('an ACL user that may not run CLIENT LIST: exit 2 at once, saying so', async () => {
    const admin = createClient({ url: server.url, RESP: 2 });
    await admin.connect();
    await admin.sendCommand(['ACL', 'SETUSER', 'nolist', 'on', '>nolist-pw', '~*', '+@all', '-client|list']);
    await admin.close();
    const t0 = Date.now();
    const run = await runCli(['--url', server.url.replace('//', '//nolist@'), '--headless', '--duration', '20s'], { REDIS_PASSWORD: 'nolist-pw' });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /permission denied for CLIENT/);
    assert.ok(Date.now() - t0 < 10_000, 'it does not wait out the duration');
    noStack(run);
  });

  test('nothing listening: exit 2, connection refused', async () => {
    const port = await freePort();
    const run = await runCli(['--url', `redis://127.0.0.1:${port}`, '--headless', '--duration', '1s']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, new RegExp(`connection refused by 127\\.0\\.0\\.1:${port}`));
    noStack(run);
  });

  test('TLS against a plain server fails with a TLS sentence', async () => {
    const run = await runCli(['--url', server.url.replace('redis://', 'rediss://'), '--headless', '--duration', '1s', '--connect-timeout', '2s']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /TLS|timed out/);
    noStack(run);
  });

  test('bad flags and URLs: exit 1 with the reason, secrets masked', async () => {
    const bad = await runCli(['--url', 'http://u:hunter2@host', '--headless', '--duration', '1s']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--url must start with redis:\/\//);
    assert.doesNotMatch(bad.stderr, /hunter2/);
    const unknown = await runCli(['--frobnicate']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /frobnicate/);
    const noDuration = await runCli(['--headless']);
    assert.equal(noDuration.code, 1);
    assert.match(noDuration.stderr, /--headless needs --duration/);
    noStack(bad);
  });

  test('an export path that cannot be written is refused before the run: exit 3 at once, in words', async () => {
    const missing = join(dir, 'missing-dir');
    const t0 = Date.now();
    const run = await runCli(['--url', server.url, '--headless', '--duration', '10m', '--export', join(missing, 'inventory.json')]);
    assert.equal(run.code, 3, run.stderr);
    assert.ok(Date.now() - t0 < 20_000, 'not after the ten minutes');
    assert.equal(run.stderr, `redis-recon: cannot write --export ${join(missing, 'inventory.json')}: no such directory: ${missing}\n`);
    mkdirSync(join(dir, 'a-dir.json'));
    const isDir = await runCli(['--url', server.url, '--headless', '--duration', '10m', '--export', join(dir, 'a-dir.json')]);
    assert.equal(isDir.code, 3);
    assert.match(isDir.stderr, /a-dir\.json: is a directory\n$/);
    noStack(run);
  });

  test('a --record file that cannot be created is refused before connecting: exit 1', async () => {
    const run = await runCli(['--url', server.url, '--headless', '--duration', '10m', '--record', join(dir, 'nope', 'session.jsonl.gz')]);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr, `redis-recon: cannot write --record ${join(dir, 'nope', 'session.jsonl.gz')}: no such directory: ${join(dir, 'nope')}\n`);
  });

  test('an export that fails at the end of the run (its directory went away): exit 3, the summary still printed', async () => {
    const gone = mkdtempSync(join(dir, 'goes-away-'));
    const out = join(gone, 'inventory.json');
    const probe = createClient({ url: server.url, RESP: 2 });
    await probe.connect();
    const running = runCli(['--url', server.url, '--headless', '--duration', '1500ms', '--poll-interval', '100ms', '--export', out]);
    // Once its poller is connected the checks are behind it: take the directory away.
    await waitFor(async () => /name=redis-recon-poll-/.test(String(await probe.sendCommand(['CLIENT', 'LIST']))), 'the run to start', 20_000);
    rmSync(gone, { recursive: true });
    const run = await running;
    await probe.close();
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /cannot write .*inventory\.json: no such directory/);
    assert.match(run.stderr, /clients/);
    assert.ok(!existsSync(out));
    noStack(run);
  });

  test('the dashboard refuses to start without a terminal and points to --headless', async () => {
    const run = await runCli(['--url', server.url]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /--headless/);
  });
});
