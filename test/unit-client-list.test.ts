import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  addressKey,
  clientInfoFromFields,
  clientListFeatures,
  hostOf,
  parseClientLine,
  parseClientList,
  parseFields,
} from '../src/parse/clientList.ts';
import type { ClientInfo } from '../src/types.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** The ClientInfo properties a user sees; `undefined` means the property must be absent. */
type Expected = Pick<ClientInfo, 'id' | 'addr' | 'addrKey' | 'ip' | 'name' | 'flags' | 'db' | 'age' | 'idle' | 'omem'> & {
  laddr: string | undefined;
  user: string | undefined;
  cmd: string | undefined;
  libName: string | undefined;
  libVer: string | undefined;
};

function assertClient(actual: ClientInfo | undefined, expected: Expected): void {
  assert.ok(actual, `client ${expected.id} missing`);
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(expected)) picked[key] = (actual as unknown as Record<string, unknown>)[key];
  assert.deepEqual(picked, expected, `client ${expected.id}`);
  for (const key of ['laddr', 'user', 'cmd', 'libName', 'libVer'] as const) {
    if (expected[key] === undefined) assert.equal(key in actual, false, `${expected.id}: ${key} should be absent`);
  }
}

function byId(clients: ClientInfo[]): Map<string, ClientInfo> {
  return new Map(clients.map((c) => [c.id, c]));
}

// ---------------------------------------------------------------------------------------------
// Real replies captured by test/fixtures/capture-client-list.sh

const VALKEY_SOCK = '/tmp/redis-recon-capture.Tn7JWX/valkey.sock';
const REDIS_SOCK = '/tmp/redis-recon-capture.Tn7JWX/redis.sock';

test('valkey 8.0: every captured client, field by field', () => {
  const text = fixture('client-list-valkey-8.0.txt');
  const { clients, unparsed } = parseClientList(text);
  assert.deepEqual(unparsed, []);
  assert.equal(clients.length, 11);
  const tcp = (port: number) => `127.0.0.1:${port}`;
  const base = { laddr: tcp(22461), age: 2, idle: 2, flags: 'N', db: 0, omem: 0, user: 'default', libName: '', libVer: '' };
  const c = byId(clients);
  assertClient(c.get('5'), {
    ...base, id: '5', addr: tcp(33336), addrKey: tcp(33336), ip: '127.0.0.1', name: 'app-writer',
    cmd: 'client|setinfo', libName: 'redis-recon-test', libVer: '1.2.3',
  });
  // SETNAME/SETINFO set, then all three cleared with "": printed empty, not absent.
  assertClient(c.get('6'), { ...base, id: '6', addr: tcp(33342), addrKey: tcp(33342), ip: '127.0.0.1', name: '', cmd: 'client|setinfo' });
  assertClient(c.get('7'), {
    ...base, id: '7', addr: '[::1]:43870', addrKey: '[::1]:43870', ip: '::1', laddr: '[::1]:22461',
    name: 'v6-client', cmd: 'client|setname',
  });
  assertClient(c.get('8'), { ...base, id: '8', addr: tcp(33352), addrKey: tcp(33352), ip: '127.0.0.1', name: 'db5-client', db: 5, cmd: 'client|setname' });
  assertClient(c.get('9'), { ...base, id: '9', addr: tcp(33366), addrKey: tcp(33366), ip: '127.0.0.1', name: '', flags: 'b', cmd: 'blpop' });
  // A name containing '=' splits on the first '=' only.
  assertClient(c.get('10'), {
    ...base, id: '10', addr: tcp(33370), addrKey: tcp(33370), ip: '127.0.0.1', name: 'k=v=w',
    cmd: 'client|setinfo', libName: 'go-redis(,go1.24.13)', libVer: '9.17.2',
  });
  // Unix socket: CLIENT LIST prints `<path>:0`; MONITOR prints `unix:<path>`.
  assertClient(c.get('11'), {
    ...base, id: '11', addr: `${VALKEY_SOCK}:0`, addrKey: `unix:${VALKEY_SOCK}`, ip: VALKEY_SOCK,
    laddr: `${VALKEY_SOCK}:0`, name: 'unix-client', flags: 'U', cmd: 'client|setname',
  });
  assertClient(c.get('12'), { ...base, id: '12', addr: tcp(33382), addrKey: tcp(33382), ip: '127.0.0.1', name: 'acl-client', user: 'recon-app', cmd: 'client|setname' });
  assertClient(c.get('13'), { ...base, id: '13', addr: tcp(33384), addrKey: tcp(33384), ip: '127.0.0.1', name: '', flags: 'O', cmd: 'monitor' });
  assertClient(c.get('14'), { ...base, id: '14', addr: tcp(33400), addrKey: tcp(33400), ip: '127.0.0.1', name: '', flags: 'P', cmd: 'subscribe' });
  assertClient(c.get('15'), { ...base, id: '15', addr: tcp(35070), addrKey: tcp(35070), ip: '127.0.0.1', name: '', age: 0, idle: 0, cmd: 'client|list' });

  // Fields the tool has no property for are kept as printed.
  const writer = c.get('5')!;
  assert.equal(writer.fields['watch'], '0');
  assert.equal(writer.fields['tot-cmds'], '3');
  assert.equal(writer.fields['resp'], '2');
  assert.equal(writer.fields['multi'], '-1');
  assert.equal(Object.keys(writer.fields).length, 34);
  assert.equal(c.get('14')!.fields['sub'], '1');
  assert.deepEqual(clientListFeatures(clients), { libInfo: true, user: true, laddr: true });
});

