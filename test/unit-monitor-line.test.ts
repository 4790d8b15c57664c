import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseMonitorLine } from '../src/parse/monitorLine.ts';
import type { MonitorEvent, MonitorParse } from '../src/types.ts';

const fixture = (name: string): string[] => {
  const text = readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
};

function event(r: MonitorParse, line: string): MonitorEvent {
  if (!r.ok) assert.fail(`expected ok for ${JSON.stringify(line)}, got: ${r.reason}`);
  return r.event;
}

// ---- real captures -------------------------------------------------------------------------------------
// One entry per line of `test/fixtures/capture-monitor.sh`'s capture, in order.
// conn: 'lua' | 'unix' | 'v6' | 't<N>' (one IPv4 loopback connection: same N = same source, different N = different).
type Expect = readonly [conn: string, db: number, args: readonly string[]];

const BIN_CTRL = Buffer.concat([
  Buffer.from('line1\nline2\r\n\ttab\x07\x08\x00\x01\x7f\x1b', 'latin1'),
  Buffer.from([0x80, 0xff]),
  Buffer.from(' end'),
]).toString('utf8');
const BAD_UTF8 = Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x90, 0x28, 0xbc]).toString('utf8');
const EVAL_SCRIPT = "redis.call('set', KEYS[1], ARGV[1])\nreturn redis.call('get', KEYS[1])";
const FUNCTION_CODE =
  "#!lua name=recon\nredis.register_function('rf', function(keys, args) return redis.call('get', keys[1]) end)";

const captured = (cli: 'redis' | 'valkey'): Expect[] => [
  ['t1', 0, ['set', 'plain:key', 'value']],
  ['t2', 0, ['set', 'q"uote', 'back\\slash']],
  ['t3', 0, ['set', 'k"] "x', 'has "] " inside']],
  ['t4', 0, ['set', 'a b', ' c ']],
  ['t5', 0, ['set', 'ключ:ü:日本', 'значение 🎉']],
  ['t6', 0, ['set', 'empty', '']],
  ['t7', 0, ['set', 'counter', '12345']],
  ['t8', 0, ['incrby', 'counter', '-7']],
  ['t9', 0, ['set', 'bin:ctrl', BIN_CTRL]],
  ['t10', 0, ['set', 'bin:badutf8', BAD_UTF8]],
  ['t11', 0, ['set', 'long:key', 'a'.repeat(200)]],
  ['t12', 0, ['hset', 'h:1', 'f1', 'v1', 'f2', 'v 2']],
  ['t13', 0, ['mget', 'plain:key', 'empty', 'missing']],
  ['t14', 0, ['eval', EVAL_SCRIPT, '1', 'lua:key', 'v "q" \\ x']],
  ['lua', 0, ['set', 'lua:key', 'v "q" \\ x']],
  ['lua', 0, ['get', 'lua:key']],
  ['t15', 0, ['function', 'load', FUNCTION_CODE]],
  ['t16', 0, ['fcall', 'rf', '1', 'plain:key']],
  ['lua', 0, ['get', 'plain:key']],
  ['unix', 0, ['set', 'via:unix', '1']],
  ['v6', 0, ['set', 'via:ipv6', '1']],
  // redis-cli --user/--pass sends AUTH upper-case; both user and password are redacted.
  ['t17', 0, ['AUTH', '(redacted)', '(redacted)']],
  ['t17', 0, ['get', 'after:auth']],
  // Shown (redacted) even though it fails: the default user has no password.
  ['t18', 0, ['auth', '(redacted)']],
  ['t19', 0, ['hello', '3', 'auth', '(redacted)', '(redacted)', 'setname', 'recon-hello']],
  // redis-cli -n 5: SELECT is fed after it ran, so it already shows the new db.
  ['t20', 5, ['SELECT', '5']],
  ['t20', 5, ['set', 'in:db5', 'x']],
  // redis-cli 7.0 asks COMMAND DOCS when reading commands from stdin; valkey-cli 8.0 does not.
  ...(cli === 'redis' ? [['t21', 0, ['COMMAND', 'DOCS']] as const] : []),
  ['t21', 0, ['CLIENT', 'SETNAME', 'recon-pipe']],
  ['t21', 2, ['SELECT', '2']],
  ['t21', 2, ['GET', 'in:db2']],
  ['t21', 2, ['SET', 'x:日', '\x00\t']],
  // MULTI/EXEC: queued commands show at EXEC time, before the EXEC line.
  ['t21', 2, ['MULTI']],
  ['t21', 2, ['SET', 'tx:a', '1']],
  ['t21', 2, ['INCR', 'tx:a']],
  ['t21', 2, ['EXEC']],
  // EXECABORT: the queued SET never runs, the unknown command never shows, EXEC is fed explicitly.
  ['t21', 2, ['MULTI']],
  ['t21', 2, ['EXEC']],
  ['t21', 2, ['PING']],
];

