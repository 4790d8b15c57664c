// Throughput and memory of the two per-event aggregates: SpaceSaving(topKeys) + PrefixTree(':').
//
//   node --import tsx bench/aggregates.ts [events=10000000] [distinctKeys=1000000] [modes=baseline,spaceSaving,prefixTree,both]
//
// Keys look like `svc3:entity123:456789`: 16 services, 700 entities per service (more than
// PREFIX_BOUNDS.prefixChildren, so the OTHER bucket is exercised), 1,000,000 ids. Ranks are drawn
// log-uniformly (P(rank r) ~ 1/r, Zipf s = 1), one event in five is a write. As the socket reader
// and parser would, the bench joins 1024 keys into a chunk of text, then cuts each key out of it
// (`chunk.slice`): every key reaches the aggregates as a fresh string, hash not yet computed, its
// characters recently touched. The `baseline` run does only that, and is subtracted as "net".
// Every 64 chunks RSS is sampled, and about 4 times a second (wall clock) the bench does what the
// session does on a flush: tree.tick, top(200), children('') and all().
import { BOUNDS } from '../src/bounds.ts';
import { PREFIX_BOUNDS, PrefixTree } from './baseline/prefixTree.ts';
import { SpaceSaving } from '../src/analysis/spaceSaving.ts';

const EVENTS = Number(process.argv[2] ?? 10_000_000);
const DISTINCT = Number(process.argv[3] ?? 1_000_000);
const MODES = (process.argv[4] ?? 'baseline,spaceSaving,prefixTree,both').split(',') as Mode[];

// Keys by rank, in one string, with offsets (built in chunks to keep the garbage small).
const offsets = new Uint32Array(DISTINCT + 1);
const chunks: string[] = [];
let length = 0;
for (let from = 0; from < DISTINCT; from += 4096) {
  const parts: string[] = [];
  for (let r = from; r < Math.min(from + 4096, DISTINCT); r++) {
    const key = 'svc' + (r % 16) + ':entity' + ((r >>> 4) % 700) + ':' + r;
    parts.push(key);
    offsets[r] = length;
    length += key.length;
  }
  chunks.push(parts.join(''));
}
offsets[DISTINCT] = length;
const buffer = chunks.join(''); // join builds one flat string
chunks.length = 0;

// xorshift32: fast, deterministic.
let seed = 0x9e3779b9;
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
}
const logDistinct = Math.log(DISTINCT);
function rank(): number {
  const r = Math.floor(Math.exp(random() * logDistinct)) - 1;
  return r < DISTINCT ? r : DISTINCT - 1;
}

let peakRss = 0;
function sampleRss(): void {
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) peakRss = rss;
}

const FLUSH_MS = 250;
const BATCH = 1024; // events per chunk of text
const starts = new Int32Array(BATCH + 1);
type Mode = 'baseline' | 'spaceSaving' | 'prefixTree' | 'both';

function run(mode: Mode): { seconds: number; cpuSeconds: number; flushes: number; ss: SpaceSaving; tree: PrefixTree } {
  const ss = new SpaceSaving(BOUNDS.topKeys);
  const tree = new PrefixTree(':');
  const doSs = mode === 'spaceSaving' || mode === 'both';
  const doTree = mode === 'prefixTree' || mode === 'both';
  seed = 0x9e3779b9;
  let sink = 0;
  let flushes = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let nextFlush = t0 + FLUSH_MS;
  tree.tick(t0);
  for (let i = 0; i < EVENTS; i += BATCH) {
    // What the socket reader and parser do: a chunk of text arrives, keys are cut out of it.
    const n = Math.min(BATCH, EVENTS - i);
    const parts: string[] = new Array(n);
    let pos = 0;
    for (let j = 0; j < n; j++) {
      const r = rank();
      parts[j] = buffer.slice(offsets[r]!, offsets[r + 1]!);
      starts[j] = pos;
      pos += offsets[r + 1]! - offsets[r]! + 1;
    }
    starts[n] = pos;
    const chunk = parts.join(' ');
    for (let j = 0; j < n; j++) {
      const key = chunk.slice(starts[j]!, starts[j + 1]! - 1);
      const write = random() < 0.2;
      if (doSs) ss.offer(key);
      if (doTree) tree.add(key, write);
      if (!doSs && !doTree) sink += key.length + (write ? 1 : 0);
    }
    if ((i & 0xffff) === 0) sampleRss(); // every 64 chunks
    const now = performance.now();
    if (now >= nextFlush) {
      nextFlush = now + FLUSH_MS;
      flushes++;
      tree.tick(now);
      sink += ss.top(200).length + tree.children('').length + tree.all().length;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  sampleRss();
  if (sink === -1) console.log(sink);
  return { seconds, cpuSeconds, flushes, ss, tree };
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);
console.log(`${EVENTS.toLocaleString('en')} events over ${DISTINCT.toLocaleString('en')} distinct keys; node ${process.version}`);
sampleRss();
console.log(`RSS after building the key buffer: ${mb(peakRss)} MB`);
// Wall time is what counts, but on a shared machine CPU time (this process, GC threads included)
// is steadier: both are printed, each with the baseline subtracted.
const wall: Record<string, number> = {};
const cpuTime: Record<string, number> = {};
const ns = (seconds: number): string => ((seconds * 1e9) / EVENTS).toFixed(0);
for (const mode of MODES) {
  const { seconds, cpuSeconds, flushes, ss, tree } = run(mode);
  wall[mode] = seconds;
  cpuTime[mode] = cpuSeconds;
  const net =
    mode === 'baseline' || wall.baseline === undefined
      ? ''
      : `; net of key generation ${ns(seconds - wall.baseline)} ns wall, ${ns(cpuSeconds - cpuTime.baseline!)} ns CPU`;
  console.log(
    `${mode.padEnd(12)} ${(EVENTS / seconds / 1e6).toFixed(2)} M events/s (${ns(seconds)} ns/event wall, ${ns(cpuSeconds)} ns CPU${net}); ` +
      `${flushes} flushes; peak RSS so far ${mb(peakRss)} MB` +
      (mode === 'both'
        ? `\n             sketch ${ss.size}/${ss.capacity} keys, threshold ${ss.threshold}, top ${ss.top(1)[0]?.key} x${ss.top(1)[0]?.count};` +
          ` tree ${tree.size} named nodes, ${tree.nodeCount} with OTHER buckets, root children ${tree.children('').length}`
        : ''),
  );
}
console.log(`peak RSS ${mb(peakRss)} MB (process total, key buffer and offsets included)`);
