import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import semver from 'semver';
import {
  LibraryDataError,
  libraryVerdict,
  loadLibraries,
  mergeLibraries,
  normalizeVersion,
  parseLibrary,
  shippedLibraries,
  validateLibraries,
  type LibraryKB,
} from '../src/audit/libraries.ts';

const kb = shippedLibraries();
const shown = { libraryFieldsShown: true };
const verdict = (libName: string | undefined, libVer: string | undefined, k: LibraryKB = kb) =>
  libraryVerdict({ libName, libVer }, shown, k);

describe('shipped knowledge base', () => {
  test('is dated, sourced, and covers every library the migration meets', () => {
    assert.match(kb.asOf, /^\d{4}-\d{2}-\d{2}$/);
    const ids = kb.families.map((f) => f.id);
    for (const id of [
      'node-redis', 'ioredis', 'iovalkey', 'go-redis', 'rueidis', 'valkey-go', 'redis-py', 'valkey-py', 'jedis',
      'valkey-java', 'lettuce', 'stackexchange-redis', 'nredisstack', 'valkey-glide', 'redis-rs', 'redis-rb',
      'redis-client-ruby', 'predis', 'phpredis', 'hiredis',
    ]) {
      assert.ok(ids.includes(id), `missing family ${id}`);
    }
    for (const f of kb.families) {
      assert.ok(f.sources.length > 0, `${f.id} has no source`);
      assert.ok(f.minimum !== undefined && f.minimumBasis !== undefined && f.minimumSource !== undefined, `${f.id} minimum`);
      if (f.latest !== undefined) {
        assert.ok(semver.lte(normalizeVersion(f.minimum)!, normalizeVersion(f.latest)!), `${f.id}: minimum above latest`);
      }
      assert.equal(f.matchers.length === 0, f.neverSends === true, `${f.id}: matchers only for libraries that send`);
    }
  });

  test('libraries that never send SETINFO are listed without matchers', () => {
    for (const id of ['iovalkey', 'phpredis', 'hiredis']) {
      const f = kb.families.find((x) => x.id === id)!;
      assert.equal(f.neverSends, true);
      assert.equal(f.matchers.length, 0);
    }
  });
});

describe('normalizeVersion', () => {
  const cases: Array<[string, string | undefined]> = [
    ['9.17.2', '9.17.2'],
    ['v9.5.1', '9.5.1'],
    ['7.7.0.RELEASE/1a2b3c4', '7.7.0'],
    ['6.3.2.RELEASE/abc123', '6.3.2'],
    ['2.6.122.38350', '2.6.122'],
    ['2.8.24.3255', '2.8.24'],
    ['1.0', '1.0.0'],
    ['6', '6.0.0'],
    ['6.2.0rc2', '6.2.0-rc.2'],
    ['5.0.0-beta1', '5.0.0-beta.1'],
    ['1.0.0+build.7', '1.0.0'],
    ['unknown', undefined],
    ['', undefined],
    ['go1.24.13', undefined],
  ];
  for (const [raw, want] of cases) {
    test(`${JSON.stringify(raw)} → ${String(want)}`, () => assert.equal(normalizeVersion(raw), want));
  }
  test('a pre-release sorts before its release', () => {
    assert.ok(semver.lt(normalizeVersion('6.2.0rc2')!, normalizeVersion('6.2.0')!));
  });
});

