// The session's join and counting rules on recorded text: CLIENT LIST lines and MONITOR lines as
// servers print them, fed in the orders that happen live (events before the poll that lists their
// connection, lines that arrive after the poll that saw it leave, a port reused by a new
// connection, both in one flush), with the server's and our clocks as one (as on loopback).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Session, connectedClients, type ClientView } from '../src/analysis/session.ts';
import { parseClientList } from '../src/parse/clientList.ts';
import { parseMonitorLine } from '../src/parse/monitorLine.ts';
import { loadFallbackCommandTable } from '../src/commands/commandTable.ts';
import { createAuditor } from '../src/audit/auditor.ts';
import { loadTarget } from '../src/audit/targets.ts';
import { shippedLibraries } from '../src/audit/libraries.ts';
import { BOUNDS } from '../src/bounds.ts';
import type { ClientInfo, MonitorEvent } from '../src/types.ts';

const table = loadFallbackCommandTable();
const newSession = (audit = false) =>
  new Session({
    delimiter: ':',
    classifier: table,
    audit: audit ? createAuditor(loadTarget('elasticache-valkey-cluster'), shippedLibraries()) : undefined,
  });

/** The capture's epoch: every time below is T + ms, on the server's clock and ours alike. */
const T = 1_774_787_120_000;

const line = (id: number, port: number, name = '', age = 5, idle = 0, extra = '') =>
  `id=${id} addr=10.0.0.7:${port} laddr=10.0.0.1:6379 fd=8 name=${name} age=${age} idle=${idle} flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 watch=0 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=2000 events=r cmd=get user=default redir=-1 resp=2 lib-name=go-redis(,go1.24.13) lib-ver=9.17.2${extra}`;
const list = (...lines: string[]): ClientInfo[] => parseClientList(lines.join('\n') + '\n').clients;
/** A poll that ran at T + ms (sent 5 ms before, answered 5 ms after), with INFO fields if given. */
const poll = (s: Session, ms: number, clients: ClientInfo[], info: Record<string, string> = {}) =>
  s.applyPoll({ startedAt: T + ms - 5, at: T + ms + 5, clients, info });
/** A MONITOR line stamped T + ms. */
const mon = (ms: number, src: string | number, ...args: string[]) =>
  `${((T + ms) / 1000).toFixed(6)} [0 ${typeof src === 'number' ? `10.0.0.7:${src}` : src}] ${args.map((a) => JSON.stringify(a)).join(' ')}`;
const events = (...lines: string[]): MonitorEvent[] =>
  lines.map((l) => {
    const r = parseMonitorLine(l);
    assert.ok(r.ok, l);
    return r.event;
  });
/** Lines ingested as one flush, at T + ms. */
const flush = (s: Session, ms: number, ...lines: string[]) => s.ingest(events(...lines), T + ms);
const byKey = (s: Session, key: string): ClientView | undefined => s.view().clients.find((c) => c.key === key);
const byName = (s: Session, name: string): ClientView[] => s.view().clients.filter((c) => c.name === name);
/** Rows ordered by their first cell, as text. */
const byFirst = (a: readonly unknown[], b: readonly unknown[]): number => (String(a[0]) < String(b[0]) ? -1 : String(a[0]) > String(b[0]) ? 1 : 0);
/** A client's key-pattern prefixes (`a:`), without the leaves (`a:*`): where its traffic went. */
const prefixesOf = (c: ClientView | undefined) => c?.prefixes.map((p) => p.prefix).filter((p) => p.endsWith(':')).sort();