test('valkey 8.0 over RESP3: the verbatim `txt:` prefix does not eat the first id', () => {
  const text = fixture('client-list-valkey-8.0-resp3.txt');
  assert.ok(text.startsWith('txt:id=5 '));
  const { clients, unparsed } = parseClientList(text);
  assert.deepEqual(unparsed, []);
  assert.equal(clients.length, 11);
  assert.equal(clients[0]!.id, '5');
  assert.equal(clients[0]!.name, 'app-writer');
  assert.equal(clients[0]!.libName, 'redis-recon-test');
  const self = clients.find((c) => c.cmd === 'client|list');
  assert.equal(self?.fields['resp'], '3');
});

test('redis 7.0: every captured client; no lib-name/lib-ver at all', () => {
  const { clients, unparsed } = parseClientList(fixture('client-list-redis-7.0.txt'));
  assert.deepEqual(unparsed, []);
  assert.equal(clients.length, 11);
  const tcp = (port: number) => `127.0.0.1:${port}`;
  const base = {
    laddr: tcp(22471), age: 2, idle: 2, flags: 'N', db: 0, omem: 0, user: 'default',
    libName: undefined, libVer: undefined,
  };
  const c = byId(clients);
  assertClient(c.get('5'), {
    ...base, id: '5', addr: `${REDIS_SOCK}:0`, addrKey: `unix:${REDIS_SOCK}`, ip: REDIS_SOCK,
    laddr: `${REDIS_SOCK}:0`, name: 'unix-client', flags: 'U', cmd: 'client|setname',
  });
  // 7.0 rejects CLIENT SETINFO as an unknown subcommand; the rejected command leaves `cmd=NULL`.
  assertClient(c.get('6'), { ...base, id: '6', addr: tcp(42320), addrKey: tcp(42320), ip: '127.0.0.1', name: 'app-writer', cmd: 'NULL' });
  assertClient(c.get('7'), { ...base, id: '7', addr: tcp(42322), addrKey: tcp(42322), ip: '127.0.0.1', name: 'acl-client', user: 'recon-app', cmd: 'client|setname' });
  assertClient(c.get('8'), { ...base, id: '8', addr: tcp(42334), addrKey: tcp(42334), ip: '127.0.0.1', name: 'k=v=w', cmd: 'NULL' });
  assertClient(c.get('9'), { ...base, id: '9', addr: tcp(42350), addrKey: tcp(42350), ip: '127.0.0.1', name: '', cmd: 'NULL' });
  assertClient(c.get('10'), { ...base, id: '10', addr: tcp(42354), addrKey: tcp(42354), ip: '127.0.0.1', name: '', flags: 'P', cmd: 'subscribe' });
  assertClient(c.get('11'), {
    ...base, id: '11', addr: '[::1]:35498', addrKey: '[::1]:35498', ip: '::1', laddr: '[::1]:22471',
    name: 'v6-client', cmd: 'client|setname',
  });
  assertClient(c.get('12'), { ...base, id: '12', addr: tcp(42364), addrKey: tcp(42364), ip: '127.0.0.1', name: '', flags: 'O', cmd: 'monitor' });
  assertClient(c.get('13'), { ...base, id: '13', addr: tcp(42372), addrKey: tcp(42372), ip: '127.0.0.1', name: 'db5-client', db: 5, cmd: 'client|setname' });
  assertClient(c.get('14'), { ...base, id: '14', addr: tcp(42384), addrKey: tcp(42384), ip: '127.0.0.1', name: '', flags: 'b', cmd: 'blpop' });
  assertClient(c.get('15'), { ...base, id: '15', addr: tcp(42396), addrKey: tcp(42396), ip: '127.0.0.1', name: '', age: 0, idle: 0, cmd: 'client|list' });

  for (const client of clients) {
    assert.equal('lib-name' in client.fields, false);
    assert.equal('watch' in client.fields, false); // 7.4+
    assert.equal(client.fields['ssub'], '0'); // 7.0.3+
  }
  assert.deepEqual(clientListFeatures(clients), { libInfo: false, user: true, laddr: true });
});

