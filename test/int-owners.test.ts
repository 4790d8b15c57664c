// Who is behind an address, against a real Valkey with the traffic generator's own services: a
// named service and the same workload without a name (the unnamed one is fingerprinted to it), an
// unrelated unnamed workload twice (one unknown service, matched to nothing), and an unnamed reader
// of other keys (matched to nothing). Then the CLI with `--hosts` files: owners and fingerprints in
// the export, and a file that cannot be read ends the run before it starts (exit 1).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../src/config.ts';
import { createReconStore, type ReconStore } from '../src/store.ts';
import { startEngine, type Engine } from '../src/engine.ts';
import type { ClientView } from '../src/analysis/session.ts';
import { attributionOf, type ClientAttribution } from '../src/owners/attribute.ts';
import { compare, FINGERPRINT, mergeProfiles, profileOf, type Profile } from '../src/owners/fingerprint.ts';
import { serviceOf } from '../src/ui/clients.ts';
import { createClient } from 'redis';
import { inventoryOf } from '../src/export/exportFile.ts';
import { between, closeClient, every, nodeRedisOptions, type Ctx, type Service } from '../scripts/traffic/common.ts';
import { billing } from '../scripts/traffic/billing.ts';
import { catalog } from '../scripts/traffic/catalog.ts';
import { checkout } from '../scripts/traffic/checkout.ts';
import { featureFlags } from '../scripts/traffic/feature-flags.ts';
import { rateLimiter } from '../scripts/traffic/rate-limiter.ts';
import { CLI } from './helpers/cli.ts';
import { freePort, startServer, waitFor, type TestServer } from './helpers/servers.ts';

interface Run {
  code: number | null;
  stderr: string;
  ms: number;
}

function runCli(args: string[]): Promise<Run> {
  const t = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI, ...args], { env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), RECON_ENV_FILE: '/nonexistent' }, timeout: 60_000 }, (err, _out, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr, ms: Date.now() - t });
    });
  });
}

/**
 * The hard case: another program on checkout-api's keys, on the same library, read-only (a report
 * reading sessions and carts). It shares the key patterns and two of the commands.
 */
