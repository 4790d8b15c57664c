// The roll-ups by service and the small pure helpers of the migration view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countServices, servicesText, upgradeSummary, upgradeText, type ServiceMember } from '../src/ui/services.ts';
import { buildFindingGroups } from '../src/ui/findingGroups.ts';
import { libraryLine, type LibraryRow } from '../src/ui/libraries.ts';
import { fitFooterHints, footerHints } from '../src/ui/keymap.ts';
import { osc52 } from '../src/ui/copy.ts';
import { clampHelpScroll } from '../src/ui/helpLines.ts';
import { detailFindingLines } from '../src/ui/detail.ts';
import { passingActivity } from '../src/ui/passing.ts';
import { displayWidth } from '../src/ui/text.ts';

const tx = (n: number) => ({ code: 'cross-slot-transaction' as const, severity: 'error' as const, message: `${n} transaction(s) across slots`, count: n, example: 'MULTI HSET DEL EXEC: order:1 cart:{u1}:items' });
const old = { code: 'library-outdated' as const, severity: 'error' as const, message: 'node-redis 1.6.0 is below 5.0.0', count: 1, example: 'node-redis 1.6.0' };

test('findings roll up by kind and command or library version, with the services and their connections', () => {
  const clients: ServiceMember[] = [
    { key: '1', name: 'checkout-api-7f9c8d6b5-x2x7q', findings: [tx(2)] },
    { key: '2', name: 'checkout-api-7f9c8d6b5-k2x9z', findings: [tx(3)] },
    ...Array.from({ length: 57 }, (_, i) => ({ key: `c${i}`, name: `cleanup-cron-${i}`, findings: [old] })),
    { key: 'b', name: 'billing', findings: [old, { ...old, example: 'node-redis 4.7.0' }] },
  ];
  const g = buildFindingGroups(clients);
  assert.deepEqual(g.map((r) => [r.label, r.detail, servicesText(r.services), r.count]), [
    ['library to upgrade', 'node-redis 1.6.0', 'cleanup-cron ×57, billing', 58],
    ['MULTI … EXEC across slots', '', 'checkout-api ×2', 5],
    ['library to upgrade', 'node-redis 4.7.0', 'billing', 1],
  ]);
  assert.equal(g[1]!.example, 'MULTI HSET DEL EXEC: order:1 cart:{u1}:items');
  assert.equal(servicesText(countServices([{ name: '' }, { name: '' }, { name: 'a' }]), 1), '(unnamed) ×2, +1 more');
});

test('what to upgrade counts library versions and services, not connections', () => {
  const lib = { verdict: 'outdated', reason: 'old', minimum: '5.0.0' };
  const clients: ServiceMember[] = [
    ...Array.from({ length: 27 }, (_, i) => ({ name: i < 20 ? `cleanup-cron-${i}` : `billing-${i}`, libName: 'node-redis', libVer: '1.6.0', library: lib })),
    { name: 'checkout', libName: 'node-redis', libVer: '6.3.1', library: { verdict: 'ok', reason: '' } },
  ];
  assert.equal(upgradeText(upgradeSummary(clients)), '1 library version to upgrade in 2 services (27 connections)');
  assert.equal(upgradeText(upgradeSummary([])), 'no library to upgrade');
});

test('a libraries line never cuts the version or the version to upgrade to', () => {
  const row: LibraryRow = {
    id: 'x', name: 'node-redis', version: '1.6.0', clients: 57, connected: 0, opsPerSec: 0,
    audit: { verdict: 'outdated', reason: 'old', minimum: '5.0.0' }, services: [{ service: 'cleanup-cron', connections: 57 }],
  };
  const whole = libraryLine(row, 60);
  assert.equal(`${whole.services}${whole.library}${whole.target}`, 'cleanup-cron ×57 · node-redis 1.6.0 → ≥ 5.0.0');
  for (const w of [45, 36, 30, 27, 22]) {
    const l = libraryLine(row, w);
    const text = `${l.services}${l.library}${l.target}`;
    assert.ok(displayWidth(text) <= w, `${w}: ${text}`);
    assert.match(text, /1\.6\.0 → ≥ 5\.0\.0$/, `${w}: ${text}`);
  }
  assert.match(Object.values(libraryLine(row, 36)).join(''), /^clea.*· node.* 1\.6\.0/, 'services and name share the room');
});

