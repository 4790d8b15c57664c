// Record a live session against a real server, replay it, and get the same inventory; a recording
// cut short or a killed recorder still replays; captures from redis-cli monitor are read too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, truncateSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync, constants } from 'node:zlib';
import { createClient } from 'redis';
import { startServer, waitFor, type TestServer } from './helpers/servers.ts';
import { createReconStore } from '../src/store.ts';
import { resolveConfig } from '../src/config.ts';
import { prepareRun } from '../src/run.ts';
import { CLI, waitForStopHandlers } from './helpers/cli.ts';

const ENV = { PATH: process.env.PATH ?? '', RECON_ENV_FILE: '/nonexistent' };

function cli(args: string[], input?: string): Promise<{ code: number; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [...CLI, ...args], { env: ENV, timeout: 60_000 }, (err, _o, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stderr, ms: Date.now() - t0 }),
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

/**
 * What must match between a live export and its replay: everything but wall-clock ages, and what
 * the command logs said (a recording keeps polls and MONITOR, not SLOWLOG).
 */
function comparable(inv: { clients: Array<Record<string, unknown>>; prefixes: unknown; topKeys: unknown; window: { monitorEvents: number }; summary: unknown }) {
  return {
    clients: inv.clients
      .map(({ ageSeconds: _a, idleSeconds: _i, loggedCommands: _l, ...rest }) => rest)
      .sort((a, b) => String(a.id ?? a.addr).localeCompare(String(b.id ?? b.addr))),
    prefixes: inv.prefixes,
    topKeys: inv.topKeys,
    events: inv.window.monitorEvents,
    summary: inv.summary,
  };
}