// ---------------------------------------------------------------------------------------------
// Redis Cloud lines from the field notes (ips masked as printed there)

test('redis cloud field notes: big ids, masked ips, go-redis lib-name and empty lib-name', () => {
  const { clients, unparsed } = parseClientList(fixture('client-list-redis-cloud-field-notes.txt'));
  assert.deepEqual(unparsed, []);
  assert.deepEqual(
    clients.map((c) => [c.id, c.ip, c.addrKey, c.libName, c.libVer, c.age, c.idle, c.cmd]),
    [
      ['3066004040000', 'xx.xx.xx.135', 'xx.xx.xx.135:30746', 'go-redis(,go1.24.13)', '9.17.2', 18701, 827, 'get'],
      ['3081428040000', 'xx.xx.xx.145', 'xx.xx.xx.145:31848', '', '', 538, 221, 'get'],
      ['2956190040001', 'xx.xx.xx.118', 'xx.xx.xx.118:1604', '', '', 148140, 5529, 'set'],
      ['3072343040001', 'xx.xx.xx.126', 'xx.xx.xx.126:46494', 'go-redis(,go1.24.13)', '9.17.2', 11493, 428, 'get'],
      ['3078769040001', 'xx.xx.xx.173', 'xx.xx.xx.173:9717', 'go-redis(,go1.24.13)', '9.17.2', 3714, 1, 'get'],
      ['3080824040001', 'xx.xx.xx.158', 'xx.xx.xx.158:35937', 'go-redis(,go1.24.13)', '9.17.2', 1267, 0, 'get'],
      ['3081894040001', 'xx.xx.xx.245', 'xx.xx.xx.245:36487', '', '', 26, 5, 'get'],
    ],
  );
  for (const c of clients) {
    assert.equal(c.name, '');
    assert.equal(c.user, 'xxx');
    assert.equal(c.laddr, 'xx.20.4.124:18585');
    assert.equal(c.flags, 'N');
    assert.equal(c.db, 0);
  }
});

test('a terminal paste of the field notes: prompt and ellipsis go to unparsed, clients still parse', () => {
  const pasted = [
    'redis-cxxxxx.us-east-1.ec2.cloud.xxxx.com:6379> client list',
    fixture('client-list-redis-cloud-field-notes.txt').trimEnd(),
    '...',
  ].join('\n');
  const { clients, unparsed } = parseClientList(pasted);
  assert.equal(clients.length, 7);
  assert.deepEqual(unparsed, ['redis-cxxxxx.us-east-1.ec2.cloud.xxxx.com:6379> client list', '...']);
});

// ---------------------------------------------------------------------------------------------
// Synthetic lines, one per version's field order (redis-facts.md §1.2)

