// The inventory files people hand to migration owners, built from the field notes' Redis Cloud
// CLIENT LIST and MONITOR lines on those connections: JSON, CSV and Markdown by extension, written
// atomically so a failed export never destroys the last good one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReconStore } from '../src/store.ts';
import { inProcessPipeline } from './helpers/inProcess.ts';
import { parseClientList } from '../src/parse/clientList.ts';
import { identityFromInfo } from '../src/parse/info.ts';
import { createAuditor } from '../src/audit/auditor.ts';
import { loadTarget } from '../src/audit/targets.ts';
import { shippedLibraries } from '../src/audit/libraries.ts';
import { exportInventory, inventoryOf } from '../src/export/exportFile.ts';
import { inventoryChunks, renderInventory } from '../src/export/formats.ts';
import type { ExportClient, Inventory } from '../src/export/inventory.ts';
import { writeFileAtomic } from '../src/export/writeAtomic.ts';

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');

async function fieldNotesState() {
  const store = createReconStore({ endpoint: 'redis-cloud.example:18585', monitor: true, monitorMaxOmemBytes: 1 << 25 });
  const target = loadTarget('elasticache-valkey-cluster');
  const pipeline = inProcessPipeline(store, {
    delimiter: ':',
    isSelf: () => false,
    auditor: createAuditor(target, shippedLibraries()),
    now: () => Date.parse('2026-03-29T12:25:20Z'),
  });
  const { clients, unparsed } = parseClientList(fixture('client-list-redis-cloud-field-notes.txt'));
  pipeline.pushPoll({ startedAt: 0, at: 0, clients, unparsed, server: identityFromInfo('redis_version:7.4.0\r\nredis_mode:standalone\r\nrole:master\r\n'), info: {} });
  const [a, b] = [clients[0]!.addr, clients[1]!.addr];
  for (const l of [
    `1774787120.638084 [0 ${a}] "get" "prefixkey:namespacea:default_data"`,
    `1774787120.649084 [0 ${a}] "mget" "prefixkey:namespace1:x" "other:2"`,
    `1774787120.652084 [0 ${b}] "set" "prefixkey:namespace3:default_data" "v"`,
    `1774787120.687083 [0 ${b}] "zrange" "prefixkey:namespace4:allowed_data" "0" "-1"`,
    'garbage that is not a monitor line',
  ]) {
    pipeline.pushLine(l);
  }
  await pipeline.flush();
  return { state: store.getState(), target: { id: target.id, title: target.title }, clients };
}

test('JSON: the contract plus library verdicts, findings and a summary', async () => {
  const { state, target, clients } = await fieldNotesState();
  const dir = mkdtempSync(join(tmpdir(), 'recon-export-'));
  const r = await exportInventory(state, join(dir, 'inv.json'), { target });
  assert.ok(r.ok);
  const inv = JSON.parse(readFileSync(join(dir, 'inv.json'), 'utf8'));
  assert.equal(inv.clients.length, clients.length);
  assert.equal(inv.window.monitorEvents, 4);
  assert.equal(inv.window.unparsedLines, 1);
  const goRedis = inv.clients.find((c: { libName: string }) => c.libName === 'go-redis(,go1.24.13)');
  assert.equal(goRedis.library.verdict, 'ok');
  const noLib = inv.clients.find((c: { libName: string }) => c.libName === '');
  assert.equal(noLib.library.verdict, 'missing');
  assert.ok(inv.clients.every((c: { findings: Array<{ code: string }> }) => c.findings.some((f) => f.code === 'no-client-name')), 'none of the field notes clients is named');
  const mget = inv.clients.find((c: { commands: Record<string, number> }) => c.commands.MGET === 1);
  assert.ok(mget.findings.some((f: { code: string }) => f.code === 'cross-slot'), 'MGET across slots on a cluster target');
  assert.equal(inv.summary.unnamed, clients.length);
  assert.equal(inv.summary.libraries.missing, clients.filter((c) => c.libName === '').length);
  assert.deepEqual(inv.target, target);
});

