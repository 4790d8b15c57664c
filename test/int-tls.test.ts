// TLS as users meet it: a server with a private CA. Without the CA the certificate is refused with
// a sentence that says what to pass; with it (or the explicit insecure switch) the run works; a
// plain client on the TLS port is told the server expects TLS.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { startTlsServer, type TestServer, type TlsFiles } from './helpers/servers.ts';
import { CLI } from './helpers/cli.ts';

const run = (args: string[]): Promise<{ code: number; stderr: string }> =>
  new Promise((resolve) => {
    execFile(process.execPath, [...CLI, ...args], { env: { PATH: process.env.PATH ?? '', RECON_ENV_FILE: '/nonexistent' }, timeout: 30_000 }, (err, _o, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }),
    );
  });

describe('TLS', () => {
  let server: TestServer & { tls: TlsFiles };
  before(async () => {
    server = await startTlsServer('valkey');
  });
  after(async () => {
    await server?.stop();
  });

  test('an untrusted certificate is refused, with the flag that fixes it', async () => {
    const r = await run(['--url', server.url, '--headless', '--duration', '300ms']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /TLS certificate rejected .*--tls-ca/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  test('with the CA it connects and reports the server', async () => {
    const r = await run(['--url', server.url, '--tls-ca', server.tls.ca, '--headless', '--duration', '300ms']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /valkey 8\.0\.\d+ at 127\.0\.0\.1:\d+: \d+ clients/);
  });

  test('--tls-insecure connects without the CA', async () => {
    const r = await run(['--url', server.url, '--tls-insecure', '--headless', '--duration', '300ms']);
    assert.equal(r.code, 0, r.stderr);
  });

  test('a plain client on the TLS port is told the server may expect TLS', async () => {
    const r = await run(['--url', server.url.replace('rediss://', 'redis://'), '--headless', '--duration', '300ms', '--connect-timeout', '2s']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /expects TLS|rediss:\/\//);
  });
});