describe('record and replay', () => {
  let server: TestServer;
  const dir = mkdtempSync(join(tmpdir(), 'recon-rec-'));
  before(async () => {
    server = await startServer('valkey');
  });
  after(async () => {
    await server?.stop();
  });

  /** Bounded traffic from real named clients while `during` runs. */
  async function withTraffic<T>(during: () => Promise<T>): Promise<T> {
    const a = createClient({ url: server.url, name: 'orders-writer' });
    const b = createClient({ url: server.url, RESP: 2 });
    await Promise.all([a.connect(), b.connect()]);
    let running = true;
    const loop = (async () => {
      for (let i = 0; i < 3000 && running; i++) {
        await a.set(`orders:${i % 30}`, 'secret-value-xyz');
        await b.get(`catalog:item:${i % 7}`);
        if (i % 40 === 0) await b.eval("return redis.call('INCR', KEYS[1])", { keys: ['stats:hits'] });
        await new Promise((r) => setTimeout(r, 3));
      }
    })();
    try {
      return await during();
    } finally {
      running = false;
      await loop;
      await Promise.all([a.close(), b.close()]);
    }
  }

  test('a replay of a recorded live session exports the same inventory', async () => {
    const rec = join(dir, 'session.jsonl.gz');
    const live = join(dir, 'live.json');
    const replayed = join(dir, 'replayed.json');
    const run = await withTraffic(() => cli(['--url', server.url, '--monitor', 'on', '--headless', '--duration', '2s', '--export', live, '--record', rec]));
    assert.equal(run.code, 0, run.stderr);
    const replay = await cli(['--replay', rec, '--speed', 'max', '--headless', '--export', replayed]);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stderr, /end of recording/);
    const a = json(live);
    const b = json(replayed);
    assert.ok(a.window.monitorEvents > 100);
    assert.deepEqual(comparable(b), comparable(a));
    assert.equal(b.window.start, a.window.start, 'the replay keeps the recorded time');
  });

  test('values are left out by default and kept with --record-values; keys always stay', async () => {
    const plain = join(dir, 'plain.jsonl.gz');
    const withValues = join(dir, 'values.jsonl.gz');
    await withTraffic(async () => {
      await cli(['--url', server.url, '--headless', '--duration', '1s', '--record', plain]);
      await cli(['--url', server.url, '--headless', '--duration', '1s', '--record', withValues, '--record-values']);
    });
    const text = (p: string) => gunzipSync(readFileSync(p), { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    assert.ok(text(plain).includes('orders:'), 'keys are recorded');
    assert.ok(!text(plain).includes('secret-value-xyz'), 'values are not');
    assert.ok(text(withValues).includes('secret-value-xyz'));
    assert.equal(statSync(plain).mode & 0o777, 0o600, 'the recording is private to its owner');
  });

  test('a recording cut mid-line still replays up to where it stops', async () => {
    const rec = join(dir, 'whole.jsonl.gz');
    await withTraffic(() => cli(['--url', server.url, '--headless', '--duration', '2s', '--record', rec]));
    const cut = join(dir, 'cut.jsonl.gz');
    copyFileSync(rec, cut);
    truncateSync(cut, Math.floor(statSync(rec).size * 0.6));
    const whole = join(dir, 'whole.json');
    const part = join(dir, 'part.json');
    assert.equal((await cli(['--replay', rec, '--speed', 'max', '--headless', '--export', whole])).code, 0);
    const r = await cli(['--replay', cut, '--speed', 'max', '--headless', '--export', part]);
    assert.equal(r.code, 0, r.stderr);
    const events = json(part).window.monitorEvents;
    assert.ok(events > 0 && events < json(whole).window.monitorEvents, `${events} events from the cut file`);
  });

  test('a recorder killed without warning leaves a file that replays', async () => {
    const rec = join(dir, 'killed.jsonl.gz');
    await withTraffic(async () => {
      const child = spawn(process.execPath, [...CLI, '--url', server.url, '--headless', '--duration', '30s', '--record', rec], { env: ENV, stdio: 'ignore' });
      // Let it record for a while (the recorder flushes every second), then kill it outright.
      await waitFor(() => {
        try {
          return statSync(rec).size > 2000;
        } catch {
          return false;
        }
      }, 'recording growing', 15_000);
      await new Promise((r) => setTimeout(r, 1200));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    });
    const out = join(dir, 'killed.json');
    const r = await cli(['--replay', rec, '--speed', 'max', '--headless', '--export', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(json(out).window.monitorEvents > 0);
  });

  test('replay paces to the recording, and pause holds it', async () => {
    const rec = join(dir, 'paced.jsonl.gz');
    await withTraffic(() => cli(['--url', server.url, '--headless', '--duration', '1500ms', '--record', rec]));
    const cfg = resolveConfig(['--replay', rec, '--speed', '1'], {});
    assert.ok(cfg.ok);
    const prepared = prepareRun(cfg.config);
    assert.ok(prepared.ok);
    const store = createReconStore({ endpoint: prepared.run.endpoint, monitor: true, monitorMaxOmemBytes: 1 << 25, now: prepared.run.now });
    const t0 = Date.now();
    const run = prepared.run.start(store, {});
    await waitFor(() => store.getState().stream.lines > 0, 'replay started');
    store.getState().actions.toggleMonitor();
    await waitFor(() => store.getState().monitor.phase === 'paused', 'paused');
    const held = store.getState().stream.lines;
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(store.getState().stream.lines, held, 'nothing is replayed while paused');
    store.getState().actions.toggleMonitor();
    await run.done;
    const took = Date.now() - t0;
    assert.ok(took >= 1500, `a 1.5 s recording plus a 0.7 s pause took ${took} ms`);
    assert.equal(store.getState().monitor.phase, 'stopped');
  });

  test('stopping a recorded live run leaves nothing listening to the store', async () => {
    const rec = join(dir, 'unsubscribed.jsonl.gz');
    const cfg = resolveConfig(['--url', server.url, '--record', rec], {});
    assert.ok(cfg.ok);
    const prepared = prepareRun(cfg.config);
    assert.ok(prepared.ok);
    const store = createReconStore({ endpoint: prepared.run.endpoint, monitor: true, monitorMaxOmemBytes: 1 << 25, now: prepared.run.now });
    // Count the listeners the run leaves behind.
    let listening = 0;
    const subscribe = store.subscribe;
    store.subscribe = (listener) => {
      listening++;
      const unsubscribe = subscribe(listener);
      let once = false;
      return () => {
        if (!once) listening--;
        once = true;
        unsubscribe();
      };
    };
    const run = prepared.run.start(store, {});
    await run.engine.ready;
    await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR on');
    await run.engine.stop();
    assert.equal(listening, 0, 'listeners left after stop');
    store.getState().actions.pauseMonitor('a change after the end');
    const text = gunzipSync(readFileSync(rec), { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    assert.ok(text.includes('"t":"monitor","at"'), 'phase changes while running are recorded');
  });

  test('Ctrl-C ends a headless replay at recorded pace at once, and it still exports', async () => {
    const rec = join(dir, 'slow-paced.jsonl.gz');
    const event = { ts: 1, db: 0, src: '127.0.0.1:5000', c: 'GET', a: 'read', k: ['a:1'], w: [false] };
    const records = [
      { t: 'header', v: 1, tool: 'redis-recon', toolVersion: 'test', endpoint: '127.0.0.1:6379', startedAt: 1000, delimiter: ':', values: false },
      { t: 'batch', at: 1000, events: [event] },
      { t: 'batch', at: 61_000, events: [event] },
    ];
    writeFileSync(rec, gzipSync(records.map((r) => JSON.stringify(r)).join('\n') + '\n'));
    const out = join(dir, 'slow-paced.json');
    const child = spawn(process.execPath, [...CLI, '--replay', rec, '--speed', '1', '--headless', '--export', out], { env: ENV, stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    // Once it listens for signals (tsx compiles on first run; CI machines are busy), it waits a minute
    // for the second batch: give it a moment to apply the first.
    // On a machine busy with other work, the replay's worker can take seconds to start and read the
    // first batch: give it 3 s (the recording's next batch is a minute away either way).
    await waitForStopHandlers(child.pid!);
    await new Promise((r) => setTimeout(r, 3000));
    const t0 = Date.now();
    child.kill('SIGINT');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await exited;
    clearTimeout(killer);
    const took = Date.now() - t0;
    assert.equal(code, 130, 'stopped by SIGINT: 128 + 2, after exporting');
    // At once: not after the minute the recording still had to run (a busy machine adds seconds).
    assert.ok(took < 5000, `exited ${took} ms after Ctrl-C`);
    assert.equal(json(out).window.monitorEvents, 1);
  });

  test('--monitor-log reads the field notes capture with its CLIENT LIST, counting every line', async () => {
    const capture = join(dir, 'capture.txt');
    const list = join(dir, 'clients.txt');
    const addrs = ['xx.xx.xx.222:40277', 'xx.xx.xx.243:58512'];
    writeFileSync(
      capture,
      ['OK', ...readFileSync(new URL('fixtures/monitor-field-notes.txt', import.meta.url), 'utf8').trim().split('\n'), 'this line is garbage', '1774787121.0 [0 xx.xx.xx.222:40277] "get" "unterminated'].join('\n') + '\n',
    );
    writeFileSync(list, addrs.map((a, i) => `id=${i + 1} addr=${a} fd=5 name=svc-${i} age=10 idle=0 flags=N db=0 sub=0 psub=0 multi=-1 qbuf=0 qbuf-free=0 obl=0 oll=0 omem=0 events=r cmd=get user=default lib-name=go-redis(,go1.24.13) lib-ver=9.17.2`).join('\n') + '\n');
    const out = join(dir, 'capture.json');
    const r = await cli(['--monitor-log', capture, '--client-list', list, '--headless', '--export', out]);
    assert.equal(r.code, 0, r.stderr);
    const inv = json(out);
    assert.equal(inv.window.monitorEvents, 4);
    assert.equal(inv.window.unparsedLines, 2, 'the garbage and the cut line are counted, not fatal');
    const svc0 = inv.clients.find((c: { name: string }) => c.name === 'svc-0');
    assert.equal(svc0.commands.GET, 2);
    assert.deepEqual(svc0.prefixes.map((p: { prefix: string }) => p.prefix).sort(), [
      'prefixkey:',
      'prefixkey:namespace3:',
      'prefixkey:namespace3:default_data',
      'prefixkey:namespacea:',
      'prefixkey:namespacea:default_data',
    ]);
    assert.equal(inv.window.start, new Date(1774787120638).toISOString(), 'the window is the capture\'s own time');
  });

  test('--monitor-log - reads a real valkey-cli capture from stdin', async () => {
    const capture = await withTraffic(
      () =>
        new Promise<string>((resolve) => {
          const mon = spawn('valkey-cli', ['-p', String(server.port), 'monitor']);
          let text = '';
          mon.stdout.on('data', (d) => (text += d));
          setTimeout(() => {
            mon.kill();
            resolve(text);
          }, 800);
        }),
    );
    const lines = capture.trim().split('\n').filter((l) => l !== 'OK').length;
    const out = join(dir, 'stdin.json');
    const r = await cli(['--monitor-log', '-', '--headless', '--export', out], capture);
    assert.equal(r.code, 0, r.stderr);
    const inv = json(out);
    assert.equal(inv.window.monitorEvents + inv.window.unparsedLines, lines);
    assert.ok(inv.window.unparsedLines <= 1, 'at most the line cut when valkey-cli was stopped');
    assert.ok(inv.prefixes.some((p: { prefix: string }) => p.prefix === 'orders:'));
  });
});
