// The command table built from data/command-table.json: the COMMAND replies of real valkey-server
// 8.0.1 and redis-server 7.0.15, recorded by scripts/gen-command-table.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildCommandTable,
  commandTableFromServer,
  loadFallbackCommandTable,
  readFallbackCommandFile,
  type CommandTable,
} from '../src/commands/commandTable.ts';

const file = readFallbackCommandFile();
const table = buildCommandTable(file.commands);

/** `key` for a read key, `key!` for a written one. */
function keys(t: CommandTable, argv: string[]): string[] {
  return t.classify(argv).keys.map((k) => (k.write ? `${k.key}!` : k.key));
}

function check(argv: string[], command: string, access: string, expected: string[], t: CommandTable = table): void {
  const c = t.classify(argv);
  assert.equal(c.command, command, `command of ${argv.join(' ')}`);
  assert.equal(c.access, access, `access of ${argv.join(' ')}`);
  assert.deepEqual(keys(t, argv), expected, `keys of ${argv.join(' ')}`);
}

describe('shipped file', () => {
  it('has a header naming the servers it was read from', () => {
    assert.match(file.generatedAt, /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(file.sources.map((s) => s.server), ['valkey', 'redis']);
    assert.ok(file.commands.length > 200);
  });
  it('loadFallbackCommandTable reads it', () => {
    const t = loadFallbackCommandTable();
    assert.equal(t.size, table.size);
    assert.ok(t.has('get') && t.has('CLIENT|SETNAME') && !t.has('nope'));
    assert.equal(t.info('client|setinfo')?.arity, 4);
  });
});

describe('classify: keys, access and per-key writes', () => {
  it('strings', () => {
    check(['GET', 'k'], 'GET', 'read', ['k']);
    check(['SET', 'k', 'v', 'EX', '10'], 'SET', 'write', ['k!']);
    check(['MSET', 'a', '1', 'b', '2'], 'MSET', 'write', ['a!', 'b!']);
    check(['MGET', 'a', 'b', 'c'], 'MGET', 'read', ['a', 'b', 'c']);
  });
  it('keyspace', () => {
    check(['DEL', 'a', 'b'], 'DEL', 'write', ['a!', 'b!']);
    check(['UNLINK', 'a'], 'UNLINK', 'write', ['a!']);
    check(['EXISTS', 'a', 'b'], 'EXISTS', 'read', ['a', 'b']);
    check(['RENAME', 'a', 'b'], 'RENAME', 'write', ['a!', 'b!']);
    check(['COPY', 'src', 'dst', 'REPLACE'], 'COPY', 'write', ['src', 'dst!']);
  });
  it('moves between keys', () => {
    check(['SMOVE', 's', 'd', 'm'], 'SMOVE', 'write', ['s!', 'd!']);
    check(['LMOVE', 's', 'd', 'LEFT', 'RIGHT'], 'LMOVE', 'write', ['s!', 'd!']);
    check(['BLMOVE', 's', 'd', 'LEFT', 'RIGHT', '0'], 'BLMOVE', 'write', ['s!', 'd!']);
    check(['RPOPLPUSH', 's', 'd'], 'RPOPLPUSH', 'write', ['s!', 'd!']);
    check(['BLPOP', 'a', 'b', '0'], 'BLPOP', 'write', ['a!', 'b!']);
    check(['SINTERSTORE', 'd', 'a', 'b'], 'SINTERSTORE', 'write', ['d!', 'a', 'b']);
  });
  it('numkeys commands', () => {
    check(['BLMPOP', '0', '2', 'a', 'b', 'LEFT', 'COUNT', '2'], 'BLMPOP', 'write', ['a!', 'b!']);
    check(['LMPOP', '1', 'a', 'RIGHT'], 'LMPOP', 'write', ['a!']);
    check(['ZMPOP', '2', 'a', 'b', 'MIN'], 'ZMPOP', 'write', ['a!', 'b!']);
    check(['SINTERCARD', '2', 'a', 'b', 'LIMIT', '5'], 'SINTERCARD', 'read', ['a', 'b']);
    check(['ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2'], 'ZUNIONSTORE', 'write', ['d!', 'a', 'b']);
    check(['ZINTERSTORE', 'd', '1', 'a'], 'ZINTERSTORE', 'write', ['d!', 'a']);
    check(['ZDIFFSTORE', 'd', '2', 'a', 'b'], 'ZDIFFSTORE', 'write', ['d!', 'a', 'b']);
    check(['ZUNION', '2', 'a', 'b', 'WITHSCORES'], 'ZUNION', 'read', ['a', 'b']);
    check(['ZINTER', '3', 'a', 'b', 'c'], 'ZINTER', 'read', ['a', 'b', 'c']);
  });
  it('scripts: declared keys by numkeys, for the one-slot check, never an access of their own', () => {
    // What a script reads or writes is what its own [lua] commands do (the session counts those);
    // the declared keys say only where it runs. Reading them as writes counted every read-only
    // script key twice, once as a write.
    const e = table.classify(['EVAL', 'return 1', '2', 'k1', 'k2', 'arg']);
    assert.deepEqual(e, {
      command: 'EVAL', access: 'other', script: true,
      keys: [{ key: 'k1', write: false }, { key: 'k2', write: false }],
    });
    check(['EVALSHA', 'abc', '1', 'rl:user:1', 'a'], 'EVALSHA', 'other', ['rl:user:1']);
    check(['EVAL_RO', 'return 1', '1', 'k'], 'EVAL_RO', 'other', ['k']);
    check(['EVALSHA_RO', 'abc', '0'], 'EVALSHA_RO', 'other', []);
    check(['FCALL', 'f', '1', 'k', 'a'], 'FCALL', 'other', ['k']);
    check(['FCALL_RO', 'f', '2', 'k1', 'k2'], 'FCALL_RO', 'other', ['k1', 'k2']);
    for (const c of ['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']) {
      assert.equal(table.classify([c, 'x', '0']).script, true, c);
    }
    assert.equal(table.classify(['GET', 'k']).script, false);
  });
  it('streams: keys are the first half after STREAMS', () => {
    check(['XREAD', 'COUNT', '2', 'BLOCK', '0', 'STREAMS', 's1', 's2', '0', '$'], 'XREAD', 'read', ['s1', 's2']);
    check(['XREAD', 'streams', 'streams', '0'], 'XREAD', 'read', ['streams']);
    check(['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 'a', 'b', '>', '>'], 'XREADGROUP', 'write', ['a', 'b']);
  });
  it('SORT, GEORADIUS STORE, MIGRATE, PFMERGE, BITOP', () => {
    check(['SORT', 'k'], 'SORT', 'write', ['k']);
    check(['SORT', 'k', 'BY', 'w_*', 'LIMIT', '0', '5', 'GET', '#', 'ALPHA', 'STORE', 'dst'], 'SORT', 'write', ['k', 'dst!']);
    check(['SORT', 'k', 'GET', 'store', 'STORE', 'd1', 'store', 'd2'], 'SORT', 'write', ['k', 'd2!']);
    check(['SORT_RO', 'k', 'BY', 'w_*'], 'SORT_RO', 'read', ['k']);
    check(['GEORADIUS', 'g', '0', '0', '1', 'km', 'STORE', 'dst'], 'GEORADIUS', 'write', ['g', 'dst!']);
    check(['GEORADIUS', 'g', '0', '0', '1', 'km', 'WITHDIST'], 'GEORADIUS', 'write', ['g']);
    check(['GEORADIUSBYMEMBER', 'g', 'm', '1', 'km', 'STOREDIST', 'dst'], 'GEORADIUSBYMEMBER', 'write', ['g', 'dst!']);
    check(['MIGRATE', 'h', '6379', 'k', '0', '5000'], 'MIGRATE', 'write', ['k!']);
    check(['MIGRATE', 'h', '6379', '', '0', '5000', 'COPY', 'AUTH', 'keys', 'KEYS', 'a', 'b'], 'MIGRATE', 'write', ['a!', 'b!']);
    check(['PFMERGE', 'd', 'a', 'b'], 'PFMERGE', 'write', ['d!', 'a', 'b']);
    check(['PFCOUNT', 'h'], 'PFCOUNT', 'read', ['h']);
    check(['BITOP', 'AND', 'd', 'a', 'b'], 'BITOP', 'write', ['d!', 'a', 'b']);
  });
  it('pub/sub: channels are not keys', () => {
    check(['SUBSCRIBE', 'a', 'b'], 'SUBSCRIBE', 'other', []);
    check(['PUBLISH', 'ch', 'msg'], 'PUBLISH', 'other', []);
    check(['SPUBLISH', 'ch', 'msg'], 'SPUBLISH', 'other', []);
    check(['SSUBSCRIBE', 'ch'], 'SSUBSCRIBE', 'other', []);
  });
});

describe('subcommands', () => {
  it('resolve to CONTAINER|SUB names', () => {
    check(['OBJECT', 'ENCODING', 'k'], 'OBJECT|ENCODING', 'read', ['k']);
    check(['object', 'freq', 'k'], 'OBJECT|FREQ', 'read', ['k']);
    check(['MEMORY', 'USAGE', 'k', 'SAMPLES', '5'], 'MEMORY|USAGE', 'read', ['k']);
    check(['client', 'setname', 'app'], 'CLIENT|SETNAME', 'other', []);
    check(['CLIENT', 'SETINFO', 'LIB-NAME', 'x'], 'CLIENT|SETINFO', 'other', []);
    check(['CONFIG', 'GET', 'maxmemory'], 'CONFIG|GET', 'other', []);
    check(['XINFO', 'STREAM', 's'], 'XINFO|STREAM', 'read', ['s']);
    check(['FUNCTION', 'LIST'], 'FUNCTION|LIST', 'other', []);
    check(['SCRIPT', 'LOAD', 'return 1'], 'SCRIPT|LOAD', 'other', []);
    check(['XGROUP', 'CREATE', 's', 'g', '$'], 'XGROUP|CREATE', 'write', ['s!']);
  });
  it('container alone or with an unknown subcommand', () => {
    check(['CLIENT'], 'CLIENT', 'other', []);
    check(['client', 'frobnicate', 'x'], 'CLIENT|FROBNICATE', 'other', []);
  });
});

describe('names and argv edges', () => {
  it('any case, same answer; cached spellings stay consistent', () => {
    for (let round = 0; round < 3; round++) {
      for (const name of ['get', 'GET', 'Get', 'gEt']) check([name, 'k'], 'GET', 'read', ['k']);
      for (const sub of ['setname', 'SETNAME', 'SetName']) check(['Client', sub, 'n'], 'CLIENT|SETNAME', 'other', []);
      check(['xread', 'streams', 'a', '0'], 'XREAD', 'read', ['a']);
    }
  });
  it('unknown commands keep their upper-cased name', () => {
    check(['frobnicate', 'a', 'b'], 'FROBNICATE', 'other', []);
    check(['JSON.GET', 'k'], 'JSON.GET', 'other', []);
    assert.equal(table.classify(['frobnicate']).script, false);
  });
  it('short or broken argv: what it can, never throws', () => {
    assert.deepEqual(table.classify([]), { command: '', access: 'other', keys: [], script: false });
    check(['GET'], 'GET', 'read', []);
    check(['RENAME', 'a'], 'RENAME', 'write', ['a!']);
    check(['BLPOP', 'a'], 'BLPOP', 'write', []);
    check(['EVAL', 'x'], 'EVAL', 'other', []);
    check(['EVAL', 'x', '3', 'k1'], 'EVAL', 'other', []);
    check(['EVAL', 'x', 'nan', 'k1'], 'EVAL', 'other', []);
    check(['EVAL', 'x', '-1', 'k1'], 'EVAL', 'other', []);
    check(['ZUNIONSTORE', 'd', '5', 'a'], 'ZUNIONSTORE', 'write', ['d!']);
    check(['XREAD', 'COUNT', '1'], 'XREAD', 'read', []);
    check(['XREAD', 'STREAMS'], 'XREAD', 'read', []);
    check(['SORT'], 'SORT', 'write', []);
    check(['SORT', 'k', 'STORE'], 'SORT', 'write', ['k']);
    check(['MIGRATE', 'h'], 'MIGRATE', 'write', []);
    check(['OBJECT', 'ENCODING'], 'OBJECT|ENCODING', 'read', []);
    check(['GEORADIUS', 'g', '0', '0', '1', 'km', 'STORE'], 'GEORADIUS', 'write', ['g']);
  });
  it('many distinct names do not grow without bound or break lookups', () => {
    for (let i = 0; i < 5000; i++) table.classify([`cmd${i}`, 'x']);
    check(['GET', 'k'], 'GET', 'read', ['k']);
  });
});

describe('building from other reply shapes', () => {
  it('RESP3-style key specs (objects, Maps) and flag Sets', () => {
    const reply = [
      ['get', 2, new Set(['readonly', 'fast']), 1, 1, 1, ['@read'], [], [
        { flags: ['RO', 'access'], begin_search: { type: 'index', spec: { index: 1 } }, find_keys: { type: 'range', spec: { lastkey: 0, keystep: 1, limit: 0 } } },
      ], []],
      ['lmove', 5, ['write'], 1, 2, 1, [], [], [
        new Map<string, unknown>([['flags', ['RW', 'access', 'delete']], ['begin_search', new Map<string, unknown>([['type', 'index'], ['spec', new Map([['index', 1]])]])], ['find_keys', { type: 'range', spec: { lastkey: 0, keystep: 1, limit: 0 } }]]),
        { flags: new Set(['RW', 'insert']), begin_search: { type: 'index', spec: { index: 2 } }, find_keys: { type: 'range', spec: { lastkey: 0, keystep: 1, limit: 0 } } },
      ], []],
    ];
    const t = buildCommandTable(reply);
    check(['GET', 'k'], 'GET', 'read', ['k'], t);
    check(['LMOVE', 'a', 'b', 'LEFT', 'LEFT'], 'LMOVE', 'write', ['a!', 'b!'], t);
  });
  it('6.x (7 elements) and 5.x (6 elements) entries use first/last/step and the command access', () => {
    const t = buildCommandTable([
      ['mset', -3, ['write', 'denyoom'], 1, -1, 2, ['@write']],
      ['mget', -2, ['readonly', 'fast'], 1, -1, 1],
      ['client', -2, ['admin', 'noscript'], 0, 0, 0, ['@admin']],
    ]);
    check(['MSET', 'a', '1', 'b', '2'], 'MSET', 'write', ['a!', 'b!'], t);
    check(['MGET', 'a', 'b'], 'MGET', 'read', ['a', 'b'], t);
    check(['CLIENT', 'SETNAME', 'x'], 'CLIENT', 'other', [], t);
  });
  it('skips what it cannot read', () => {
    const t = buildCommandTable([null, 'junk', 42, [], ['x'], [1, 2, 3, 4, 5, 6], ['get', 2, ['readonly'], 1, 1, 1, [], [], [['flags', 'bad', 'begin_search', null]], []]]);
    assert.equal(t.size, 1);
    check(['GET', 'k'], 'GET', 'read', [], t);
    assert.equal(buildCommandTable(null).size, 0);
    assert.equal(buildCommandTable({ not: 'a reply' }).size, 0);
  });
});

describe('commandTableFromServer', () => {
  it('falls back with a reason when COMMAND is refused', async () => {
    const client = { sendCommand: async (): Promise<unknown> => { throw new Error("NOPERM User x has no permissions to run the 'command' command"); } };
    const r = await commandTableFromServer(client);
    assert.equal(r.source, 'fallback');
    assert.match(r.warning ?? '', /NOPERM/);
    check(['GET', 'k'], 'GET', 'read', ['k'], r.table);
  });
  it('falls back when the reply is unreadable', async () => {
    const r = await commandTableFromServer({ sendCommand: async () => 'OK' });
    assert.equal(r.source, 'fallback');
    assert.ok(r.warning);
  });
  it('a pre-7.0 server wins on flags; the shipped file fills key specs, subcommands and missing commands', async () => {
    const reply6 = [
      ['eval', -3, ['noscript', 'skip_monitor', 'may_replicate', 'movablekeys'], 0, 0, 0, ['@slow', '@scripting']],
      ['get', 2, ['readonly', 'fast'], 1, 1, 1, ['@read']],
      ['object', -2, ['readonly', 'random'], 2, 2, 1, ['@keyspace', '@read']],
      ['mycmd', -2, ['write'], 1, 1, 1, []],
    ];
    const r = await commandTableFromServer({ sendCommand: async () => reply6 });
    assert.equal(r.source, 'server');
    assert.equal(r.warning, undefined);
    check(['EVAL', 's', '2', 'a', 'b'], 'EVAL', 'other', ['a', 'b'], r.table);
    check(['OBJECT', 'ENCODING', 'k'], 'OBJECT|ENCODING', 'read', ['k'], r.table);
    check(['MYCMD', 'k'], 'MYCMD', 'write', ['k!'], r.table);
    check(['LMOVE', 'a', 'b', 'LEFT', 'LEFT'], 'LMOVE', 'write', ['a!', 'b!'], r.table);
  });
});