function checkCapture(file: string, kind: 'redis' | 'valkey'): void {
  const lines = fixture(file);
  // `redis-cli monitor > file` starts with the MONITOR reply itself.
  assert.equal(lines[0], 'OK');
  const ok = parseMonitorLine(lines[0] as string);
  assert.equal(ok.ok, false);
  const body = lines.slice(1);
  const expected = captured(kind);
  assert.equal(body.length, expected.length, 'line count');
  const tagToSource = new Map<string, string>();
  let lastTs = 0;
  body.forEach((line, n) => {
    const [conn, db, args] = expected[n] as Expect;
    const ev = event(parseMonitorLine(line), line);
    assert.deepEqual(ev.args, args, `args of line ${n + 2}`);
    assert.equal(ev.db, db, `db of line ${n + 2}`);
    assert.equal(ev.ts, Number(line.slice(0, line.indexOf(' '))), `ts of line ${n + 2}`);
    assert.ok(ev.ts >= lastTs && ev.ts > 1.7e9, `ts order/range of line ${n + 2}`);
    lastTs = ev.ts;
    if (conn === 'lua') assert.equal(ev.source, 'lua');
    else if (conn === 'unix') assert.equal(ev.source, `unix:/tmp/redis-recon-capture-${kind}.sock`);
    else if (conn === 'v6') assert.match(ev.source, /^\[::1\]:\d{1,5}$/);
    else {
      assert.match(ev.source, /^127\.0\.0\.1:\d{1,5}$/);
      const seen = tagToSource.get(conn);
      if (seen === undefined) {
        assert.ok(![...tagToSource.values()].includes(ev.source), `line ${n + 2}: new connection, new source`);
        tagToSource.set(conn, ev.source);
      } else assert.equal(ev.source, seen, `line ${n + 2}: same connection`);
    }
    // The same line as the RESP simple string, and with CR/LF, parses the same.
    for (const variant of [`+${line}`, `${line}\r\n`, `+${line}\r\n`, `${line}\n`]) {
      assert.deepEqual(parseMonitorLine(variant), { ok: true, event: ev });
    }
  });
}

describe('real captures', () => {
  test('valkey-server 8.0.1 via valkey-cli monitor', () => checkCapture('monitor-valkey-8.0.txt', 'valkey'));
  test('redis-server 7.0.15 via redis-cli monitor', () => checkCapture('monitor-redis-7.0.txt', 'redis'));

  test('field notes (Redis Cloud, addresses masked by the author)', () => {
    const lines = fixture('monitor-field-notes.txt');
    const got = lines.map((l) => event(parseMonitorLine(l), l));
    assert.deepEqual(got, [
      { ts: 1774787120.638084, db: 0, source: 'xx.xx.xx.222:40277', args: ['get', 'prefixkey:namespacea:default_data'] },
      { ts: 1774787120.649084, db: 0, source: 'xx.xx.xx.243:58512', args: ['get', 'prefixkey:namespace2:default_data'] },
      { ts: 1774787120.652084, db: 0, source: 'xx.xx.xx.222:40277', args: ['get', 'prefixkey:namespace3:default_data'] },
      {
        ts: 1774787120.687083,
        db: 0,
        source: 'xx.xx.xx.50:64040',
        args: ['zrange', 'prefixkey:namespace4:allowed_data', '0', '-1'],
      },
    ]);
  });
});