const V5 = 'id=3 addr=10.0.0.5:52555 fd=8 name=worker age=12 idle=3 flags=N db=2 sub=0 psub=0 multi=-1 qbuf=0 qbuf-free=32768 obl=0 oll=0 omem=0 events=r cmd=get';
const V60 = 'id=4 addr=10.0.0.6:40000 fd=9 name= age=1 idle=1 flags=N db=0 sub=0 psub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 obl=0 oll=0 omem=0 tot-mem=20496 events=r cmd=client user=default';
const V62 = 'id=5 addr=[2001:db8::7]:6001 laddr=[2001:db8::1]:6379 fd=10 name=svc age=5 idle=0 flags=N db=0 sub=0 psub=0 multi=-1 qbuf=26 qbuf-free=40928 argv-mem=10 obl=0 oll=0 omem=0 tot-mem=61466 events=r cmd=client user=alice redir=-1';
const V74 = 'id=6 addr=10.0.0.8:5000 laddr=10.0.0.1:6379 fd=11 name=api age=9 idle=9 flags=x db=1 sub=0 psub=0 ssub=0 multi=2 watch=1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=40 rbs=1024 rbp=0 obl=0 oll=0 omem=16384 tot-mem=2000 events=r cmd=exec user=default redir=-1 resp=3 lib-name=redis-py lib-ver=5.0.1';
const V8 = 'id=7 addr=10.0.0.9:5001 laddr=10.0.0.1:6379 fd=12 name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 watch=0 qbuf=26 qbuf-free=20448 argv-mem=10 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=22298 events=r cmd=client|list user=default redir=-1 resp=2 lib-name= lib-ver= io-thread=0 tot-net-in=40 tot-net-out=0 tot-cmds=0';
const VK81 = 'id=8 addr=10.0.0.10:5002 laddr=10.0.0.1:6379 fd=13 name=glide age=3 idle=1 flags=N capa=r db=0 sub=0 psub=0 ssub=0 multi=-1 watch=0 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=0 obl=0 oll=0 omem=0 tot-mem=1920 events=r cmd=get user=default redir=-1 resp=3 lib-name=GlideJS lib-ver=2.1.0 tot-net-in=100 tot-net-out=200 tot-cmds=4';
const AZURE = 'id=11 addr=10.1.2.3:50000 fd=20 name=AppHost(SE.Redis-v2.8.24.3255) age=7 idle=0 flags=N db=0 sub=0 psub=0 multi=-1 qbuf=0 qbuf-free=0 obl=0 oll=0 omem=0 ow=0 owmem=0 events=r cmd=info numops=3981';

test('redis 5.0 line: no user, no laddr, no lib fields', () => {
  const c = parseClientLine(V5);
  assertClient(c, {
    id: '3', addr: '10.0.0.5:52555', addrKey: '10.0.0.5:52555', ip: '10.0.0.5', laddr: undefined, name: 'worker',
    age: 12, idle: 3, flags: 'N', db: 2, omem: 0, user: undefined, cmd: 'get', libName: undefined, libVer: undefined,
  });
  assert.deepEqual(clientListFeatures([c!]), { libInfo: false, user: false, laddr: false });
});

test('redis 6.0 and 6.2 lines: user from 6.0, laddr and bracketed IPv6 from 6.2', () => {
  const c60 = parseClientLine(V60);
  assert.equal(c60?.user, 'default');
  assert.equal(c60 && 'laddr' in c60, false);
  assert.equal(c60?.cmd, 'client');
  assert.equal(c60 && 'libName' in c60, false);

  const c62 = parseClientLine(V62);
  assertClient(c62, {
    id: '5', addr: '[2001:db8::7]:6001', addrKey: '[2001:db8::7]:6001', ip: '2001:db8::7', laddr: '[2001:db8::1]:6379',
    name: 'svc', age: 5, idle: 0, flags: 'N', db: 0, omem: 0, user: 'alice', cmd: 'client', libName: undefined, libVer: undefined,
  });
  assert.deepEqual(clientListFeatures([c60!, c62!]), { libInfo: false, user: true, laddr: true });
});

test('redis 7.4 line with watch, redis 8 with io-thread, valkey 8.1 with capa', () => {
  const c74 = parseClientLine(V74);
  assertClient(c74, {
    id: '6', addr: '10.0.0.8:5000', addrKey: '10.0.0.8:5000', ip: '10.0.0.8', laddr: '10.0.0.1:6379', name: 'api',
    age: 9, idle: 9, flags: 'x', db: 1, omem: 16384, user: 'default', cmd: 'exec', libName: 'redis-py', libVer: '5.0.1',
  });
  assert.equal(c74?.fields['watch'], '1');

  const c8 = parseClientLine(V8);
  assert.equal(c8?.libName, '');
  assert.equal(c8?.libVer, '');
  assert.equal(c8?.fields['io-thread'], '0');
  assert.equal(c8?.fields['tot-cmds'], '0');
  assert.equal(c8?.cmd, 'client|list');

  const k81 = parseClientLine(VK81);
  assert.equal(k81?.fields['capa'], 'r');
  assert.equal(k81?.flags, 'N');
  assert.equal(k81?.libName, 'GlideJS');
  assert.equal(parseClientLine(VK81.replace('capa=r', 'capa='))?.fields['capa'], '');
});

