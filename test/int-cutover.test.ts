// The cutover for real: a Redis 7.0 source and a Valkey 8.0 target on loopback, each with its own
// password; the traffic generator moves its services from one to the other on its schedule while
// redis-recon watches both (--to) and records. The export's states must match the schedule, the
// target's clients stay out of the source's inventory, no secret appears anywhere, and the replay
// of the recording gives the same report. A wrong target password leaves the source watched.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { CUTOVER_PLAN } from '../scripts/traffic/cutover.ts';
import type { Inventory } from '../src/export/inventory.ts';
import { CLI, waitForStopHandlers } from './helpers/cli.ts';
import { freePort, startCutoverPair, startServer, startTlsServer, waitFor, type TestServer } from './helpers/servers.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const SRC_SECRET = 'src-Secret-4711';
const TGT_SECRET = 'tgt-Secret-0815';
const TRAFFIC_MS = 30_000;
const QUIET_MS = 6_000;
/** When redis-recon is stopped, after the traffic's start: the last move (0.6 of the run, 18 s) is 3 s old. */
const STOP_AFTER_MS = 21_000;

interface Run {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

function run(args: readonly string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, [...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

/** Whether a redis-recon poll connection is on the server yet. */
async function reconConnected(server: TestServer, password: string): Promise<boolean> {
  const c = createClient({ socket: { host: '127.0.0.1', port: server.port }, password });
  await c.connect();
  try {
    return String(await c.sendCommand(['CLIENT', 'LIST'])).includes('name=redis-recon-');
  } finally {
    await c.quit();
  }
}

/** The state the schedule implies for a service `elapsedMs` into the traffic (undefined: too close to call). */
function expected(step: (typeof CUTOVER_PLAN)[number], elapsedMs: number): string | undefined {
  if (step.moveAt === null) return 'source only';
  if (step.moveAt === 0) return 'target only';
  if (step.dual) return 'both';
  const quiet = elapsedMs - step.moveAt * TRAFFIC_MS;
  if (quiet > QUIET_MS + 2000) return 'done';
  if (quiet > 1000 && quiet < QUIET_MS - 1500) return 'moving';
  return undefined;
}

const statesOf = (inv: Inventory): Record<string, string> => Object.fromEntries(inv.cutover!.services.map((s) => [s.service, s.state]));

describe('cutover: Redis 7.0 → Valkey 8.0, services moving on a schedule', { timeout: 120_000 }, () => {
  let pair: Awaited<ReturnType<typeof startCutoverPair>>;
  const dir = mkdtempSync(join(tmpdir(), 'recon-cutover-'));
  const env = (): Record<string, string> => ({ REDIS_PASSWORD: SRC_SECRET, TO_REDIS_PASSWORD: TGT_SECRET });
  let live: Inventory;
  let elapsed = 0;
  let reconStderr = '';

  before(async () => {
    pair = await startCutoverPair({ source: ['--requirepass', SRC_SECRET], target: ['--requirepass', TGT_SECRET] });
    const recon = run(
      [...CLI, '--url', `redis://127.0.0.1:${pair.source.port}`, '--to', `redis://127.0.0.1:${pair.target.port}`, '--headless', '--duration', '90s',
        '--quiet-after', `${QUIET_MS / 1000}s`, '--poll-interval', '500ms', '--export', join(dir, 'live.json'), '--record', join(dir, 'cutover.rec.gz')],
      env(),
    );
    await waitForStopHandlers(recon.child.pid!);
    await waitFor(async () => (await reconConnected(pair.source, SRC_SECRET)) && (await reconConnected(pair.target, TGT_SECRET)), 'redis-recon polls both endpoints', 30_000);
    const traffic = run(['--import', 'tsx', 'scripts/traffic.ts', '--url', `redis://127.0.0.1:${pair.source.port}`, '--to', `redis://127.0.0.1:${pair.target.port}`, '--duration', `${TRAFFIC_MS / 1000}s`], env());
    await waitFor(() => traffic.stderr().includes('traffic: cutover from'), 'the traffic starts', 30_000);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, STOP_AFTER_MS));
    elapsed = Date.now() - t0;
    recon.child.kill('SIGINT');
    await recon.exited;
    reconStderr = recon.stderr();
    traffic.child.kill('SIGINT');
    assert.equal(await traffic.exited, 0, traffic.stderr());
    live = JSON.parse(readFileSync(join(dir, 'live.json'), 'utf8')) as Inventory;
  });

  after(async () => {
    await pair?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the export's states match the schedule, each matched by name", () => {
    const states = statesOf(live);
    for (const step of CUTOVER_PLAN) {
      const want = expected(step, elapsed);
      if (want !== undefined) assert.equal(states[step.name], want, `${step.name} (${elapsed} ms in): ${JSON.stringify(live.cutover!.services.find((s) => s.service === step.name))}`);
    }
    assert.ok(live.cutover!.services.filter((s) => s.service.startsWith('cutover-')).every((s) => s.matchedBy === 'name'));
    assert.deepEqual(live.cutover!.counts.both, 1);
  });

  test('each side has its own figures: connections, ops/s, last seen, keys; the real target answers for itself', () => {
    const c = live.cutover!;
    assert.equal(c.source.server?.name, 'redis');
    assert.match(c.source.server!.version, /^7\.0\./);
    assert.equal(c.target.server?.name, 'valkey');
    assert.match(c.target.server!.version, /^8\.0\./);
    assert.ok((c.source.keys ?? 0) > 0 && (c.target.keys ?? 0) > 0, JSON.stringify(c.keys));
    const billing = c.services.find((s) => s.service === 'cutover-billing')!;
    assert.equal(billing.source.connections, 1);
    assert.ok((billing.source.opsPerSec ?? 0) > 0);
    assert.equal(billing.target.lastSeen, null);
    const sessions = c.services.find((s) => s.service === 'cutover-sessions')!;
    assert.equal(sessions.source.connections, 0);
    assert.ok(sessions.target.connections >= 1, JSON.stringify(sessions.target));
    // ops/s is the counters' rate over the last poll interval (500 ms here): a 20 ops/s service on a
    // busy machine can show 0 for one interval. What must hold: a counted figure, and recent traffic.
    assert.ok(sessions.target.opsPerSec !== null, 'ops/s from the counters');
    assert.ok(Date.parse(live.window.end) - Date.parse(sessions.target.lastSeen!) < 5000, `active on the target until the end: ${sessions.target.lastSeen} vs ${live.window.end}`);
    assert.ok(Date.parse(sessions.source.lastSeen!) < Date.parse(sessions.target.lastSeen!));
    assert.equal(sessions.left, 'nothing');
    // Valkey 8 prints per-connection counters (tot-cmds); Redis 7.0 does not, so MONITOR counts there.
    assert.equal(sessions.target.opsLens, 'counters');
    assert.equal(billing.source.opsLens, 'monitor');
    assert.ok(c.verdicts.some((v) => v.code === 'other-engine' && v.subject.includes('valkey 8.0')));
  });

  test("the target's clients are not in the source's inventory", () => {
    const names = new Set(live.clients.map((x) => x.name));
    assert.ok(!names.has('cutover-newsvc'), 'a target-only service is no client of the source');
    assert.ok(names.has('cutover-billing'));
    assert.equal(live.nodes.length, 1);
    assert.equal(live.nodes[0]!.addr, `127.0.0.1:${pair.source.port}`);
    assert.equal(live.nodes[0]!.endpoint, 'source');
    assert.deepEqual(live.cutover!.target.nodes.map((n) => [n.addr, n.endpoint, n.state]), [[`127.0.0.1:${pair.target.port}`, 'target', 'up']]);
  });

  test('no password anywhere: export, recording, stderr', () => {
    const texts = [readFileSync(join(dir, 'live.json'), 'utf8'), gunzipSync(readFileSync(join(dir, 'cutover.rec.gz'))).toString('utf8'), reconStderr];
    for (const t of texts) {
      assert.ok(!t.includes(SRC_SECRET) && !t.includes(TGT_SECRET));
    }
    assert.match(texts[1]!, /"ep":"target"/);
  });

  test('the replay of the recording gives the same report (JSON and Markdown)', async () => {
    const replay = run([...CLI, '--replay', join(dir, 'cutover.rec.gz'), '--speed', 'max', '--headless', '--quiet-after', `${QUIET_MS / 1000}s`, '--export', join(dir, 'replay.json')], {});
    assert.equal(await replay.exited, 0, replay.stderr());
    const replayed = JSON.parse(readFileSync(join(dir, 'replay.json'), 'utf8')) as Inventory;
    assert.deepEqual(statesOf(replayed), statesOf(live));
    assert.deepEqual(replayed.cutover!.counts, live.cutover!.counts);
    assert.equal(replayed.cutover!.target.endpoint, `127.0.0.1:${pair.target.port}`);
    const md = run([...CLI, '--replay', join(dir, 'cutover.rec.gz'), '--speed', 'max', '--headless', '--quiet-after', `${QUIET_MS / 1000}s`, '--export', join(dir, 'replay.md')], {});
    assert.equal(await md.exited, 0, md.stderr());
    const text = readFileSync(join(dir, 'replay.md'), 'utf8');
    assert.match(text, /## Cutover: /);
    assert.match(text, /\| cutover-ledger \| both \| name \|/);
    assert.match(text, /\| cutover-sessions \| done \| name \|.*\| nothing \|/);
    assert.match(text, /\*\*Writes on both endpoints\*\*: cutover-ledger/);
  });
});

describe('cutover: a target that refuses us', { timeout: 60_000 }, () => {
  let pair: Awaited<ReturnType<typeof startCutoverPair>>;
  const dir = mkdtempSync(join(tmpdir(), 'recon-cutover-bad-'));
  before(async () => {
    pair = await startCutoverPair({ target: ['--requirepass', TGT_SECRET] });
  });
  after(async () => {
    await pair?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a wrong target password is said once, clearly; the source is still watched and exported', async () => {
    const r = run([...CLI, '--url', `redis://127.0.0.1:${pair.source.port}`, '--to', `redis://127.0.0.1:${pair.target.port}`, '--headless', '--duration', '3s', '--export', join(dir, 'out.json')], { TO_REDIS_PASSWORD: 'wrong-one' });
    assert.equal(await r.exited, 0, r.stderr());
    assert.match(r.stderr(), new RegExp(`target 127\\.0\\.0\\.1:${pair.target.port}: .*(WRONGPASS|password).*the source is still watched`, 'i'));
    assert.ok(!r.stderr().includes('wrong-one'));
    const inv = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as Inventory;
    assert.match(inv.cutover!.target.error ?? '', /WRONGPASS|password/i);
    assert.ok(inv.nodes[0]!.state === 'up');
  });

  test('a target that is down is said, with why; the source is still exported', async () => {
    const nobody = await freePort();
    const r = run([...CLI, '--url', `redis://127.0.0.1:${pair.source.port}`, '--to', `redis://127.0.0.1:${nobody}`, '--headless', '--duration', '3s', '--export', join(dir, 'down.json')], {});
    assert.equal(await r.exited, 0, r.stderr());
    assert.match(r.stderr(), new RegExp(`note: target 127\\.0\\.0\\.1:${nobody}: connection refused.*the source is still watched`));
    const inv = JSON.parse(readFileSync(join(dir, 'down.json'), 'utf8')) as Inventory;
    assert.equal(inv.cutover!.target.nodes[0]!.state, 'down');
    assert.equal(inv.nodes[0]!.state, 'up');
  });
});

describe('cutover: a TLS target beside a plain source', { timeout: 60_000 }, () => {
  let source: TestServer;
  let target: TestServer & { tls: { ca: string } };
  const dir = mkdtempSync(join(tmpdir(), 'recon-cutover-tls-'));
  before(async () => {
    [source, target] = await Promise.all([startServer('redis'), startTlsServer('valkey')]);
  });
  after(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("the target's own TLS settings reach it; the source stays plain", async () => {
    const r = run([...CLI, '--url', source.url, '--to', target.url, '--to-tls-ca', target.tls.ca, '--headless', '--duration', '2s', '--export', join(dir, 'tls.json')], {});
    assert.equal(await r.exited, 0, r.stderr());
    const inv = JSON.parse(readFileSync(join(dir, 'tls.json'), 'utf8')) as Inventory;
    assert.equal(inv.cutover!.target.server?.name, 'valkey');
    assert.equal(inv.cutover!.target.error, undefined);
    assert.equal(inv.server?.name, 'redis');
    // Without the CA the target is refused, and says why; the source does not care.
    const bad = run([...CLI, '--url', source.url, '--to', target.url, '--headless', '--duration', '2s', '--export', join(dir, 'tls-bad.json')], {});
    assert.equal(await bad.exited, 0, bad.stderr());
    assert.match(bad.stderr(), /note: target .*certificate/i);
  });
});