// ---- hand-written shapes ------------------------------------------------------------------------------

describe('shapes the captures do not cover', () => {
  test('empty source, high db, short fraction, no fraction', () => {
    assert.deepEqual(parseMonitorLine('1700000000.000001 [0 ] "ping"'), {
      ok: true,
      event: { ts: 1700000000.000001, db: 0, source: '', args: ['ping'] },
    });
    assert.deepEqual(event(parseMonitorLine('1700000000.5 [15 lua] "get" "k"'), '').ts, 1700000000.5);
    assert.deepEqual(event(parseMonitorLine('1700000000 [1234 lua] "get" "k"'), '').db, 1234);
    assert.deepEqual(event(parseMonitorLine('1700000000 [0 lua] "get" "k"'), '').ts, 1700000000);
  });

  test('timestamps that do not fit the exact integer path still match parseFloat', () => {
    for (const t of ['99999999999.999999', '1700000000.1234567890123', '253402300799.123456789', '0.000001']) {
      assert.equal(event(parseMonitorLine(`${t} [0 lua] "x"`), t).ts, parseFloat(t));
    }
  });

  test('IPv6 sources keep their brackets; unix paths may hold spaces and brackets', () => {
    assert.equal(event(parseMonitorLine('1.0 [0 [2001:db8::1]:6379] "get" "k"'), '').source, '[2001:db8::1]:6379');
    assert.equal(event(parseMonitorLine('1.0 [0 unix:/tmp/a b]c.sock] "get"'), '').source, 'unix:/tmp/a b]c.sock');
  });

  test('every escape, upper-case hex accepted, trailing space tolerated', () => {
    const ev = event(parseMonitorLine('1.0 [0 lua] "\\\\\\"\\n\\r\\t\\a\\b\\x00\\x7f\\xE2\\x82\\xac" "x" '), '');
    assert.deepEqual(ev.args, ['\\"\n\r\t\x07\x08\x00\x7f€', 'x']);
  });

  test('large arguments on the escape path (buffer growth), and the parser still works after', () => {
    const big = 'ü"\n'.repeat(700_000); // 2.1M chars, ~2.8 MB of bytes
    const esc = sdscatrepr(new Uint8Array(Buffer.from(big)));
    assert.deepEqual(event(parseMonitorLine(`1.0 [0 lua] "set" ${esc}`), '').args, ['set', big]);
    const raw = '日'.repeat(500_000) + '\\n'; // raw non-ASCII: 3 bytes per char, grows inside the loop
    assert.deepEqual(event(parseMonitorLine(`1.0 [0 lua] "${raw}"`), '').args, ['日'.repeat(500_000) + '\n']);
    assert.equal(parseMonitorLine(`1.0 [0 lua] "${'\\n'.repeat(600_000)}`).ok, false);
    assert.deepEqual(event(parseMonitorLine('1.0 [0 lua] "a\\tb"'), '').args, ['a\tb']);
  });

  test('(redacted) is a plain argument', () => {
    assert.deepEqual(event(parseMonitorLine('1.0 [0 127.0.0.1:1] "auth" "(redacted)"'), '').args, ['auth', '(redacted)']);
  });

  test('raw (unescaped) non-ASCII text, which no server writes, is kept as is on both paths', () => {
    assert.deepEqual(event(parseMonitorLine('1.0 [0 lua] "ключ" "日\\n本🎉"'), '').args, ['ключ', '日\n本🎉']);
  });
});

// ---- garbage ------------------------------------------------------------------------------------------