describe('joins', () => {
  test('events before the poll that lists their connection are adopted by it, not duplicated', () => {
    const s = newSession();
    poll(s, 0, []);
    assert.equal(flush(s, 1100, mon(1000, 40000, 'get', 'orders:1'), mon(1001, 40000, 'get', 'orders:2')).unknownAddresses, 1);
    poll(s, 1300, list(line(7, 40000, 'orders-svc', 1)));
    const views = s.view().clients;
    assert.equal(views.length, 1);
    assert.equal(views[0]!.id, '7');
    assert.equal(views[0]!.name, 'orders-svc');
    assert.equal(views[0]!.events, 2);
    assert.equal(views[0]!.listed, true);
  });

  test('lines that arrive after the poll that saw the connection leave still belong to it', () => {
    const s = newSession();
    poll(s, 0, list(line(7, 40000, 'orders-svc')));
    flush(s, 1100, mon(1000, 40000, 'get', 'orders:1'));
    poll(s, 2000, []);
    // Written before the poll ran (it was gone by then), read after it.
    const late = flush(s, 2050, mon(1500, 40000, 'get', 'orders:2'));
    assert.equal(late.unknownAddresses, 0, 'nothing a poll could add: the line is the departed one\'s');
    const views = s.view().clients;
    assert.equal(views.length, 1);
    assert.equal(views[0]!.events, 2);
    assert.equal(views[0]!.connected, false);
  });

  test('a connection never listed is kept, marked disconnected, once a later poll misses it', () => {
    const s = newSession();
    flush(s, 1000, mon(990, 41000, 'get', 'cron:last'));
    poll(s, 1500, [], {}); // sent (T+1495) after the line arrived? no: T+1495 > T+1000, so it does miss it
    const c = s.view().clients[0]!;
    assert.equal(c.connected, false);
    assert.equal(c.listed, false);
    assert.equal(c.key, 'addr:10.0.0.7:41000');
    // A poll sent before a line arrived says nothing about that line's connection.
    flush(s, 3000, mon(2990, 41001, 'get', 'cron:next'));
    s.applyPoll({ startedAt: T + 2900, at: T + 3100, clients: [] });
    assert.equal(byKey(s, 'addr:10.0.0.7:41001')!.connected, true);
  });

  test('a connection never listed is named by what it announced in MONITOR; CLIENT LIST wins when it has one', () => {
    const s = newSession(true);
    poll(s, 0, []);
    flush(
      s,
      1100,
      mon(1001, 5000, 'CLIENT', 'SETNAME', 'cleanup-cron'),
      mon(1002, 5000, 'CLIENT', 'SETINFO', 'LIB-VER', '1.6.0'),
      mon(1003, 5000, 'CLIENT', 'SETINFO', 'lib-name', 'node-redis'),
      mon(1004, 5000, 'SET', 'cron:last-run', '1'),
      mon(1005, 6000, 'HELLO', '3', 'AUTH', '(redacted)', '(redacted)', 'SETNAME', 'hello-svc'),
      mon(1006, 7000, 'GET', 'anon:1'),
    );
    poll(s, 2000, []);
    const cron = byKey(s, 'addr:10.0.0.7:5000')!;
    assert.equal(cron.connected, false);
    assert.equal(cron.name, 'cleanup-cron');
    assert.equal(cron.libName, 'node-redis');
    assert.equal(cron.libVer, '1.6.0');
    assert.equal(cron.library?.verdict, 'outdated', 'redis@4 judged from what it announced');
    assert.equal(byKey(s, 'addr:10.0.0.7:6000')!.name, 'hello-svc');
    const anon = byKey(s, 'addr:10.0.0.7:7000')!;
    assert.equal(anon.name, '');
    assert.equal(anon.library?.verdict, 'unknown', 'nothing to judge a never-listed, silent connection by');

    // A listed connection: the server's CLIENT LIST is the authority.
    poll(s, 3000, list(line(7, 8000, 'listed-name', 1)));
    flush(s, 3100, mon(3050, 8000, 'CLIENT', 'SETNAME', 'renamed'));
    assert.equal(byKey(s, '7')!.name, 'listed-name');
  });
});

