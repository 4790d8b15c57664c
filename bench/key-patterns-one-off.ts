// The pattern tree's worst case next to PrefixTree: every key seen once, so no id is ever found in
// the cache and each takes the slow path its shape leads to (see patternTree.ts).
//
//   node --expose-gc --import tsx bench/key-patterns-one-off.ts [keys=1000000] [runs=3]
//
// Families: `user:<n>:cart` (digits: decided on the hot path), `job:<uuid>` (hot path too),
// `sess:<22-char base62 token>:data` (the shape rules), `cart:{u<6 digits>}:items` (a hash tag:
// core, rules, then the wild form's hash). Keys are built first and flattened (one string split),
// a GC runs before each timed pass, and the median of `runs` passes is printed, CPU time.
import { PrefixTree } from './baseline/prefixTree.ts';
import { PatternTree } from '../src/analysis/patternTree.ts';

const N = Number(process.argv[2] ?? 1_000_000);
const RUNS = Number(process.argv[3] ?? 3);
const gc = (globalThis as { gc?: () => void }).gc;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
let seed = 12345;
const random = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
const hex = (n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(random() * 16)];
  return s;
};
const families: Record<string, (i: number) => string> = {
  'user:<n>:cart': (i) => `user:${i}:cart`,
  'job:<uuid>': () => `job:${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`,
  'sess:<token>:data': () => {
    let t = '';
    for (let j = 0; j < 22; j++) t += ALPHABET[Math.floor(random() * 62)];
    return `sess:${t}:data`;
  },
  'cart:{u<n>}:items': (i) => `cart:{u${100000 + i}}:items`,
};

console.log(`${N.toLocaleString('en')} distinct keys per family; node ${process.version}; median of ${RUNS} passes, CPU ns/key${gc ? '' : ' (no --expose-gc: GC of the key building may leak in)'}`);
for (const [name, make] of Object.entries(families)) {
  const keys = Array.from({ length: N }, (_, i) => make(i)).join('\n').split('\n');
  const line: string[] = [];
  for (const [label, tree] of [['PrefixTree', () => new PrefixTree(':')], ['PatternTree', () => new PatternTree(':')]] as const) {
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const t = tree();
      gc?.();
      const c0 = process.cpuUsage();
      for (let i = 0; i < N; i++) t.add(keys[i]!, false);
      const c = process.cpuUsage(c0);
      times.push(((c.user + c.system) * 1000) / N);
    }
    times.sort((a, b) => a - b);
    line.push(`${label} ${times[Math.floor(RUNS / 2)]!.toFixed(0)}`);
  }
  console.log(`${name.padEnd(20)} ${line.join(', ')}`);
}
