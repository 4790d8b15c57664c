// The keyspace in the dashboard, on a real Session's view joined to a keyspace sample the way the
// merger joins them: KEYS/SIZE beside the traffic (dropped first when narrow), a pattern nobody
// touched marked ○, the pattern panel (Enter on a leaf, i, Esc), K for the sampler's intent, E for
// the extraction plan's prompt.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup } from 'ink-testing-library';
import { KeyspaceSample } from '../src/analysis/keyspaceSample.ts';
import { buildKeyspaceView } from '../src/analysis/keyspaceEstimate.ts';
import { mergeSnapshots, type PatternSnapshot } from '../src/analysis/keyPatterns.ts';
import { buildPlan, planChunks } from '../src/export/plan.ts';
import { makeFixture, T0, type Fixture } from './ui-fixtures.ts';
import { KEY, mountStore } from './helpers/uiMount.tsx';

afterEach(() => cleanup());


const zero = (t: PatternSnapshot): PatternSnapshot => ({ ...t, root: { count: 0, reads: 0, writes: 0, rate: 0 }, nodes: t.nodes.map((n) => ({ ...n, count: 0, reads: 0, writes: 0, rate: 0 })) });

/** Publishes the fixture's view with a whole-keyspace sample: the traffic's patterns and `legacy:*`, which nobody touches. */
function withKeyspace(fx: Fixture, opts: { complete?: boolean } = {}): void {
  const s = new KeyspaceSample(':');
  for (let i = 0; i < 10; i++) s.add(0, { key: `app:user:${i}`, type: 'string', bytes: 100, pttl: -1 });
  for (let i = 0; i < 5; i++) s.add(0, { key: `app:user:${i}:profile`, type: 'hash', bytes: 500, pttl: 1000, encoding: 'listpack' });
  for (let i = 0; i < 6; i++) s.add(0, { key: `orders:eu:${i}`, type: 'string', bytes: 80, pttl: -1 });
  for (let i = 0; i < 30; i++) s.add(0, { key: `legacy:${i}`, type: 'hash', bytes: 10_000 + i, pttl: -1, encoding: 'hashtable' });
  const { parts, tree } = s.report();
  const complete = opts.complete ?? true;
  const sampled = parts[0]!.sampled;
  const report = {
    status: { phase: complete ? ('done' as const) : ('running' as const), budget: 2000, pace: 1, rate: 0, limit: 0, elapsedMs: 2000, commands: 0, dedupeFull: false, fieldExpiry: 'unsupported' as const },
    parts: parts.map((p) => ({ ...p, dbsize: complete ? p.sampled : p.sampled * 4, complete })),
  };
  const base = fx.session.view();
  const merged = mergeSnapshots([base.tree.snapshot(), zero(tree)]);
  const keyspace = buildKeyspaceView([report], merged);
  assert.equal(keyspace.summary.sampled, sampled);
  const st = fx.store.getState();
  st.actions.published({ ...base, version: base.version + 1000, tree: merged, keyspace }, st.nodes);
}

async function mount(columns = 140, rows = 36) {
  const fx = makeFixture({ columns, rows });
  withKeyspace(fx);
  return { fx, ...(await mountStore(fx.store, { columns, rows })) };
}

const lineWith = (f: string, text: string): string => f.split('\n').find((l) => l.includes(text)) ?? '';

test('the heatmap shows keys and bytes beside the traffic, and marks a pattern nobody touched', async () => {
  const m = await mount();
  const f = await m.waitFor((x) => /KEYS/.test(x) && /SIZE/.test(x), 'KEYS and SIZE columns');
  assert.match(lineWith(f, 'Keys'), /keyspace: all 51 keys/);
  const legacy = lineWith(f, 'legacy:');
  assert.match(legacy, /○ legacy:/, 'no reader or writer seen while MONITOR ran');
  assert.match(legacy, /\b30\b/);
  assert.match(legacy, /29\dKB|300KB|29\d\.\dKB/);
  const app = f.split('\n').find((l) => /[│┃][›\s]app:/.test(l)) ?? '';
  assert.doesNotMatch(app, /○/, 'app: has traffic');
  assert.match(app, /\b15\b/, 'app: holds 15 sampled keys (10 + 5)');
  // Patterns only the traffic saw have no keyspace figures: cache: was not in the sample.
  assert.doesNotMatch(lineWith(f, 'cache:'), /○/);
});

test('estimates are marked ~ while the scan is partial', async () => {
  const m = await mount();
  withKeyspace(m.fx, { complete: false });
  const f = await m.waitFor((x) => /~120/.test(lineWith(x, 'legacy:')), 'an estimate');
  assert.match(lineWith(f, 'Keys'), /keyspace 25%/);
});

