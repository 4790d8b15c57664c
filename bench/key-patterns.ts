// Cost per key of PatternTree.add next to PrefixTree.add, on the same realistic keys, and the heap
// each keeps.
//
//   node --expose-gc --import tsx bench/key-patterns.ts [events=5000000] [distinctKeys=1000000] [modes=baseline,prefixTree,patternTree,prefixClients,patternClients] [runs=3]
//
// Keys: a mix by rank (rank r takes family r mod 20, so every family has hot and cold keys):
// - the demo traffic's services (scripts/traffic): `session:u123`, `cart:{u123}:items`,
//   `cart:{u123}:checkouts`, `order:<ms><3 digits>`, `customer:N`, `invoice:N`, `product:N`,
//   `rank:trending`, `search:q:rain-jacket:p2`, `feature:flags:dark-mode`, `ratelimit:203.0.113.N`,
//   `page:views:docs/api`, `fragment:nav`, `stats:hits:2026-11-25`, `queue:mail`, `mail:sent`;
// - a valkey-benchmark / redis-benchmark keyspace: `key:000000123456`, `counter:000000123456`,
//   `myhash`, `mylist`, `myset`, `myzset`;
// - ids in the middle: `user:12345:cart`, `session:<32 hex>:data`, `tenant:<name>:user:N:prefs`
//   (names without an id shape: the cardinality collapse);
// - a long tail of one-off keys: `tmp:job:<uuid>`, `cache:render:<slug>-<n>` (each rank once).
// Ranks are drawn log-uniformly (Zipf s = 1), one event in five is a write. As in aggregates.ts,
// 1024 keys are joined into a chunk of text and cut out again, so each key arrives as a fresh
// string; `baseline` does only that and is subtracted ("net"). `patternClients` also feeds a
// ClientPatterns per client (64 clients, by key family and rank) with the returned handle, as the
// session would; `prefixClients` is what the session does today for comparison: PrefixTree plus a
// ReadWriteCounter(PREFIX_BOUNDS.prefixesPerClient) per client fed every delimiter-ended prefix (a slice each). Heap: `heapUsed` after a full GC with the structure alive, minus before (needs
// --expose-gc). Each mode runs `runs` times; the median is printed.
import { PREFIX_BOUNDS, PrefixTree } from './baseline/prefixTree.ts';
import { PatternTree } from '../src/analysis/patternTree.ts';
import { ClientPatterns } from '../src/analysis/clientPatterns.ts';
import { ReadWriteCounter } from '../src/analysis/boundedCounter.ts';
import { BOUNDS } from '../src/bounds.ts';

const EVENTS = Number(process.argv[2] ?? 5_000_000);
const DISTINCT = Number(process.argv[3] ?? 1_000_000);
const MODES = (process.argv[4] ?? 'baseline,prefixTree,patternTree,prefixClients,patternClients').split(',') as Mode[];
const RUNS = Number(process.argv[5] ?? 3);
type Mode = 'baseline' | 'prefixTree' | 'patternTree' | 'prefixClients' | 'patternClients';

