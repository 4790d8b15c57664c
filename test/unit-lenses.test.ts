// The cheaper lenses on recorded text: CLIENT LIST counters summed per connection (and idle
// connections costing nothing), cmd= samples, SLOWLOG replies parsed and read incrementally (a
// reset by someone else, a restart, COMMANDLOG tried once), entries joined to connections,
// commandstats over the window without our own calls, findings from lenses other than MONITOR,
// sampled MONITOR's scale, and the settings.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Session } from '../src/analysis/session.ts';
import { parseClientList } from '../src/parse/clientList.ts';
import { parseLogReply } from '../src/parse/commandLog.ts';
import { CommandLogReader } from '../src/sources/logReader.ts';
import { ServerLenses } from '../src/analysis/serverLenses.ts';
import { clientEstimate, clientScale, lensSummary, serverFindings, windowScale } from '../src/analysis/lenses.ts';
import { loadFallbackCommandTable } from '../src/commands/commandTable.ts';
import { createAuditor } from '../src/audit/auditor.ts';
import { loadTarget } from '../src/audit/targets.ts';
import { shippedLibraries } from '../src/audit/libraries.ts';
import { clientFindings, findingLens, serverCommandFindings } from '../src/audit/findings.ts';
import { MonitorGate } from '../src/collect/monitorGate.ts';
import { resolveConfig } from '../src/config.ts';
import { statName } from '../src/sources/poller.ts';
import { nodeStatus } from './helpers/inProcess.ts';
import type { ClientInfo, PollResult } from '../src/types.ts';

const T = 1_774_787_120_000;
const table = loadFallbackCommandTable();
const ec = loadTarget('elasticache-valkey');

/** A Valkey 8.0 CLIENT LIST line with its counters. */
const line = (id: number, port: number, name: string, o: { age?: number; idle?: number; cmds?: number; inB?: number; outB?: number; cmd?: string } = {}) =>
  `id=${id} addr=10.0.0.7:${port} laddr=10.0.0.1:6379 fd=8 name=${name} age=${o.age ?? 100} idle=${o.idle ?? 0} flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 watch=0 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=2000 events=r cmd=${o.cmd ?? 'get'} user=default redir=-1 resp=2 lib-name=redis-py lib-ver=5.0.1 tot-net-in=${o.inB ?? 0} tot-net-out=${o.outB ?? 0} tot-cmds=${o.cmds ?? 0}`;
const list = (...lines: string[]): ClientInfo[] => parseClientList(lines.join('\n') + '\n').clients;
const poll = (s: Session, ms: number, clients: ClientInfo[]) => s.applyPoll({ startedAt: T + ms - 5, at: T + ms + 5, clients, info: {} });
const session = (audit = false) => new Session({ delimiter: ':', classifier: table, audit: audit ? createAuditor(ec, shippedLibraries()) : undefined });