describe('parseLibrary: real lib-name strings', () => {
  test('go-redis(<suffix>,<go version>) from the field notes', () => {
    assert.deepEqual(parseLibrary('go-redis(,go1.24.13)', '9.17.2'), {
      family: 'go-redis', baseName: 'go-redis', suffix: '', runtime: 'go1.24.13',
      version: '9.17.2', reportedVersion: '9.17.2', versionLabel: '9.17.2',
    });
    const tagged = parseLibrary('go-redis(billing_v1.2;otel_v0.3,go1.22.5)', '9.7.0');
    assert.equal(tagged.suffix, 'billing_v1.2;otel_v0.3');
    assert.equal(tagged.runtime, 'go1.22.5');
    // Go versions with spaces become '-' from v9.5.1.
    assert.equal(parseLibrary('go-redis(,devel-go1.23-abc)', '9.6.0').runtime, 'devel-go1.23-abc');
  });

  test('node-redis reports its @redis/client version: 1.x is the redis@4 line', () => {
    const p = parseLibrary('node-redis', '1.5.12');
    assert.equal(p.family, 'node-redis');
    assert.equal(p.reportedVersion, '1.5.12');
    assert.equal(p.version, '4.6.0');
    assert.match(p.versionLabel!, /redis@4\.6\.x.*1\.5\.12/);
    assert.equal(parseLibrary('node-redis', '1.6.0').version, '4.7.0');
    // From v5 the client version equals the redis version.
    assert.equal(parseLibrary('node-redis', '5.8.2').version, '5.8.2');
    assert.equal(parseLibrary('node-redis(redis-recon_v0.1.0)', '6.2.1').suffix, 'redis-recon_v0.1.0');
  });

  test('Lettuce <version>.RELEASE/<sha>', () => {
    const p = parseLibrary('Lettuce', '6.3.2.RELEASE/abc123');
    assert.equal(p.family, 'lettuce');
    assert.equal(p.version, '6.3.2');
    assert.equal(p.versionLabel, '6.3.2.RELEASE/abc123');
    assert.equal(parseLibrary('Lettuce(spring-data-redis_v3.5.1)', '7.7.0.RELEASE/ffee00').suffix, 'spring-data-redis_v3.5.1');
    assert.equal(parseLibrary('lettuce', '7.0.0.RELEASE').family, 'lettuce', 'names compare case-insensitively');
  });

  test('SE.Redis four-part versions and -suffix', () => {
    assert.equal(parseLibrary('SE.Redis', '2.6.122.38350').version, '2.6.122');
    const p = parseLibrary('SE.Redis-orders', '2.7.33.41805');
    assert.equal(p.family, 'stackexchange-redis');
    assert.equal(p.suffix, 'orders');
    assert.equal(p.version, '2.7.33');
  });

  test('NRedisStack(.NET_v…) and NRedisStack(<name>;.NET_v…)', () => {
    const a = parseLibrary('NRedisStack(.NET_v8.0.11)', '1.7.3');
    assert.equal(a.family, 'nredisstack');
    assert.equal(a.runtime, '.NET_v8.0.11');
    assert.equal(a.suffix, '');
    const b = parseLibrary('NRedisStack(om-dotnet_v1.0;.NET_v9.0.0)', '1.0.0');
    assert.equal(b.suffix, 'om-dotnet_v1.0');
    assert.equal(b.runtime, '.NET_v9.0.0');
  });

  test('every GLIDE wrapper name, with and without a tag; `unknown` is a placeholder', () => {
    for (const n of ['GlideJS', 'GlidePy', 'GlidePySync', 'GlideGo', 'GlideJava', 'GlideFFI', 'Glide', 'UnknownClient']) {
      assert.equal(parseLibrary(n, '2.5.1').family, 'valkey-glide', n);
    }
    const tagged = parseLibrary('GlideJava(payments)', '2.0.0');
    assert.equal(tagged.family, 'valkey-glide');
    assert.equal(tagged.baseName, 'GlideJava');
    assert.equal(tagged.suffix, 'payments');
    const p = parseLibrary('GlidePy', 'unknown');
    assert.equal(p.placeholder, true);
    assert.equal(p.version, undefined);
  });

  test('redis-py(<driverinfo>) and the 99.99.99 fallback', () => {
    assert.equal(parseLibrary('redis-py(django-redis_v5.4.0)', '7.2.0').suffix, 'django-redis_v5.4.0');
    const p = parseLibrary('redis-py', '99.99.99');
    assert.equal(p.family, 'redis-py');
    assert.equal(p.placeholder, true);
    assert.equal(p.version, undefined);
  });

  test('names that share a prefix go to the right family', () => {
    assert.equal(parseLibrary('valkey', '1.0.76').family, 'valkey-go');
    assert.equal(parseLibrary('valkey-py', '6.1.0').family, 'valkey-py');
    assert.equal(parseLibrary('valkey-java', '5.3.0').family, 'valkey-java');
    assert.equal(parseLibrary('redis-rs', '1.6.0').family, 'redis-rs');
    assert.equal(parseLibrary('redis-rb(rails_v8.0)', '6.0.0').family, 'redis-rb');
    assert.equal(parseLibrary('redis-client(redis-rb_v6.0.0)', '0.30.0').family, 'redis-client-ruby');
    assert.equal(parseLibrary('redis-client(redis-rb_v6.0.0)', '0.30.0').suffix, 'redis-rb_v6.0.0');
    assert.equal(parseLibrary('predis(laravel_v11)', '3.6.0').family, 'predis');
    assert.equal(parseLibrary('jedis(spring-data-redis_v3.2.0)', '5.1.0').family, 'jedis');
    assert.equal(parseLibrary('rueidis', '1.0.76').family, 'rueidis');
    assert.equal(parseLibrary('ioredis(bull)', '5.8.2').family, 'ioredis');
    assert.equal(parseLibrary('jedisx', '1.0.0').family, undefined);
    assert.equal(parseLibrary('go-redisish', '9.0.0').family, undefined);
  });

  test('an unknown name keeps its base and suffix', () => {
    assert.deepEqual(parseLibrary('python-socket-monitor', '1.0'), {
      baseName: 'python-socket-monitor', version: '1.0.0', reportedVersion: '1.0.0', versionLabel: '1.0',
    });
    assert.equal(parseLibrary('mylib(x_v1)', undefined).suffix, 'x_v1');
    assert.deepEqual(parseLibrary('', ''), {});
    assert.deepEqual(parseLibrary(undefined, undefined), {});
  });
});