describe('a new connection reusing a departed connection\'s ip:port', () => {
  // The old connection (id 7) worked on a:*, then closed; a new one took its port and worked on b:*.
  // Each order below happens live; each must charge a: to 7 and b: (and the name) to the new one.

  test('the new one\'s lines come before any poll lists it: its setup names it at once', () => {
    const s = newSession();
    poll(s, 0, list(line(7, 40000, 'old-svc', 60)));
    flush(s, 1000, mon(900, 40000, 'get', 'a:1'));
    const r = flush(s, 3000, mon(2500, 40000, 'CLIENT', 'SETNAME', 'new-svc'), mon(2501, 40000, 'get', 'b:1'), mon(2502, 40000, 'get', 'b:2'));
    assert.equal(r.unknownAddresses, 1, 'a poll would tell who it is');
    assert.deepEqual(prefixesOf(byKey(s, '7')), ['a:']);
    const fresh = byName(s, 'new-svc');
    assert.equal(fresh.length, 1, 'the name it announced is kept, not thrown away');
    assert.deepEqual(prefixesOf(fresh[0]), ['b:']);
    // The poll lists it (opened at T+2 s, age 1 at T+3.5 s) and not 7: it adopts the lines.
    poll(s, 3500, list(line(9, 40000, 'new-svc', 1)));
    assert.equal(byKey(s, '7')!.connected, false);
    assert.deepEqual(prefixesOf(byKey(s, '9')), ['b:']);
    assert.equal(byKey(s, '9')!.events, 3);
    assert.equal(s.view().clients.length, 2);
  });

  test('late lines of the departed one arrive after the poll that lists the new one', () => {
    const s = newSession();
    poll(s, 0, list(line(7, 40000, 'old-svc', 60)));
    // 7 closed at about T+1.2 s; 9 opened at about T+3 s (age 1 at T+4 s); 7's last lines are read late.
    poll(s, 4000, list(line(9, 40000, 'new-svc', 1)));
    flush(s, 4100, mon(1100, 40000, 'get', 'a:1'), mon(1200, 40000, 'get', 'a:2'));
    flush(s, 4600, mon(4500, 40000, 'get', 'b:1'));
    assert.deepEqual(prefixesOf(byKey(s, '7')), ['a:']);
    assert.equal(byKey(s, '7')!.events, 2);
    assert.deepEqual(prefixesOf(byKey(s, '9')), ['b:']);
  });

  test('both in one flush, the new one\'s setup inside its age\'s second of doubt', () => {
    const s = newSession();
    poll(s, 0, list(line(7, 40000, 'old-svc', 60)));
    // Poll at T+4 s lists 9 with age 1: it opened between T+2 s and T+4 s. 7 worked until T+2.4 s,
    // 9 set itself up at T+2.6 s. One flush carries both.
    poll(s, 4000, list(line(9, 40000, 'new-svc', 2)));
    flush(
      s,
      4100,
      mon(2300, 40000, 'get', 'a:1'),
      mon(2400, 40000, 'set', 'a:2', 'x'),
      mon(2600, 40000, 'HELLO', '3', 'SETNAME', 'new-svc'),
      mon(2700, 40000, 'get', 'b:1'),
      mon(3900, 40000, 'get', 'b:2'),
    );
    assert.deepEqual(prefixesOf(byKey(s, '7')), ['a:']);
    assert.equal(byKey(s, '7')!.writes, 1);
    assert.deepEqual(prefixesOf(byKey(s, '9')), ['b:']);
    assert.equal(byKey(s, '9')!.events, 3);
    assert.equal(Object.fromEntries(byKey(s, '9')!.commands).HELLO, 1);
  });

  test('a line after the poll that saw the old one leave is a new connection, even without setup', () => {
    const s = newSession();
    poll(s, 0, list(line(7, 40000, 'old-svc', 60)));
    flush(s, 500, mon(400, 40000, 'get', 'a:1'));
    poll(s, 2000, []);
    const r = flush(s, 2600, mon(2500, 40000, 'get', 'c:1'));
    assert.equal(r.unknownAddresses, 1);
    assert.deepEqual(prefixesOf(byKey(s, '7')), ['a:']);
    const other = s.view().clients.find((c) => c.key.startsWith('addr:10.0.0.7:40000'))!;
    assert.deepEqual(prefixesOf(other), ['c:']);
    assert.equal(other.connected, true);
  });

  test('a new connection that came and went between two polls keeps its own name and lines', () => {
    const s = newSession();
    poll(s, 0, list(line(7, 40000, 'old-svc', 60)));
    flush(
      s,
      1500,
      mon(300, 40000, 'get', 'a:1'),
      mon(1000, 40000, 'AUTH', '(redacted)'),
      mon(1001, 40000, 'CLIENT', 'SETNAME', 'cron-once'),
      mon(1002, 40000, 'set', 'b:1', 'x'),
    );
    poll(s, 2000, []);
    assert.deepEqual(prefixesOf(byKey(s, '7')), ['a:']);
    const once = byName(s, 'cron-once');
    assert.equal(once.length, 1);
    assert.equal(once[0]!.connected, false);
    assert.equal(once[0]!.writes, 1);
  });

  test('a re-AUTH on a connection that stays is folded back into it by the next poll', () => {
    const s = newSession();
    poll(s, 0, list(line(7, 40000, 'svc', 600)));
    flush(s, 1000, mon(500, 40000, 'get', 'a:1'), mon(900, 40000, 'AUTH', '(redacted)'), mon(950, 40000, 'get', 'a:2'));
    assert.equal(s.view().clients.length, 2, 'until a poll says otherwise, it looks like a new connection');
    poll(s, 2000, list(line(7, 40000, 'svc', 602)));
    const views = s.view().clients;
    assert.equal(views.length, 1, 'the poll shows 7 held the address throughout');
    assert.equal(views[0]!.events, 3);
    assert.equal(views[0]!.key, '7');
  });
});

