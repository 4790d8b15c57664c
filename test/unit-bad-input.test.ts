// Bad input found by review, each once a crash, a leak or a trap: it now gets a clear answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMonitorLine } from '../src/parse/monitorLine.ts';
import { redactUrl, resolveConfig } from '../src/config.ts';
import { createReconStore } from '../src/store.ts';
import { inProcessPipeline } from './helpers/inProcess.ts';
import { parseClientList } from '../src/parse/clientList.ts';
import { identityFromInfo } from '../src/parse/info.ts';
import { exportInventory } from '../src/export/exportFile.ts';
import { unparsedNote } from '../src/headless.ts';

test('a MONITOR line whose timestamp is no date is unparsed, not a crash later in the export', async () => {
  const r = parseMonitorLine('99999999999999999999.000001 [0 10.0.0.1:5] "get" "k"');
  assert.equal(r.ok, false);
  assert.equal((r as { reason: string }).reason, 'bad timestamp');
  assert.ok(parseMonitorLine('253402300799.000000 [0 10.0.0.1:5] "get" "k"').ok, 'year 9999 still reads');
});

test('a password holding / or @ never survives redaction of a URL that does not parse', () => {
  assert.equal(redactUrl('redis://user:pa/ss@host:6379'), 'redis://***@host:6379');
  assert.equal(redactUrl('redis://user:p@ss@host'), 'redis://***@host');
  assert.equal(redactUrl('redis://host:6379'), 'redis://host:6379');
  const bad = resolveConfig(['--url', 'redis//user:pa/ss@host'], {});
  assert.equal(bad.ok, false);
  assert.doesNotMatch(JSON.stringify(bad), /pa\/ss/);
});

test('a broken %-escape in the URL is a sentence, not "URI malformed"', () => {
  const r = resolveConfig(['--url', 'redis://u:%ZZ@h'], {});
  assert.deepEqual(r, { ok: false, error: '--url has a broken %-escape in its user name or password' });
});

test('a password on the command line is flagged; from the environment it is not', () => {
  const argv = resolveConfig(['--url', 'redis://u:pw@h'], {});
  assert.ok(argv.ok && argv.config.passwordInArgv);
  const env = resolveConfig([], { REDIS_URL: 'redis://u:pw@h' });
  assert.ok(env.ok && !env.config.passwordInArgv);
});

test('names and keys that look like spreadsheet formulas are exported as text', async () => {
  const store = createReconStore({ endpoint: 'h:1', monitor: true, monitorMaxOmemBytes: 1 << 20 });
  const pipeline = inProcessPipeline(store, { delimiter: ':', isSelf: () => false });
  const { clients, unparsed } = parseClientList(
    'id=1 addr=10.0.0.1:5 fd=5 name==HYPERLINK("http://x") age=1 idle=0 flags=N db=0 sub=0 psub=0 multi=-1 qbuf=0 qbuf-free=0 obl=0 oll=0 omem=0 events=r cmd=get user=default\n',
  );
  pipeline.pushPoll({ startedAt: 0, at: 0, clients, unparsed, server: identityFromInfo('redis_version:7.0.15\n'), info: {} });
  pipeline.pushLine('1.1 [0 10.0.0.1:5] "get" "=1+2"');
  await pipeline.flush();
  const path = join(mkdtempSync(join(tmpdir(), 'recon-csv-')), 'inv.csv');
  assert.ok((await exportInventory(store.getState(), path, {})).ok);
  const csv = readFileSync(path, 'utf8');
  assert.ok(csv.includes(`"'=HYPERLINK(""http://x"")"`), csv);
  assert.ok(csv.includes(`'=1+2(1)`), csv);
});

test('notices stay bounded however many distinct ones arrive; the newest are kept', () => {
  const store = createReconStore({ endpoint: 'h:1', monitor: true, monitorMaxOmemBytes: 1 << 20 });
  for (let i = 0; i < 100; i++) store.getState().actions.notice(`notice ${i}`);
  store.getState().actions.notice('notice 99');
  const { notices } = store.getState();
  assert.equal(notices.length, 20);
  assert.equal(notices.at(-1), 'notice 99');
  assert.equal(notices[0], 'notice 80');
});

test('an unreadable MONITOR line never reaches stderr or the store: only how many, and why', async () => {
  const store = createReconStore({ endpoint: 'h:1', monitor: true, monitorMaxOmemBytes: 1 << 25 });
  const pipeline = inProcessPipeline(store, { delimiter: ':', isSelf: () => false });
  pipeline.pushLine('1774787120.638084 [0 10.0.0.1:5] "auth" "s3cret-token-value');
  pipeline.pushLine('1774787120.638085 [0 10.0.0.1:5] "set" "k" "card=4111\\q"');
  await pipeline.flush();
  const { stream } = store.getState();
  assert.equal(stream.unparsed, 2);
  assert.deepEqual(stream.unparsedReasons, { 'unterminated argument': 1, 'bad escape': 1 });
  const note = unparsedNote(stream.unparsed, stream.unparsedReasons);
  assert.equal(note, 'redis-recon: note: 2 MONITOR line(s) could not be read (unterminated argument; bad escape); their text is left out, as it may hold values');
  assert.doesNotMatch(note + JSON.stringify(stream), /s3cret|4111/);
});
