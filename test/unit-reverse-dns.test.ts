// Reverse DNS (`--resolve`): bounded (concurrency, queue, cache), each query with a timeout, a "no
// name" remembered like a name, answers in the store in batches; real PTR queries for the loopback
// addresses end within the timeout whatever this machine's resolver answers. Off unless asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReverseDns, dnsFailure, reverseLookup, startReverseDns, type DnsHint } from '../src/owners/reverseDns.ts';
import { resolveConfig } from '../src/config.ts';
import { createReconStore } from '../src/store.ts';
import { attribute } from '../src/owners/attribute.ts';
import { buildOwnerMap } from '../src/owners/ownerMap.ts';
import type { ClientView } from '../src/analysis/session.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('real PTR queries for 127.0.0.1 and ::1 end within the timeout: a name, or a clean "no name"', async () => {
  const timeoutMs = 1500;
  for (const ip of ['127.0.0.1', '::1']) {
    const got: Array<[string, DnsHint]> = [];
    const dns = new ReverseDns((a, h) => got.push([a, h]), { timeoutMs });
    const t = Date.now();
    assert.equal(dns.request(ip), undefined, 'asked, not known yet');
    await dns.settle();
    const ms = Date.now() - t;
    assert.ok(ms < timeoutMs + 1000, `${ip}: ${ms} ms`);
    assert.equal(got.length, 1);
    const hint = got[0]![1];
    if ('name' in hint) assert.match(hint.name, /^[\w.-]+$/, `${ip} → ${hint.name}`);
    else assert.match(hint.none, /^(no name|no answer within 1500 ms|the resolver refused the query|the resolver failed|lookup failed( \(\w+\))?)$/);
    console.log(`# measured: reverse DNS of ${ip}: ${'name' in hint ? hint.name : hint.none} in ${ms} ms`);
    assert.deepEqual(dns.request(ip), hint, 'remembered');
  }
  // The lookup itself, straight: resolves or rejects, never hangs.
  await reverseLookup('127.0.0.1', 1000).then(
    (names) => assert.ok(Array.isArray(names)),
    (err: unknown) => assert.ok(typeof dnsFailure(err, 1000) === 'string'),
  );
});

test('bounded: a few queries at a time, a timeout each, a queue that drops, a cache that forgets the oldest', async () => {
  let running = 0;
  let peak = 0;
  const lookup = async (ip: string, timeoutMs: number): Promise<string[]> => {
    running++;
    peak = Math.max(peak, running);
    try {
      if (ip === '10.0.0.9') {
        await sleep(timeoutMs + 50);
        throw Object.assign(new Error('timed out'), { code: 'ETIMEOUT' });
      }
      await sleep(5);
      if (ip.endsWith('.7')) throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
      return [`host-${ip.replace(/\./g, '-')}.example`];
    } finally {
      running--;
    }
  };
  const got = new Map<string, DnsHint>();
  const dns = new ReverseDns((ip, h) => got.set(ip, h), { lookup, concurrency: 2, queueMax: 5, cacheSize: 4, timeoutMs: 40 });
  for (let i = 1; i <= 9; i++) dns.request(`10.0.0.${i}`);
  dns.request('unix:/tmp/redis.sock');
  await dns.settle();
  assert.equal(peak, 2, 'two at a time');
  assert.deepEqual(
    [...got.keys()],
    ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7'],
    'two in flight and five queued; the rest were dropped, to be asked again',
  );
  assert.deepEqual(got.get('10.0.0.1'), { name: 'host-10-0-0-1.example' });
  assert.deepEqual(got.get('10.0.0.7'), { none: 'no name' });
  assert.equal(dns.size, 4, 'the oldest answers forgotten');
  assert.deepEqual(dns.request('10.0.0.7'), { none: 'no name' }, 'a "no name" is remembered like a name');
  dns.request('10.0.0.9');
  await dns.settle();
  assert.deepEqual(got.get('10.0.0.9'), { none: 'no answer within 40 ms' });
  dns.stop();
  assert.equal(dns.request('10.0.0.8'), undefined, 'stopped: asks nothing');
});

const client = (key: string, ip: string, over: Partial<ClientView> = {}): ClientView => ({
  key, addr: `${ip}:5000`, ip, name: '', db: 0, connected: true, listed: true, self: false, firstSeen: 0, lastSeen: 0, events: 0, reads: 0,
  writes: 0, opsPerSec: 0, commands: [], prefixes: [], topKeys: [], dbs: [], crossSlot: { count: 0, example: [] },
  crossSlotTransactions: { count: 0, example: [], commands: [] }, crossSlotScripts: { count: 0, example: [], commands: [] }, ...over,
});

test('wired to the store: only addresses no owner file names are asked, answers arrive as hints', async () => {
  const map = buildOwnerMap([{ path: 'owners.csv', text: '10.0.0.0/24,office\n' }]);
  assert.ok(map.ok);
  const store = createReconStore({ endpoint: 'e', monitor: false, monitorMaxOmemBytes: 1, owners: map.map });
  const asked: string[] = [];
  const lookup = async (ip: string): Promise<string[]> => {
    asked.push(ip);
    return ip === '192.0.2.10' ? ['ip-192-0-2-10.ec2.internal'] : [];
  };
  const clients = [client('1', '10.0.0.5'), client('2', '192.0.2.10'), client('3', '192.0.2.11'), client('4', '192.0.2.12', { self: true })];
  store.getState().actions.published({ version: 1, clients, topKeys: [], tree: store.getState().view.tree, totals: store.getState().view.totals }, []);
  const dns = startReverseDns(store, { lookup });
  await dns.settle();
  dns.stop();
  assert.deepEqual(asked.sort(), ['192.0.2.10', '192.0.2.11'], 'not the owned address, not our own connection');
  const s = store.getState();
  assert.deepEqual(s.owners.dns.get('192.0.2.10'), { name: 'ip-192-0-2-10.ec2.internal' });
  const a = attribute({ clients, owners: s.owners.map, dns: s.owners.dns });
  assert.deepEqual(a.byKey.get('2')!.dns, { name: 'ip-192-0-2-10.ec2.internal' });
  assert.equal(a.byKey.get('2')!.owner, null);
  assert.equal(a.byKey.get('1')!.dns, undefined);
});

test('off by default; --resolve / RECON_RESOLVE turn it on; --hosts repeats, RECON_HOSTS takes a list', () => {
  const cfg = (argv: string[], env: Record<string, string> = {}) => {
    const r = resolveConfig(argv, env);
    if (!r.ok) throw new Error(r.error);
    return r.config;
  };
  assert.equal(cfg([]).resolve, false);
  assert.deepEqual(cfg([]).hostsFiles, []);
  assert.equal(cfg(['--resolve']).resolve, true);
  assert.equal(cfg([], { RECON_RESOLVE: '1' }).resolve, true);
  assert.deepEqual(cfg(['--hosts', 'pods.txt', '--hosts', 'nodes.txt']).hostsFiles, ['pods.txt', 'nodes.txt']);
  assert.deepEqual(cfg([], { RECON_HOSTS: 'pods.txt, owners.csv' }).hostsFiles, ['pods.txt', 'owners.csv']);
  assert.deepEqual(cfg(['--hosts', 'a.csv'], { RECON_HOSTS: 'b.csv' }).hostsFiles, ['a.csv'], 'the flag beats the variable');
  assert.match(cfg(['--hosts', '~/pods.txt']).hostsFiles[0]!, /^\/.*\/pods\.txt$/, '~ expanded');
});