describe('libraryVerdict', () => {
  test('go-redis 9.17.2 from the field notes is on the supported v9 line; the reason names the latest', () => {
    const v = verdict('go-redis(,go1.24.13)', '9.17.2');
    assert.equal(v.verdict, 'ok');
    assert.equal(v.family, 'go-redis');
    assert.equal(v.minimum, '9.0.0');
    assert.match(v.reason, /9\.17\.2/);
    assert.match(v.reason, new RegExp(v.latest!.replace(/\./g, '\\.')));
  });

  test('node-redis 1.5.12 (redis@4.6.x) is outdated: v4 is no longer supported', () => {
    const v = verdict('node-redis', '1.5.12');
    assert.equal(v.verdict, 'outdated');
    assert.equal(v.minimum, '5.0.0');
    assert.equal(v.minimumSource, 'maintainers');
    assert.match(v.reason, /redis@4\.6\.x/);
    assert.match(v.reason, /1\.5\.12/);
    assert.match(v.reason, /5\.0\.0/);
    assert.match(v.reason, new RegExp(`latest known ${v.latest!.replace(/\./g, '\\.')}`));
    assert.equal(verdict('node-redis', '5.10.0').verdict, 'ok');
  });

  test('go-redis v8 is outdated (the maintainers support v9)', () => {
    const v = verdict('go-redis(,go1.21.1)', '8.0.2');
    assert.equal(v.verdict, 'outdated');
    assert.equal(v.minimumSource, 'maintainers');
  });

  test('Lettuce 6.3.2.RELEASE/abc123 is below the 6.5.0 floor', () => {
    const v = verdict('Lettuce', '6.3.2.RELEASE/abc123');
    assert.equal(v.verdict, 'outdated');
    assert.match(v.reason, /6\.3\.2/);
    assert.match(v.reason, /6\.5\.0/);
    assert.equal(verdict('Lettuce', '7.7.0.RELEASE/1a2b3c4').verdict, 'ok');
  });

  test('SE.Redis 2.6.122.38350 is judged on its first three parts', () => {
    const v = verdict('SE.Redis', '2.6.122.38350');
    assert.equal(v.verdict, 'ok');
    assert.equal(v.family, 'stackexchange-redis');
    assert.match(v.reason, /2\.6\.122\.38350/);
  });

  test('GLIDE `unknown` and redis-py 99.99.99 can not be judged', () => {
    const g = verdict('GlidePy', 'unknown');
    assert.equal(g.verdict, 'unknown');
    assert.equal(g.family, 'valkey-glide');
    assert.match(g.reason, /unknown/);
    const p = verdict('redis-py', '99.99.99');
    assert.equal(p.verdict, 'unknown');
    assert.equal(p.family, 'redis-py');
    assert.match(p.reason, /99\.99\.99/);
    assert.equal(verdict('jedis', '').verdict, 'unknown');
    assert.equal(verdict('jedis', 'snapshot').verdict, 'unknown');
  });

  test('a name the base does not know is unknown, and says how to teach it', () => {
    const v = verdict('python-socket-monitor', '1.0');
    assert.equal(v.verdict, 'unknown');
    assert.equal(v.family, undefined);
    assert.match(v.reason, /python-socket-monitor/);
    assert.match(v.reason, /override/);
  });

  test('empty lib-name on a 7.2+ server is missing, and says which versions started sending', () => {
    for (const name of ['', undefined, '  ']) {
      const v = verdict(name, '');
      assert.equal(v.verdict, 'missing');
      assert.match(v.reason, /go-redis 9\.2\.0/);
      assert.match(v.reason, /redis-py 5\.0\.0/);
      assert.match(v.reason, /node-redis 4\.6\.11/);
      assert.match(v.reason, /iovalkey/);
      assert.match(v.reason, /phpredis/);
      assert.match(v.reason, /raw socket/);
    }
    assert.match(verdict('', '1.2.3').reason, /lib-ver=1\.2\.3/);
  });

  test('a server that prints no lib-name (Redis 7.0) is unavailable, whatever the row says', () => {
    const v = libraryVerdict({}, { libraryFieldsShown: false }, kb);
    assert.equal(v.verdict, 'unavailable');
    assert.match(v.reason, /7\.2/);
    assert.equal(libraryVerdict({ libName: 'jedis', libVer: '1.0.0' }, { libraryFieldsShown: false }, kb).verdict, 'unavailable');
  });

  test('a version newer than the knowledge base is ok and says the base may be stale', () => {
    const v = verdict('go-redis(,go1.30)', '9.99.0');
    assert.equal(v.verdict, 'ok');
    assert.match(v.reason, /newer than the latest known/);
  });

  test('every family that names itself: below the floor is outdated, the floor and latest are ok', () => {
    for (const f of kb.families) {
      if (f.matchers.length === 0) continue;
      const m = f.matchers[0]!;
      const name = m.name ?? `${m.prefix}JS`;
      const min = normalizeVersion(f.minimum)!;
      assert.equal(verdict(name, f.minimum).verdict, 'ok', `${f.id} at its minimum`);
      if (f.latest !== undefined) assert.equal(verdict(name, f.latest).verdict, 'ok', `${f.id} at its latest`);
      const below = semver.patch(min) > 0 ? `${semver.major(min)}.${semver.minor(min)}.${semver.patch(min) - 1}`
        : semver.minor(min) > 0 ? `${semver.major(min)}.${semver.minor(min) - 1}.0`
        : semver.major(min) > 0 ? `${semver.major(min) - 1}.99.0` : undefined;
      if (below === undefined || f.versionMap?.length) continue;
      const v = verdict(name, below);
      assert.equal(v.verdict, 'outdated', `${f.id} at ${below}`);
      assert.equal(v.family, f.id);
    }
  });
});

