// The libraries and findings roll-ups are kept from what changed between two client lists (a poll
// changes a few of 30,000 connections). Whatever the sequence of lists, a long-lived keeper must say
// what a fresh one says of the last list; only which connection lends an example or an explanation
// may differ (the longest-standing one), and it must be a connection of that row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ClientView } from '../src/analysis/session.ts';
import type { Finding } from '../src/audit/findings.ts';
import { clientView } from './helpers/clientView.ts';
import { listChanges } from '../src/ui/listChanges.ts';
import { buildLibraryRows, libraryRowsKeeper, type LibraryRow } from '../src/ui/libraries.ts';
import { buildFindingGroups, findingGroupsKeeper, type FindingGroup } from '../src/ui/findingGroups.ts';

test('list changes: what came and went by identity, in the new order, whatever moved', () => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.nat(30), { maxLength: 25 }), { minLength: 1, maxLength: 12 }), (lists) => {
      const pool = Array.from({ length: 31 }, (_, i) => ({ i }));
      const changes = listChanges<{ i: number }>();
      let before: { i: number }[] = [];
      for (const ids of lists) {
        const list = [...new Set(ids)].map((i) => pool[i]!);
        const { came, gone } = changes(list);
        assert.deepEqual(came, list.filter((x) => !before.includes(x)));
        assert.deepEqual(new Set(gone), new Set(before.filter((x) => !list.includes(x))));
        before = list;
      }
    }),
  );
});

const NAMES = ['', 'checkout-api-7f9c8d6b5-x2x7q', 'checkout-api-7f9c8d6b5-k2x9z', 'billing', 'cleanup-cron-3'];
const LIBS: Array<[string | undefined, string | undefined]> = [[undefined, undefined], ['', undefined], ['node-redis', '1.6.0'], ['node-redis', '5.0.0'], ['redis-py', '4.5.1']];
const VERDICTS = ['ok', 'outdated', 'missing', 'unknown', 'unavailable'] as const;
const CODES = ['library-outdated', 'unsupported-command', 'cross-slot', 'no-client-name', 'select-db'] as const;

/** What a connection is at one moment; `v` makes each version's texts its own. */
const shape = fc.record({
  name: fc.constantFrom(...NAMES),
  lib: fc.constantFrom(...LIBS),
  verdict: fc.option(fc.constantFrom(...VERDICTS), { nil: undefined }),
  connected: fc.boolean(),
  ops: fc.constantFrom(0, 0.1, 0.2, 1.5, 7),
  shared: fc.boolean().map((b) => (b ? 3 : undefined)),
  findings: fc.array(
    fc.record({ code: fc.constantFrom(...CODES), severity: fc.constantFrom('error', 'warning', 'info'), count: fc.nat(9), example: fc.option(fc.constantFrom('GET', 'KEYS', 'a b'), { nil: undefined }) }),
    { maxLength: 3 },
  ),
});
type Shape = typeof shape extends fc.Arbitrary<infer S> ? S : never;

const make = (key: string, v: number, s: Shape): ClientView =>
  clientView({
    key,
    name: s.name,
    libName: s.lib[0],
    libVer: s.lib[1],
    connected: s.connected,
    opsPerSec: s.ops,
    ...(s.shared ? { sharedBy: s.shared } : {}),
    ...(s.verdict ? { library: { verdict: s.verdict, reason: `${key}/${v}` } } : {}),
    findings: s.findings.map((f): Finding => ({ code: f.code, severity: f.severity as Finding['severity'], count: f.count, message: `${key}/${v}`, ...(f.example ? { example: `${f.example} ${key}` } : {}) })),
  });

/** Edits as a poll makes them: a connection changes, arrives (at the end or, a node's, in between), leaves. */
const edit = fc.oneof(
  fc.record({ t: fc.constant('change' as const), at: fc.nat(), s: shape }),
  fc.record({ t: fc.constant('add' as const), at: fc.nat(), s: shape, middle: fc.boolean() }),
  fc.record({ t: fc.constant('remove' as const), at: fc.nat() }),
);

