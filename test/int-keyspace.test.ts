// The keyspace sampler against a real Valkey 8.0 seeded with a known keyspace (195,009 keys in 13
// patterns of every type, with known sizes and TTLs, and a few big keys), through the real CLI:
// a full scan is exact, a sample estimates within 10% with the truth inside its intervals, the
// keys-per-second budget holds (counted in the server's own INFO commandstats), a keyspace that
// changes underneath does not break it, and its own commands never count as traffic.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { startServer, type TestServer } from './helpers/servers.ts';
import { CLI } from './helpers/cli.ts';
import { commandCalls, measureTruth, seedKeyspace, seedPatterns, type TruthRow } from './helpers/keyspace.ts';

interface Run {
  code: number;
  stderr: string;
}

function runCli(args: string[], timeout = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', RECON_ENV_FILE: '/nonexistent/.env' }, timeout },
      (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr }),
    );
  });
}

interface ExportPattern {
  pattern: string;
  keys: number;
  bytes: number;
  keysLow: number;
  keysHigh: number;
  bytesLow: number;
  bytesHigh: number;
  exact: boolean;
  sampledKeys: number;
  types: Record<string, number>;
  ttl: Record<string, number>;
  bigKeys: Array<{ key: string; bytes: number; type: string }>;
  untouched: boolean | null;
}

const dir = mkdtempSync(join(tmpdir(), 'recon-keyspace-'));
const readExport = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const nonZero = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).filter(([, n]) => n > 0));

