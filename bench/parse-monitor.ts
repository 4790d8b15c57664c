// Throughput of parseMonitorLine alone, on realistic MONITOR lines generated in memory.
// Run: node --import tsx bench/parse-monitor.ts [lines=3000000] [rounds=5]
import { parseMonitorLine } from '../src/parse/monitorLine.ts';

const N = Number(process.argv[2] ?? 3_000_000);
const ROUNDS = Number(process.argv[3] ?? 5);

// Deterministic PRNG (mulberry32) so runs compare.
let seed = 0x5eed;
const rnd = (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;

/** sdscatrepr, as the server writes arguments. */
function repr(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x22) out += '\\"';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out + '"';
}

const sources = [
  ...Array.from({ length: 150 }, (_, i) => `203.0.113.${i % 250}:${30000 + i * 7}`),
  ...Array.from({ length: 40 }, (_, i) => `198.51.100.${i}:${40000 + i * 13}`),
  ...Array.from({ length: 8 }, (_, i) => `[2001:db8::${i + 1}]:${50000 + i}`),
  'unix:/var/run/redis/redis.sock',
  'lua',
];
const prefixes = ['session', 'user', 'cart', 'feature-flags', 'rate:limit', 'cache:v2:page', 'prefixkey:namespace4'];
const key = (): string => `${pick(prefixes)}:${Math.floor(rnd() * 100000)}:${pick(['data', 'meta', 'default_data'])}`;
const value = (): string => {
  const r = rnd();
  if (r < 0.05) return `{"name":"x${Math.floor(rnd() * 1e6)}","tags":["a","b"]}`; // \" escapes
  if (r < 0.08) return `line one\nline two ${Math.floor(rnd() * 1e6)}`;
  if (r < 0.1) return `значение ${Math.floor(rnd() * 1e6)} 日本`; // \xHH for every byte
  return `v${Math.floor(rnd() * 1e9)}`;
};

function makeLine(i: number): string {
  const sec = 1774787120 + Math.floor(i / 100000);
  const usec = String(Math.floor(rnd() * 1e6)).padStart(6, '0');
  const r = rnd();
  let args: string[];
  if (r < 0.55) args = ['get', key()];
  else if (r < 0.8) args = ['set', key(), value(), ...(rnd() < 0.5 ? ['EX', '3600'] : [])];
  else if (r < 0.92) args = ['hset', key(), 'field' + Math.floor(rnd() * 20), value()];
  else args = ['mget', ...Array.from({ length: 2 + Math.floor(rnd() * 6) }, key)];
  if (rnd() < 0.01) args[1] = `ключ:${Math.floor(rnd() * 1000)}`;
  return `${sec}.${usec} [0 ${pick(sources)}] ${args.map(repr).join(' ')}`;
}

// Build one big text and split it, as a stream reader would hand lines over (flat strings).
const lines = Array.from({ length: N }, (_, i) => makeLine(i)).join('\n').split('\n');
const bytes = lines.reduce((n, l) => n + l.length + 1, 0);
const withEscape = lines.filter((l) => l.includes('\\')).length;

function run(set: string[] = lines): { ms: number; check: number } {
  let check = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < set.length; i++) {
    const r = parseMonitorLine(set[i] as string);
    if (r.ok) check += r.event.args.length;
    else check -= 1_000_000;
  }
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, check };
}

console.log(
  `node ${process.version}, ${lines.length.toLocaleString()} lines, avg ${(bytes / lines.length).toFixed(0)} chars, ` +
    `${((withEscape / lines.length) * 100).toFixed(1)}% with escapes`,
);
run(); // warm-up
const rates: number[] = [];
for (let k = 0; k < ROUNDS; k++) {
  const { ms, check } = run();
  if (check < 0) throw new Error('a generated line did not parse');
  rates.push(lines.length / (ms / 1000));
  console.log(`round ${k + 1}: ${(lines.length / (ms / 1000) / 1e6).toFixed(2)} M lines/s  (${(bytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s)`);
}
rates.sort((a, b) => a - b);
console.log(`median: ${((rates[Math.floor(rates.length / 2)] as number) / 1e6).toFixed(2)} M lines/s (mixed)`);

// The two paths on their own: lines without any backslash, and lines with at least one escape.
for (const [name, set] of [
  ['no escapes', lines.filter((l) => !l.includes('\\'))],
  ['with escapes', lines.filter((l) => l.includes('\\'))],
] as const) {
  run(set);
  const r: number[] = [];
  for (let k = 0; k < ROUNDS; k++) r.push(set.length / (run(set).ms / 1000));
  r.sort((a, b) => a - b);
  const avg = set.reduce((n, l) => n + l.length, 0) / set.length;
  console.log(
    `median: ${((r[Math.floor(r.length / 2)] as number) / 1e6).toFixed(2)} M lines/s ` +
      `(${name} only: ${set.length.toLocaleString()} lines, avg ${avg.toFixed(0)} chars)`,
  );
}