test('azure-like line: extra ow/owmem/numops kept, name with parentheses and dots intact', () => {
  const c = parseClientLine(AZURE);
  assert.equal(c?.name, 'AppHost(SE.Redis-v2.8.24.3255)');
  assert.equal(c?.fields['ow'], '0');
  assert.equal(c?.fields['owmem'], '0');
  assert.equal(c?.fields['numops'], '3981');
  assert.equal(c?.cmd, 'info');
  assert.equal(c && 'user' in c, false);
});

test('a whole multi-version reply: CRLF, blank lines, no final newline, extra spaces', () => {
  const text = `\r\n${V5}\r\n\r\n  ${V62}  \n${V74}\n\n${AZURE}`;
  const { clients, unparsed } = parseClientList(text);
  assert.deepEqual(unparsed, []);
  assert.deepEqual(clients.map((c) => c.id), ['3', '5', '6', '11']);
  assert.equal(clients[2]!.libVer, '5.0.1'); // no stray '\r' at the end of the line
  assert.equal(parseClientList(`txt:${V5}\n`).clients[0]?.id, '3');
});

test('field order does not matter', () => {
  const tokens = V74.split(' ');
  const reversed = parseClientLine([...tokens].reverse().join(' '));
  assert.deepEqual(reversed, parseClientLine(V74));
  assert.equal(reversed?.libName, 'redis-py');
});

test('ids above 2^53 stay exact', () => {
  const big = '18446744073709551615';
  assert.equal(parseClientLine(`id=${big} addr=10.0.0.1:1 flags=N`)?.id, big);
  assert.equal(parseClientLine('id=9007199254740993 addr=10.0.0.1:1 flags=N')?.id, '9007199254740993');
});

test('numbers: missing or garbage become 0, never NaN', () => {
  const c = parseClientLine('id=1 age=abc idle= db=x omem=99999999999999999999 flags=N');
  assert.deepEqual([c?.age, c?.idle, c?.db, c?.omem], [0, 0, 0, 0]);
  const bare = parseClientLine('id=1');
  assertClient(bare, {
    id: '1', addr: '', addrKey: '', ip: '', laddr: undefined, name: '', age: 0, idle: 0, flags: '', db: 0, omem: 0,
    user: undefined, cmd: undefined, libName: undefined, libVer: undefined,
  });
  assert.equal(Object.is(parseClientLine('id=1 db=-0')?.db, 0), true);
});

test('garbage lines go to unparsed, good lines around them still parse', () => {
  const garbage = [
    '-ERR unknown command',
    'hello world',
    'name=foo age=1 flags=N', // no id
    'id=5 addr=10.0.0.1:1 junk', // a token without '='
    '=x id=6', // empty key
    'id= addr=10.0.0.1:1', // empty id
    '(error) NOPERM this user has no permissions to run the \'client|list\' command',
  ];
  const text = [V5, ...garbage, V60].join('\n');
  const { clients, unparsed } = parseClientList(text);
  assert.deepEqual(clients.map((c) => c.id), ['3', '4']);
  assert.deepEqual(unparsed, garbage);
});

test('keys that are Object.prototype names are plain fields', () => {
  const c = parseClientLine('id=1 __proto__=x constructor=y toString=z');
  assert.equal(c?.fields['__proto__'], 'x');
  assert.equal(Object.getPrototypeOf(c?.fields), Object.prototype);
  assert.equal(c?.fields['constructor'], 'y');
  // Absent keys are not read through the prototype.
  const plain = parseClientLine('id=2 addr=10.0.0.1:1');
  assert.equal(plain?.name, '');
  assert.equal(plain && 'user' in plain, false);
  assert.equal(clientInfoFromFields({ id: '3' }).flags, '');
  assert.equal(parseClientLine('id=4 hasOwnProperty=1 valueOf=2')?.age, 0);
});