describe('CLIENT LIST counters', () => {
  test('a connection open before the window counts from the first poll; one opened later counts from 0', () => {
    const s = session();
    poll(s, 0, list(line(1, 1000, 'old', { age: 500, cmds: 10_000, inB: 500_000, outB: 90_000 })));
    let old = s.view().clients[0]!;
    assert.deepEqual(old.counters && { ...old.counters, from: 0 }, { commands: 0, netIn: 0, netOut: 0, from: 0 });
    poll(s, 2000, list(line(1, 1000, 'old', { age: 502, cmds: 10_200, inB: 510_000, outB: 92_000 }), line(2, 1001, 'new', { age: 1, cmds: 40, inB: 2000, outB: 800 })));
    old = s.view().clients.find((c) => c.name === 'old')!;
    const young = s.view().clients.find((c) => c.name === 'new')!;
    assert.deepEqual([old.counters!.commands, old.counters!.netIn, old.counters!.netOut], [200, 10_000, 2000]);
    assert.equal(Math.round(old.counterRates!.commands), 100, '200 commands in 2 s');
    assert.deepEqual([young.counters!.commands, young.counters!.netIn, young.counters!.netOut], [40, 2000, 800], 'opened mid-window: from 0');
    assert.ok(young.counters!.from > T, 'it counts from when it opened');
  });

  test('a connection the first poll did not list counts from 0, even when its whole-second age puts its opening before the window', () => {
    const s = session();
    poll(s, 0, list(line(1, 1000, 'old', { age: 500, cmds: 10_000 })));
    // Opened ~300 ms after the first poll, first listed 900 ms in with age=1: 900 - 1000 < 0.
    poll(s, 900, list(line(1, 1000, 'old', { age: 500, cmds: 10_050 }), line(2, 1001, 'late', { age: 1, cmds: 120 })));
    const late = s.view().clients.find((c) => c.name === 'late')!;
    assert.equal(late.counters!.commands, 120, 'every command it sent, the ones before its first listing too');
    assert.ok(late.counters!.from >= T, 'it counts from the window start at the earliest');
  });

  test('a poll that only advances ages leaves every view the same object; moving counters dirty only their client', () => {
    const s = session();
    const lines = (ms: number, busy: number) => list(
      ...Array.from({ length: 200 }, (_, i) => line(10 + i, 2000 + i, `idle-${i}`, { age: 100 + ms / 1000, idle: 50 + ms / 1000, cmds: 7, inB: 300, outB: 100 })),
      // Busy until 4 s, idle since.
      line(9, 1999, 'busy', { age: 100 + ms / 1000, idle: Math.max(0, (ms - 4000) / 1000), cmds: busy, inB: busy * 30, outB: busy * 5 }),
    );
    poll(s, 0, lines(0, 1000));
    poll(s, 2000, lines(2000, 1500));
    poll(s, 4000, lines(4000, 2000));
    const before = new Map(s.view().clients.map((c) => [c.key, c]));
    poll(s, 6000, lines(6000, 2000));
    const after = s.view().clients;
    const changed = after.filter((c) => before.get(c.key) !== c).map((c) => c.name);
    assert.deepEqual(changed, ['busy'], 'only the client whose rate fell to 0');
    poll(s, 8000, lines(8000, 2000));
    const again = s.view().clients;
    assert.equal(again.filter((c, i) => after[i] !== c).length, 0, 'nothing moved: nothing rebuilt');
  });

  test('a counter going back (a reset) counts from 0 again; a server without counters gives none', () => {
    const s = session();
    poll(s, 0, list(line(1, 1000, 'a', { cmds: 100, age: 100 })));
    poll(s, 2000, list(line(1, 1000, 'a', { cmds: 150, age: 102 })));
    poll(s, 4000, list(line(1, 1000, 'a', { cmds: 20, age: 104 })));
    assert.equal(s.view().clients[0]!.counters!.commands, 70);
    const r = session();
    poll(r, 0, list(line(1, 1000, 'a').replace(/ tot-\S+/g, '')));
    assert.equal(r.view().clients[0]!.counters, undefined);
  });

  test('cmd= is sampled at polls that find the connection active, an idle one once', () => {
    const s = session();
    poll(s, 0, list(line(1, 1000, 'a', { cmd: 'config|get', idle: 30, age: 300 })));
    poll(s, 2000, list(line(1, 1000, 'a', { cmd: 'config|get', idle: 32, age: 302 })));
    poll(s, 4000, list(line(1, 1000, 'a', { cmd: 'hexpire', idle: 0, age: 304 })));
    poll(s, 6000, list(line(1, 1000, 'a', { cmd: 'hexpire', idle: 0, age: 306 })));
    assert.deepEqual(s.view().clients[0]!.sampledCommands, [['HEXPIRE', 2], ['CONFIG|GET', 1]]);
  });
});

