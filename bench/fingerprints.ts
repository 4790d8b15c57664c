// Fingerprint calibration on real traffic (issue 17): every Node service of `npm run traffic` runs
// twice against a real valkey-server, once under its name and once unnamed (its twin), through the
// real engine. At each checkpoint it prints, for every twin, its score against its own service (the
// true match) and its best score against any other service (what a wrong match would need), and
// what the attribution concluded. The threshold and margin in src/owners/fingerprint.ts are set
// from these figures: the true matches well above the threshold, every wrong one well below it.
// Usage: node --import tsx bench/fingerprints.ts [SECONDS=20] [RATE=1]
import { resolveConfig } from '../src/config.ts';
import { createReconStore } from '../src/store.ts';
import { startEngine } from '../src/engine.ts';
import { serviceOf } from '../src/ui/clients.ts';
import { attribute } from '../src/owners/attribute.ts';
import { compare, FINGERPRINT, mergeProfiles, profileOf, type Profile } from '../src/owners/fingerprint.ts';
import { startServer, waitFor } from '../test/helpers/servers.ts';
import type { Ctx, Service } from '../scripts/traffic/common.ts';
import { billing } from '../scripts/traffic/billing.ts';
import { catalog } from '../scripts/traffic/catalog.ts';
import { checkout } from '../scripts/traffic/checkout.ts';
import { cron } from '../scripts/traffic/cron.ts';
import { featureFlags } from '../scripts/traffic/feature-flags.ts';
import { rateLimiter } from '../scripts/traffic/rate-limiter.ts';
import { searchCache } from '../scripts/traffic/search-cache.ts';
import { seed } from '../scripts/traffic/seed.ts';

const seconds = Number(process.argv[2] ?? 20);
const rate = Number(process.argv[3] ?? 1);
const TWINNED: readonly Service[] = [checkout, billing, catalog, searchCache, rateLimiter, cron];

/**
 * The hard case: another program on checkout-api's keys, same library, read-only (a reporting job
 * reading sessions and carts). It shares the keys and some commands; it must not be checkout-api.
 */
export const cartReport: Service = {
  name: '',
  library: 'node-redis',
  version: '',
  keys: 'session:*, cart:{user}:items (read)',
  async run(ctx) {
    const { createClient } = await import('redis');
    const { between, closeClient, every, nodeRedisOptions } = await import('../scripts/traffic/common.ts');
    const client = createClient(nodeRedisOptions(ctx.endpoint));
    client.on('error', () => {});
    await client.connect();
    try {
      await every(ctx, () => between(60, 160), async () => {
        const user = `u${between(1, 400)}`;
        await client.get(`session:${user}`);
        await client.hGetAll(`cart:{${user}}:items`);
      });
    } finally {
      await closeClient(() => client.close(), () => client.destroy());
    }
  },
};

const server = await startServer('valkey');
const config = (() => {
  const r = resolveConfig(['--url', server.url, '--poll-interval', '500ms', '--flush-interval', '100ms'], {});
  if (!r.ok) throw new Error(r.error);
  return r.config;
})();
const store = createReconStore({ endpoint: config.endpoint, monitor: true, monitorMaxOmemBytes: config.monitorMaxOmemBytes });
const engine = startEngine(config, store, { audit: null });
await engine.ready;
await waitFor(() => store.getState().monitor.phase === 'on', 'MONITOR on');

const u = new URL(server.url);
const endpoint = { host: u.hostname, port: Number(u.port), db: 0 };
await seed(endpoint);
const controller = new AbortController();
const ctx = (unnamed: boolean): Ctx => ({ endpoint: { ...endpoint, unnamed }, signal: controller.signal, rate, warn: () => {} });
// The twin's connections are told apart from the named ones by their name; the twin's address is
// whatever port it got, so each twin is found by being unnamed with its library and keys.
const runs = [
  ...[...TWINNED, featureFlags].map((s) => s.run(ctx(false)).catch(() => {})),
  ...TWINNED.map((s) => s.run(ctx(true)).catch(() => {})),
  cartReport.run(ctx(true)).catch(() => {}),
];

/** Which service a twin is: its workload's own (twins run one of TWINNED, feature flags is unnamed alone). */
function twinOf(c: { libName?: string; prefixes: readonly { prefix: string }[] }): string {
  const has = (p: string): boolean => c.prefixes.some((x) => x.prefix.startsWith(p));
  if (has('order:') || (has('cart:') && c.prefixes.some((x) => x.prefix.includes('checkouts')))) return 'checkout-api';
  if (has('cart:')) return '(cart report)';
  if (has('invoice:')) return 'legacy-billing';
  if (has('product:') || has('rank:')) return 'catalog-indexer';
  if (has('search:')) return 'search-cache';
  if (has('ratelimit:')) return 'edge-gateway';
  if (has('cron:')) return 'cleanup-cron';
  if (has('feature:')) return '(feature flags)';
  return '?';
}

const t0 = Date.now();
for (const at of [5, 10, seconds].filter((x, i, a) => x <= seconds && a.indexOf(x) === i)) {
  await new Promise((r) => setTimeout(r, Math.max(0, t0 + at * 1000 - Date.now())));
  await engine.sync();
  const clients = store.getState().view.clients.filter((c) => !c.self);
  const named = new Map<string, Profile[]>();
  for (const c of clients) if (c.name !== '') named.set(serviceOf(c.name), [...(named.get(serviceOf(c.name)) ?? []), profileOf(c)]);
  const services = new Map([...named].map(([k, v]) => [k, mergeProfiles(v)]));
  const result = attribute({ clients, owners: null, dns: new Map() });
  console.log(`\n# after ${at}s: ${clients.length} connections, ${services.size} named services`);
  console.log(`${'unnamed connection'.padEnd(22)} ${'events'.padStart(6)}  ${'true'.padStart(5)}  ${'best wrong'.padEnd(26)} verdict`);
  for (const c of clients.filter((x) => x.name === '' && x.events > 0).sort((a, b) => twinOf(a).localeCompare(twinOf(b)))) {
    const p = profileOf(c);
    const own = twinOf(c);
    const truth = services.has(own) ? compare(p, services.get(own)!) : undefined;
    if (own === '(cart report)') console.log(JSON.stringify(compare(p, services.get('checkout-api')!).features.map((f) => [f.feature, f.similarity])));
    let wrong = { name: '-', score: 0 };
    for (const [name, s] of services) {
      if (name === own) continue;
      const cmp = compare(p, s);
      if (cmp.score > wrong.score) wrong = { name: `${name}${cmp.gated ? ' (gated)' : ''}`, score: cmp.score };
    }
    const a = result.byKey.get(c.key);
    const verdict = a?.likely ? `likely ${a.likely.service} ${a.likely.score}` : (a?.unknownService ?? a?.note ?? '-');
    console.log(
      `${`${own} ${c.libName || '(no lib)'}`.slice(0, 22).padEnd(22)} ${String(p.events).padStart(6)}  ${truth ? truth.score.toFixed(2) : '  -  '}${truth?.gated ? '*' : ' '} ${`${wrong.name} ${wrong.score.toFixed(2)}`.padEnd(26)} ${verdict}`,
    );
  }
}
console.log(`\nthreshold ${FINGERPRINT.threshold}, margin ${FINGERPRINT.margin}, gate ${FINGERPRINT.gate}, min events ${FINGERPRINT.minEvents}`);
controller.abort();
await Promise.all(runs);
await engine.stop();
await server.stop();
process.exit(0);
