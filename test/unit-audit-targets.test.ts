import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import clusterKeySlot from 'cluster-key-slot';
import {
  TargetDataError,
  commandVerdict,
  listTargets,
  loadTarget,
  loadTargetFile,
  validateTarget,
  type TargetProfile,
} from '../src/audit/targets.ts';
import { selectDbFinding } from '../src/audit/findings.ts';
import { isCrossSlot, slotOf } from '../src/analysis/slots.ts';

const TARGETS = ['elasticache-valkey', 'elasticache-valkey-cluster', 'elasticache-valkey-serverless', 'valkey-8', 'valkey-9'];
const HFE = ['HEXPIRE', 'HEXPIREAT', 'HEXPIRETIME', 'HPERSIST', 'HPEXPIRE', 'HPEXPIREAT', 'HPEXPIRETIME', 'HPTTL', 'HTTL'];
const VECTOR_SET = ['VADD', 'VCARD', 'VDIM', 'VEMB', 'VGETATTR', 'VINFO', 'VISMEMBER', 'VLINKS', 'VRANDMEMBER', 'VREM', 'VSETATTR', 'VSIM', 'VRANGE'];
const NEVER_IN_VALKEY = [
  ...VECTOR_SET, 'XACKDEL', 'XDELEX', 'DELEX', 'DIGEST', 'CLUSTER|MIGRATION', 'XCFGSET', 'INCREX', 'XIDMPRECORD', 'XNACK',
  'ARSET', 'ARGET', 'ARLEN', 'HIMPORT', 'BLMOVEM', 'LMOVEM', 'SDIFFCARD', 'SUNIONCARD', 'BACKUP',
  'TS.ADD', 'TS.NRANGE', 'CF.ADD', 'CMS.INCRBY', 'TOPK.ADD', 'TDIGEST.ADD', 'FT.PROFILE', 'FT.HYBRID', 'FT.ALIASLIST',
  'FT.SUGADD', 'BF.SCANDUMP', 'BF.LOADCHUNK', 'JSON.MERGE',
];
const ELASTICACHE_RESTRICTED = ['BGREWRITEAOF', 'BGSAVE', 'CONFIG', 'DEBUG', 'MIGRATE', 'REPLICAOF', 'SAVE', 'SLAVEOF', 'SHUTDOWN', 'SYNC'];
const CORE = ['GET', 'SET', 'HSET', 'HGETALL', 'ZRANGE', 'XADD', 'EVALSHA', 'MULTI', 'EXEC', 'CLIENT|SETNAME', 'CLIENT|SETINFO', 'PING', 'INFO'];

const t = Object.fromEntries(TARGETS.map((id) => [id, loadTarget(id)])) as Record<string, TargetProfile>;
const code = (cmd: string, target: TargetProfile) => commandVerdict(cmd, target);