describe('command logs', () => {
  const entry = (id: number, secs: number, args: string[], addr: string, name: string) => [id, secs, 12, args, addr, name];

  test('replies parse totally; the server\'s cuts are undone where they can be', () => {
    const reply = [
      entry(9, 1, ['MSET', ...Array.from({ length: 30 }, (_, i) => `k${i}`), '... (10 more arguments)'], '1.2.3.4:5', 'svc'),
      entry(8, 1, ['SET', `${'k'.repeat(128)}... (72 more bytes)`, 'v'], '1.2.3.4:5', ''),
      ['junk'],
      [7, 'x', 1, []],
    ];
    const got = parseLogReply(reply, 'slow');
    assert.equal(got.length, 2);
    assert.equal(got[0]!.argsLeftOut, 10);
    assert.equal(got[0]!.args.length, 31);
    assert.equal(got[1]!.args[1], `${'k'.repeat(128)}…`);
    assert.deepEqual(parseLogReply('nonsense', 'slow'), []);
  });

  /** A fake server's SLOWLOG, newest first, with COMMANDLOG refused as Valkey 8.0 does. */
  const fakeServer = () => {
    let log: Array<ReturnType<typeof entry>> = [];
    let nextId = 0;
    const calls: string[][] = [];
    return {
      calls,
      add(n: number) {
        for (let i = 0; i < n; i++) log.unshift(entry(nextId++, 1000 + nextId, ['GET', `k${nextId}`], '1.1.1.1:1', 'a'));
        log = log.slice(0, 128);
      },
      reset() {
        log = [];
      },
      restart() {
        log = [];
        nextId = 0;
      },
      send: async (args: string[]) => {
        calls.push(args);
        if (args[0] === 'COMMANDLOG') throw new Error("ERR unknown command 'COMMANDLOG', with args beginning with: 'LEN'");
        return log.slice(0, Number(args[2]));
      },
    };
  };

  test('read by id: only new entries, one GET 1 when nothing is new; COMMANDLOG tried once', async () => {
    const srv = fakeServer();
    const r = new CommandLogReader();
    srv.add(5);
    let got = await r.read(srv.send, 'run1');
    assert.deepEqual(got.entries.map((e) => e.id), [0, 1, 2, 3, 4], 'the backlog, oldest first');
    assert.equal(got.commandlog, 'absent');
    assert.equal(got.slowlog, 'on');
    srv.calls.length = 0;
    got = await r.read(srv.send, 'run1');
    assert.deepEqual(got.entries, []);
    assert.deepEqual(srv.calls, [['SLOWLOG', 'GET', '1']], 'nothing new: one entry read, COMMANDLOG not asked again');
    srv.add(3);
    got = await r.read(srv.send, 'run1');
    assert.deepEqual(got.entries.map((e) => e.id), [5, 6, 7]);
  });

  test('a SLOWLOG RESET by someone else and a restart are followed; entries that came and went are counted', async () => {
    const srv = fakeServer();
    const r = new CommandLogReader();
    srv.add(3);
    await r.read(srv.send, 'run1');
    srv.add(2);
    srv.reset();
    srv.add(1);
    let got = await r.read(srv.send, 'run1');
    assert.deepEqual(got.entries.map((e) => e.id), [5]);
    assert.equal(got.missed, 2);
    srv.add(200);
    got = await r.read(srv.send, 'run1');
    assert.equal(got.entries.length, 128, 'bounded');
    assert.equal(got.missed, 2 + 72);
    srv.restart();
    srv.add(2);
    got = await r.read(srv.send, 'run2');
    assert.deepEqual(got.entries.map((e) => e.id), [0, 1], 'a new run: its ids from the start');
  });

  test('a refusal (ACL) is remembered; a timeout is not', async () => {
    const r = new CommandLogReader();
    let calls = 0;
    const refused = async (args: string[]) => {
      calls++;
      throw new Error(args[0] === 'COMMANDLOG' ? 'NOPERM User recon has no permissions to run the \'commandlog|len\' command' : "NOPERM User recon has no permissions to run the 'slowlog|get' command");
    };
    let got = await r.read(refused);
    assert.deepEqual([got.commandlog, got.slowlog], ['refused', 'refused']);
    calls = 0;
    got = await r.read(refused);
    assert.equal(calls, 0, 'never asked again');
    const t = new CommandLogReader();
    got = await t.read(async () => {
      throw new Error('Timeout');
    });
    assert.deepEqual([got.commandlog, got.slowlog], ['pending', 'pending']);
  });

  test('entries join the connection that held the address at their time, by name among several', () => {
    const s = session(true);
    poll(s, 0, list(line(1, 1000, 'orders', { age: 100 }), line(2, 1001, 'carts', { age: 100 })));
    const secs = Math.floor((T + 500) / 1000);
    s.applyLog(
      parseLogReply([entry(1, secs, ['HSET', 'cart:1', 'f', 'v'], '10.0.0.7:1001', 'carts'), entry(2, secs, ['GET', 'order:1'], '10.0.0.7:1000', 'orders'), entry(3, secs - 3600, ['GET', 'x'], '10.0.0.7:1000', 'gone')], 'slow'),
      'slowlog',
    );
    const carts = s.view().clients.find((c) => c.name === 'carts')!;
    assert.deepEqual(carts.logged!.commands, [['HSET', 1]]);
    assert.deepEqual(carts.logged!.recent[0]!.keys, ['cart:1']);
    const [hset, get, old] = s.logEntries;
    assert.equal(hset!.rec?.key, carts.key);
    assert.equal(get!.rec?.info?.name, 'orders');
    assert.equal(old!.rec, undefined, 'an hour before that connection opened: not its entry');
  });
});

