import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { identityFromInfo, parseInfo, serverIdentity } from '../src/parse/info.ts';

const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

// Real replies captured by test/fixtures/capture-client-list.sh (CRLF line ends, as sent).

test('valkey 8.0 INFO: identified as valkey 8.0.1 despite redis_version 7.2.4; mode from server_mode', () => {
  const text = fixture('info-valkey-8.0.txt');
  assert.ok(text.includes('\r\n'));
  const info = parseInfo(text);
  assert.equal(info['redis_version'], '7.2.4');
  assert.equal(info['server_name'], 'valkey');
  assert.equal(info['valkey_version'], '8.0.1');
  assert.equal(info['server_mode'], 'standalone');
  assert.equal('redis_mode' in info, false);
  // Values keep their ':' '=' ',' and spaces; no '\r' left at the end.
  assert.equal(info['listener0'], 'name=tcp,bind=127.0.0.1,bind=::1,port=22461');
  assert.match(info['os'] ?? '', /^Linux \S+ x86_64$/);
  assert.equal(info['db0'], 'keys=1,expires=0,avg_ttl=0');
  assert.equal(info['db5'], 'keys=1,expires=0,avg_ttl=0');
  assert.equal(info['config_file'], '');
  for (const [k, v] of Object.entries(info)) {
    assert.ok(!k.startsWith('#') && !k.includes('\r') && !v.includes('\r'), k);
  }
  assert.deepEqual(serverIdentity(info), {
    name: 'valkey',
    version: '8.0.1',
    redisVersion: '7.2.4',
    mode: 'standalone',
    role: 'master',
    connectedClients: 11,
    opsPerSec: 0,
    uptimeSeconds: 2,
  });
});

test('redis 7.0 INFO: identified as redis 7.0.15, mode from redis_mode', () => {
  const info = parseInfo(fixture('info-redis-7.0.txt'));
  assert.equal('server_name' in info, false);
  assert.equal(info['errorstat_ERR'], 'count=8'); // the CLIENT SETINFO attempts 7.0 rejected
  assert.deepEqual(identityFromInfo(fixture('info-redis-7.0.txt')), {
    name: 'redis',
    version: '7.0.15',
    redisVersion: '7.0.15',
    mode: 'standalone',
    role: 'master',
    connectedClients: 11,
    opsPerSec: 0,
    uptimeSeconds: 2,
  });
});

test('RESP3 verbatim prefix, LF-only lines, missing final newline', () => {
  const info = parseInfo('txt:# Server\nredis_version:7.4.1\nredis_mode:cluster\n\n# Replication\nrole:slave');
  assert.deepEqual(info, { redis_version: '7.4.1', redis_mode: 'cluster', role: 'slave' });
  assert.deepEqual(serverIdentity(info), { name: 'redis', version: '7.4.1', redisVersion: '7.4.1', mode: 'cluster', role: 'slave' });
});

test('valkey detection: valkey_version alone, server_name alone (valkey 7.2), case of server_name', () => {
  assert.equal(serverIdentity({ redis_version: '7.2.4', valkey_version: '9.0.1' }).name, 'valkey');
  assert.equal(serverIdentity({ redis_version: '7.2.4', valkey_version: '9.0.1' }).version, '9.0.1');
  const v72 = serverIdentity({ redis_version: '7.2.5', server_name: 'valkey', redis_mode: 'standalone' });
  assert.deepEqual([v72.name, v72.version, v72.redisVersion, v72.mode], ['valkey', '7.2.5', '7.2.5', 'standalone']);
  assert.equal(serverIdentity({ server_name: 'Valkey', redis_version: '7.2.4' }).name, 'valkey');
  assert.equal(serverIdentity({ server_name: 'redis', redis_version: '8.2.1' }).name, 'redis');
  assert.equal(serverIdentity({ server_name: 'redis', redis_version: '8.2.1' }).version, '8.2.1');
});

test('missing or odd fields: unknown text, absent numbers, no throw', () => {
  assert.deepEqual(serverIdentity({}), { name: 'redis', version: 'unknown', redisVersion: 'unknown', mode: 'unknown', role: 'unknown' });
  assert.deepEqual(serverIdentity(parseInfo('')), serverIdentity({}));
  const odd = serverIdentity({ redis_version: '', connected_clients: 'many', instantaneous_ops_per_sec: '-1', uptime_in_seconds: '12x' });
  assert.equal(odd.version, 'unknown');
  assert.equal('connectedClients' in odd, false);
  assert.equal('opsPerSec' in odd, false);
  assert.equal('uptimeSeconds' in odd, false);
  // Inherited names are not fields.
  assert.equal(serverIdentity({}).role, 'unknown');
  assert.equal(serverIdentity(parseInfo('constructor:x\n__proto__:y')).role, 'unknown');
  assert.equal(parseInfo('__proto__:y')['__proto__'], 'y');
  assert.equal(Object.getPrototypeOf(parseInfo('__proto__:y')), Object.prototype);
});

test('lines without a key are skipped; a repeated key (module lines) keeps the first', () => {
  const info = parseInfo(
    'garbage line\r\n:no-key\r\n# Modules\r\nmodule:name=search,ver=21005\r\nmodule:name=ReJSON,ver=20609\r\nrole:master\r\n',
  );
  assert.deepEqual(info, { module: 'name=search,ver=21005', role: 'master' });
});

test('property: arbitrary input never throws; every key is a non-empty line prefix', () => {
  const noisy = fc.oneof(
    fc.string(),
    fc.string({ unit: fc.constantFrom('#', ':', '\r', '\n', 'txt:', 'role', 'redis_version', 'valkey', ' ', '=', '__proto__') }),
  );
  fc.assert(
    fc.property(noisy, (text) => {
      const info = parseInfo(text);
      for (const [k, v] of Object.entries(info)) {
        assert.ok(k !== '' && !k.includes(':') && !k.includes('\n') && !v.includes('\n'));
      }
      const id = serverIdentity(info);
      assert.ok(id.name === 'redis' || id.name === 'valkey');
      assert.equal(typeof id.version, 'string');
    }),
    { numRuns: 2000 },
  );
});