test('CSV: a header in the field notes table order, then one row per client', async () => {
  const { state, target, clients } = await fieldNotesState();
  const path = join(mkdtempSync(join(tmpdir(), 'recon-export-')), 'inv.csv');
  assert.ok((await exportInventory(state, path, { target })).ok);
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  assert.match(lines[0]!, /^client_ip,name,lib,lib_ver,user,/);
  assert.ok(lines[0]!.includes('library_verdict') && lines[0]!.includes('prefixes_read') && lines[0]!.includes('prefixes_written'));
  assert.equal(lines.length, clients.length + 1);
  // The go-redis lib-name has a comma: quoted, so the row keeps its column count.
  assert.ok(lines.some((l) => l.includes('"go-redis(,go1.24.13)"')));
});

test('Markdown: the reconnaissance summary migration owners read', async () => {
  const { state, target } = await fieldNotesState();
  const path = join(mkdtempSync(join(tmpdir(), 'recon-export-')), 'inv.md');
  assert.ok((await exportInventory(state, path, { target })).ok);
  const md = readFileSync(path, 'utf8');
  for (const h of ['## Services identified', '## Unnamed clients', '## Libraries to upgrade', '## What will fail on', '## Key patterns by readers and writers']) {
    assert.ok(md.includes(h), h);
  }
  assert.match(md, /\| cross-slot /);
  assert.match(md, /\| prefixkey:namespacea:default_data \| 1 \| 0 \|/);
  assert.match(md, /\| \(unnamed\) [^|]+ \| - \| missing \|/);
});

test('an unknown extension is refused; a failed write leaves the previous export intact', async () => {
  const { state } = await fieldNotesState();
  const dir = mkdtempSync(join(tmpdir(), 'recon-export-'));
  const bad = await exportInventory(state, join(dir, 'inv.xlsx'), {});
  assert.equal(bad.ok, false);
  assert.match((bad as { error: string }).error, /\.json, \.csv or \.md/);

  const good = join(dir, 'keep.json');
  writeFileSync(good, '{"previous":true}');
  await writeFileAtomic(good, '{"next":true}');
  assert.equal(readFileSync(good, 'utf8'), '{"next":true}');

  const blocked = join(dir, 'is-a-dir.json');
  mkdirSync(blocked);
  await assert.rejects(writeFileAtomic(blocked, 'x'));
  assert.ok(existsSync(blocked));
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left behind');
});

test('Markdown names a service once, with how many of its connections hit a finding', async () => {
  const store = createReconStore({ endpoint: 'h:1', monitor: true, monitorMaxOmemBytes: 1 << 25 });
  const target = loadTarget('elasticache-valkey-cluster');
  const pipeline = inProcessPipeline(store, { delimiter: ':', isSelf: () => false, auditor: createAuditor(target, shippedLibraries()) });
  const line = (id: number, port: number) =>
    `id=${id} addr=10.0.0.9:${port} fd=5 name=cron age=1 idle=0 flags=N db=0 sub=0 psub=0 multi=-1 qbuf=0 qbuf-free=0 obl=0 oll=0 omem=0 events=r cmd=mget user=default lib-name=go-redis(,go1.24.13) lib-ver=9.17.2`;
  const { clients, unparsed } = parseClientList(`${line(1, 1001)}\n${line(2, 1002)}\n`);
  pipeline.pushPoll({ startedAt: 0, at: 0, clients, unparsed, server: identityFromInfo('redis_version:7.4.0\r\n'), info: {} });
  for (const port of [1001, 1002]) pipeline.pushLine(`1.1 [0 10.0.0.9:${port}] "mget" "user:1" "order:2"`);
  await pipeline.flush();
  const path = join(mkdtempSync(join(tmpdir(), 'recon-export-')), 'inv.md');
  assert.ok((await exportInventory(store.getState(), path, { target: { id: target.id, title: target.title } })).ok);
  assert.match(readFileSync(path, 'utf8'), /\| cross-slot user:1 order:2 \| error \| 2 \| cron ×2 \|/);
});