test('the footer keeps ? help and q quit at any width, the others as they fit', () => {
  const hints = footerHints('normal');
  for (const w of [20, 60, 80, 200]) {
    const f = fitFooterHints(hints, w);
    assert.deepEqual(f.slice(-2).map((h) => h.keys), ['?', 'q'], `${w} columns`);
  }
  assert.ok(fitFooterHints(hints, 200).length > fitFooterHints(hints, 80).length);
});

test('OSC 52 carries the copied text in base64, its control characters escaped first', () => {
  const seq = osc52('cart:\x1b]0;pwned\x07');
  assert.match(seq, /^\x1b\]52;c;[A-Za-z0-9+/=]+\x07$/);
  const text = Buffer.from(seq.slice(7, -1), 'base64').toString('utf8');
  assert.ok(!/[\x00-\x1f]/.test(text), `no control characters: ${JSON.stringify(text)}`);
  assert.match(osc52('x', true), /^\x1bPtmux;\x1b\x1b\]52;c;eA==\x07\x1b\\$/);
});

test('help scroll stays within its lines', () => {
  assert.equal(clampHelpScroll(-3, 50, 10), 0);
  assert.equal(clampHelpScroll(99, 50, 10), 40);
  assert.equal(clampHelpScroll(5, 8, 10), 0);
});

test('the detail pane lists what will fail first, each message once', () => {
  const reason = 'node-redis 1.6.0 is below 5.0.0';
  const lines = detailFindingLines(
    {
      library: { verdict: 'outdated', reason, minimum: '5.0.0' },
      findings: [
        { code: 'cross-slot-transaction', severity: 'error', message: '2 transactions across slots', count: 2 },
        { code: 'library-outdated', severity: 'error', message: reason, count: 1 },
        { code: 'cross-slot-transaction', severity: 'error', message: '2 transactions across slots', count: 2 },
      ],
    },
    200,
  );
  assert.deepEqual(lines.map((l) => l.text), ['✖ 2 transactions across slots (×2)', `✖ ${reason}`]);
});

test('filtered activity: a reader and a writer of cart: no longer look alike', () => {
  const reader = { reads: 100, writes: 10, prefixes: [
    { prefix: 'cart:', reads: 90, writes: 0 }, { prefix: 'cart:{*}:', reads: 90, writes: 0 }, { prefix: 'cart:{*}:items', reads: 90, writes: 0 },
    { prefix: 'session:', reads: 10, writes: 10 }, { prefix: 'session:*', reads: 10, writes: 10 },
  ] };
  const writer = { reads: 100, writes: 10, prefixes: [
    { prefix: 'cart:', reads: 0, writes: 10 }, { prefix: 'cart:{*}:items', reads: 0, writes: 10 },
    { prefix: 'session:', reads: 100, writes: 0 },
  ] };
  assert.deepEqual(passingActivity(reader, ['cart:']), { reads: 90, writes: 0, share: 90 / 110, atMost: false });
  assert.deepEqual(passingActivity(writer, ['cart:']), { reads: 0, writes: 10, share: 10 / 110, atMost: false });
  // Nested patterns are counted once: cart:{*}:items is inside cart:{*}:.
  assert.equal(passingActivity(reader, ['cart:{*}:']).reads, 90);
  // Finer than the patterns: an upper bound.
  assert.deepEqual(passingActivity(reader, ['cart:{u1}:']), { reads: 90, writes: 0, share: 90 / 110, atMost: true });
  assert.deepEqual(passingActivity(reader, []), { reads: 100, writes: 10, share: 1, atMost: false });
});