describe('garbage is not ok, with a reason, and never throws', () => {
  const garbage: Array<[string, RegExp]> = [
    ['', /empty/],
    ['\r\n', /empty/],
    ['+', /empty/],
    ['OK', /timestamp/],
    ['+OK', /timestamp/],
    ['-ERR unknown command', /timestamp/],
    ['hello world', /timestamp/],
    ['.5 [0 lua] "get"', /timestamp/],
    ['1700000000. [0 lua] "get"', /timestamp/],
    ['1700000000.123456', /\[/],
    ['1700000000.123456 "get" "k"', /\[/],
    ['1700000000.123456 [x lua] "get"', /db/],
    ['1700000000.123456 [-1 lua] "get"', /db/],
    ['1700000000.123456 [0] "get"', /db/],
    ['1700000000.123456 [12345678901 lua] "get"', /db/],
    ['1700000000.123456 [0 lua "get"', /\]/],
    ['1700000000.123456 [0 lua]', /\]/],
    ['1700000000.123456 [0 lua] ', /\]/],
    ['1700000000.123456 [0 lua] get k', /\]/],
    ['1700000000.123456 [0 lua] "get', /unterminated/],
    ['1700000000.123456 [0 lua] "get" "k', /unterminated/],
    ['1700000000.123456 [0 lua] "get" "k\\"', /unterminated/],
    ['1700000000.123456 [0 lua] "get" "k\\', /unterminated/],
    ['1700000000.123456 [0 lua] "get" "\\xg0"', /\\x/],
    ['1700000000.123456 [0 lua] "get" "\\x4"', /\\x/],
    ['1700000000.123456 [0 lua] "get" "\\x', /unterminated/],
    ['1700000000.123456 [0 lua] "get" "\\x" "k"', /\\x/],
    ['1700000000.123456 [0 lua] "get" "\\q"', /escape/],
    ['1700000000.123456 [0 lua] "get""k"', /junk/],
    ['1700000000.123456 [0 lua] "get"  "k"', /junk/],
    ['1700000000.123456 [0 lua] "get" k', /junk/],
    ['1700000000.123456 [0 lua] "a\\n"x', /junk/],
  ];
  for (const [line, reason] of garbage) {
    test(JSON.stringify(line), () => {
      const r = parseMonitorLine(line);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.reason, reason);
    });
  }

  test('non-string input from untyped callers', () => {
    for (const v of [undefined, null, 42, {}, Buffer.from('1.0 [0 lua] "x"')]) {
      const r = parseMonitorLine(v as unknown as string);
      assert.equal(r.ok, false);
    }
  });
});

// ---- properties ---------------------------------------------------------------------------------------

/** The server's `sdscatrepr` (sds.c), byte by byte; isprint() in the C locale is 0x20..0x7E. */
function sdscatrepr(bytes: Uint8Array): string {
  let out = '"';
  for (const b of bytes) {
    switch (b) {
      case 0x5c: out += '\\\\'; break;
      case 0x22: out += '\\"'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x07: out += '\\a'; break;
      case 0x08: out += '\\b'; break;
      default:
        out += b >= 0x20 && b <= 0x7e ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
    }
  }
  return out + '"';
}

const octet = fc.integer({ min: 0, max: 255 });
// Documentation and loopback ranges only.
const ipv4 = fc.oneof(
  fc.constantFrom('127.0.0.1', '192.0.2.', '198.51.100.', '203.0.113.').chain((p) =>
    p.endsWith('.') ? octet.map((o) => p + o) : fc.constant(p),
  ),
);
const ipv6 = fc.oneof(fc.constant('::1'), fc.integer({ min: 0, max: 0xffff }).map((n) => `2001:db8::${n.toString(16)}`));
const port = fc.integer({ min: 0, max: 65535 });
const source = fc.oneof(
  fc.tuple(ipv4, port).map(([ip, p]) => `${ip}:${p}`),
  fc.tuple(ipv6, port).map(([ip, p]) => `[${ip}]:${p}`),
  fc.stringMatching(/^\/[A-Za-z0-9._\/-]{1,40}$/).map((p) => `unix:${p}`),
  fc.constant('lua'),
  fc.constant(''),
);
const argBytes = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 24 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
  fc.string({ maxLength: 40 }).map((s) => new Uint8Array(Buffer.from(s, 'latin1'))),
  fc.constantFrom('(redacted)', '"] "', '\\', '"', '', '12345', '-1').map((s) => new Uint8Array(Buffer.from(s))),
);
const monitorLine = fc.record({
  sec: fc.integer({ min: 0, max: 4_102_444_800 }),
  usec: fc.integer({ min: 0, max: 999_999 }),
  db: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  source,
  args: fc.array(argBytes, { minLength: 1, maxLength: 8 }),
  plus: fc.boolean(),
  eol: fc.constantFrom('', '\r\n', '\n', '\r'),
});
const render = (l: { sec: number; usec: number; db: number; source: string; args: Uint8Array[]; plus: boolean; eol: string }) =>
  `${l.plus ? '+' : ''}${l.sec}.${String(l.usec).padStart(6, '0')} [${l.db} ${l.source}] ${l.args.map(sdscatrepr).join(' ')}${l.eol}`;