describe('user override', () => {
  test('mergeLibraries overrides fields of a known family and adds new ones that win the match', () => {
    const merged = mergeLibraries(kb, {
      asOf: '2026-09-01',
      sources: ['team wiki'],
      families: [
        { id: 'go-redis', minimum: '9.18.0', minimumSource: 'maintainers', latest: '9.18.0' },
        {
          id: 'socket-monitor', displayName: 'python-socket-monitor', matchers: [{ name: 'python-socket-monitor' }],
          minimum: '1.0.0', latest: '1.0.0', minimumSource: 'inferred', sources: ['in-house'],
        },
        { id: 'my-jedis', displayName: 'jedis fork', matchers: [{ name: 'jedis' }], minimum: '1.0.0', sources: ['x'] },
      ],
    });
    assert.equal(merged.asOf, '2026-09-01');
    assert.ok(merged.sources!.includes('team wiki'));
    assert.ok(merged.sources!.length > 1);
    const go = verdict('go-redis(,go1.24.13)', '9.17.2', merged);
    assert.equal(go.verdict, 'outdated');
    assert.equal(go.minimum, '9.18.0');
    assert.equal(verdict('python-socket-monitor', '1.0', merged).verdict, 'ok');
    assert.equal(parseLibrary('jedis', '2.0.0', merged).family, 'my-jedis');
    // The base is untouched.
    assert.equal(verdict('go-redis(,go1.24.13)', '9.17.2').verdict, 'ok');
    assert.equal(merged.families.length, kb.families.length + 2);
  });

  test('loadLibraries reads and validates a user file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recon-libs-'));
    try {
      const good = join(dir, 'libs.json');
      writeFileSync(good, JSON.stringify({ families: [{ id: 'redis-py', minimum: '8.0.0' }] }));
      const k = loadLibraries(good);
      assert.equal(verdict('redis-py', '7.4.0', k).verdict, 'outdated');

      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ families: [{ id: 'new-lib', matchers: [] }] }));
      assert.throws(() => loadLibraries(bad), LibraryDataError, 'a new family needs displayName and sources');
      writeFileSync(bad, JSON.stringify({ families: [{ id: 'redis-py', minimum: 'soon' }] }));
      assert.throws(() => loadLibraries(bad), /not a version/);
      writeFileSync(bad, '{ nope');
      assert.throws(() => loadLibraries(bad), /not JSON/);
      assert.throws(() => loadLibraries(join(dir, 'absent.json')), /cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('validateLibraries rejects a malformed base', () => {
    assert.throws(() => validateLibraries({ families: [] }), /asOf/);
    assert.throws(() => validateLibraries({ asOf: '2026-01-01', families: [{ id: 'a', displayName: 'A', matchers: [{}], sources: [] }] }), /name or prefix/);
    assert.throws(
      () => validateLibraries({ asOf: '2026-01-01', families: [{ id: 'a', displayName: 'A', matchers: [], sources: [], versionMap: [{ range: 'x y z', as: '1', label: '' }] }] }),
      /semver range/,
    );
    const f = { id: 'a', displayName: 'A', matchers: [], sources: [] };
    assert.throws(() => validateLibraries({ asOf: '2026-01-01', families: [f, f] }), /twice/);
  });
});