// Deterministic pseudo-random numbers (xorshift32).
let seed = 0x9e3779b9;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const hex = (n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(random() * 16)];
  return s;
};
const pad12 = (n: number): string => String(n).padStart(12, '0');
const TERMS = ['boots', 'rain-jacket', 'tent', 'headlamp', 'stove', 'socks', 'backpack', 'map', 'compass', 'gloves'];
const FLAGS = ['checkout-v2', 'dark-mode', 'new-search', 'one-click-buy', 'reco-engine', 'valkey-cutover'];
const PAGES = ['home', 'pricing', 'about', 'docs/api', 'blog/release-notes', 'blog/valkey-migration', 'contact', 'careers'];
const FRAGMENTS = ['header', 'footer', 'nav', 'home-hero', 'product-grid', 'cart-badge', 'reviews'];
const TENANTS = Array.from({ length: 300 }, (_, i) => ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark'][i % 6] + '-' + ['north', 'south', 'east', 'west', 'central'][Math.floor(i / 6) % 5] + (i >= 30 ? '-' + String.fromCharCode(97 + (i % 26)) + String.fromCharCode(97 + (Math.floor(i / 26) % 26)) : ''));
const BENCH = ['myhash', 'mylist', 'myset', 'myzset'];

function keyOf(r: number): string {
  const n = Math.floor(r / 20);
  switch (r % 20) {
    case 0: return `session:u${1 + (n % 400)}`;
    case 1: return `cart:{u${1 + (n % 400)}}:items`;
    case 2: return `cart:{u${1 + (n % 400)}}:checkouts`;
    case 3: return `order:${1795569379000 + n}${100 + (n % 900)}`;
    case 4: return n % 2 ? `customer:${1 + (n % 200)}` : `invoice:${37000 + n}`;
    case 5: return `product:${1 + (n % 500)}`;
    case 6: return n % 3 === 0 ? `rank:${['bestsellers', 'trending', 'new'][n % 3]}` : `search:q:${TERMS[n % 10]}:p${1 + (n % 3)}`;
    case 7: return n % 2 ? `feature:flags:${FLAGS[n % 6]}` : `ratelimit:203.0.113.${1 + (n % 40)}`;
    case 8: return n % 2 ? `page:views:${PAGES[n % 8]}` : `fragment:${FRAGMENTS[n % 7]}`;
    case 9: return [`stats:hits:2026-11-${10 + (n % 20)}`, 'queue:mail', 'mail:sent', 'cron:last-run'][n % 4]!;
    case 10:
    case 11: return `key:${pad12(n)}`;
    case 12: return `counter:${pad12(n)}`;
    case 13: return `user:${n}:cart`;
    case 14: return `session:${hex(32)}:data`;
    case 15: return `tenant:${TENANTS[n % TENANTS.length]}:user:${n}:prefs`;
    case 16: return `tmp:job:${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
    case 17: return `cache:render:${TERMS[n % 10]}-${PAGES[n % 8]!.replace('/', '-')}-${n}`;
    case 18: return `user:${n}:profile`;
    default: return BENCH[n % 4]!;
  }
}

const offsets = new Uint32Array(DISTINCT + 1);
const pieces: string[] = [];
let length = 0;
for (let from = 0; from < DISTINCT; from += 4096) {
  const parts: string[] = [];
  for (let r = from; r < Math.min(from + 4096, DISTINCT); r++) {
    const key = keyOf(r);
    parts.push(key);
    offsets[r] = length;
    length += key.length;
  }
  pieces.push(parts.join(''));
}
offsets[DISTINCT] = length;
const buffer = pieces.join('');
pieces.length = 0;

const logDistinct = Math.log(DISTINCT);
function rank(): number {
  const r = Math.floor(Math.exp(random() * logDistinct)) - 1;
  return r < DISTINCT ? r : DISTINCT - 1;
}

const gc = (globalThis as { gc?: () => void }).gc;
function heapNow(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

const BATCH = 1024;
const starts = new Int32Array(BATCH + 1);
const ranks = new Int32Array(BATCH);

interface Result {
  seconds: number;
  cpu: number;
  heap: number;
  note: string;
}

function run(mode: Mode): Result {
  seed = 0x2545f491;
  const heap0 = heapNow();
  const prefixTree = mode === 'prefixTree' || mode === 'prefixClients' ? new PrefixTree(':') : null;
  const prefixClients = mode === 'prefixClients' ? Array.from({ length: 64 }, () => new ReadWriteCounter(PREFIX_BOUNDS.prefixesPerClient)) : null;
  const patternTree = mode === 'patternTree' || mode === 'patternClients' ? new PatternTree(':') : null;
  const clients = mode === 'patternClients' ? Array.from({ length: 64 }, () => new ClientPatterns()) : null;
  let sink = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < EVENTS; i += BATCH) {
    const n = Math.min(BATCH, EVENTS - i);
    const parts: string[] = new Array(n);
    let pos = 0;
    for (let j = 0; j < n; j++) {
      const r = rank();
      ranks[j] = r;
      parts[j] = buffer.slice(offsets[r]!, offsets[r + 1]!);
      starts[j] = pos;
      pos += offsets[r + 1]! - offsets[r]! + 1;
    }
    starts[n] = pos;
    const chunk = parts.join(' ');
    for (let j = 0; j < n; j++) {
      const key = chunk.slice(starts[j]!, starts[j + 1]! - 1);
      const write = random() < 0.2;
      if (prefixTree !== null) {
        prefixTree.add(key, write);
        if (prefixClients !== null) {
          // As Session.ingest does today.
          const rec = prefixClients[((ranks[j]! % 20) * 3 + (ranks[j]! & 3)) & 63]!;
          let from = 0;
          let depth = 0;
          for (;;) {
            const at = key.indexOf(':', from);
            if (at < 0 || ++depth > PREFIX_BOUNDS.prefixDepth) break;
            from = at + 1;
            if (from >= key.length) break;
            rec.add(key.slice(0, from), write);
          }
        }
      } else if (patternTree !== null) {
        const leaf = patternTree.add(key, write);
        // A client per key family, and a few per family by rank: as many clients as services.
        if (clients !== null) clients[((ranks[j]! % 20) * 3 + (ranks[j]! & 3)) & 63]!.add(leaf, write);
      } else sink += key.length + (write ? 1 : 0);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const heap = heapNow() - heap0;
  let note = '';
  if (prefixTree !== null) note = `${prefixTree.size} named nodes (${prefixTree.nodeCount} with OTHER), ${prefixTree.children('').length} at the top`;
  if (prefixClients !== null) note += `, ${prefixClients.reduce((s, c) => s + c.size, 0)} client prefix entries`;
  if (patternTree !== null) {
    const leaves = patternTree.all().filter((s) => s.kind !== 'prefix').length;
    note = `${patternTree.size} nodes, ${leaves} leaf rows, ${patternTree.children('').length} at the top, ${patternTree.epoch} collapses`;
    if (clients !== null) note += `, ${clients.reduce((s, c) => s + c.size, 0)} client pattern entries`;
  }
  if (sink === -1) console.log(sink);
  // Keep the structures alive until the heap was measured.
  if ((prefixTree?.total ?? patternTree?.total ?? 0) < 0) console.log('never');
  return { seconds, cpu: (cpu.user + cpu.system) / 1e6, heap, note };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ns = (seconds: number): string => ((seconds * 1e9) / EVENTS).toFixed(0);
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
console.log(`${EVENTS.toLocaleString('en')} events over ${DISTINCT.toLocaleString('en')} distinct keys; node ${process.version}; ${RUNS} runs per mode, medians${gc ? '' : '; no --expose-gc: heap figures are rough'}`);
const base: { wall?: number; cpu?: number } = {};
for (const mode of MODES) {
  const results: Result[] = [];
  for (let i = 0; i < RUNS; i++) results.push(run(mode));
  const wall = median(results.map((r) => r.seconds));
  const cpu = median(results.map((r) => r.cpu));
  const heap = median(results.map((r) => r.heap));
  if (mode === 'baseline') {
    base.wall = wall;
    base.cpu = cpu;
  }
  const net = mode === 'baseline' || base.wall === undefined ? '' : `; net ${ns(wall - base.wall)} ns/key wall, ${ns(cpu - base.cpu!)} ns/key CPU`;
  console.log(
    `${mode.padEnd(15)} ${ns(wall)} ns/key wall, ${ns(cpu)} ns CPU${net}; heap ${mb(heap)} MB` +
      (results[0]!.note ? `\n                ${results[0]!.note}` : '') +
      `\n                runs (wall ns/key): ${results.map((r) => ns(r.seconds)).join(', ')}`,
  );
}