describe('server restarts', () => {
  test('ids restart at 1: a new connection with a reused id does not inherit the departed one\'s history (run_id)', () => {
    const s = newSession();
    const runA = { run_id: 'a'.repeat(40), uptime_in_seconds: '100' };
    poll(s, 0, list(line(6, 40001, 'alpha', 30)), runA);
    flush(s, 1000, ...Array.from({ length: 100 }, (_, i) => mon(100 + i, 40001, 'set', `alpha:${i}`, 'x')));
    // The server restarts; beta gets id 6 again.
    poll(s, 5000, list(line(6, 40002, 'beta-0', 1)), { run_id: 'b'.repeat(40), uptime_in_seconds: '2' });
    flush(s, 5200, mon(5100, 40002, 'get', 'beta:1'));
    const alpha = byName(s, 'alpha');
    const beta = byName(s, 'beta-0');
    assert.equal(alpha.length, 1, 'alpha stays in the ledger');
    assert.equal(alpha[0]!.writes, 100);
    assert.equal(alpha[0]!.connected, false);
    assert.equal(beta.length, 1);
    assert.equal(beta[0]!.writes, 0, 'none of alpha\'s writes under beta');
    assert.deepEqual(prefixesOf(beta[0]), ['beta:']);
    assert.notEqual(beta[0]!.key, alpha[0]!.key);
    assert.equal(beta[0]!.id, '6');
  });

  test('without INFO (a recording): an id listed at another address means the server restarted', () => {
    const s = newSession();
    poll(s, 0, list(line(6, 40001, 'alpha', 30)));
    flush(s, 1000, mon(100, 40001, 'set', 'alpha:1', 'x'));
    poll(s, 5000, list(line(6, 40002, 'beta-0', 1)));
    assert.equal(byName(s, 'alpha')[0]!.writes, 1);
    assert.equal(byName(s, 'beta-0')[0]!.writes, 0);
    assert.equal(s.view().clients.length, 2);
  });

  test('uptime going back is a restart even when the same id comes back on the same port', () => {
    const s = newSession();
    poll(s, 0, list(line(6, 40001, 'alpha', 30)), { uptime_in_seconds: '500' });
    flush(s, 1000, mon(100, 40001, 'set', 'alpha:1', 'x'));
    poll(s, 5000, list(line(6, 40001, 'beta-0', 1)), { uptime_in_seconds: '3' });
    assert.equal(byName(s, 'beta-0')[0]!.writes, 0);
    assert.equal(byName(s, 'alpha')[0]!.writes, 1);
  });
});