test('JSON is streamed in pieces whose text is exactly JSON.stringify(inventory, null, 2)', async () => {
  const { state, target } = await fieldNotesState();
  const inv = inventoryOf(state, { target });
  // Edge cases the streaming writer must render as JSON.stringify does.
  const odd = {
    ...inv,
    endpoint: 'multi\nline "quoted" café:ключ',
    clients: [...inv.clients, { ...inv.clients[0]!, prefixes: [], commands: {}, library: null }],
    topKeys: [],
    extra: undefined,
  };
  const chunks = [...inventoryChunks(odd as typeof inv, 'json')];
  assert.ok(chunks.length > inv.clients.length, 'one piece per client at least, not one string');
  assert.equal(chunks.join(''), `${JSON.stringify(odd, null, 2)}\n`);
});

test('Markdown of 40,000 connections of one service is linear: well under two seconds', () => {
  const base: ExportClient = {
    id: '1', addr: '10.0.0.1:1', ip: '10.0.0.1', name: 'cleanup-cron', libName: 'go-redis', libVer: '9.17.2', user: 'default', db: 0,
    connected: true, listed: true, firstSeen: '', lastSeen: '', ageSeconds: 1, idleSeconds: 0, lastCommand: 'get', events: 1,
    commands: { GET: 1 }, reads: 1, writes: 0, prefixes: [{ prefix: 'user:', reads: 1, writes: 0 }], topKeys: [], dbs: [],
    library: { verdict: 'outdated', reason: 'old' }, findings: [{ code: 'cross-slot', severity: 'error', message: 'x', count: 1, example: 'a b' }], sharedBy: null,
    node: null,
  };
  const clients = Array.from({ length: 40_000 }, (_, i) => ({ ...base, id: String(i), addr: `10.0.${i >> 8 & 255}.${i & 255}:1`, ip: `10.0.${i >> 8 & 255}.${i & 255}` }));
  const inv = { formatVersion: 1, tool: { name: 'redis-recon', version: 't' }, endpoint: 'e', server: null, target: null,
    window: { start: '', end: '', monitorEvents: 0, unparsedLines: 0, droppedLines: 0, monitorOnSeconds: 0, monitorOffSeconds: 0, monitorOff: [] }, clients, prefixes: [], topKeys: [],
    summary: { clients: 40_000, connected: 40_000, unnamed: 0, services: 1, libraries: { ok: 0, outdated: 40_000, unknown: 0, missing: 0, unavailable: 0 }, findings: {}, selfLeftOut: 0 }, nodes: [], cluster: null } as Inventory;
  const t = performance.now();
  const md = renderInventory(inv, 'md');
  const ms = performance.now() - t;
  assert.ok(ms < 2000, `${Math.round(ms)} ms`);
  assert.match(md, /\| cleanup-cron \| 40000 \|/);
  assert.match(md, /\| cleanup-cron ×40000 \| go-redis 9\.17\.2 \| outdated \|/, 'one row for the service, with how many connections');
  assert.match(md, /\| cross-slot a b \| error \| 40000 \| cleanup-cron ×40000 \|/);
});

