// The recording format on its own, without a server: records are validated one by one (a bad one is
// skipped, not the end of the replay), headers are checked, unparsed lines keep no values, a slow
// disk drops batches instead of growing memory, and stopping a replay never waits.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { createReconStore, type ReconStore } from '../src/store.ts';
import { resolveConfig } from '../src/config.ts';
import { prepareRun, type Run } from '../src/run.ts';
import { readHeader, validRecord } from '../src/record/reader.ts';
import { startRecorder } from '../src/record/recorder.ts';
import type { IngestEvent } from '../src/analysis/session.ts';
import type { PollResult, ServerIdentity } from '../src/types.ts';
import { recordTap } from '../src/collect/tap.ts';
import type { Recorder } from '../src/record/recorder.ts';

const dir = mkdtempSync(join(tmpdir(), 'recon-unit-rec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = { t: 'header', v: 1, tool: 'redis-recon', toolVersion: 'test', endpoint: '127.0.0.1:6379', startedAt: 1000, delimiter: ':', values: false };
const SERVER: ServerIdentity = { name: 'valkey', version: '8.0.1', redisVersion: '7.2.4', mode: 'standalone', role: 'master' };
const event = (key: string, ts = 1) => ({ ts, db: 0, src: '127.0.0.1:5000', c: 'GET', a: 'read', k: [key], w: [false] });
const batch = (at: number, ...keys: string[]) => ({ t: 'batch', at, events: keys.map((k) => event(k, at / 1000)) });

let n = 0;
function recording(records: object[], header: object = HEADER): string {
  const path = join(dir, `r${n++}.jsonl.gz`);
  writeFileSync(path, gzipSync([header, ...records].map((r) => JSON.stringify(r)).join('\n') + '\n'));
  return path;
}

/** What a collector's tap hands the recorder: one poll at a time, one flush's batch at a time. */
function via(rec: Recorder, values: boolean) {
  const tap = recordTap({ values, sink: (text, kind) => rec.write(text, kind) });
  return {
    batch(at: number, events: IngestEvent[], unparsed: string[]) {
      for (const l of unparsed) tap.unparsed(l);
      tap.batch(at, events);
      tap.drain();
    },
    poll: (p: PollResult) => tap.poll(p),
    close: () => rec.close(),
  };
}

function replay(path: string, speed = 'max'): { store: ReconStore; run: Run } {
  const cfg = resolveConfig(['--replay', path, '--speed', speed], {});
  assert.ok(cfg.ok);
  const prepared = prepareRun(cfg.config);
  assert.ok(prepared.ok, prepared.ok ? '' : prepared.error);
  const store = createReconStore({ endpoint: prepared.run.endpoint, monitor: true, monitorMaxOmemBytes: 1 << 25, now: prepared.run.now });
  return { store, run: prepared.run.start(store, {}) };
}

async function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for a condition (a replay runs in a collector worker, which takes a moment to start on a busy machine). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
}

describe('malformed records', () => {
  test('a malformed record is skipped and counted; every valid record after it still replays', async () => {
    const path = recording([
      batch(1000, 'a:1'),
      { t: 'batch', at: 1100, events: 'oops' },
      { t: 'batch', at: 1200, events: [event('b:1'), { ...event('x'), k: [42] }] },
      { t: 'poll', at: 1250, startedAt: 1000, server: { name: 'valkey' }, clientList: '' },
      { t: 'what', at: 1260 },
      batch(1300, 'c:1', 'c:2'),
      batch(1400, 'd:1'),
    ]);
    const { store, run } = replay(path);
    const summary = await run.done;
    assert.equal(store.getState().stream.lines, 4, 'the four events of the valid batches, and none of the half-valid one');
    assert.match(summary!, /end of recording \(4 records, 4 damaged/);
  });

  test('each field the replay reads must have its type', () => {
    const good = { ...batch(1, 'k'), unparsed: ['x'], bad: 1 };
    assert.ok(validRecord(good));
    assert.ok(validRecord({ t: 'batch', at: 1, events: [{ ...event('k'), s: true, args: ['GET', 'k'] }] }));
    assert.ok(validRecord({ t: 'poll', at: 1, startedAt: 1, server: SERVER, clientList: '' }));
    assert.ok(validRecord({ t: 'monitor', at: 1, phase: 'paused' }));
    assert.ok(validRecord({ t: 'gap', at: 1, droppedBatches: 3 }));
    assert.ok(validRecord(HEADER));
    const bad: unknown[] = [
      null,
      [],
      'batch',
      { t: 'batch', events: [] },
      { t: 'batch', at: '1', events: [] },
      { t: 'batch', at: 1, events: 'oops' },
      { t: 'batch', at: 1, events: [null] },
      { t: 'batch', at: 1, events: [1] },
      { t: 'batch', at: 1, events: [], unparsed: [1] },
      { t: 'batch', at: 1, events: [], unparsed: 'line' },
      { t: 'batch', at: 1, events: [], bad: -1 },
      { t: 'batch', at: 1, events: [], bad: 1.5 },
      { t: 'batch', at: 1, events: [], bad: 1e12 },
      ...(
        [
          { ts: '1' },
          { ts: undefined },
          { db: null },
          { src: 5 },
          { c: undefined },
          { a: 'delete' },
          { k: 'key' },
          { k: [1] },
          { w: [] },
          { w: ['yes'] },
          { w: undefined },
          { s: false },
          { args: 'GET k' },
          { args: [1] },
        ] as object[]
      ).map((patch) => ({ t: 'batch', at: 1, events: [{ ...event('k'), ...patch }] })),
      { t: 'poll', startedAt: 1, server: SERVER, clientList: '' },
      { t: 'poll', at: 1, server: SERVER, clientList: '' },
      { t: 'poll', at: 1, startedAt: 1, clientList: '' },
      { t: 'poll', at: 1, startedAt: 1, server: { name: 'valkey' }, clientList: '' },
      { t: 'poll', at: 1, startedAt: 1, server: { ...SERVER, name: 1 }, clientList: '' },
      { t: 'poll', at: 1, startedAt: 1, server: SERVER, clientList: ['id=1'] },
      { t: 'monitor', phase: 'on' },
      { t: 'monitor', at: 1, phase: 1 },
      { t: 'gap', at: 1 },
      { t: 'gap', at: 1, droppedBatches: '2' },
      { ...HEADER, delimiter: '' },
      { ...HEADER, startedAt: 'now' },
      { t: 'unknown', at: 1 },
    ];
    for (const r of bad) assert.equal(validRecord(r), false, JSON.stringify(r));
  });
});

describe('text', () => {
  test('a recording is UTF-8: keys with accents and Cyrillic replay as they were written (not as latin1)', async () => {
    const path = recording([batch(1000, 'café:ключ:1', 'café:ключ:1')]);
    const { store, run } = replay(path);
    await run.done;
    const view = store.getState().view;
    assert.deepEqual(view.topKeys.map((k) => k.key), ['café:ключ:1']);
    assert.ok(view.tree.node('café:'), view.tree.all().map((p) => p.prefix).join(' '));
  });
});

describe('headers', () => {
  const cases: Array<[string, object, RegExp]> = [
    ['no delimiter', { ...HEADER, delimiter: undefined }, /damaged header: no key delimiter/],
    ['an empty delimiter', { ...HEADER, delimiter: '' }, /damaged header: no key delimiter/],
    ['a start time that is not a number', { ...HEADER, startedAt: '2024-01-01' }, /damaged header: no start time/],
    ['no start time', { ...HEADER, startedAt: undefined }, /damaged header: no start time/],
    ['no endpoint', { ...HEADER, endpoint: undefined }, /damaged header: no endpoint/],
    ['an endpoint that is not a string', { ...HEADER, endpoint: 6379 }, /damaged header: no endpoint/],
  ];
  for (const [what, header, error] of cases) {
    test(`a header with ${what} is refused in words`, () => {
      const path = recording([batch(1000, 'a:1')], header);
      const r = readHeader(path);
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.error, error);
      assert.ok(!r.ok && r.error.startsWith(path), 'names the file');
      const cfg = resolveConfig(['--replay', path], {});
      assert.ok(cfg.ok);
      assert.equal(prepareRun(cfg.config).ok, false, 'the run is refused before it starts');
    });
  }

  test('a valid header is read', () => {
    const r = readHeader(recording([]));
    assert.ok(r.ok);
    assert.equal(r.header.delimiter, ':');
  });
});

const ingest = (key: string, ts: number): IngestEvent => ({
  ts,
  db: 0,
  source: '127.0.0.1:5000',
  args: ['SET', key, 'secret-value'],
  classified: { command: 'SET', access: 'write', keys: [{ key, write: true }], script: false },
});

function records(path: string): Array<Record<string, unknown>> {
  const text = gunzipSync(readFileSync(path), { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('unparsed lines', () => {
  const LINE = '1700000000.123456 [0 127.0.0.1:5000] "set" "session:1" "secret-value-in-a-cut-line';

  for (const values of [false, true]) {
    test(`are ${values ? 'kept as text with' : 'only counted without'} --record-values, and replay as the same count`, async () => {
      const path = join(dir, `unparsed-${values}.jsonl.gz`);
      const rec = via(startRecorder({ path, endpoint: 'e', delimiter: ':', values, startedAt: 1000 }), values);
      rec.batch(1000, [ingest('session:1', 1)], [LINE, 'garbage']);
      rec.batch(1100, [], ['more garbage']);
      await rec.close();
      const text = gunzipSync(readFileSync(path)).toString('utf8');
      assert.equal(text.includes('secret-value-in-a-cut-line'), values);
      assert.equal(text.includes('garbage'), values);
      const batches = records(path).filter((r) => r.t === 'batch');
      assert.deepEqual(
        batches.map((b) => (values ? b.unparsed : b.bad)),
        values ? [[LINE, 'garbage'], ['more garbage']] : [2, 1],
      );
      const { store, run } = replay(path);
      await run.done;
      assert.equal(store.getState().stream.unparsed, 3);
      assert.equal(store.getState().stream.lines, 4);
    });
  }
});

describe('a disk that falls behind', () => {
  test('drops batches while gzip is full, then writes one gap record and the newest poll', async () => {
    // A FIFO nobody reads yet: the recording cannot even open, so everything backs up in memory.
    const fifo = join(dir, 'slow.fifo');
    execFileSync('mkfifo', [fifo]);
    const rec = via(startRecorder({ path: fifo, endpoint: 'e', delimiter: ':', values: false, startedAt: 1000 }), false);
    const chunks: Buffer[] = [];
    const stalled = 1000; // about 10 MB of batches: far more than the recorder may queue
    let reading: Promise<void> | undefined;
    try {
      const poll = (at: number): PollResult => ({ at, startedAt: 1000, clients: [], unparsed: [], server: SERVER, info: {}, rawClientList: `id=${at}\n` });
      const events = (i: number) => Array.from({ length: 100 }, (_, j) => ingest(`k:${i}:${j}:${Math.random().toString(36).repeat(4)}`, i));
      for (let i = 0; i < stalled; i++) {
        rec.batch(1000 + i, events(i), []);
        if (i === 900) rec.poll(poll(1900));
        if (i === 950) rec.poll(poll(1950));
      }
      // Now the disk catches up.
      reading = new Promise<void>((resolve, reject) => {
        const r = createReadStream(fifo);
        r.on('data', (c) => chunks.push(c as Buffer));
        r.on('end', resolve);
        r.on('error', reject);
      });
      await new Promise((r) => setTimeout(r, 1500));
      for (let i = stalled; i < stalled + 5; i++) {
        rec.batch(1000 + i, events(i), []);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await rec.close();
      if (!reading) createReadStream(fifo).resume();
    }
    await reading;
    const written = join(dir, 'slow.jsonl.gz');
    writeFileSync(written, Buffer.concat(chunks));
    const all = records(written);
    const batches = all.filter((r) => r.t === 'batch');
    const gaps = all.filter((r) => r.t === 'gap');
    assert.equal(gaps.length, 1, 'one gap record');
    const dropped = gaps[0]!.droppedBatches as number;
    assert.ok(dropped > 100, `${dropped} batches dropped`);
    assert.equal(batches.length + dropped, stalled + 5, 'every batch is either written or counted');
    const gapAt = all.indexOf(gaps[0]!);
    assert.equal(gaps[0]!.at, 1000 + stalled - 1, 'the gap ends at the last dropped batch');
    assert.deepEqual(
      all.slice(gapAt + 1).filter((r) => r.t === 'batch').map((b) => b.at),
      [0, 1, 2, 3, 4].map((i) => 1000 + stalled + i),
      'batches after the drain are written again',
    );
    const polls = all.filter((r) => r.t === 'poll');
    assert.deepEqual(polls.map((p) => p.at), [1950], 'only the newest poll seen while blocked');
  });

  test('a replay turns gap records into a notice and the summary', async () => {
    const path = recording([batch(1000, 'a:1'), { t: 'gap', at: 1500, droppedBatches: 7 }, batch(2000, 'b:1'), { t: 'gap', at: 2500, droppedBatches: 2 }]);
    const { store, run } = replay(path);
    const summary = await run.done;
    assert.match(summary!, /9 batches never written/);
    assert.deepEqual(store.getState().notices.filter((m) => /gaps/.test(m)), ["the recording has gaps: the recorder's disk fell behind and some batches were never written"]);
    assert.equal(store.getState().stream.lines, 2);
  });
});

describe('stopping a replay', () => {
  test('stops a paused replay at once', async () => {
    const path = recording([batch(1000, 'a:1'), batch(1100, 'a:2'), batch(1200, 'a:3'), batch(30_000, 'a:4')]);
    const { store, run } = replay(path, '1');
    await until(() => store.getState().stream.lines > 0, 'replay started');
    store.getState().actions.toggleMonitor();
    await until(() => store.getState().monitor.phase === 'paused', 'paused');
    await within(500, run.engine.stop(), 'stopping a paused replay');
    assert.equal(store.getState().monitor.phase, 'stopped');
    assert.ok(store.getState().stream.lines < 4);
  });

  test('stops a replay waiting for its next batch at once', async () => {
    const path = recording([batch(1000, 'a:1'), batch(61_000, 'a:2')]);
    const { store, run } = replay(path, '1');
    await until(() => store.getState().stream.lines > 0, 'replay started');
    await within(500, run.engine.stop(), 'stopping between two batches a minute apart');
    assert.equal(store.getState().stream.lines, 1, 'the later batch is not applied');
    assert.match((await run.done)!, /end of recording/);
    assert.equal(store.getState().monitor.phase, 'stopped');
  });
});

describe('server restarts in a recording', () => {
  test('a poll keeps run_id, uptime and the server time; a replay across a restart keeps a reused id apart', async () => {
    const path = join(dir, 'restart.jsonl.gz');
    const at0 = 1_774_787_120_000;
    // The recording starts when its session did (a replay skips record times a year away from it).
    const rec = via(startRecorder({ path, endpoint: 'e', delimiter: ':', values: false, startedAt: at0 - 1000 }), false);
    const cl = (name: string, age: number) =>
      `id=6 addr=127.0.0.1:40001 laddr=127.0.0.1:6379 fd=8 name=${name} age=${age} idle=0 flags=N db=0 sub=0 psub=0 multi=-1 qbuf=0 qbuf-free=0 obl=0 oll=0 omem=0 events=r cmd=set user=default\n`;
    const info = (runId: string, ms: number) => ({ run_id: runId.repeat(40), uptime_in_seconds: '9', server_time_usec: String(ms * 1000), redis_version: '7.2.4' });
    const set = (key: string, ms: number): IngestEvent => ({ ...ingest(key, ms / 1000), source: '127.0.0.1:40001' });
    rec.poll({ startedAt: at0, at: at0 + 2, clients: [], unparsed: [], server: SERVER, info: info('a', at0 + 1), rawClientList: cl('alpha', 3) });
    rec.batch(at0 + 100, [set('alpha:1', at0 + 50), set('alpha:2', at0 + 60)], []);
    // The server restarts; beta gets id 6 and even the same port. Only run_id tells them apart.
    rec.poll({ startedAt: at0 + 5000, at: at0 + 5002, clients: [], unparsed: [], server: SERVER, info: info('b', at0 + 5001), rawClientList: cl('beta-0', 3) });
    rec.batch(at0 + 5100, [set('beta:1', at0 + 5050)], []);
    await rec.close();
    const polls = records(path).filter((r) => r.t === 'poll');
    assert.deepEqual(polls[0]!.info, { run_id: 'a'.repeat(40), uptime_in_seconds: '9', server_time_usec: String((at0 + 1) * 1000) }, 'only the fields the session reads');
    const { store, run } = replay(path);
    await run.done;
    const clients = store.getState().view.clients;
    const alpha = clients.find((c) => c.name === 'alpha')!;
    const beta = clients.find((c) => c.name === 'beta-0')!;
    assert.equal(alpha.writes, 2);
    assert.equal(alpha.connected, false);
    assert.equal(beta.writes, 1);
    assert.deepEqual(beta.prefixes.map((p) => p.prefix).sort(), ['beta:', 'beta:*'], "beta's keys only, none of alpha's");
  });
});