describe('scripts', () => {
  test('a read-only EVALSHA and its [lua] GET: one read, no write; the declared key counted once', () => {
    const s = newSession();
    poll(s, 0, list(line(1, 1, 'limiter', 60)));
    flush(s, 1100, mon(1000, 1, 'EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '1', 'rl:user:1'), mon(1000, 'lua', 'get', 'rl:user:1'));
    const c = byKey(s, '1')!;
    assert.equal(c.reads, 1);
    assert.equal(c.writes, 0);
    assert.deepEqual(Object.fromEntries(c.commands), { EVALSHA: 1, GET: 1 });
    assert.deepEqual(
      c.prefixes.map((p) => [p.prefix, p.reads, p.writes]).sort(byFirst),
      [['rl:', 1, 0], ['rl:user:', 1, 0], ['rl:user:*', 1, 0]],
    );
    assert.deepEqual(c.topKeys, [{ key: 'rl:user:1', count: 1 }]);
    const v = s.view();
    assert.deepEqual([v.totals.reads, v.totals.writes, v.totals.keyed], [1, 0, 1]);
    assert.equal(v.tree.node('rl:')?.count, 1);
  });

  test('script lines belong to the client whose EVAL came just before', () => {
    const s = newSession();
    poll(s, 0, list(line(1, 1, 'a', 60), line(2, 2, 'b', 60)));
    flush(
      s,
      1100,
      mon(1001, 1, 'EVALSHA', 'abc', '1', 'jobs:q'),
      mon(1002, 'lua', 'LPOP', 'jobs:q'),
      mon(1003, 'lua', 'SET', 'jobs:lock', '1'),
      mon(1004, 2, 'GET', 'x:1'),
      mon(1005, 'lua', 'DEL', 'orphan:1'),
    );
    const a = byKey(s, '1')!;
    assert.deepEqual(Object.fromEntries(a.commands), { EVALSHA: 1, LPOP: 1, SET: 1 });
    assert.equal(a.writes, 2);
    assert.equal(byKey(s, '2')!.events, 1, 'a lua line after another command is not b\'s');
    assert.equal(byKey(s, 'addr:lua')?.events, 1, 'an unattributable script line is kept apart');
  });

  test('a script run whose keys (declared and touched) span slots is flagged for a cluster target', () => {
    const s = newSession(true);
    poll(s, 0, list(line(1, 1, 'svc', 60)));
    flush(
      s,
      1100,
      // One slot: declared {u1}:a, touched {u1}:b.
      mon(1001, 1, 'EVAL', 'return 1', '1', '{u1}:a'),
      mon(1001, 'lua', 'GET', '{u1}:b'),
      // Two slots: declared {u1}:a, touched other:2 (undeclared).
      mon(1002, 1, 'EVAL', 'return 1', '1', '{u1}:a'),
      mon(1002, 'lua', 'SET', 'other:2', 'x'),
      mon(1002, 'lua', 'GET', '{u1}:c'),
    );
    const c = byKey(s, '1')!;
    assert.equal(c.crossSlotScripts.count, 1);
    assert.deepEqual(c.crossSlotScripts.example, ['{u1}:a', 'other:2']);
    assert.deepEqual(c.crossSlotScripts.commands, ['EVAL', 'SET', 'GET']);
    assert.equal(c.crossSlot.count, 0, 'not a multi-key call');
    const f = c.findings!.find((x) => x.code === 'cross-slot-script');
    assert.ok(f, JSON.stringify(c.findings));
    assert.equal(f.severity, 'error');
    assert.equal(f.example, 'EVAL SET GET: {u1}:a other:2');
  });
});

describe('transactions', () => {
  test('MULTI with HSET order:1 and DEL cart:{u385}:items is flagged: two slots in one transaction', () => {
    const s = newSession(true);
    poll(s, 0, list(line(1, 1, 'checkout', 60)));
    // As MONITOR shows it: MULTI when sent, the queued commands as EXEC runs them, then EXEC.
    flush(
      s,
      1100,
      mon(1000, 1, 'MULTI'),
      mon(1001, 1, 'HSET', 'order:1', 'status', 'paid'),
      mon(1001, 1, 'DEL', 'cart:{u385}:items'),
      mon(1001, 1, 'EXEC'),
    );
    const c = byKey(s, '1')!;
    assert.equal(c.crossSlotTransactions.count, 1);
    assert.deepEqual(c.crossSlotTransactions.example, ['order:1', 'cart:{u385}:items']);
    assert.deepEqual(c.crossSlotTransactions.commands, ['HSET', 'DEL']);
    assert.equal(c.crossSlot.count, 0, 'each command alone is single-key');
    const f = c.findings!.find((x) => x.code === 'cross-slot-transaction')!;
    assert.equal(f.severity, 'error');
    assert.equal(f.example, 'MULTI HSET DEL EXEC: order:1 cart:{u385}:items');
    assert.ok(c.findings!.some((x) => x.code === 'cross-slot-transaction'));
  });

  test('one slot, DISCARD, EXECABORT and a connection that leaves are not flagged; other clients\' lines interleave', () => {
    const s = newSession(true);
    poll(s, 0, list(line(1, 1, 'a', 60), line(2, 2, 'b', 60)));
    flush(
      s,
      1100,
      mon(1000, 1, 'MULTI'),
      mon(1000, 2, 'GET', 'elsewhere:1'),
      mon(1001, 1, 'HSET', '{u1}:order', 'f', 'v'),
      mon(1001, 1, 'DEL', '{u1}:cart'),
      mon(1001, 1, 'EXEC'),
      mon(1002, 1, 'MULTI'),
      mon(1003, 1, 'DISCARD'),
      mon(1004, 1, 'MULTI'),
      mon(1005, 1, 'EXEC'), // EXECABORT: a queued command was refused, nothing ran
      mon(1006, 1, 'GET', 'x:1'),
      mon(1007, 1, 'GET', 'y:2'),
      mon(1008, 2, 'MULTI'),
      mon(1009, 2, 'GET', 'p:1'),
    );
    assert.equal(byKey(s, '1')!.crossSlotTransactions.count, 0);
    poll(s, 2000, list(line(1, 1, 'a', 62))); // b left mid-transaction
    flush(s, 2500, mon(2400, 1, 'GET', 'q:9'));
    assert.equal(byKey(s, '2')!.crossSlotTransactions.count, 0);
    assert.equal(s.openTransactions, 0);
  });

  test('open transactions are bounded for the whole session', () => {
    const s = newSession();
    const n = BOUNDS.openTransactions + 10;
    flush(s, 1000, ...Array.from({ length: n }, (_, i) => mon(500, `10.1.${i >> 8}.${i & 255}:${1000 + (i % 50000)}`, 'MULTI')));
    assert.equal(s.openTransactions, BOUNDS.openTransactions);
  });
});

describe('unix sockets', () => {
  const unix = (id: number, name: string, db: number) =>
    `id=${id} addr=/run/valkey.sock:0 laddr=/run/valkey.sock:0 fd=9 name=${name} age=5 idle=0 flags=U db=${db} sub=0 psub=0 multi=-1 qbuf=0 qbuf-free=0 obl=0 oll=0 omem=0 events=r cmd=get user=default lib-name=node-redis lib-ver=6.3.1`;
  const sock = (ms: number, db: number, ...args: string[]) => `${((T + ms) / 1000).toFixed(6)} [${db} unix:/run/valkey.sock] ${args.map((a) => JSON.stringify(a)).join(' ')}`;

  test('connections in different databases are told apart by the db MONITOR prints', () => {
    const s = newSession(true);
    poll(s, 0, list(unix(1, 'svc-a', 0), unix(2, 'svc-b', 3)));
    flush(s, 1100, sock(1000, 0, 'get', 'a:1'), sock(1001, 3, 'set', 'b:1', 'x'), sock(1002, 3, 'get', 'b:2'));
    assert.equal(byKey(s, '1')!.events, 1);
    assert.equal(byKey(s, '2')!.events, 2);
    assert.equal(s.view().clients.filter((c) => c.sharedBy !== undefined).length, 0);
  });

  test('several in one database share an entry, honestly; one alone in its database gets its own', () => {
    const s = newSession(true);
    poll(s, 0, list(unix(1, 'svc-a', 0), unix(2, 'svc-b', 0), unix(3, 'svc-c', 3), line(4, 40000, 'tcp-svc')));
    flush(s, 1100, sock(1000, 0, 'get', 'a:1'), sock(1001, 0, 'set', 'b:1', 'x'), sock(1002, 3, 'get', 'c:1'), mon(1003, 40000, 'get', 'd:1'));
    const shared = s.view().clients.find((c) => c.sharedBy !== undefined)!;
    assert.equal(shared.sharedBy, 2);
    assert.equal(shared.events, 2);
    assert.equal(shared.findings, undefined, 'not judged as a client of its own');
    assert.equal(byKey(s, '1')!.events, 0);
    assert.equal(byKey(s, '2')!.events, 0);
    assert.equal(byKey(s, '3')!.events, 1);
    assert.equal(byKey(s, '4')!.events, 1, 'TCP clients join as before');
    assert.equal(connectedClients(s.view().clients, false).connected, 4, 'the shared entry is not one more connection');

    // One unix client left: it is known again by its socket alone, whatever the database.
    poll(s, 2000, list(unix(2, 'svc-b', 0)));
    flush(s, 2100, sock(2050, 5, 'get', 'b:2'));
    assert.equal(byKey(s, '2')!.events, 1);
    assert.equal(s.view().clients.find((c) => c.sharedBy !== undefined)!.connected, false);
  });
});

describe('redis-recon\'s own connections', () => {
  test('every redis-recon connection is ours: by name, by lib-name, or by what it announced', () => {
    const s = newSession();
    poll(
      s,
      0,
      list(
        line(1, 1, 'redis-recon-poll-abc123'), // another instance's poll connection
        line(2, 2, 'app', 5, 0).replace('lib-name=go-redis(,go1.24.13)', 'lib-name=node-redis(redis-recon)'), // caught before its SETNAME
        line(3, 3, 'orders'),
      ),
    );
    flush(s, 500, mon(400, 4, 'CLIENT', 'SETNAME', 'redis-recon-monitor-zz9'), mon(401, 4, 'INFO'));
    const views = s.view().clients;
    assert.deepEqual(views.filter((c) => c.self).map((c) => c.key).sort(), ['1', '2', 'addr:10.0.0.7:4']);
    assert.deepEqual(connectedClients(views, false), { connected: 1, selfLeftOut: 3 });
    assert.deepEqual(connectedClients(views, true), { connected: 4, selfLeftOut: 0 });
  });
});

describe('bounds', () => {
  test('the ledger stays within its bound, forgetting the longest-departed first', () => {
    const s = newSession();
    const n = BOUNDS.ledgerClients + 50;
    const clients = list(...Array.from({ length: n }, (_, i) => line(i + 1, 10_000 + (i % 50_000))));
    poll(s, 0, clients.slice(0, 100));
    poll(s, 1000, []); // those 100 depart first
    poll(s, 2000, clients.slice(100));
    const views = s.view().clients;
    assert.ok(views.length <= BOUNDS.ledgerClients);
    assert.equal(views.filter((v) => v.connected).length, n - 100, 'no connected client was forgotten');
  });

  test('a capture (no polls): an address quiet for longer than the bound, in capture time, is gone', () => {
    const s = newSession();
    flush(s, 1000, mon(0, 40000, 'get', 'early:1'));
    // Five minutes and more of other traffic, an hour into the capture.
    for (let m = 1; m <= 7; m++) flush(s, 1000, mon(m * 60_000, 50000, 'get', 'busy:1'));
    const early = byKey(s, 'addr:10.0.0.7:40000')!;
    assert.equal(early.connected, false);
    assert.equal(byKey(s, 'addr:10.0.0.7:50000')!.connected, true);
    // A line from that address later is another connection.
    flush(s, 1000, mon(8 * 60_000, 40000, 'get', 'late:1'));
    assert.deepEqual(prefixesOf(byKey(s, 'addr:10.0.0.7:40000')), ['early:']);
  });

  test('a capture of a connection-per-request fleet stays within the ledger bound', () => {
    const s = newSession();
    const n = BOUNDS.ledgerClients + 5000;
    for (let i = 0; i < n; i += 1000) {
      flush(s, 1000, ...Array.from({ length: Math.min(1000, n - i) }, (_, j) => mon(i + j, `10.2.${(i + j) >> 8 & 255}.${(i + j) & 255}:${20000 + ((i + j) >> 16)}`, 'get', 'k:1')));
    }
    const views = s.view().clients;
    assert.ok(views.length <= BOUNDS.ledgerClients, `${views.length}`);
    assert.ok(!views.some((c) => c.addr === '10.2.0.0:20000'), 'the quietest were taken as gone and forgotten');
    assert.ok(views.some((c) => c.addr === `10.2.${((n - 1) >> 8) & 255}.${(n - 1) & 255}:${20000 + ((n - 1) >> 16)}`), 'the latest stays');
  });
});

describe('views', () => {
  test('views of clients that did not change are reused between publishes', () => {
    const s = newSession();
    poll(s, 0, list(line(1, 1, 'a'), line(2, 2, 'b')));
    const first = s.view().clients;
    flush(s, 1100, mon(1000, 1, 'get', 'k:1'));
    const second = s.view().clients;
    assert.notEqual(second.find((c) => c.key === '1'), first.find((c) => c.key === '1'));
    assert.equal(second.find((c) => c.key === '2'), first.find((c) => c.key === '2'));
  });

  test('30,000 idle connections: a poll that only advances age and idle keeps every view object', () => {
    for (const info of [{}, { run_id: 'r'.repeat(40) }] as Array<Record<string, string>>) {
      const s = newSession(true);
      const n = 30_000;
      const at = (age: number, idle: number) =>
        Array.from({ length: n }, (_, i) => line(i + 1, 10_000 + (i % 50_000), `svc-${i % 7}`, age, idle).replace('10.0.0.7', `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`));
      const serverTime = (ms: number) => ('run_id' in info ? { ...info, server_time_usec: String((T + ms) * 1000) } : info);
      poll(s, 0, list(...at(100, 40)), serverTime(0));
      s.tick(T);
      const before = s.view().clients;
      poll(s, 2000, list(...at(102, 42)), serverTime(2000));
      s.tick(T + 2000);
      const after = s.view().clients;
      assert.equal(after.length, n);
      let same = 0;
      for (let i = 0; i < n; i++) if (after[i] === before[i]) same++;
      assert.equal(same, n, `${n - same} views rebuilt by a poll that changed nothing shown`);
      // Activity (idle went down) or a changed field does rebuild the one concerned.
      poll(s, 4000, list(...at(104, 44).map((l, i) => (i === 0 ? l.replace('idle=44', 'idle=0') : i === 1 ? l.replace('cmd=get', 'cmd=set') : l))), serverTime(4000));
      const third = s.view().clients;
      assert.notEqual(third[0], after[0]);
      assert.notEqual(third[1], after[1]);
      assert.equal(third[2], after[2]);
    }
  });

  test('views carry when a connection opened and was last active; age and idle follow the clock', async () => {
    const { ageSeconds, idleSeconds } = await import('../src/analysis/session.ts');
    const s = newSession();
    poll(s, 10_000, list(line(1, 1, 'a', 100, 40)));
    const c = byKey(s, '1')!;
    assert.equal(c.openedAt, T + 10_000 - 100_000);
    assert.equal(c.lastActiveAt, T + 10_000 - 40_000);
    assert.equal(ageSeconds(c, T + 15_000), 105);
    assert.equal(idleSeconds(c, T + 15_000), 45);
    poll(s, 20_000, []);
    const gone = byKey(s, '1')!;
    assert.equal(ageSeconds(gone, T + 99_000), 100, 'a departed connection\'s age stops when it was last seen');
  });
});

describe('counting', () => {
  test('read/write split, key patterns at every depth', () => {
    const s = newSession();
    poll(s, 0, list(line(1, 1, 'svc')));
    flush(s, 1100, mon(1000, 1, 'MSET', 'u:1:name', 'x', 'u:2:name', 'y'), mon(1001, 1, 'MGET', 'u:1:name', 'p:1'));
    const c = byKey(s, '1')!;
    assert.equal(c.writes, 1);
    assert.equal(c.reads, 1);
    assert.deepEqual(
      c.prefixes.map((p) => [p.prefix, p.reads, p.writes]).sort(byFirst),
      // Numbers in keys are ids: u:1:name and u:2:name are both u:*:name.
      [['p:', 1, 0], ['p:*', 1, 0], ['u:', 1, 2], ['u:*:', 1, 2], ['u:*:name', 1, 2]],
    );
    assert.equal(s.view().tree.node('u:')?.count, 3);
  });

  test('cross-slot multi-key calls and non-zero databases feed the findings for a cluster target', () => {
    const s = newSession(true);
    poll(s, 0, list(line(1, 1, 'svc')));
    flush(
      s,
      1100,
      `${((T + 1000) / 1000).toFixed(6)} [3 10.0.0.7:1] "MGET" "{user:1}:a" "{user:1}:b"`,
      `${((T + 1001) / 1000).toFixed(6)} [3 10.0.0.7:1] "MGET" "user:1:a" "user:2:b"`,
      `${((T + 1002) / 1000).toFixed(6)} [3 10.0.0.7:1] "MGET" "user:3:a" "user:4:b"`,
    );
    const c = byKey(s, '1')!;
    assert.equal(c.crossSlot.count, 2);
    assert.deepEqual(c.crossSlot.example, ['user:1:a', 'user:2:b']);
    assert.deepEqual(c.dbs, [[3, 3]]);
    const codes = c.findings!.map((f) => f.code);
    assert.ok(codes.includes('cross-slot'));
    assert.ok(codes.includes('select-db'));
    assert.equal(c.library?.verdict, 'ok', 'go-redis 9.17.2 is current');
  });

  test('events per database: a connection moving between databases, each counted, the 16 first kept', () => {
    const s = newSession();
    poll(s, 0, list(line(1, 1, 'svc')));
    const at = (i: number, db: number) => `${((T + 1000 + i) / 1000).toFixed(6)} [${db} 10.0.0.7:1] "GET" "k${i}"`;
    const dbs = [0, 0, 5, 5, 5, 0, 2, ...Array.from({ length: 20 }, (_, i) => 20 + i), 5];
    flush(s, 1100, ...dbs.map((db, i) => at(i, db)));
    const c = byKey(s, '1')!;
    const counts = new Map(c.dbs);
    assert.equal(counts.get(0), 3);
    assert.equal(counts.get(5), 4, 'db 5 counted across its three visits');
    assert.equal(counts.get(2), 1);
    assert.equal(counts.size, 16, 'bounded: 16 databases per connection');
    assert.ok(counts.has(20) && !counts.has(39), 'the first seen are kept');
    // Read between events and after: the count seen is never behind.
    flush(s, 1200, at(100, 5), at(101, 5));
    assert.equal(new Map(byKey(s, '1')!.dbs).get(5), 6);
  });

  test('a client\'s patterns are the ones the tree counts, odd keys included', () => {
    const s = newSession();
    poll(s, 0, list(line(1, 1, 'svc')));
    flush(s, 1100, mon(1000, 1, 'get', 'sess:'), mon(1001, 1, 'get', 'a:b:'), mon(1002, 1, 'get', 'plain'));
    const mine = byKey(s, '1')!.prefixes.map((p) => p.prefix).sort();
    const tree = s.view().tree.all().map((p) => p.prefix).sort();
    assert.ok(mine.includes('a:') && mine.includes('plain'), mine.join(' '));
    assert.deepEqual(mine, tree);
  });
});