test('a repeated key keeps its first value', () => {
  assert.equal(parseClientLine('id=1 name=a name=b')?.name, 'a');
  assert.equal(parseClientLine('id=1 id=2')?.id, '1');
});

// ---------------------------------------------------------------------------------------------
// addressKey / hostOf: the join key between CLIENT LIST and MONITOR

test('addressKey gives the source MONITOR prints for the same connection', () => {
  // Pairs observed on redis 7.0.15 and valkey 8.0.1: CLIENT LIST addr+flags -> MONITOR `[db source]`.
  const cases: [addr: string, flags: string, monitor: string][] = [
    ['127.0.0.1:55768', 'N', '127.0.0.1:55768'],
    ['[::1]:50650', 'N', '[::1]:50650'],
    ['/tmp/rr-mon.GhT71R/valkey.sock:0', 'U', 'unix:/tmp/rr-mon.GhT71R/valkey.sock'],
    ['/var/run/redis/redis.sock:0', 'N', 'unix:/var/run/redis/redis.sock'], // path even without the flag
    ['/tmp/s.sock:0', 'Ux', 'unix:/tmp/s.sock'], // other flags alongside
    ['[/tmp/odd:name.sock]:0', 'U', 'unix:/tmp/odd:name.sock'], // a path with ':' is bracketed
    ['', 'N', ''],
    ['10.0.0.1:6379', 'u', '10.0.0.1:6379'], // lower-case u is "unblocked", not unix
  ];
  for (const [addr, flags, monitor] of cases) assert.equal(addressKey(addr, flags), monitor, `${addr} ${flags}`);
});

test('hostOf strips the port, keeps IPv6 without brackets', () => {
  assert.equal(hostOf('10.0.0.1:6379'), '10.0.0.1');
  assert.equal(hostOf('[fe80::1%eth0]:6379'), 'fe80::1%eth0');
  assert.equal(hostOf('[::ffff:10.0.0.1]:1'), '::ffff:10.0.0.1');
  assert.equal(hostOf('/tmp/redis.sock:0'), '/tmp/redis.sock');
  assert.equal(hostOf('host-without-port'), 'host-without-port');
  assert.equal(hostOf(''), '');
  assert.equal(parseClientLine('id=1 addr=[/tmp/odd:name.sock]:0 flags=U')?.ip, '/tmp/odd:name.sock');
});

// ---------------------------------------------------------------------------------------------
// Properties

const valueChar = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const value = fc.string({ unit: valueChar, maxLength: 12 });
const key = fc.string({ unit: valueChar, minLength: 1, maxLength: 10 }).filter((k) => !k.includes('='));

test('property: arbitrary input never throws, and every non-blank line is accounted for once', () => {
  const noisy = fc.oneof(
    fc.string(),
    fc.string({ unit: fc.constantFrom('id', '=', ' ', '\n', '\r', 'txt:', 'addr', ':', '[', ']', '/', 'U', '0', '__proto__', '\t', 'é') }),
  );
  fc.assert(
    fc.property(noisy, (text) => {
      const { clients, unparsed } = parseClientList(text);
      const body = text.startsWith('txt:') ? text.slice(4) : text;
      const lines = body.split(/\r\n|\n|\r/).filter((l) => l.trim() !== '');
      assert.equal(clients.length + unparsed.length, lines.length);
      for (const c of clients) {
        assert.notEqual(c.id, '');
        for (const n of [c.age, c.idle, c.db, c.omem]) assert.ok(Number.isSafeInteger(n));
      }
    }),
    { numRuns: 2000 },
  );
});

test('property: any set of printable key=value tokens round-trips through the parser', () => {
  fc.assert(
    fc.property(fc.dictionary(key, value, { maxKeys: 12 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (extra, id) => {
      const fields: Record<string, string> = { id: String(id) };
      for (const [k, v] of Object.entries(extra)) if (!Object.hasOwn(fields, k)) fields[k] = v;
      const line = Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ');
      const parsed = parseFields(line);
      assert.deepEqual(parsed && { ...parsed }, { ...fields });
      const client = parseClientList(`${line}\n`).clients[0];
      assert.equal(client?.id, String(id));
      assert.equal(client?.name, fields['name'] ?? '');
      assert.equal(client?.libName, Object.hasOwn(fields, 'lib-name') ? fields['lib-name'] : undefined);
    }),
    { numRuns: 1000 },
  );
});
