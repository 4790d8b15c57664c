// The CLI's conventions, without a server: file errors in words, bounds on durations and sizes,
// the export path checked before a run, the nearest flag for a typo, and the help's closing part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { constants, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileErrorText } from '../src/fileErrors.ts';
import { expandHome, unwritablePath } from '../src/paths.ts';
import { MAX_DURATION_MS, MAX_OMEM_BYTES, resolveConfig, SETTINGS } from '../src/config.ts';
import { nearestFlag } from '../src/flagErrors.ts';
import { helpText } from '../src/help.ts';

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

test('an unknown flag names the nearest real one', () => {
  assert.equal(errorOf(['--durration', '5s']), 'unknown option --durration; did you mean --duration?');
  assert.equal(errorOf(['--expotr', 'x.md']), 'unknown option --expotr; did you mean --export?');
  assert.equal(errorOf(['--poll-intervall=2s']), 'unknown option --poll-intervall; did you mean --poll-interval?');
  assert.equal(errorOf(['--monitor-max']), 'unknown option --monitor-max; did you mean --monitor-max-omem?', 'the one flag it begins');
  assert.equal(errorOf(['-url', 'redis://h']), 'unknown option -url; did you mean --url?', 'one dash for two');
  assert.equal(errorOf(['--frobnicate']), 'unknown option --frobnicate', 'no guess when nothing is close');
  assert.equal(nearestFlag('tls', ['tls', 'tls-ca']), 'tls');
  assert.equal(nearestFlag('monitor', ['monitor-budget', 'monitor-max-omem', 'monitor-log']), undefined, 'ambiguous: no guess');
});

test('command-line errors never echo what may be a secret', () => {
  const pw = errorOf(['--password', 'hunter2']);
  assert.match(pw, /unknown option --password: the password goes in REDIS_PASSWORD/);
  const url = errorOf(['redis://admin:hunter2@db.internal:6379']);
  assert.equal(url, 'unexpected argument 1 (a URL, not shown): did you mean --url URL?');
  const word = errorOf(['--headless', '--duration', '1s', 'hunter2']);
  assert.equal(word, 'unexpected argument 4 (not shown): redis-recon takes only options, such as --url URL');
  for (const e of [pw, url, word]) assert.doesNotMatch(e, /hunter2/);
});

test('-V and --version ask for the version; -v still does', () => {
  for (const flag of ['-V', '--version', '-v']) assert.equal(configOf([flag]).version, true, flag);
  assert.equal(configOf([]).version, false);
});

test('--help: every option, then examples, then the exit codes; no secret in any of it', () => {
  const help = helpText();
  for (const s of SETTINGS) {
    if (s.flag) assert.ok(help.includes(`--${s.flag}`), `--${s.flag} in the help`);
    if (s.env) assert.ok(help.includes(s.env), `${s.env} in the help`);
  }
  assert.match(help, /^ {2}-V, --version$/m);
  assert.match(help, /^ {2}-h, --help$/m);
  const examples = help.indexOf('\nExamples:\n');
  const exits = help.indexOf('\nExit codes:\n');
  assert.ok(examples > help.indexOf('--export FILE') && exits > examples, 'options, examples, exit codes, in that order');
  const codes = help.slice(exits).split('\n').slice(2).map((l) => l.trim().split(/\s+/)[0]);
  assert.deepEqual(codes, ['0', '1', '2', '3', '4', '70', '128+n']);
  // Every example parses as it stands (a typo in one would teach the user a wrong flag).
  const commands = help.slice(examples, exits).split('\n').filter((l) => l.startsWith('  redis-recon '));
  assert.equal(commands.length, 6);
  for (const c of commands) assert.ok(resolveConfig(c.trim().split(/\s+/).slice(1), {}).ok, c);
  assert.doesNotMatch(help, /\/\/[^/\s]*:[^/\s]*@/, 'no user:password@ in a URL');
  assert.doesNotMatch(help, /REDIS_PASSWORD=\S/, 'no password value');
});