describe('properties', () => {
  test('recovers ts, db, source and every argument from what sdscatrepr wrote', () => {
    fc.assert(
      fc.property(monitorLine, (l) => {
        const text = render(l);
        const r = parseMonitorLine(text);
        assert.ok(r.ok, `not ok: ${JSON.stringify(text)} ${r.ok ? '' : r.reason}`);
        assert.equal(r.event.ts, parseFloat(`${l.sec}.${String(l.usec).padStart(6, '0')}`));
        assert.equal(r.event.db, l.db);
        assert.equal(r.event.source, l.source);
        assert.deepEqual(
          r.event.args,
          l.args.map((b) => Buffer.from(b).toString('utf8')),
        );
      }),
      { numRuns: 3000 },
    );
  });

  test('raw characters (which no server writes) decode the same on the escape path as on the plain path', () => {
    const text = fc.string({ unit: 'binary', maxLength: 30 }).filter((t) => !t.includes('"') && !t.includes('\\'));
    fc.assert(
      fc.property(text, (t) => {
        const r = parseMonitorLine(`1.0 [0 lua] "${t}" "${t}\\n"`);
        assert.ok(r.ok);
        assert.deepEqual(r.event.args, [t, `${t}\n`]);
      }),
      { numRuns: 2000 },
    );
  });

  const noThrow = (text: string): void => {
    let r: MonitorParse;
    try {
      r = parseMonitorLine(text);
    } catch (e) {
      assert.fail(`threw on ${JSON.stringify(text)}: ${String(e)}`);
    }
    if (r.ok) {
      assert.equal(typeof r.event.ts, 'number');
      assert.ok(Number.isInteger(r.event.db));
      assert.equal(typeof r.event.source, 'string');
      assert.ok(r.event.args.length >= 1 && r.event.args.every((a) => typeof a === 'string'));
    } else {
      assert.ok(typeof r.reason === 'string' && r.reason.length > 0);
    }
  };

  test('never throws on any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), noThrow), { numRuns: 3000 });
    // Strings made of the characters the grammar cares about reach deeper.
    const alphabet = fc.constantFrom(...'0123456789.+[] "\\xabfgnrt\r\n:lua'.split(''), '\ud800', '日');
    fc.assert(fc.property(fc.string({ unit: alphabet, maxLength: 80 }), noThrow), { numRuns: 5000 });
  });

  test('never throws on damaged real lines (cut, spliced, with a char changed)', () => {
    const damaged = fc
      .tuple(monitorLine, fc.nat(), fc.nat(), fc.string({ unit: 'binary-ascii', maxLength: 3 }))
      .map(([l, a, b, ins]) => {
        const t = render(l);
        const i = a % (t.length + 1);
        const j = Math.min(t.length, i + (b % 4));
        return t.slice(0, i) + ins + t.slice(j);
      });
    fc.assert(fc.property(damaged, noThrow), { numRuns: 5000 });
    fc.assert(
      fc.property(monitorLine, fc.nat(), (l, cut) => {
        const t = render(l);
        noThrow(t.slice(0, cut % (t.length + 1)));
      }),
      { numRuns: 2000 },
    );
  });
});