describe('target profiles', () => {
  test('the five shipped profiles are listed, dated and sourced', () => {
    assert.deepEqual(listTargets(), TARGETS);
    for (const p of Object.values(t)) {
      assert.match(p.asOf, /^\d{4}-\d{2}-\d{2}$/);
      assert.ok(p.sources.length > 0, p.id);
      assert.equal(p.engine.name, 'valkey');
      for (const r of [...p.unsupportedCommands, ...p.blockedCommands]) {
        assert.equal(r.command, r.command.toUpperCase());
        assert.ok(r.reason.length > 10, `${p.id} ${r.command} reason`);
      }
    }
    assert.equal(t['valkey-8']!.clusterMode, false);
    assert.equal(t['elasticache-valkey']!.clusterMode, false);
    assert.equal(t['elasticache-valkey-cluster']!.clusterMode, true);
    assert.equal(t['elasticache-valkey-serverless']!.clusterMode, true);
  });

  test('loadTarget refuses unknown ids and paths', () => {
    assert.throws(() => loadTarget('redis-8'), TargetDataError);
    assert.throws(() => loadTarget('../libraries'), TargetDataError);
  });

  test('core commands pass everywhere', () => {
    for (const p of Object.values(t)) for (const c of CORE) assert.equal(code(c, p), undefined, `${p.id} ${c}`);
  });

  test('Redis 7.4/8.x commands that no Valkey has are errors on every target', () => {
    for (const p of Object.values(t)) {
      for (const c of NEVER_IN_VALKEY) {
        const v = code(c, p);
        assert.ok(v, `${p.id} ${c}`);
        assert.equal(v.code, 'unsupported-command');
        assert.equal(v.kind, 'unsupported');
        assert.equal(v.severity, 'error', `${p.id} ${c}`);
      }
    }
  });

  test('valkey-8 lacks hash-field expiration and HGETEX/HSETEX/HGETDEL/MSETEX; valkey-9 only HGETDEL/MSETEX', () => {
    for (const c of [...HFE, 'HGETEX', 'HSETEX', 'HGETDEL', 'MSETEX']) {
      assert.equal(code(c, t['valkey-8']!)?.severity, 'error', c);
    }
    for (const c of [...HFE, 'HGETEX', 'HSETEX']) {
      assert.equal(code(c, t['valkey-9']!), undefined, c);
      assert.equal(code(c, t['elasticache-valkey']!), undefined, c);
    }
    for (const c of ['HGETDEL', 'MSETEX']) {
      assert.match(code(c, t['valkey-9']!)!.reason, /9\.1/);
      assert.match(code(c, t['elasticache-valkey']!)!.reason, /9\.1/);
    }
    assert.match(code('HEXPIRE', t['valkey-8']!)!.reason, /9\.0/);
  });

  test('command names are matched case-insensitively', () => {
    assert.equal(code('hexpire', t['valkey-8']!)?.rule, 'HEXPIRE');
    assert.equal(code('client|kill', t['elasticache-valkey-serverless']!)?.rule, 'CLIENT|KILL');
  });

  test('module commands: a plain Valkey needs the module loaded (warning), ElastiCache has the Valkey subset built in', () => {
    for (const id of ['valkey-8', 'valkey-9']) {
      for (const c of ['JSON.GET', 'JSON.SET', 'BF.ADD', 'BF.EXISTS', 'FT.SEARCH', 'FT.CREATE']) {
        const v = code(c, t[id]!);
        assert.equal(v?.severity, 'warning', `${id} ${c}`);
        assert.match(v!.reason, /module/);
      }
    }
    for (const id of ['elasticache-valkey', 'elasticache-valkey-cluster']) {
      for (const c of ['JSON.GET', 'JSON.SET', 'BF.ADD', 'FT.SEARCH', 'FT.CREATE', 'FT.INFO', 'FT._LIST', 'FT.DROPINDEX', 'FT.AGGREGATE']) {
        assert.equal(code(c, t[id]!), undefined, `${id} ${c}`);
      }
    }
    // The RediSearch commands valkey-search lacks stay errors even where search exists.
    assert.equal(code('FT.EXPLAIN', t['elasticache-valkey']!)?.severity, 'error');
    // An exact rule beats a wildcard: JSON.MERGE is an error even where JSON.* only needs the module.
    assert.equal(code('JSON.MERGE', t['valkey-9']!)?.severity, 'error');
    assert.equal(code('JSON.DEBUG|MEMORY', t['elasticache-valkey']!)?.unverified, true);
  });

  test('ElastiCache blocks its restricted commands and their subcommands', () => {
    for (const id of ['elasticache-valkey', 'elasticache-valkey-cluster', 'elasticache-valkey-serverless']) {
      for (const c of [...ELASTICACHE_RESTRICTED, 'CONFIG|GET', 'CONFIG|SET', 'DEBUG|SLEEP']) {
        const v = code(c, t[id]!);
        assert.equal(v?.kind, 'blocked', `${id} ${c}`);
        assert.equal(v?.severity, 'error');
      }
    }
    // Node-based: from the AWS restricted list itself; Serverless: the same list assumed, marked so.
    assert.equal(code('CONFIG|GET', t['elasticache-valkey']!)?.unverified, false);
    assert.equal(code('CONFIG|GET', t['elasticache-valkey-serverless']!)?.unverified, true);
    for (const c of ELASTICACHE_RESTRICTED) assert.equal(code(c, t['valkey-9']!), undefined, `self-hosted ${c}`);
  });

  test('MONITOR and CLIENT work on node-based ElastiCache; Serverless blocks MONITOR and KEYS', () => {
    assert.equal(code('MONITOR', t['elasticache-valkey']!), undefined);
    assert.equal(code('CLIENT|LIST', t['elasticache-valkey']!), undefined);
    assert.equal(code('CLIENT|KILL', t['elasticache-valkey']!), undefined);
    assert.equal(code('MONITOR', t['elasticache-valkey-serverless']!)?.kind, 'blocked');
    assert.equal(code('KEYS', t['elasticache-valkey-serverless']!)?.kind, 'blocked');
    assert.equal(code('CLIENT|KILL', t['elasticache-valkey-serverless']!)?.unverified, true);
    assert.equal(code('CLIENT|LIST', t['elasticache-valkey-serverless']!), undefined);
  });

  test('Serverless marks what is not verified', () => {
    const s = t['elasticache-valkey-serverless']!;
    const v = code('HEXPIRE', s);
    assert.equal(v?.unverified, true);
    assert.equal(v?.severity, 'warning');
    assert.equal(code('FT.SEARCH', s)?.unverified, true);
    assert.equal(code('JSON.GET', s), undefined);
    // One virtual node: SCAN covers the keyspace there.
    assert.equal(code('SCAN', s), undefined);
  });

  test('cluster mode: node-local commands are info on the node-based cluster target only', () => {
    for (const c of ['KEYS', 'SCAN', 'RANDOMKEY', 'DBSIZE', 'FLUSHALL', 'FLUSHDB']) {
      assert.equal(code(c, t['elasticache-valkey-cluster']!)?.severity, 'info', c);
      assert.equal(code(c, t['elasticache-valkey']!), undefined, c);
    }
  });

  test('HOTKEYS: absent from Valkey 8, unverified on 9 (Valkey has its own, different HOTKEYS)', () => {
    assert.equal(code('HOTKEYS|START', t['valkey-8']!)?.severity, 'error');
    const v9 = code('HOTKEYS|GET', t['valkey-9']!);
    assert.equal(v9?.unverified, true);
    assert.equal(v9?.severity, 'warning');
  });

  test('a blocked rule beats an unsupported rule of the same closeness, an exact rule beats a parent or a wildcard', () => {
    const p = validateTarget({
      id: 'x', title: 'X', asOf: '2026-01-01', engine: { name: 'valkey', version: '9.0' }, clusterMode: false,
      unsupportedCommands: [
        { command: 'CLIENT', reason: 'unsupported parent' },
        { command: 'FOO.*', reason: 'wildcard', except: ['FOO.OK'] },
        { command: 'FOO.BAR', reason: 'exact', severity: 'warning' },
        { command: 'CONFIG', reason: 'unsupported config' },
      ],
      blockedCommands: [
        { command: 'CLIENT|KILL', reason: 'blocked kill' },
        { command: 'CONFIG', reason: 'blocked config' },
      ],
      notes: [], sources: [],
    });
    assert.equal(code('CLIENT|KILL', p)?.reason, 'blocked kill');
    assert.equal(code('CLIENT|LIST', p)?.reason, 'unsupported parent');
    assert.equal(code('CLIENT', p)?.reason, 'unsupported parent');
    assert.equal(code('CONFIG|GET', p)?.reason, 'blocked config');
    assert.equal(code('FOO.BAR', p)?.reason, 'exact');
    assert.equal(code('FOO.BAZ', p)?.reason, 'wildcard');
    assert.equal(code('FOO.OK', p), undefined);
    assert.equal(code('FOOBAR', p), undefined);
    assert.equal(code('CLIENTS', p), undefined, 'a parent rule needs the | separator');
    assert.equal(code('', p), undefined);
  });

  test('a user target file is validated', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recon-target-'));
    try {
      const file = join(dir, 't.json');
      writeFileSync(file, JSON.stringify({ ...t['valkey-9']!, id: 'mine', unsupportedCommands: [{ command: 'hexpire', reason: 'lower case' }] }));
      assert.throws(() => loadTargetFile(file), /upper case/);
      writeFileSync(file, JSON.stringify({ ...t['valkey-9']!, id: 'mine', blockedCommands: [{ command: 'EVAL', reason: 'no scripts here' }] }));
      const mine = loadTargetFile(file);
      assert.equal(code('EVAL', mine)?.kind, 'blocked');
      assert.throws(() => validateTarget({ id: 'a' }), TargetDataError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('select-db on cluster-mode targets', () => {
  test('database 0 and non-cluster targets give nothing', () => {
    assert.equal(selectDbFinding(0, t['elasticache-valkey-cluster']!), undefined);
    assert.equal(selectDbFinding(3, t['elasticache-valkey']!), undefined);
    assert.equal(selectDbFinding(3, t['valkey-8']!), undefined);
  });
  test('Serverless: only database 0 → error', () => {
    const f = selectDbFinding(2, t['elasticache-valkey-serverless']!, 7)!;
    assert.equal(f.code, 'select-db');
    assert.equal(f.severity, 'error');
    assert.equal(f.count, 7);
    assert.match(f.message, /database 2/);
    assert.equal(f.example, 'SELECT 2');
  });
  test('Valkey 9.0 cluster mode has numbered databases → warning to check the client', () => {
    const f = selectDbFinding(1, t['elasticache-valkey-cluster']!)!;
    assert.equal(f.severity, 'warning');
    assert.match(f.message, /SELECT/);
  });
});

// ---------------------------------------------------------------------------------------------------
// Hash slots, checked against a real server's CLUSTER KEYSLOT.

async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 24000 + Math.floor(Math.random() * 1000);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port in 24000-24999');
}

function resp(args: Buffer[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) parts.push(Buffer.from(`$${a.length}\r\n`), a, Buffer.from('\r\n'));
  return Buffer.concat(parts);
}

/** Sends every command pipelined and collects as many single-line replies. */
function pipeline(sock: Socket, commands: Buffer[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const replies: string[] = [];
    const onData = (d: Buffer) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\r\n')) !== -1) {
        replies.push(buf.slice(0, nl));
        buf = buf.slice(nl + 2);
      }
      if (replies.length >= commands.length) {
        sock.off('data', onData);
        resolve(replies);
      }
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.write(Buffer.concat(commands));
  });
}

async function connectWhenReady(port: number, deadline: number): Promise<Socket> {
  for (;;) {
    try {
      const sock = await new Promise<Socket>((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
      const [pong] = await pipeline(sock, [resp([Buffer.from('PING')])]);
      if (pong === '+PONG') return sock;
      sock.destroy();
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`valkey-server on ${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('slotOf against valkey-server CLUSTER KEYSLOT', () => {
  let server: ChildProcess | undefined;
  let sock: Socket | undefined;
  let dir = '';

  before(async () => {
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'recon-slots-'));
    server = spawn(
      'valkey-server',
      [
        '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
        '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
      ],
      { stdio: 'ignore' },
    );
    sock = await connectWhenReady(port, Date.now() + 10_000);
  });

  after(() => {
    sock?.destroy();
    if (server && server.exitCode === null) server.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const EDGE = [
    '', 'foo', '{}', '{{a}}', 'a{b}c{d}', '{a', 'a}', '}{a}', '{}{a}', '{{}}', '{}}', '{{}', 'foo{}{bar}', 'foo{{bar}}zap',
    'foo{bar}{zap}', '{user1000}.following', '{user1000}.followers', 'é{é}', '{🙂}x', '🙂', '{ }', '{\n}', 'a{\u0000}b', '{a}{a}',
    'prefixkey:namespace1:default_data', '123456789',
  ];

  // Keys built from hash-tag pieces, plus arbitrary ASCII and Unicode strings.
  const piece = fc.constantFrom('{', '}', '{}', 'a', 'b', 'user', ':', '1', 'é', '🙂', '');
  const arbKey = fc.oneof(
    fc.array(piece, { maxLength: 8 }).map((a) => a.join('')),
    fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 })).map(([a, b, c]) => `${a}{${b}}${c}`),
    fc.string({ maxLength: 24 }),
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
  );

  test('agrees with the server on hash-tag edge cases and 400 generated keys', async () => {
    const keys = [...EDGE, ...fc.sample(arbKey, { numRuns: 400, seed: 20260821 })];
    const replies = await pipeline(sock!, keys.map((k) => resp([Buffer.from('CLUSTER'), Buffer.from('KEYSLOT'), Buffer.from(k, 'utf8')])));
    assert.equal(replies.length, keys.length);
    keys.forEach((k, i) => {
      const reply = replies[i]!;
      assert.match(reply, /^:\d+$/, `server reply for ${JSON.stringify(k)}`);
      assert.equal(slotOf(k), Number(reply.slice(1)), `slot of ${JSON.stringify(k)}`);
    });
  });

  test('cluster-key-slot 1.1.2 differs from the server after an empty first tag (why slotOf does its own)', async () => {
    const keys = ['{}{a}', '{}}', 'x{}y{z}'];
    const replies = await pipeline(sock!, keys.map((k) => resp([Buffer.from('CLUSTER'), Buffer.from('KEYSLOT'), Buffer.from(k)])));
    keys.forEach((k, i) => {
      const server = Number(replies[i]!.slice(1));
      assert.equal(slotOf(k), server, k);
      assert.notEqual(clusterKeySlot(k), server, `${k}: if this fails, cluster-key-slot was fixed`);
    });
    // Where there is no empty first tag, the package agrees.
    for (const k of ['{user1000}.following', 'foo', '{{a}}', 'a{b}c{d}']) assert.equal(clusterKeySlot(k), slotOf(k), k);
  });

  test('raw bytes hash like the server too (not valid UTF-8)', async () => {
    const raw = [Buffer.from([0xff, 0x7b, 0x61, 0x7d]), Buffer.from([0x7b, 0xc3, 0x28, 0x7d, 0x00]), Buffer.from([0x80, 0x81])];
    const replies = await pipeline(sock!, raw.map((k) => resp([Buffer.from('CLUSTER'), Buffer.from('KEYSLOT'), k])));
    raw.forEach((k, i) => assert.equal(slotOf(new Uint8Array(k)), Number(replies[i]!.slice(1))));
  });
});

describe('isCrossSlot', () => {
  test('keys sharing a hash tag are one slot, different keys usually are not', () => {
    assert.equal(isCrossSlot(['{user1000}.following', '{user1000}.followers']), false);
    assert.equal(isCrossSlot(['foo', 'bar']), true);
    assert.equal(isCrossSlot(['a{b}c{d}', 'x{b}']), false);
    assert.equal(isCrossSlot(['{}a', '{}b']), slotOf('{}a') !== slotOf('{}b'));
    assert.equal(isCrossSlot(['only']), false);
    assert.equal(isCrossSlot([]), false);
  });
  test('property: a shared non-empty first tag always means one slot', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes('}')), fc.array(fc.string({ maxLength: 8 }).filter((s) => !s.includes('{')), { minLength: 2, maxLength: 5 }), (tag, prefixes) => {
        return !isCrossSlot(prefixes.map((p, i) => `${p}{${tag}}${i}`));
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});
