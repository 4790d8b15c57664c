// The session's join rules on recorded text: CLIENT LIST lines and MONITOR lines as servers print
// them, fed in the orders that happen live (events before the poll that lists their connection,
// lines that arrive after the poll that saw it leave, a port reused by a new connection).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session, type ClientView } from '../src/analysis/session.ts';
import { parseClientList } from '../src/parse/clientList.ts';
import { parseMonitorLine } from '../src/parse/monitorLine.ts';
import { loadFallbackCommandTable } from '../src/commands/commandTable.ts';
import { createAuditor } from '../src/audit/auditor.ts';
import { loadTarget } from '../src/audit/targets.ts';
import { shippedLibraries } from '../src/audit/libraries.ts';
import { BOUNDS } from '../src/bounds.ts';
import type { MonitorEvent } from '../src/types.ts';

const table = loadFallbackCommandTable();
const newSession = (audit = false) =>
  new Session({
    delimiter: ':',
    classifier: table,
    isSelf: (c) => c.name.startsWith('redis-recon-'),
    audit: audit ? createAuditor(loadTarget('elasticache-valkey-cluster'), shippedLibraries()) : undefined,
  });

const line = (id: number, port: number, extra = '') =>
  `id=${id} addr=10.0.0.7:${port} laddr=10.0.0.1:6379 fd=8 name=${extra} age=5 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 watch=0 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=2000 events=r cmd=get user=default redir=-1 resp=2 lib-name=go-redis(,go1.24.13) lib-ver=9.17.2`;
const list = (...lines: string[]) => parseClientList(lines.join('\n') + '\n').clients;
const events = (...lines: string[]): MonitorEvent[] =>
  lines.map((l) => {
    const r = parseMonitorLine(l);
    assert.ok(r.ok, l);
    return r.event;
  });
const get = (port: number, key: string) => `1774787120.638084 [0 10.0.0.7:${port}] "get" "${key}"`;
const byKey = (s: Session, key: string): ClientView | undefined => s.view().clients.find((c) => c.key === key);

test('events before the poll that lists their connection are adopted by it, not duplicated', () => {
  const s = newSession();
  s.applyClientList([], 1000);
  assert.equal(s.ingest(events(get(40000, 'orders:1'), get(40000, 'orders:2')), 1100).unknownAddresses, 1);
  s.applyClientList(list(line(7, 40000, 'orders-svc')), 1300, 1200);
  const views = s.view().clients;
  assert.equal(views.length, 1);
  assert.equal(views[0]!.id, '7');
  assert.equal(views[0]!.name, 'orders-svc');
  assert.equal(views[0]!.events, 2);
  assert.equal(views[0]!.listed, true);
});

test('lines that arrive after the poll that saw the connection leave still belong to it', () => {
  const s = newSession();
  s.applyClientList(list(line(7, 40000, 'orders-svc')), 1000);
  s.ingest(events(get(40000, 'orders:1')), 1100);
  s.applyClientList([], 1200);
  const late = s.ingest(events(get(40000, 'orders:2')), 1250);
  assert.equal(late.unknownAddresses, 1, 'a departed address asks for an early poll');
  const views = s.view().clients;
  assert.equal(views.length, 1);
  assert.equal(views[0]!.events, 2);
  assert.equal(views[0]!.connected, false);
});

test('a new connection reusing a port gets its own record', () => {
  const s = newSession();
  s.applyClientList(list(line(7, 40000, 'old-svc')), 1000);
  s.ingest(events(get(40000, 'a:1')), 1100);
  s.applyClientList(list(line(9, 40000, 'new-svc')), 2000);
  s.ingest(events(get(40000, 'b:1')), 2100);
  assert.equal(byKey(s, '7')?.connected, false);
  assert.deepEqual(byKey(s, '7')?.prefixes.map((p) => p.prefix), ['a:']);
  assert.deepEqual(byKey(s, '9')?.prefixes.map((p) => p.prefix), ['b:']);
});

