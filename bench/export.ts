// Export cost for a large fleet: N connections of ONE service (the worst case for the Markdown
// tables, which group by service), each with a few prefixes, keys and a finding. Times the Markdown
// render and the JSON write, and reports the peak RSS.
// Usage: node --import tsx bench/export.ts [N=20000]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXPORT_FORMAT_VERSION, type ExportClient, type Inventory } from '../src/export/inventory.ts';
import { inventoryChunks, renderInventory } from '../src/export/formats.ts';
import { writeFileAtomic } from '../src/export/writeAtomic.ts';

const n = Number(process.argv[2] ?? 20_000);
const iso = new Date(1_774_787_120_000).toISOString();
const clients: ExportClient[] = Array.from({ length: n }, (_, i) => ({
  id: String(i + 1),
  addr: `10.1.${(i >> 8) & 255}.${i & 255}:${40000 + (i % 20000)}`,
  ip: `10.1.${(i >> 8) & 255}.${i & 255}`,
  name: 'cleanup-cron',
  libName: 'go-redis(,go1.24.13)',
  libVer: '9.17.2',
  user: 'default',
  db: 0,
  connected: i % 3 !== 0,
  listed: true,
  firstSeen: iso,
  lastSeen: iso,
  ageSeconds: 5,
  idleSeconds: 0,
  lastCommand: 'mget',
  events: 12,
  commands: { MGET: 10, GET: 2 },
  reads: 12,
  writes: 0,
  prefixes: [
    { prefix: 'user:', reads: 10, writes: 0 },
    { prefix: `tenant:${i % 50}:`, reads: 2, writes: 0 },
  ],
  topKeys: [{ key: `user:${i}`, count: 10 }],
  dbs: [{ db: 0, count: 12 }],
  library: { verdict: 'outdated', reason: 'go-redis 9.17.2 is older than 9.18.0', minimum: '9.18.0', latest: '9.18.0' },
  findings: [{ code: 'cross-slot', severity: 'error', message: 'multi-key calls across slots', count: 10, example: 'user:1 order:2' }],
  sharedBy: null,
  node: null,
}));
const inv: Inventory = {
  formatVersion: EXPORT_FORMAT_VERSION,
  tool: { name: 'redis-recon', version: 'bench' },
  endpoint: 'bench:6379',
  server: { name: 'valkey', version: '8.0.1', mode: 'standalone', role: 'master' },
  target: { id: 'elasticache-valkey-cluster', title: 'ElastiCache for Valkey (cluster mode)' },
  window: { start: iso, end: iso, monitorEvents: n * 12, unparsedLines: 0, droppedLines: 0, monitorOnSeconds: 60, monitorOffSeconds: 0, monitorOff: [] },
  clients,
  prefixes: [{ prefix: 'user:', kind: 'prefix', reads: n * 10, writes: 0, count: n * 10 }, { prefix: 'user:*', kind: 'leaf', reads: n * 10, writes: 0, count: n * 10 }],
  topKeys: [{ key: 'user:1', count: 10 }],
  summary: { clients: n, connected: n, unnamed: 0, services: 1, libraries: { ok: 0, outdated: n, unknown: 0, missing: 0, unavailable: 0 }, findings: { "cross-slot": n }, selfLeftOut: 0 },
  nodes: [],
  cluster: null,
};

let peak = 0;
const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
const dir = mkdtempSync(join(tmpdir(), 'recon-bench-export-'));
try {
  let t = performance.now();
  const md = renderInventory(inv, 'md');
  const mdMs = performance.now() - t;
  t = performance.now();
  await writeFileAtomic(join(dir, 'inv.json'), inventoryChunks(inv, 'json'));
  const jsonMs = performance.now() - t;
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(
    JSON.stringify({
      connections: n,
      markdownMs: Math.round(mdMs),
      markdownBytes: md.length,
      jsonMs: Math.round(jsonMs),
      jsonBytes: statSync(join(dir, 'inv.json')).size,
      peakRssMB: Math.round(peak / 1024 / 1024),
    }),
  );
} finally {
  clearInterval(sample);
  rmSync(dir, { recursive: true, force: true });
}