const cartReport: Service = {
  name: '',
  library: 'node-redis',
  version: '',
  keys: 'session:*, cart:{user}:items (read)',
  async run(ctx) {
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

/** The traffic's services: which of them a view is, by its library and the keys it touched. */
const has = (c: ClientView, prefix: string): boolean => c.prefixes.some((p) => p.prefix.startsWith(prefix));
const role = (c: ClientView): string =>
  c.name !== ''
    ? c.name
    : has(c, 'order:') || c.prefixes.some((p) => p.prefix.includes('checkouts'))
      ? 'checkout twin'
      : has(c, 'cart:')
        ? 'cart report'
        : has(c, 'ratelimit:')
          ? 'rate limiter'
          : has(c, 'feature:')
            ? 'flags reader'
            : 'other';

describe('who is behind an address, against valkey', () => {
  let server: TestServer;
  const controller = new AbortController();
  let runs: Promise<unknown>[] = [];
  before(async () => {
    server = await startServer('valkey');
    const u = new URL(server.url);
    const endpoint = { host: u.hostname, port: Number(u.port), db: 0 };
    const ctx = (unnamed: boolean, rate = 1): Ctx => ({ endpoint: { ...endpoint, unnamed }, signal: controller.signal, rate, warn: () => {} });
    const start = (s: Service, c: Ctx): Promise<unknown> => s.run(c).catch(() => {});
    runs = [
      // Named: the references.
      start(checkout, ctx(false)),
      start(billing, ctx(false)),
      start(catalog, ctx(false)),
      // checkout-api's workload without its name.
      start(checkout, ctx(true)),
      // An unrelated workload, unnamed, twice (its named service is not running), and the unnamed
      // feature-flags reader, sped up to say enough within the test.
      start(rateLimiter, ctx(true)),
      start(rateLimiter, ctx(true)),
      start(featureFlags, ctx(true, 6)),
      start(cartReport, ctx(true)),
    ];
  });
  after(async () => {
    controller.abort();
    await Promise.all(runs);
    await server?.stop();
  });

  describe('in the engine', () => {
    let store: ReconStore;
    let engine: Engine;
    before(async () => {
      const r = resolveConfig(['--url', server.url, '--monitor', 'on', '--poll-interval', '200ms', '--flush-interval', '50ms'], {});
      if (!r.ok) throw new Error(r.error);
      store = createReconStore({ endpoint: r.config.endpoint, monitor: true, monitorMaxOmemBytes: r.config.monitorMaxOmemBytes });
      engine = startEngine(r.config, store, { audit: null });
      await engine.ready;
    });
    after(async () => {
      await engine?.stop();
    });

    test('the unnamed twin is likely checkout-api; the unrelated unnamed clients are not anything', async () => {
      type Judged = { c: ClientView; a: ClientAttribution };
      const judged = (): Judged[] => {
        const s = store.getState();
        const a = attributionOf(s);
        return s.view.clients.filter((c) => !c.self && c.name === '').map((c) => ({ c, a: a.byKey.get(c.key)! }));
      };
      const ready = (): boolean => {
        const j = judged();
        const enough = (r: string): boolean => j.some((x) => role(x.c) === r && x.c.events >= FINGERPRINT.minEvents * 2);
        return enough('checkout twin') && enough('flags reader') && enough('cart report') && j.filter((x) => role(x.c) === 'rate limiter' && x.c.events >= FINGERPRINT.minEvents * 2).length === 2;
      };
      await waitFor(ready, 'every unnamed workload with twice the evidence needed', 40_000);
      await engine.sync();
      const j = judged();
      const twin = j.find((x) => role(x.c) === 'checkout twin')!;
      const limiters = j.filter((x) => role(x.c) === 'rate limiter');
      const flags = j.find((x) => role(x.c) === 'flags reader')!;
      const report = j.find((x) => role(x.c) === 'cart report')!;
      // Every score against every named service, gated or not: how far the unrelated ones stay.
      const services = new Map<string, Profile[]>();
      for (const c of store.getState().view.clients) if (!c.self && c.name !== '') services.set(serviceOf(c.name), [...(services.get(serviceOf(c.name)) ?? []), profileOf(c)]);
      const best = (x: Judged): string => {
        const scores = [...services].map(([name, list]) => ({ name, cmp: compare(profileOf(x.c), mergeProfiles(list)) })).sort((a, b) => b.cmp.score - a.cmp.score);
        const b = scores[0]!;
        return `best ${b.name} ${b.cmp.score.toFixed(2)}${b.cmp.gated ? ` (gated: ${b.cmp.gated})` : ''}`;
      };
      const figures = (x: Judged): string => `${x.c.events} commands, ${best(x)}; ${x.a.likely ? `likely ${x.a.likely.service} ${x.a.likely.score}` : `no match (${x.a.note})`}`;
      console.log(`# measured: checkout twin: ${figures(twin)}${twin.a.likely?.runnerUp ? `, next ${twin.a.likely.runnerUp.service} ${twin.a.likely.runnerUp.score}` : ''}`);
      console.log(`# measured: cart report (unnamed, read-only on checkout's keys): ${figures(report)}`);
      for (const l of limiters) console.log(`# measured: rate limiter (unnamed, unrelated): ${figures(l)}`);
      console.log(`# measured: feature-flags reader (unnamed, unrelated): ${figures(flags)}`);

      assert.equal(twin.a.likely?.service, 'checkout-api', twin.a.note);
      assert.ok(twin.a.likely.score >= FINGERPRINT.threshold);
      const features = twin.a.likely.evidence.map((e) => e.feature);
      for (const f of ['keys', 'commands', 'rw', 'library'] as const) assert.ok(features.includes(f), `${f} in the evidence`);
      assert.equal(twin.a.likely.evidence.find((e) => e.feature === 'library')!.similarity, 1, 'the same node-redis');

      for (const x of [...limiters, flags, report]) {
        assert.equal(x.a.likely, null, `${role(x.c)}: ${figures(x)}`);
        assert.ok(x.a.note, 'says why');
      }
      assert.ok(limiters[0]!.a.unknownService, 'an unknown service');
      assert.equal(limiters[0]!.a.unknownService, limiters[1]!.a.unknownService, 'the two alike connections are one unknown service');
      assert.ok(flags.a.unknownService && flags.a.unknownService !== limiters[0]!.a.unknownService, 'the flags reader is another');
      assert.ok(report.a.unknownService && ![limiters[0]!.a.unknownService, flags.a.unknownService].includes(report.a.unknownService), 'and the report a third');

      // Named connections are never judged; the export says the same as the screen.
      const inv = inventoryOf(store.getState(), {});
      const exported = inv.clients.find((c) => c.addr === twin.c.addr)!;
      assert.equal(exported.likely?.service, 'checkout-api');
      assert.ok(inv.clients.filter((c) => c.name !== '').every((c) => c.likely === null));
      assert.equal(inv.summary.unknownServices, inv.unknownServices!.length);
      assert.ok(inv.unknownServices!.some((u) => u.connections === 2 && u.patterns.some((p) => p.startsWith('ratelimit:'))));
    });
  });

  describe('the CLI with --hosts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recon-owners-int-'));
    // Every test client connects from 127.0.0.1: here that is a node's address (two hostNetwork pods
    // share it), the field notes' case of pods behind their node's IP.
    const pods = join(dir, 'pods.txt');
    writeFileSync(
      pods,
      [
        'NAMESPACE     NAME                             READY   STATUS    RESTARTS      AGE   IP          NODE        NOMINATED NODE   READINESS GATES',
        'kube-system   kube-proxy-7vqdc                 1/1     Running   0             41d   127.0.0.1   dev-node    <none>           <none>',
        'kube-system   aws-node-8xq2v                   2/2     Running   1 (9d ago)    41d   127.0.0.1   dev-node    <none>           <none>',
        'shop          checkout-api-7f9c8d6b5-x2x7q     1/1     Running   0             5d    10.0.1.57   dev-node    <none>           <none>',
        'billing       legacy-billing-6c8f9b7d4-2m7rt   1/1     Running   0             212d  10.0.2.240  other-node  <none>           <none>',
        '',
      ].join('\n'),
    );

    test('owners and fingerprints reach the JSON export: a node, its pods, the twin corroborated', async () => {
      const out = join(dir, 'inventory.json');
      const run = await runCli(['--url', server.url, '--monitor', 'on', '--headless', '--duration', '8s', '--poll-interval', '500ms', '--hosts', pods, '--resolve', '--export', out]);
      assert.ok(run.code === 0 || run.code === 4, `exit ${run.code}: ${run.stderr}`);
      const inv = JSON.parse(readFileSync(out, 'utf8'));
      assert.ok(inv.clients.length >= 8);
      for (const c of inv.clients) {
        assert.equal(c.owner?.kind, 'node', `${c.addr} is behind dev-node's address`);
        assert.equal(c.owner.name, 'dev-node');
        assert.equal(c.owner.source, `${pods}:2`);
        assert.ok('likely' in c && 'unknownService' in c && 'reverseDns' in c);
        assert.equal(c.reverseDns, null, 'an owned address is not looked up');
      }
      assert.deepEqual(
        inv.clients[0].owner.candidates.map((p: { namespace: string; owner: string }) => `${p.namespace}/${p.owner}`).sort(),
        ['kube-system/aws-node', 'kube-system/kube-proxy', 'shop/checkout-api'],
      );
      const twin = inv.clients.find((c: { name: string; prefixes: Array<{ prefix: string }> }) => c.name === '' && c.prefixes.some((p) => p.prefix.startsWith('order:') || p.prefix.includes('checkouts')));
      assert.equal(twin?.likely?.service, 'checkout-api', JSON.stringify(twin?.likelyNote));
      assert.equal(twin.likely.owner, 'dev-node runs checkout-api (1 pod)');
    });

    test('a --hosts file that cannot be read or parsed ends the run before it starts: exit 1, in words', async () => {
      const closed = `redis://127.0.0.1:${await freePort()}`;
      const missing = await runCli(['--url', closed, '--headless', '--duration', '5s', '--hosts', join(dir, 'absent.txt')]);
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr, `redis-recon: cannot read --hosts ${join(dir, 'absent.txt')}: no such file\n`);
      const bad = join(dir, 'bad.csv');
      writeFileSync(bad, '10.0.0.0/8,corp\n10.0.0.0/40,nope\n');
      const parsed = await runCli(['--url', closed, '--headless', '--duration', '5s', '--hosts', bad]);
      assert.equal(parsed.code, 1);
      assert.equal(parsed.stderr, `redis-recon: --hosts ${bad} line 2: "10.0.0.0/40" is not an IP address or CIDR range\n`);
    });
  });
});