test('KEYS and SIZE are the first columns to go at 80 columns', async () => {
  const m = await mount(80, 30);
  const f = await m.waitFor((x) => /legacy:/.test(x), 'the heatmap');
  assert.doesNotMatch(lineWith(f, 'PATTERN'), /KEYS|SIZE/);
  assert.match(lineWith(f, 'legacy:'), /○ legacy:/, 'the mark stays');
});

test('Enter on a leaf opens the pattern panel in place of the libraries; it follows the selection; Esc closes it', async () => {
  const m = await mount();
  await m.press(KEY.tab);
  await m.waitFor((x) => /┏━ Keys/.test(x), 'keys focused');
  // Down to legacy: (the last row: no traffic), drill in, Enter on its leaf.
  for (let i = 0; i < 8; i++) await m.press(KEY.down);
  await m.waitFor((x) => /┃›○ legacy:/.test(x), 'legacy: selected');
  await m.press(KEY.enter);
  await m.waitFor((x) => /Keys\s+legacy:/.test(x), 'drilled into legacy:');
  await m.press(KEY.enter);
  let f = await m.waitFor((x) => /Pattern/.test(x) && /legacy:\*/.test(x), 'the pattern panel');
  assert.ok(!/Libraries/.test(f), 'in place of the libraries');
  assert.match(f, /keys\s+30\b/);
  assert.match(f, /types\s+hash/);
  assert.match(f, /encoding\s+hashtable/);
  assert.match(f, /TTL\s+none/);
  assert.match(f, /traffic\s+none in \S+ of MONITOR: cleanup/);
  assert.match(f, /Biggest keys seen/);
  assert.match(f, /legacy:29\s+hash\s+9\.8KB/);
  assert.match(f, /Whole keyspace read: 51 of 51 keys/);
  await m.press(KEY.esc);
  f = await m.waitFor((x) => /Libraries/.test(x) && !/┏━ Pattern|─ Pattern/.test(x), 'closed');
  // i opens it on any row: app: (a prefix) with its readers.
  await m.press('h');
  await m.waitFor((x) => /Keys\s+all keys/.test(x), 'back at the top');
  await m.press('K');
  await m.press('i');
  f = await m.waitFor((x) => /Pattern/.test(x) && /readers/.test(x), 'the panel on a prefix');
});

test('K asks for the sampler (and again to stop it); E opens the plan prompt; the plan joins keys, services and filters', async () => {
  const m = await mount();
  assert.equal(m.fx.store.getState().keyspace.desired, 'off');
  await m.press('K');
  assert.equal(m.fx.store.getState().keyspace.desired, 'on');
  await m.press('K');
  assert.equal(m.fx.store.getState().keyspace.desired, 'off');
  assert.equal(m.fx.store.getState().keyspace.reason, 'stopped by you');
  await m.press('E');
  await m.waitFor((x) => /Export the extraction plan to \(\.md, \.json or \.toml\): redis-recon-plan-\d{8}-\d{6}\.md/.test(x), 'plan prompt');
  await m.press(KEY.esc);
  // With the orders: filter lit, the plan covers orders:eu:* and names its writer.
  m.fx.store.getState().ui.actions.toggleFilter(2);
  const plan = buildPlan(m.fx.store.getState(), { now: () => T0 + 3000 });
  assert.deepEqual(plan.scope.filters, ['orders:']);
  assert.deepEqual(plan.patterns.map((p) => p.pattern), ['orders:eu:*']);
  assert.equal(plan.totals.keys, 6);
  assert.equal(plan.totals.bytes, 480);
  assert.deepEqual(plan.services.writers, ['orders-writer']);
  assert.deepEqual(plan.redisShake.allowKeyPrefix.map((l) => l.value), ['orders:']);
  const toml = [...planChunks(plan, 'toml')].join('');
  assert.match(toml, /^\[filter\]\nallow_key_prefix = \[\n  'orders:',  # filter orders:: 1 pattern \(orders:eu:\*\)\n\]/m);
  // No filter: every pattern, legacy:* a cleanup candidate, grouped under literal top-level prefixes.
  m.fx.store.getState().ui.actions.clearFilters();
  const all = buildPlan(m.fx.store.getState(), { now: () => T0 + 3000 });
  assert.ok(all.cleanup.includes('legacy:*'));
  assert.ok(!all.cleanup.includes('orders:eu:*'));
  assert.deepEqual(all.redisShake.allowKeyPrefix.map((l) => l.value).sort(), ['app:', 'cache:', 'jobs:', 'legacy:', 'orders:']);
  const md = [...planChunks(all, 'md')].join('');
  assert.match(md, /\| legacy:\* ○ \| 30 \| 293\.4 KB \| hash \| none \| - \| - \|/);
  assert.match(md, /riotx replicate redis:\/\/SOURCE redis:\/\/TARGET --key-pattern 'legacy:\*'/);
});