const strip = (rows: LibraryRow[]) => rows.map((r) => ({ ...r, opsPerSec: Math.round(r.opsPerSec * 1e6), audit: r.audit?.verdict }));
const stripGroups = (rows: FindingGroup[]) => rows.map((g) => ({ ...g, example: g.example !== undefined, message: undefined }));

test('kept roll-ups say what a fresh one says of the last list, whatever the polls did', () => {
  fc.assert(
    fc.property(fc.array(shape, { maxLength: 12 }), fc.array(fc.array(edit, { maxLength: 5 }), { minLength: 1, maxLength: 15 }), (start, polls) => {
      let n = 0;
      let version = 0;
      let list = start.map((s) => make(`k${n++}`, version, s));
      const libraries = libraryRowsKeeper();
      const findings = findingGroupsKeeper();
      for (const poll of [[], ...polls]) {
        version++;
        list = [...list];
        for (const e of poll) {
          if (e.t === 'add') list.splice(e.middle ? e.at % (list.length + 1) : list.length, 0, make(`k${n++}`, version, e.s));
          else if (list.length === 0) continue;
          else if (e.t === 'remove') list.splice(e.at % list.length, 1);
          else list[e.at % list.length] = make(list[e.at % list.length]!.key, version, e.s);
        }
        const kept = libraries(list);
        const fresh = buildLibraryRows(list);
        assert.deepEqual(strip(kept), strip(fresh));
        for (const r of kept) {
          if (!r.audit) continue;
          const from = list.filter((c) => c.sharedBy === undefined && c.library === r.audit);
          assert.equal(from.length, 1, `${r.id}: its audit is a connection's own`);
          assert.equal(from[0]!.libName, r.name);
        }
        const keptGroups = findings(list);
        assert.deepEqual(stripGroups(keptGroups), stripGroups(buildFindingGroups(list)));
        for (const g of keptGroups) {
          const texts = list.flatMap((c) => c.findings ?? []).filter((f) => `${f.code}\u0000` === g.id.slice(0, f.code.length + 1));
          assert.ok(texts.some((f) => f.message === g.message), `${g.id}: its explanation is a member's`);
          if (g.example !== undefined) assert.ok(texts.some((f) => f.example === g.example), `${g.id}: its example is a member's`);
        }
        assert.equal(libraries(list), kept, 'the same list gives the same rows');
        assert.equal(libraries([...list]), kept, 'the same clients give the same rows');
      }
    }),
    { numRuns: 300 },
  );
});

test('a poll that changes one of many connections reads only that one', () => {
  // Every connection counts what the keepers read of it: after the first list, a poll that changed
  // one and added one must not walk the 20,000 others (nor their services, nor the members' list).
  let reads = 0;
  const watched = (c: ClientView): ClientView =>
    new Proxy(c, {
      get(t, p, r) {
        reads++;
        return Reflect.get(t, p, r);
      },
    });
  const outdated = { verdict: 'outdated' as const, reason: 'old' };
  const finding: Finding = { code: 'library-outdated', severity: 'error', message: 'old', count: 1, example: 'node-redis 1.6.0' };
  const many = Array.from({ length: 20_000 }, (_, i) => watched(clientView({ key: `${i}`, libName: 'node-redis', libVer: '1.6.0', name: `svc-${i % 7}`, library: outdated, findings: [finding] })));
  const libraries = libraryRowsKeeper();
  const findings = findingGroupsKeeper();
  libraries(many);
  findings(many);
  reads = 0;
  const next = [...many];
  next[5] = watched(clientView({ key: '5', libName: 'node-redis', libVer: '1.6.0', name: 'svc-5', library: outdated, findings: [finding], connected: false }));
  next.push(watched(clientView({ key: 'new', name: 'billing', libName: 'node-redis', libVer: '1.6.0', library: outdated, findings: [finding] })));
  const rows = libraries(next);
  const groups = findings(next);
  assert.ok(reads < 200, `${reads} reads`);
  assert.equal(rows[0]!.clients, 20_001);
  assert.equal(rows[0]!.connected, 20_000);
  assert.deepEqual(rows[0]!.services, [{ service: 'svc', connections: 20_000 }, { service: 'billing', connections: 1 }]);
  assert.equal(groups[0]!.connections, 20_001);
  assert.equal(groups[0]!.count, 20_001);
});
