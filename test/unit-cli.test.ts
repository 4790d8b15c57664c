// The CLI's conventions, without a server: file errors in words, bounds on durations and sizes,
// the export path checked before a run, the nearest flag for a typo, and the help's closing part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { constants, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileErrorText } from '../src/fileErrors.ts';
import { expandHome, unwritablePath } from '../src/paths.ts';
import { MAX_DURATION_MS, MAX_OMEM_BYTES, resolveConfig } from '../src/config.ts';

const errorOf = (argv: string[], env: Record<string, string> = {}): string => {
  const r = resolveConfig(argv, env);
  assert.equal(r.ok, false, `${argv.join(' ')} should be refused`);
  return (r as { error: string }).error;
};
const configOf = (argv: string[], env: Record<string, string> = {}) => {
  const r = resolveConfig(argv, env);
  if (!r.ok) throw new Error(r.error);
  return r.config;
};

const errOf = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
};

test('file errors are words, not errno codes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recon-cli-'));
  const missing = errOf(() => readFileSync(join(dir, 'absent.json')));
  assert.equal(fileErrorText(missing), 'no such file');
  assert.equal(fileErrorText(missing, 'write'), 'no such directory');
  assert.equal(fileErrorText(errOf(() => readFileSync(dir))), 'is a directory');
  const eacces = Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: 'EACCES', errno: -13 });
  assert.equal(fileErrorText(eacces), 'permission denied');
  // A code the table does not name: the system's own description, never the bare code.
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -constants.errno.ECONNRESET });
  assert.equal(fileErrorText(reset), 'connection reset by peer');
  assert.equal(fileErrorText(new Error("ENOSYS: function not implemented, open 'x'\nmore")), 'function not implemented');
});

test('a duration a timer cannot hold is refused, with the maximum (30d used to end the run at once)', () => {
  assert.ok(MAX_DURATION_MS < 2 ** 31 - 1, 'below the largest delay setTimeout keeps');
  assert.match(errorOf(['--headless', '--duration', '30d']), /--duration: "30d" is too long: at most 24d/);
  assert.match(errorOf(['--headless', '--duration', '3000000']), /too long: at most 24d/, 'bare seconds too');
  assert.match(errorOf(['--monitor-budget', '25d']), /--monitor-budget: "25d" is too long/);
  assert.match(errorOf([], { RECON_DURATION: '1y' }), /--duration: "1y" is too long/, 'the environment is checked the same way');
  assert.equal(configOf(['--headless', '--duration', '24d']).durationMs, MAX_DURATION_MS);
  assert.equal(configOf(['--monitor-budget', '12h']).monitorBudgetMs, 12 * 3600_000);
});

test('intervals and timeouts stay in ranges that make sense against a production server', () => {
  assert.match(errorOf(['--poll-interval', '50ms']), /--poll-interval must be at least 100ms/);
  assert.match(errorOf(['--poll-interval', '2h']), /--poll-interval: "2h" is too long: at most 10m/);
  assert.match(errorOf(['--flush-interval', '5ms']), /--flush-interval must be at least 10ms/);
  assert.match(errorOf(['--flush-interval', '1m']), /too long: at most 10s/);
  assert.match(errorOf(['--connect-timeout', '1h']), /--connect-timeout: "1h" is too long: at most 10m/);
  const c = configOf(['--poll-interval', '10m', '--flush-interval', '10s', '--connect-timeout', '10m']);
  assert.deepEqual([c.pollIntervalMs, c.flushIntervalMs, c.connectTimeoutMs], [600_000, 10_000, 600_000]);
});

test('--monitor-max-omem: a whole number of bytes, at most 4GB', () => {
  assert.match(errorOf(['--monitor-max-omem', '100TB']), /--monitor-max-omem: "100TB" is too large: at most 4GB/);
  assert.match(errorOf(['--monitor-max-omem', '0']), /is not a size/);
  assert.equal(configOf(['--monitor-max-omem', '4GB']).monitorMaxOmemBytes, MAX_OMEM_BYTES);
  assert.equal(configOf(['--monitor-max-omem', '1.5KB']).monitorMaxOmemBytes, 1536);
  assert.ok(Number.isInteger(configOf(['--monitor-max-omem', '1.3KB']).monitorMaxOmemBytes));
});

test('~ and ~/… expand to the home directory in every file setting, from flags and from .env alike', () => {
  assert.equal(expandHome('~', '/home/ops'), '/home/ops');
  assert.equal(expandHome('~/out/inv.json', '/home/ops'), join('/home/ops', 'out/inv.json'));
  assert.equal(expandHome('~ops/inv.json', '/home/ops'), '~ops/inv.json', 'another user\'s ~ is left alone');
  assert.equal(expandHome('a~/b.json', '/home/ops'), 'a~/b.json');
  const c = configOf(['--headless', '--duration', '1s', '--export', '~/inv.json', '--record', '~/s.jsonl.gz', '--tls-ca', '~/ca.pem', '--libraries', '~/libs.json'], {
    REDIS_TLS_CERT: '~/c.pem',
    REDIS_TLS_KEY: '~/k.pem',
  });
  assert.equal(c.exportFile, join(homedir(), 'inv.json'));
  assert.equal(c.recordFile, join(homedir(), 's.jsonl.gz'));
  assert.deepEqual([c.tls.caFile, c.tls.certFile, c.tls.keyFile], ['ca.pem', 'c.pem', 'k.pem'].map((f) => join(homedir(), f)));
  assert.equal(c.librariesFile, join(homedir(), 'libs.json'));
  assert.equal(configOf(['--replay', '~/r.jsonl.gz']).replayFile, join(homedir(), 'r.jsonl.gz'));
  assert.equal(configOf(['--monitor-log', '-']).monitorLog, '-', 'stdin stays stdin');
});

test('an output path is checked before the run: missing directory, a directory, under a file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recon-out-'));
  assert.equal(unwritablePath(join(dir, 'inv.json')), undefined, 'a new file in a writable directory');
  writeFileSync(join(dir, 'old.json'), '{}');
  assert.equal(unwritablePath(join(dir, 'old.json')), undefined, 'an existing file is replaced');
  assert.equal(unwritablePath(join(dir, 'x', 'y', 'inv.json')), `no such directory: ${join(dir, 'x', 'y')}`);
  mkdirSync(join(dir, 'taken.json'));
  assert.equal(unwritablePath(join(dir, 'taken.json')), 'is a directory');
  assert.equal(unwritablePath(join(dir, 'old.json', 'inv.json')), `not a directory: ${join(dir, 'old.json')}`);
  assert.match(unwritablePath(join(dir, 'old.json', 'deeper', 'inv.json')) ?? '', /not a directory: /);
});