describe('command mix and findings', () => {
  const statsPoll = (at: number, stats: Record<string, string>, own: Record<string, number>, runId = 'r1'): PollResult => ({
    startedAt: at,
    at,
    clients: [],
    unparsed: [],
    server: { name: 'valkey', version: '8.0.1', redisVersion: '7.2.4', mode: 'standalone', role: 'master' },
    info: { run_id: runId },
    commandstats: stats,
    errorstats: { errorstat_ERR: 'count=3' },
    stats: { commandstats: 'on', errorstats: 'on' },
    ownCalls: own,
  });

  test('calls over the window, our own left out; a restart counts everything since', () => {
    const l = new ServerLenses();
    l.applyPoll(statsPoll(0, { 'cmdstat_client|list': 'calls=10,usec=100,usec_per_call=10.00', cmdstat_get: 'calls=1000,usec=1000,usec_per_call=1.00' }, { 'client|list': 1 }));
    l.applyPoll(statsPoll(2000, {
      'cmdstat_client|list': 'calls=11,usec=110,usec_per_call=10.00',
      cmdstat_get: 'calls=1500,usec=2000,usec_per_call=1.33,rejected_calls=0,failed_calls=2',
      'cmdstat_config|get': 'calls=1,usec=9,usec_per_call=9.00',
    }, { 'client|list': 2 }));
    const by = Object.fromEntries(l.commands.map((c) => [c.name, c]));
    assert.deepEqual([by.GET!.calls, by.GET!.callsSinceStart, by.GET!.usecPerCall, by.GET!.failedCalls], [500, 1500, 2, 2]);
    assert.equal(by['CLIENT|LIST']!.calls, 0, 'ours');
    assert.equal(by['CONFIG|GET']!.calls, 1, 'first seen inside the window: all of it');
    l.applyPoll(statsPoll(4000, { cmdstat_get: 'calls=30,usec=30,usec_per_call=1.00' }, { 'client|list': 3 }, 'r2'));
    assert.equal(l.commands[0]!.calls, 30);
    assert.deepEqual(l.errors, [{ name: 'ERR', count: 3, countSinceStart: 3 }]);
  });

  test('server findings: window calls, or since the start for commands redis-recon never sends', () => {
    const f = serverCommandFindings(
      [
        { name: 'CONFIG|GET', calls: 0, callsSinceStart: 4 },
        { name: 'MONITOR', calls: 0, callsSinceStart: 9 },
        { name: 'GET', calls: 100, callsSinceStart: 100 },
      ],
      loadTarget('elasticache-valkey-serverless'),
    );
    assert.deepEqual(f.map((x) => [x.command, x.lens]), [['CONFIG|GET', 'commandstats']], 'MONITOR since the start may be ours: no evidence');
  });

  test('a command only a cheaper lens saw is a finding that says which lens', () => {
    const fs = clientFindings(
      {
        name: 'svc',
        libName: 'redis-py',
        libVer: '5.0.1',
        db: 0,
        commands: { GET: 10 },
        libraryFieldsShown: true,
        otherLenses: [
          { command: 'CONFIG|GET', lens: 'slowlog', count: 2 },
          { command: 'CONFIG|GET', lens: 'client-list', count: 5 },
          { command: 'GET', lens: 'client-list', count: 3 },
        ],
      },
      ec,
      shippedLibraries(),
    );
    const cmd = fs.filter((f) => f.code === 'unsupported-command');
    assert.deepEqual(cmd.map((f) => [f.example, f.lens, f.count]), [['CONFIG|GET', 'slowlog', 2]]);
    assert.match(cmd[0]!.message, /Seen through SLOWLOG \(2 log entries\), not counted by MONITOR/);
    assert.equal(findingLens(cmd[0]!), 'slowlog');
    // Every finding says its lens in the export: MONITOR's traffic findings, CLIENT LIST's identity ones.
    assert.equal(findingLens({ code: 'cross-slot', severity: 'error', message: '', count: 1 }), 'monitor');
    assert.equal(findingLens({ code: 'unsupported-command', severity: 'error', message: '', count: 1 }), 'monitor');
    assert.equal(findingLens({ code: 'no-client-name', severity: 'warning', message: '', count: 1 }), 'client-list');
  });

  test('server findings name the clients each lens saw, the most exact lens first', () => {
    const node = nodeStatus({
      lenses: {
        counters: 'on', lastCommand: 'on', commandstats: 'on', errorstats: 'on', slowlog: 'on', commandlog: 'absent',
        commands: [], errors: [], log: [], logMissed: 0,
        findings: [{ code: 'unsupported-command', severity: 'error', message: 'm', command: 'CONFIG|GET', calls: 3, callsSinceStart: 3, lens: 'commandstats' }],
      },
    });
    const base = { addr: 'a:1', ip: 'a', db: 0, connected: true, listed: true, self: false, firstSeen: 0, lastSeen: 0, events: 0, reads: 0, writes: 0, opsPerSec: 0, prefixes: [], topKeys: [], dbs: [], crossSlot: { count: 0, example: [] }, crossSlotTransactions: { count: 0, example: [], commands: [] }, crossSlotScripts: { count: 0, example: [], commands: [] } };
    const clients = [
      { ...base, key: '1', name: 'by-monitor', commands: [['CONFIG|GET', 2]] as const },
      { ...base, key: '2', name: 'by-log', commands: [], logged: { lens: 'slowlog' as const, entries: 1, commands: [['CONFIG|GET', 1]] as const, recent: [] } },
      { ...base, key: '3', name: 'by-poll', commands: [], sampledCommands: [['CONFIG|GET', 4]] as const },
      { ...base, key: '4', name: 'other', commands: [['GET', 9]] as const },
    ];
    const [f] = serverFindings([node], clients);
    assert.deepEqual(f!.clients.map((c) => [c.name, c.lens, c.count]), [['by-monitor', 'monitor', 2], ['by-log', 'slowlog', 1], ['by-poll', 'client-list', 4]]);
  });
});