test('a connection never listed is kept, marked disconnected, once a later poll misses it', () => {
  const s = newSession();
  s.ingest(events(get(41000, 'cron:last')), 1000);
  s.applyClientList([], 1500, 900); // sent before the line arrived: says nothing about it
  assert.equal(s.view().clients[0]!.connected, true);
  s.applyClientList([], 2000, 1900);
  const c = s.view().clients[0]!;
  assert.equal(c.connected, false);
  assert.equal(c.listed, false);
  assert.equal(c.key, 'addr:10.0.0.7:41000');
});

test('script lines belong to the client whose EVAL came just before', () => {
  const s = newSession();
  s.applyClientList(list(line(1, 1, 'a'), line(2, 2, 'b')), 1000);
  s.ingest(
    events(
      `1.000001 [0 10.0.0.7:1] "EVALSHA" "abc" "1" "jobs:q"`,
      `1.000002 [0 lua] "LPOP" "jobs:q"`,
      `1.000003 [0 lua] "SET" "jobs:lock" "1"`,
      `1.000004 [0 10.0.0.7:2] "GET" "x:1"`,
      `1.000005 [0 lua] "DEL" "orphan:1"`,
    ),
    1100,
  );
  const a = byKey(s, '1')!;
  assert.deepEqual(Object.fromEntries(a.commands), { EVALSHA: 1, LPOP: 1, SET: 1 });
  assert.equal(byKey(s, '2')!.events, 1, 'a lua line after another command is not b\'s');
  assert.equal(byKey(s, 'addr:lua')?.events, 1, 'an unattributable script line is kept apart');
});

test('read/write split, prefixes at every depth, multi-char delimiter respected by the tree', () => {
  const s = newSession();
  s.applyClientList(list(line(1, 1, 'svc')), 1000);
  s.ingest(events(`1.1 [0 10.0.0.7:1] "MSET" "u:1:name" "x" "u:2:name" "y"`, `1.2 [0 10.0.0.7:1] "MGET" "u:1:name" "p:1"`), 1100);
  const c = byKey(s, '1')!;
  assert.equal(c.writes, 1);
  assert.equal(c.reads, 1);
  assert.deepEqual(
    c.prefixes.map((p) => [p.prefix, p.reads, p.writes]).sort(),
    [['p:', 1, 0], ['u:', 1, 2], ['u:1:', 1, 1], ['u:2:', 0, 1]],
  );
  assert.equal(s.view().tree.node('u:')?.count, 3);
});

