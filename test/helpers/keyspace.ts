// A known keyspace for the keyspace sampler's tests: patterns with known types, counts, value sizes
// and TTLs, and a few big keys, written server-side by a Lua loop (a few hundred thousand keys in a
// second or two), and the truth measured independently: every key read with the same commands the
// sampler uses, and put under its pattern by a regex of the test's own, not by the tool's tree.
/** Any node-redis client (RESP2 or not): only sendCommand is used. */
interface Client {
  sendCommand(args: string[]): Promise<unknown>;
}

export interface SeedPattern {
  /** The pattern the tool should name it. */
  readonly pattern: string;
  /** The keys' own shape, to sort truth by. */
  readonly re: RegExp;
  readonly kind: string;
  readonly type: string;
  readonly count: number;
  /** PEXPIRE in ms (0: none). */
  readonly ttlMs: number;
  readonly bucket: 'none' | 'lt1h' | 'lt24h' | 'lt7d' | 'longer';
}

const H = 3_600_000;

/** `scale` shrinks the big patterns (the changing-keyspace test needs fewer keys). */
export function seedPatterns(scale = 1): SeedPattern[] {
  const n = (x: number): number => Math.max(1, Math.round(x * scale));
  return [
    { pattern: 'user:*:profile', re: /^user:\d+:profile$/, kind: 'user', type: 'hash', count: n(60_000), ttlMs: 0, bucket: 'none' },
    { pattern: 'session:*', re: /^session:[0-9a-f]{32}$/, kind: 'session', type: 'string', count: n(40_000), ttlMs: 30 * 60_000, bucket: 'lt1h' },
    { pattern: 'cache:page:*', re: /^cache:page:\d+$/, kind: 'cache', type: 'string', count: n(50_000), ttlMs: 6 * H, bucket: 'lt24h' },
    { pattern: 'feed:*', re: /^feed:\d+$/, kind: 'feed', type: 'list', count: n(20_000), ttlMs: 3 * 24 * H, bucket: 'lt7d' },
    { pattern: 'tags:*', re: /^tags:\d+$/, kind: 'tags', type: 'set', count: n(15_000), ttlMs: 30 * 24 * H, bucket: 'longer' },
    { pattern: 'rank:*', re: /^rank:\d+$/, kind: 'rank', type: 'zset', count: n(10_000), ttlMs: 0, bucket: 'none' },
    ...['flags', 'limits', 'regions', 'features', 'version'].map(
      (name): SeedPattern => ({ pattern: `config:${name}`, re: new RegExp(`^config:${name}$`), kind: `config-${name}`, type: 'string', count: 1, ttlMs: 0, bucket: 'none' }),
    ),
    { pattern: 'big:hash:*', re: /^big:hash:\d+$/, kind: 'bighash', type: 'hash', count: 3, ttlMs: 0, bucket: 'none' },
    { pattern: 'big:list:*', re: /^big:list:\d+$/, kind: 'biglist', type: 'list', count: 1, ttlMs: 0, bucket: 'none' },
  ];
}

const SEED_LUA = `
local kind, from, to, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
for i = from, to do
  local k
  if kind == 'user' then
    k = 'user:' .. i .. ':profile'
    redis.call('HSET', k, 'name', string.format('user-%06d', i), 'email', string.format('u%06d@example.com', i), 'plan', 'pro')
  elseif kind == 'session' then
    k = 'session:' .. string.format('%08x%08x%08x%08x', i, (i * 7) % 4294967296, (i * 13) % 4294967296, (i * 31) % 4294967296)
    redis.call('SET', k, string.rep('s', 100))
  elseif kind == 'cache' then
    k = 'cache:page:' .. i
    redis.call('SET', k, string.rep('c', 50 + (i * 37) % 450))
  elseif kind == 'feed' then
    k = 'feed:' .. i
    redis.call('RPUSH', k, 'item-1', 'item-2', 'item-3', 'item-4', 'item-5')
  elseif kind == 'tags' then
    k = 'tags:' .. i
    redis.call('SADD', k, 'red', 'green', 'blue', 'tag-' .. (i % 10))
  elseif kind == 'rank' then
    k = 'rank:' .. i
    redis.call('ZADD', k, 1, 'a', 2, 'b', 3, 'c')
  elseif kind == 'bighash' then
    k = 'big:hash:' .. i
    for f = 1, 20000 do redis.call('HSET', k, string.format('field-%05d', f), 'value-value-value') end
  elseif kind == 'biglist' then
    k = 'big:list:' .. i
    for f = 1, 50000 do redis.call('RPUSH', k, 'element-element') end
  else
    k = 'config:' .. string.sub(kind, 8)
    redis.call('SET', k, 'on')
  end
  if ttl > 0 then redis.call('PEXPIRE', k, ttl) end
end
return to - from + 1
`;

/** Writes the patterns (in slices of 20,000 keys per script run, so the server keeps answering). */
export async function seedKeyspace(client: Client, patterns: readonly SeedPattern[], offset = 0): Promise<number> {
  let total = 0;
  for (const p of patterns) {
    for (let from = 1; from <= p.count; from += 20_000) {
      const to = Math.min(p.count, from + 19_999);
      total += Number(await client.sendCommand(['EVAL', SEED_LUA, '0', p.kind, String(from + offset), String(to + offset), String(p.ttlMs)]));
    }
  }
  return total;
}

export interface TruthRow {
  keys: number;
  bytes: number;
  types: Record<string, number>;
  ttl: Record<string, number>;
}

/** Every key read as the sampler reads it (MEMORY USAGE … SAMPLES 5, TYPE, PTTL), by the test's own regexes. */
export async function measureTruth(client: Client, patterns: readonly SeedPattern[]): Promise<Map<string, TruthRow>> {
  const out = new Map<string, TruthRow>(patterns.map((p) => [p.pattern, { keys: 0, bytes: 0, types: {}, ttl: {} }]));
  let cursor = '0';
  do {
    const [next, keys] = (await client.sendCommand(['SCAN', cursor, 'COUNT', '2000'])) as [string, string[]];
    cursor = next;
    const replies = await Promise.all(
      keys.map((k) =>
        Promise.all([client.sendCommand(['MEMORY', 'USAGE', k, 'SAMPLES', '5']), client.sendCommand(['TYPE', k]), client.sendCommand(['PTTL', k])]),
      ),
    );
    keys.forEach((k, i) => {
      const p = patterns.find((x) => x.re.test(k));
      if (!p) throw new Error(`a key no pattern expects: ${k}`);
      const [bytes, type, pttl] = replies[i]!;
      const t = out.get(p.pattern)!;
      t.keys++;
      t.bytes += Number(bytes);
      t.types[String(type)] = (t.types[String(type)] ?? 0) + 1;
      const ms = Number(pttl);
      const b = ms < 0 ? 'none' : ms < H ? 'lt1h' : ms < 24 * H ? 'lt24h' : ms < 7 * 24 * H ? 'lt7d' : 'longer';
      t.ttl[b] = (t.ttl[b] ?? 0) + 1;
    });
  } while (cursor !== '0');
  return out;
}

/** `calls` of each command in INFO commandstats (`type`, `memory|usage`, `scan`, …). */
export async function commandCalls(client: Client): Promise<Record<string, number>> {
  const text = String(await client.sendCommand(['INFO', 'commandstats']));
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}