describe('sampled MONITOR', () => {
  test('each client is scaled by its life over the time MONITOR watched it', () => {
    const monitor = { phase: 'paused' as const, onMs: 20_000, offPeriods: [], guard: 'watching' as const, sample: { onMs: 10_000, periodMs: 60_000, linesPerWindow: 1e6, cappedWindows: 0 } };
    const node = nodeStatus({ monitor });
    // Watched 20 s of its 120 s: ×6.
    assert.equal(clientScale({ cover: { from: T, onFrom: 0 } }, [node], T + 120_000), 6);
    // A short-lived client that MONITOR watched all its life: ×1, not the window's ×6.
    assert.equal(clientScale({ cover: { from: T, onFrom: 5000, to: T + 3000, onTo: 8000 } }, [node], T + 120_000), 1);
    // Never watched: no estimate at all.
    assert.equal(clientScale({ cover: { from: T + 100_000, onFrom: 20_000 } }, [node], T + 120_000), undefined);
    // MONITOR on (not sampled): no scaling.
    assert.equal(clientScale({ cover: { from: T, onFrom: 0 } }, [nodeStatus()], T + 120_000), undefined);
    assert.deepEqual(clientEstimate({ events: 100, reads: 60, writes: 40 }, 6), { events: 600, reads: 360, writes: 240 });
    assert.equal(windowScale([node], T, T + 120_000), 6);
  });

  test('the gate cuts a window short at the line cap and keeps its on-time clock', () => {
    let now = 0;
    const g = new MonitorGate('on', () => now);
    g.setDuty({ onMs: 10_000, offMs: 50_000 }, 'sampled');
    g.connection('on');
    now = 4000;
    assert.equal(g.shouldRun(), true);
    g.cutDutyWindow();
    assert.equal(g.shouldRun(), false);
    g.connection('off');
    assert.equal(g.onClock(), 4000);
    now = 4000 + 50_000;
    assert.equal(g.shouldRun(), true, 'the next window starts on time');
  });

  test('sessions on an on-time clock: records note it, rates hold between windows', () => {
    let on = 0;
    let at = T;
    const s = new Session({ delimiter: ':', classifier: table, monitorClock: () => ({ at, on }), rateClock: () => on });
    poll(s, 0, list(line(1, 1000, 'a')));
    const v = s.view().clients[0]!;
    assert.deepEqual(v.cover, { from: T, onFrom: 0 });
    on = 1000;
    at = T + 1000;
    s.tick(at);
    const lines = Array.from({ length: 100 }, (_, i) => `${((T + 1000 + i) / 1000).toFixed(6)} [0 10.0.0.7:1000] "GET" "k"`);
    s.ingest(lines.map((l) => ({ ...parseLine(l) })), at);
    on = 2000;
    at = T + 2000;
    s.tick(at);
    const rate = s.view().clients[0]!.opsPerSec;
    assert.ok(rate > 50, `a rate while on (${rate})`);
    at = T + 30_000; // off: the on-time clock stands still
    s.tick(at);
    assert.equal(s.view().clients[0]!.opsPerSec, rate, 'held, not decayed');
  });

  test('lenses are summed over nodes: on where any node runs one', () => {
    const a = nodeStatus({ id: 'a', lenses: { counters: 'absent', lastCommand: 'on', commandstats: 'refused', errorstats: 'on', slowlog: 'on', commandlog: 'absent', commands: [], errors: [], log: [], logMissed: 0, findings: [] } });
    const b = nodeStatus({ id: 'b', lenses: { counters: 'on', lastCommand: 'on', commandstats: 'on', errorstats: 'on', slowlog: 'refused', commandlog: 'absent', commands: [], errors: [], log: [], logMissed: 0, findings: [] } });
    const l = lensSummary([a, b]);
    assert.deepEqual([l.counters, l.commandstats, l.slowlog, l.commandlog], ['on', 'on', 'on', 'absent']);
    assert.equal(lensSummary([nodeStatus()]).counters, 'pending');
  });
});