test('cross-slot multi-key calls and non-zero databases feed the findings for a cluster target', () => {
  const s = newSession(true);
  s.applyClientList(list(line(1, 1, 'svc')), 1000);
  s.ingest(
    events(
      `1.1 [3 10.0.0.7:1] "MGET" "{user:1}:a" "{user:1}:b"`,
      `1.2 [3 10.0.0.7:1] "MGET" "user:1:a" "user:2:b"`,
      `1.3 [3 10.0.0.7:1] "MGET" "user:3:a" "user:4:b"`,
    ),
    1100,
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

test('the ledger stays within its bound, forgetting the longest-departed first', () => {
  const s = newSession();
  const n = BOUNDS.ledgerClients + 50;
  const clients = list(...Array.from({ length: n }, (_, i) => line(i + 1, 10_000 + (i % 50_000))));
  s.applyClientList(clients.slice(0, 100), 1000);
  s.applyClientList([], 2000); // those 100 depart first
  s.applyClientList(clients.slice(100), 3000);
  const views = s.view().clients;
  assert.ok(views.length <= BOUNDS.ledgerClients);
  assert.equal(views.filter((v) => v.connected).length, n - 100, 'no connected client was forgotten');
});

test('views of clients that did not change are reused between publishes', () => {
  const s = newSession();
  s.applyClientList(list(line(1, 1, 'a'), line(2, 2, 'b')), 1000);
  const first = s.view().clients;
  s.ingest(events(get(1, 'k:1')), 1100);
  const second = s.view().clients;
  assert.notEqual(second.find((c) => c.key === '1'), first.find((c) => c.key === '1'));
  assert.equal(second.find((c) => c.key === '2'), first.find((c) => c.key === '2'));
});

test('a connection never listed is named by what it announced in MONITOR; CLIENT LIST wins when it has one', () => {
  const s = newSession(true);
  s.applyClientList([], 1000);
  s.ingest(
    events(
      `1.1 [0 10.0.0.7:5000] "CLIENT" "SETNAME" "cleanup-cron"`,
      `1.2 [0 10.0.0.7:5000] "CLIENT" "SETINFO" "LIB-VER" "1.6.0"`,
      `1.3 [0 10.0.0.7:5000] "CLIENT" "SETINFO" "lib-name" "node-redis"`,
      `1.4 [0 10.0.0.7:5000] "SET" "cron:last-run" "1"`,
      `1.5 [0 10.0.0.7:6000] "HELLO" "3" "AUTH" "(redacted)" "(redacted)" "SETNAME" "hello-svc"`,
      `1.6 [0 10.0.0.7:7000] "GET" "anon:1"`,
    ),
    1100,
  );
  s.applyClientList([], 2000, 1900);
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
  s.applyClientList(list(line(7, 8000, 'listed-name')), 3000);
  s.ingest(events(`1.7 [0 10.0.0.7:8000] "CLIENT" "SETNAME" "renamed"`), 3100);
  assert.equal(byKey(s, '7')!.name, 'listed-name');
});

test('unix-socket clients print one address: their events go to a shared entry, not to one of them', () => {
  const s = newSession(true);
  const unix = (id: number, name: string) =>
    `id=${id} addr=/run/valkey.sock:0 laddr=/run/valkey.sock:0 fd=9 name=${name} age=5 idle=0 flags=U db=0 sub=0 psub=0 multi=-1 qbuf=0 qbuf-free=0 obl=0 oll=0 omem=0 events=r cmd=get user=default lib-name=node-redis lib-ver=6.3.1`;
  s.applyClientList(list(unix(1, 'svc-a'), unix(2, 'svc-b'), line(3, 40000, 'tcp-svc')), 1000);
  s.ingest(events('1.1 [0 unix:/run/valkey.sock] "get" "a:1"', '1.2 [0 unix:/run/valkey.sock] "set" "b:1" "x"', get(40000, 'c:1')), 1100);
  const views = s.view().clients;
  const shared = views.find((c) => c.sharedBy !== undefined)!;
  assert.equal(shared.sharedBy, 2);
  assert.equal(shared.events, 2);
  assert.equal(shared.findings, undefined, 'not judged as a client of its own');
  assert.equal(byKey(s, '1')!.events, 0);
  assert.equal(byKey(s, '2')!.events, 0);
  assert.equal(byKey(s, '3')!.events, 1, 'TCP clients join as before');

  // One unix client left: it is known again by its address alone.
  s.applyClientList(list(unix(2, 'svc-b')), 2000);
  s.ingest(events('1.3 [0 unix:/run/valkey.sock] "get" "b:2"'), 2100);
  assert.equal(byKey(s, '2')!.events, 1);
  assert.equal(s.view().clients.find((c) => c.sharedBy !== undefined)!.connected, false);
});

test('a client\'s prefixes are the ones the tree counts: proper prefixes only', () => {
  const s = newSession();
  s.applyClientList(list(line(1, 1, 'svc')), 1000);
  s.ingest(events(get(1, 'sess:'), get(1, 'a:b:'), get(1, 'plain')), 1100);
  const mine = byKey(s, '1')!.prefixes.map((p) => p.prefix).sort();
  const tree = s.view().tree.all().map((p) => p.prefix).sort();
  assert.deepEqual(mine, ['a:']);
  assert.deepEqual(mine, tree);
});
