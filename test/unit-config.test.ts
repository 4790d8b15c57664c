import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseDuration, parseTarget, resolveConfig, SETTINGS } from '../src/config.ts';

const ok = (argv: string[], env: Record<string, string> = {}) => {
  const r = resolveConfig(argv, env);
  if (!r.ok) throw new Error(r.error);
  return r.config;
};

test('flags beat the environment', () => {
  const c = ok(['--url', 'redis://flag-host:7000', '--delimiter', '|', '--poll-interval', '5s'], {
    REDIS_URL: 'redis://env-host:6000',
    RECON_DELIMITER: '/',
    RECON_POLL_INTERVAL: '1s',
  });
  assert.equal(c.host, 'flag-host');
  assert.equal(c.port, 7000);
  assert.equal(c.delimiter, '|');
  assert.equal(c.pollIntervalMs, 5000);
});

test('the environment fills what flags leave out, with documented defaults otherwise', () => {
  const c = ok([], { REDIS_URL: 'rediss://cache.internal:6380/2', REDIS_USERNAME: 'recon', REDIS_PASSWORD: 'pw', RECON_PREFIXES: 'orders:, users:' });
  assert.equal(c.tls.enabled, true);
  assert.equal(c.db, 2);
  assert.deepEqual(c.auth, { username: 'recon', password: 'pw' });
  assert.deepEqual(c.prefixes, ['orders:', 'users:']);
  assert.equal(c.endpoint, 'cache.internal:6380/2');
  const d = ok([], {});
  assert.equal(d.endpoint, '127.0.0.1:6379');
  assert.equal(d.delimiter, ':');
  assert.equal(d.monitor, true);
  assert.equal(d.monitorMaxOmemBytes, 32 * 1024 * 1024);
  assert.equal(d.monitorBudgetMs, undefined);
});

test('the endpoint never carries credentials', () => {
  const c = ok(['--url', 'redis://admin:s3cr%40t@10.1.2.3:6379']);
  assert.equal(c.endpoint, '10.1.2.3:6379');
  assert.equal(c.auth.password, 's3cr@t');
  assert.equal(c.auth.username, 'admin');
  const env = ok(['--url', 'redis://admin:from-url@h:1'], { REDIS_PASSWORD: 'from-env' });
  assert.equal(env.auth.password, 'from-env');
});

test('IPv6 hosts and unix sockets', () => {
  const v6 = ok(['--url', 'redis://[::1]:6390']);
  assert.deepEqual([v6.host, v6.port, v6.endpoint], ['::1', 6390, '[::1]:6390']);
  const u = ok(['--url', 'unix:///var/run/redis.sock']);
  assert.equal(u.socketPath, '/var/run/redis.sock');
  assert.equal(u.endpoint, 'unix:/var/run/redis.sock');
});

test('bad input is an error sentence that hides secrets', () => {
  const bad = resolveConfig(['--url', 'redis://u:hunter2@h:notaport'], {});
  assert.equal(bad.ok, false);
  assert.doesNotMatch(JSON.stringify(bad), /hunter2/);
  const scheme = resolveConfig(['--url', 'http://h'], {});
  assert.equal(scheme.ok, false);
  const dur = resolveConfig(['--poll-interval', 'soon'], {});
  assert.equal(dur.ok, false);
  assert.match((dur as { error: string }).error, /--poll-interval: "soon" is not a duration/);
  const size = resolveConfig(['--monitor-max-omem', 'lots'], {});
  assert.equal(size.ok, false);
  assert.equal(resolveConfig(['--tls-cert', 'a.pem'], {}).ok, false, 'cert without key');
  assert.equal(resolveConfig(['--headless'], {}).ok, false, 'headless without a duration');
  assert.equal(resolveConfig(['--delimiter', ''], {}).ok, false);
});

test('durations: units, bare seconds, garbage', () => {
  assert.equal(parseDuration('250ms'), 250);
  assert.equal(parseDuration('10m'), 600_000);
  assert.equal(parseDuration('90'), 90_000);
  assert.equal(parseDuration('1.5'), 1500);
  assert.equal(parseDuration('later'), undefined);
  assert.equal(parseDuration('-5s'), undefined);
});

test('parseTarget rejects a database that is not a number', () => {
  assert.equal(parseTarget('redis://h:1/x').ok, false);
});

test('.env.example documents every environment variable the tool reads', () => {
  const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
  for (const s of SETTINGS) {
    if (s.env) assert.match(example, new RegExp(`^${s.env}=`, 'm'), `${s.env} missing from .env.example`);
  }
});

test('the README documents every flag and variable', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const s of SETTINGS) {
    if (s.flag && !['help', 'version'].includes(s.flag)) assert.ok(readme.includes(`--${s.flag}`), `--${s.flag} missing from README`);
    if (s.env) assert.ok(readme.includes(s.env), `${s.env} missing from README`);
  }
});

test('--to adds the target with its own password and TLS settings, kept out of its endpoint', () => {
  const r = resolveConfig(['--url', 'redis://127.0.0.1:6379', '--to', 'rediss://admin@10.0.0.9:6380/2', '--to-tls-insecure'], { REDIS_PASSWORD: 'src-secret', TO_REDIS_PASSWORD: 'tgt-secret' });
  assert.ok(r.ok);
  const to = r.config.to!;
  assert.equal(to.endpoint, '10.0.0.9:6380/2');
  assert.equal(to.auth.password, 'tgt-secret');
  assert.equal(to.auth.username, 'admin');
  assert.equal(to.tls.enabled, true);
  assert.equal(to.tls.insecure, true);
  assert.equal(r.config.auth.password, 'src-secret');
  assert.equal(r.config.tls.enabled, false);
  assert.equal(to.passwordInArgv, false);
  assert.equal(r.config.quietAfterMs, 5 * 60_000);
});

test('without --to there is no target; --quiet-after sets the quiet period', () => {
  const r = resolveConfig(['--quiet-after', '30s'], {});
  assert.ok(r.ok);
  assert.equal(r.config.to, undefined);
  assert.equal(r.config.quietAfterMs, 30_000);
});

test('a bad --to is refused naming --to, without echoing its password', () => {
  const r = resolveConfig(['--to', 'http://u:hunter2@h:1'], {});
  assert.equal(r.ok, false);
  assert.match((r as { error: string }).error, /^--to must start with redis:\/\//);
  const bad = resolveConfig(['--to', 'redis://u:hunter2@[bad'], {});
  assert.equal(bad.ok, false);
  assert.doesNotMatch((bad as { error: string }).error, /hunter2/);
  const same = resolveConfig(['--url', 'redis://127.0.0.1:7000', '--to', 'redis://127.0.0.1:7000'], {});
  assert.equal(same.ok, false);
});