describe('settings', () => {
  const mode = (argv: string[], env: Record<string, string> = {}) => {
    const r = resolveConfig(argv, env);
    return r.ok ? [r.config.monitorMode, r.config.monitor] : r.error;
  };
  test('--monitor off|sampled|on; sampled by default; --no-monitor is off', () => {
    assert.deepEqual(mode([]), ['sampled', true]);
    assert.deepEqual(mode(['--monitor', 'on']), ['on', true]);
    assert.deepEqual(mode(['--monitor', 'off']), ['off', false]);
    assert.deepEqual(mode(['--no-monitor']), ['off', false]);
    assert.deepEqual(mode([], { RECON_NO_MONITOR: '1' }), ['off', false]);
    assert.deepEqual(mode([], { RECON_MONITOR: 'on', RECON_NO_MONITOR: '1' }), ['on', true]);
    assert.deepEqual(mode(['--monitor', 'sampled'], { RECON_MONITOR: 'off' }), ['sampled', true]);
    assert.match(String(mode(['--monitor', 'always'])), /--monitor: "always" is not one of off, sampled, on/);
    assert.match(String(mode(['--no-monitor', '--monitor', 'on'])), /disagree/);
  });

  test('--monitor-sample ON/PERIOD', () => {
    const r = resolveConfig(['--monitor-sample', '5s/30s'], {});
    assert.ok(r.ok && r.config.monitorSample.onMs === 5000 && r.config.monitorSample.periodMs === 30_000);
    const d = resolveConfig([], {});
    assert.ok(d.ok && d.config.monitorSample.onMs === 10_000 && d.config.monitorSample.periodMs === 60_000);
    for (const bad of ['10s', '60s/10s', '500ms/10s', 'a/b', '10s/2d']) assert.equal(resolveConfig(['--monitor-sample', bad], {}).ok, false, bad);
  });

  test('our own calls are counted under their commandstats names', () => {
    assert.equal(statName(['CLIENT', 'LIST']), 'client|list');
    assert.equal(statName(['SLOWLOG', 'GET', '1']), 'slowlog|get');
    assert.equal(statName(['INFO', 'commandstats']), 'info');
    assert.equal(statName(['PING']), 'ping');
  });
});

function parseLine(l: string) {
  const m = /^(\S+) \[(\d+) (\S+)\] "(\w+)" "(\w+)"$/.exec(l)!;
  return { ts: Number(m[1]), db: Number(m[2]), source: m[3]!, args: [m[4]!, m[5]!] };
}