test('Markdown rolls up by service: one row per service and library version, each explanation once', () => {
  const reason = 'node-redis 1.6.0 is below 5.0.0, the oldest line its maintainers still support; a long explanation that used to repeat on every row';
  const base: ExportClient = {
    id: '1', addr: '10.0.0.1:1', ip: '10.0.0.1', name: 'cleanup-cron-28x7q', libName: 'node-redis', libVer: '1.6.0', user: 'default', db: 0,
    connected: false, listed: true, firstSeen: '', lastSeen: '', ageSeconds: 1, idleSeconds: 0, lastCommand: 'get', events: 1,
    commands: { GET: 1 }, reads: 1, writes: 0, prefixes: [], topKeys: [], dbs: [],
    library: { verdict: 'outdated', reason, minimum: '5.0.0', latest: '5.8.2' },
    findings: [{ code: 'library-outdated', severity: 'error', message: reason, count: 1, example: 'node-redis 1.6.0' }], sharedBy: null, node: null,
  };
  // 19 short-lived pods of one CronJob, and two of a deployment on the same old version.
  const pods = Array.from({ length: 19 }, (_, i) => ({ ...base, id: String(i), name: `cleanup-cron-${'bcdfg'[i % 5]}${'hjklm'[Math.floor(i / 5)]}x7q` }));
  const billing = [0, 1].map((i) => ({ ...base, id: `b${i}`, name: `billing-7f9c8d6b5-x2x7${'qz'[i]}`, ip: '10.0.0.2' }));
  const clients = [...pods, ...billing];
  const inv = { formatVersion: 1, tool: { name: 'redis-recon', version: 't' }, endpoint: 'e', server: null, target: null,
    window: { start: '', end: '', monitorEvents: 0, unparsedLines: 0, droppedLines: 0, monitorOnSeconds: 0, monitorOffSeconds: 0, monitorOff: [] }, clients, prefixes: [], topKeys: [],
    summary: { clients: 21, connected: 0, unnamed: 0, services: 21, libraries: { ok: 0, outdated: 21, unknown: 0, missing: 0, unavailable: 0 }, findings: {}, selfLeftOut: 0 }, nodes: [], cluster: null } as Inventory;
  const md = renderInventory(inv, 'md');
  const section = md.slice(md.indexOf('## Libraries to upgrade'), md.indexOf('## What will fail'));
  const rows = section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| service'));
  assert.deepEqual(rows, [
    '| billing ×2 | node-redis 1.6.0 | outdated | ≥ 5.0.0 | 5.8.2 | [1] |',
    '| cleanup-cron ×19 | node-redis 1.6.0 | outdated | ≥ 5.0.0 | 5.8.2 | [1] |',
  ]);
  assert.equal(md.split(reason).length - 1, 1, 'the explanation is written once');
  assert.match(md, /\| billing \| 2 \|/, 'services identified: pods of one deployment are one service');
});

test('likely not cluster-aware: one node that answered MOVED, unless the client reads the slot map or follows ASK', async () => {
  const { notClusterAware } = await import('../src/export/inventory.ts');
  type Node = Parameters<typeof notClusterAware>[1][number];
  const node = (id: string, moved: number): Node =>
    ({ id, addr: `127.0.0.1:${id}`, role: 'primary', primary: null, slots: id === 'a' ? '0-8191' : '8192-16383', state: 'up', why: null, connected: 1,
      monitor: { phase: 'on', reason: null, onSeconds: 1, events: 1, offPeriods: [] }, redirects: { moved, ask: 0, lens: 'INFO errorstats (server-wide)' } }) as Node;
  const client = (name: string, at: string, commands: Record<string, number>): ExportClient => ({ name, node: at, commands }) as unknown as ExportClient;
  const nodes = [node('a', 12), node('b', 0)];
  const clients = [
    client('plain-client', 'a', { get: 5, set: 5 }),
    // ioredis' topology refresher: one connection, on one node, reading the slot map.
    client('ioredis-cluster(refresher):io-cluster', 'a', { 'cluster|slots': 3 }),
    client('redirected-by-ask', 'a', { asking: 1, get: 1 }),
    client('everywhere', 'a', { get: 1 }),
    client('everywhere', 'b', { get: 1 }),
    client('quiet-node', 'b', { get: 1 }),
  ];
  assert.deepEqual(notClusterAware(clients, nodes), [{ name: 'plain-client', node: 'a', connections: 1, moved: 12 }]);
});