describe('keyspace sampler on a seeded Valkey 8.0', () => {
  let server: TestServer;
  let client: ReturnType<typeof createClient>;
  const patterns = seedPatterns();
  let truth: Map<string, TruthRow>;
  let total = 0;

  before(async () => {
    server = await startServer('valkey');
    client = createClient({ url: server.url, RESP: 2, commandOptions: { timeout: 60_000 } });
    await client.connect();
    total = await seedKeyspace(client, patterns);
    truth = await measureTruth(client, patterns);
  });
  after(async () => {
    await client?.close();
    await server?.stop();
  });

  test('a full scan counts every pattern exactly: keys, bytes, types, TTL buckets, big keys', async () => {
    assert.equal(total, 195_009);
    const out = join(dir, 'full.json');
    const plan = join(dir, 'full-plan.md');
    const run = await runCli(['--url', server.url, '--headless', '--keyspace', '--keyspace-rate', '100000', '--no-monitor', '--export', out, '--plan', plan]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /keyspace: 195,009 of 195,009 keys in 13 patterns \(complete\)/);
    const k = readExport(out).keyspace;
    // The sampler's ~800k commands are redis-recon's own: the server's command mix leaves them out.
    const mix = new Map<string, number>(readExport(out).commands.map((c: { name: string; calls: number }) => [c.name, c.calls]));
    for (const own of ['SCAN', 'TYPE', 'MEMORY|USAGE', 'PTTL', 'OBJECT|ENCODING', 'CLIENT|SETNAME']) assert.equal(mix.get(own) ?? 0, 0, `${own} in the command mix`);
    assert.equal(k.complete, true);
    assert.equal(k.end, 'complete');
    assert.equal(k.scanned, total);
    assert.equal(k.sampled, total);
    assert.equal(k.dbsize, total);
    assert.equal(k.dedupeFull, false);
    const byName = new Map<string, ExportPattern>(k.patterns.map((p: ExportPattern) => [p.pattern, p]));
    assert.deepEqual([...byName.keys()].sort(), patterns.map((p) => p.pattern).sort());
    for (const p of patterns) {
      const got = byName.get(p.pattern)!;
      const want = truth.get(p.pattern)!;
      assert.equal(got.exact, true, p.pattern);
      assert.equal(got.keys, p.count, `${p.pattern} keys`);
      assert.equal(got.keys, want.keys, `${p.pattern} keys`);
      assert.equal(got.keysLow, got.keys);
      assert.equal(got.keysHigh, got.keys);
      assert.equal(got.bytes, want.bytes, `${p.pattern} bytes`);
      assert.deepEqual(nonZero(got.types), { [p.type]: p.count }, `${p.pattern} types`);
      assert.deepEqual(nonZero(got.ttl), { [p.bucket]: p.count }, `${p.pattern} TTL`);
      // MONITOR was off: whether anybody touches it is unknown, not "untouched".
      assert.equal(got.untouched, null);
    }
    // The biggest keys: the three big hashes and the big list, each at its own size.
    const bigHash = byName.get('big:hash:*')!;
    assert.deepEqual(bigHash.bigKeys.map((b) => b.key).sort(), ['big:hash:1', 'big:hash:2', 'big:hash:3']);
    assert.ok(bigHash.bigKeys.every((b) => b.type === 'hash' && b.bytes > 500_000), JSON.stringify(bigHash.bigKeys));
    assert.equal(byName.get('big:list:*')!.bigKeys[0]!.key, 'big:list:1');
    assert.ok(byName.get('user:*:profile')!.bigKeys.length <= 5, 'big keys are bounded per pattern');
    // Patterns sorted by bytes.
    const sizes = k.patterns.map((p: ExportPattern) => p.bytes);
    assert.deepEqual(sizes, [...sizes].sort((a: number, b: number) => b - a));
    // The plan: every pattern, the whole keyspace to move, filters for RedisShake and RIOT.
    const md = readFileSync(plan, 'utf8');
    assert.match(md, /- To move: 195,009 keys, /);
    assert.match(md, /allow_key_prefix = \[\n(.*\n)*  'user:',/);
    assert.match(md, /riotx replicate redis:\/\/SOURCE redis:\/\/TARGET --key-pattern 'session:\*'/);
  });

  test('a 40,000-key sample estimates every sizeable pattern within 10%, the truth inside the 99% intervals', async () => {
    const out = join(dir, 'sample.json');
    const run = await runCli(['--url', server.url, '--headless', '--keyspace', '--keyspace-rate', '100000', '--keyspace-sample', '40k', '--no-monitor', '--export', out]);
    assert.equal(run.code, 0, run.stderr);
    const k = readExport(out).keyspace;
    assert.equal(k.complete, false);
    assert.equal(k.end, 'sample');
    assert.ok(k.sampled >= 40_000 && k.sampled < 41_100, `stopped at the sample size: ${k.sampled}`);
    assert.equal(k.dbsize, total);
    const misses: string[] = [];
    for (const p of k.patterns as ExportPattern[]) {
      const want = truth.get(p.pattern)!;
      assert.ok(want, `a pattern the seed has: ${p.pattern}`);
      assert.equal(p.exact, false);
      assert.ok(p.keysLow <= p.keys && p.keys <= p.keysHigh && p.bytesLow <= p.bytes && p.bytes <= p.bytesHigh, JSON.stringify(p));
      // Types and TTLs of what was sampled are the pattern's own.
      assert.deepEqual(Object.keys(nonZero(p.types)), [patterns.find((x) => x.pattern === p.pattern)!.type]);
      // Patterns of 1% of the keyspace or more: within 10% (a 40k sample puts them 5 standard errors inside).
      if (want.keys >= total / 100) {
        assert.ok(Math.abs(p.keys - want.keys) <= 0.1 * want.keys, `${p.pattern}: ${p.keys} keys vs ${want.keys}`);
        assert.ok(Math.abs(p.bytes - want.bytes) <= 0.1 * want.bytes, `${p.pattern}: ${p.bytes} bytes vs ${want.bytes}`);
      }
      const missed = [
        want.keys < p.keysLow || want.keys > p.keysHigh ? `keys ${want.keys} outside [${p.keysLow}, ${p.keysHigh}]` : '',
        want.bytes < p.bytesLow || want.bytes > p.bytesHigh ? `bytes ${want.bytes} outside [${p.bytesLow}, ${p.bytesHigh}]` : '',
      ].filter(Boolean);
      if (missed.length > 0) misses.push(`${p.pattern} ${missed.join(', ')}`);
    }
    // A 99% interval misses 1 time in 100 by design (unit-keyspace checks the coverage over
    // thousands of samples). A pattern's keys and bytes miss together (its keys are of one size),
    // so misses are counted per pattern: over 13 patterns, two would be a 1-in-130 event.
    assert.ok(misses.length <= 1, misses.join('; '));
    // Every pattern of 1% or more was sampled.
    for (const p of patterns) {
      if (p.count >= total / 100) assert.ok(k.patterns.some((x: ExportPattern) => x.pattern === p.pattern), `${p.pattern} sampled`);
    }
  });

  test('the sampler holds its keys-per-second budget, by the server\'s own command counts', async () => {
    const out = join(dir, 'budget.json');
    const before = await commandCalls(client);
    const run = await runCli(['--url', server.url, '--headless', '--keyspace', '--keyspace-rate', '1500', '--no-monitor', '--duration', '6s', '--export', out]);
    assert.equal(run.code, 0, run.stderr);
    const afterCalls = await commandCalls(client);
    const d = (cmd: string): number => (afterCalls[cmd] ?? 0) - (before[cmd] ?? 0);
    const k = readExport(out).keyspace;
    const seconds = k.elapsedSeconds;
    // One TYPE, one MEMORY USAGE, one PTTL, one OBJECT ENCODING per key inspected.
    assert.equal(d('type'), k.sampled);
    assert.equal(d('memory|usage'), d('type'));
    assert.equal(d('pttl'), d('type'));
    assert.equal(d('object|encoding'), d('type'));
    // Never KEYS.
    assert.equal(d('keys'), 0);
    // At most the budget over the time it ran, plus one bucket (a quarter second) and one chunk.
    assert.ok(d('type') <= 1500 * seconds + 375 + 64, `${d('type')} keys in ${seconds}s at 1500/s`);
    // And it did work: a fifth of the budget at least over the time after its first poll (up to
    // 2s), even if a busy test machine made it back off.
    assert.ok(d('type') >= 1500 * Math.max(0, seconds - 2) * 0.2, `${d('type')} keys in ${seconds}s`);
    // SCAN with a bounded COUNT (150 at this budget): about one SCAN per 150 keys.
    assert.ok(d('scan') >= d('type') / 300 && d('scan') <= d('type') / 100 + 2, `${d('scan')} SCANs for ${d('type')} keys`);
    assert.equal(k.budget, 1500);
  });
});

describe('keyspace sampler on a keyspace that changes during the scan', () => {
  let server: TestServer;
  let client: ReturnType<typeof createClient>;
  const patterns = seedPatterns(0.25).filter((p) => !p.pattern.startsWith('big:'));

  before(async () => {
    server = await startServer('valkey');
    client = createClient({ url: server.url, RESP: 2, name: 'churn-writer', commandOptions: { timeout: 60_000 } });
    await client.connect();
    await seedKeyspace(client, patterns);
  });
  after(async () => {
    await client?.close();
    await server?.stop();
  });

  test('keys added (rehashing), deleted and expiring meanwhile: no crash, no key counted twice, every key present throughout seen; with MONITOR on, its own commands are no traffic', async () => {
    const users = patterns.find((p) => p.pattern === 'user:*:profile')!.count;
    const deleted = new Set<number>();
    let running = true;
    let added = 0;
    const churn = (async () => {
      // Once the scan is under way (the server has answered its first TYPEs):
      const base = (await commandCalls(client)).type ?? 0;
      while (running && ((await commandCalls(client)).type ?? 0) < base + 2000) await new Promise((r) => setTimeout(r, 20));
      // Grows the table past the next power of two (48,755 seeded + 30,000: past 65,536, a rehash
      // mid-scan), deletes some seeded users, and makes keys that expire at once.
      for (let round = 0; round < 60; round++) {
        const batch: Array<Promise<unknown>> = [];
        for (let i = 0; i < 500; i++) batch.push(client.sendCommand(['SET', `churn:${added++}`, 'x']));
        for (let i = 0; i < 20; i++) {
          const u = 1 + ((round * 20 + i) * 7919) % users;
          deleted.add(u);
          batch.push(client.sendCommand(['DEL', `user:${u}:profile`]));
        }
        batch.push(client.sendCommand(['SET', `flash:${round}`, 'x', 'PX', '1']));
        await Promise.all(batch);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const out = join(dir, 'churn.json');
    const run = await runCli(['--url', server.url, '--headless', '--keyspace', '--keyspace-rate', '10000', '--monitor', 'on', '--export', out]);
    running = false;
    await churn;
    assert.equal(run.code, 0, run.stderr);
    const inv = readExport(out);
    const k = inv.keyspace;
    assert.equal(k.complete, true, JSON.stringify({ ...k, patterns: undefined }));
    assert.ok(k.sampled <= k.scanned);
    const user = k.patterns.find((p: ExportPattern) => p.pattern === 'user:*:profile');
    // SCAN returns every key present for the whole scan, at least once; the dedupe keeps it once.
    assert.ok(user.keys >= users - deleted.size && user.keys <= users, `user keys ${user.keys}, seeded ${users}, deleted ${deleted.size}`);
    for (const p of patterns.filter((x) => x.pattern !== 'user:*:profile')) {
      assert.equal(k.patterns.find((x: ExportPattern) => x.pattern === p.pattern)?.keys, p.count, p.pattern);
    }
    const churned = k.patterns.find((p: ExportPattern) => p.pattern === 'churn:*');
    assert.equal(added, 30_000);
    assert.ok(churned && churned.keys <= added, `churn keys ${churned?.keys} of ${added} written`);
    // MONITOR ran: the sampler's TYPE/MEMORY USAGE on every seeded key is not traffic, the writer's is.
    assert.ok(inv.window.monitorEvents > 0);
    const traffic = new Set(inv.prefixes.map((p: { prefix: string }) => p.prefix));
    assert.ok(traffic.has('churn:*'), [...traffic].join(' '));
    for (const p of ['session:*', 'cache:page:*', 'feed:*', 'tags:*', 'rank:*']) assert.ok(!traffic.has(p), `${p} is no traffic`);
    // Patterns nobody touched while MONITOR ran are marked; those the writer touched are not.
    assert.equal(k.patterns.find((p: ExportPattern) => p.pattern === 'rank:*').untouched, true);
    assert.equal(churned.untouched, false);
  });
});

describe('keyspace sampler where the server refuses some of its commands (ACLs, managed services)', () => {
  let server: TestServer;
  let client: ReturnType<typeof createClient>;

  before(async () => {
    server = await startServer('valkey');
    client = createClient({ url: server.url, RESP: 2, commandOptions: { timeout: 60_000 } });
    await client.connect();
    await client.sendCommand(['EVAL', "for i = 1, 500 do redis.call('SET', 'a:' .. i, 'x') end return 1", '0']);
    await client.sendCommand(['SELECT', '1']);
    await client.sendCommand(['EVAL', "for i = 1, 300 do redis.call('SET', 'b:' .. i, 'y') end return 1", '0']);
    await client.sendCommand(['SELECT', '0']);
    // Redis Cloud refuses SELECT; ElastiCache Serverless refuses MEMORY USAGE; a tight ACL may refuse SCAN.
    for (const [user, rule] of [['nosel', '-select'], ['nomem', '-memory'], ['noscan', '-scan']]) {
      await client.sendCommand(['ACL', 'SETUSER', user!, 'on', 'nopass', '~*', '&*', '+@all', rule!]);
    }
  });
  after(async () => {
    await client?.close();
    await server?.stop();
  });

  const scan = async (user: string) => {
    const out = join(dir, `${user}.json`);
    const run = await runCli(['--url', `redis://${user}@127.0.0.1:${server.port}`, '--headless', '--keyspace', '--keyspace-rate', '50000', '--no-monitor', '--export', out], 60_000);
    assert.equal(run.code, 0, run.stderr);
    return { k: readExport(out).keyspace, stderr: run.stderr };
  };

  test('without SELECT: db0 is read to its end, db1 is left out and said so', async () => {
    const { k } = await scan('nosel');
    assert.equal(k.complete, false);
    assert.equal(k.end, 'error');
    assert.match(k.reason, /SELECT refused: db1/);
    assert.deepEqual(k.dbs, [{ db: 0, keys: 500, scanned: 500, complete: true }, { db: 1, keys: 300, scanned: 0, complete: false }]);
    assert.equal(k.patterns.find((p: ExportPattern) => p.pattern === 'a:*').keys, 500);
    assert.equal(k.patterns.find((p: ExportPattern) => p.pattern === 'b:*'), undefined);
  });

  test('without MEMORY USAGE: keys, types and TTLs, sizes unknown', async () => {
    const { k } = await scan('nomem');
    assert.equal(k.complete, true);
    assert.match(k.bytesUnavailable, /MEMORY USAGE refused/);
    const a = k.patterns.find((p: ExportPattern) => p.pattern === 'a:*');
    assert.equal(a.keys, 500);
    assert.equal(a.bytes, null);
    assert.deepEqual(nonZero(a.types), { string: 500 });
  });

  test('without SCAN: the sampler fails, saying what it needs; the run still ends and exports', async () => {
    const { k, stderr } = await scan('noscan');
    assert.equal(k.phase, 'error');
    assert.match(k.reason, /needs \+scan \+select \+type \+memory\|usage \+pttl \+object\|encoding/);
    assert.match(stderr, /keyspace: 0 of 800 keys in 0 patterns \(failed: NOPERM/);
  });
});
