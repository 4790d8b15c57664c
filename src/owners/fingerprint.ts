// Behavioural fingerprints: what a connection does (its commands, its key patterns, its read/write
// mix, its pace) and where it runs (library, database, user) as a profile, and how alike two
// profiles are, feature by feature, so that every score can be explained. An unnamed connection
// that behaves like a named service gets `likely <service> (score)`. The rules are conservative,
// because a wrong name sends a migration owner to the wrong team, while no name only leaves the
// question open:
// - too little evidence (fewer than minEvents commands of its own) gives no verdict;
// - key patterns, commands and the read/write mix must each agree (gate): a reporting job reading
//   the web service's sessions and carts is not the web service;
// - the score is the behaviour (weighted: what the code does) times the context: a fleet mostly
//   shares one library, one database and one user, so agreeing there proves little and adds
//   nothing, while disagreeing (another library: other code) takes the score down;
// - the score must reach the threshold and beat the next service by the margin.
// Pure; a profile is computed once per client view (views are immutable).
import type { ClientView } from '../analysis/session.ts';

export const FINGERPRINT = {
  /** Commands of its own (connection housekeeping left out) before a connection is judged. */
  minEvents: 30,
  /** The score a match needs. */
  threshold: 0.85,
  /** How far the best service must be ahead of the second. */
  margin: 0.1,
  /** Key-pattern, command and read/write similarity each must reach this, whatever the rest says. */
  gate: 0.5,
  /** Unnamed connections judged per pass (the busiest); the rest get no verdict. */
  maxJudged: 2000,
} as const;

export type Feature = 'keys' | 'commands' | 'rw' | 'rate' | 'library' | 'db' | 'user';

/** Behaviour: what the code does. The weighted mean of these is the score before the context. */
export const WEIGHTS: Readonly<Partial<Record<Feature, number>>> = {
  keys: 0.4,
  commands: 0.35,
  rw: 0.2,
  rate: 0.05,
};

/** Context: what the score is multiplied by when it disagrees (agreeing multiplies by 1). */
export const CONTEXT = {
  /** Another client library: other code. */
  otherLibrary: 0.6,
  /** The same library, another version: a pod not yet upgraded, or another program. */
  otherVersion: 0.9,
  otherDb: 0.7,
  otherUser: 0.8,
} as const;

/**
 * Commands that say how a library connects, not what the code does: a named connection sends
 * CLIENT SETNAME and an unnamed one does not, ioredis sends INFO on connect, pools PING.
 */
const HOUSEKEEPING = /^(CLIENT|HELLO|AUTH|SELECT|PING|QUIT|RESET|ECHO|COMMAND|INFO|READONLY|READWRITE|CLUSTER)(\||$)/;

/** What one connection (or a service: several summed) did. Counts, not shares. */
export interface Profile {
  /** Commands of its own (housekeeping left out). */
  readonly events: number;
  readonly commands: ReadonlyMap<string, number>;
  /** Reads + writes per leaf key pattern (`cart:{*}:items`). */
  readonly keys: ReadonlyMap<string, number>;
  readonly reads: number;
  readonly writes: number;
  /** `lib-name\u0000lib-ver` → connections; absent keys when the server does not print them. */
  readonly libs: ReadonlyMap<string, number>;
  readonly dbs: ReadonlyMap<number, number>;
  readonly users: ReadonlyMap<string, number>;
  /** Mean ops/s per connection that had any. */
  readonly rate: number;
  readonly connections: number;
}

const profiles = new WeakMap<ClientView, Profile>();

/** A client's profile (memoised on the view). */
export function profileOf(c: ClientView): Profile {
  let p = profiles.get(c);
  if (!p) profiles.set(c, (p = computeProfile(c)));
  return p;
}

/**
 * A client's commands of its own (housekeeping left out): what its profile's `events` will be,
 * without building the profile. Most of 30,000 idle unnamed connections are judged by this alone,
 * and a profile is five maps: kept for each, they were a quarter of the screen's heap.
 */
export function eventsOf(c: ClientView): number {
  let events = 0;
  for (const [name, n] of c.commands) if (!HOUSEKEEPING.test(name)) events += n;
  return events;
}

function computeProfile(c: ClientView): Profile {
  const commands = new Map<string, number>();
  let events = 0;
  for (const [name, n] of c.commands) {
    if (HOUSEKEEPING.test(name)) continue;
    commands.set(name, n);
    events += n;
  }
  const keys = new Map<string, number>();
  for (const p of leafPatterns(c.prefixes)) keys.set(p.prefix, p.reads + p.writes);
  const db = c.dbs[0]?.[0] ?? c.db;
  return {
    events,
    commands,
    keys,
    reads: c.reads,
    writes: c.writes,
    libs: c.libName === undefined ? new Map() : new Map([[`${c.libName}\u0000${c.libVer ?? ''}`, 1]]),
    dbs: new Map([[db, 1]]),
    users: c.user === undefined ? new Map() : new Map([[c.user, 1]]),
    rate: c.opsPerSec,
    connections: 1,
  };
}

/**
 * The leaves among a client's patterns: those no other pattern extends. A client's patterns are its
 * leaves (`cart:{*}:items`) and every prefix above them (`cart:`, `cart:{*}:`); a prefix whose
 * leaves the bounded sketch let go stands for them.
 */
export function leafPatterns<T extends { prefix: string }>(list: readonly T[]): T[] {
  const sorted = [...list].sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  // Sorted, a pattern's extensions follow it directly.
  return sorted.filter((p, i) => {
    const next = sorted[i + 1];
    return !(next && next.prefix.length > p.prefix.length && next.prefix.startsWith(p.prefix));
  });
}

/** Several connections summed: a named service's profile. */
export function mergeProfiles(list: readonly Profile[]): Profile {
  const commands = new Map<string, number>();
  const keys = new Map<string, number>();
  const libs = new Map<string, number>();
  const dbs = new Map<number, number>();
  const users = new Map<string, number>();
  let events = 0;
  let reads = 0;
  let writes = 0;
  let rateSum = 0;
  let rated = 0;
  let connections = 0;
  const add = <K>(m: Map<K, number>, from: ReadonlyMap<K, number>): void => {
    for (const [k, n] of from) m.set(k, (m.get(k) ?? 0) + n);
  };
  for (const p of list) {
    add(commands, p.commands);
    add(keys, p.keys);
    add(libs, p.libs);
    add(dbs, p.dbs);
    add(users, p.users);
    events += p.events;
    reads += p.reads;
    writes += p.writes;
    connections += p.connections;
    if (p.rate > 0) {
      rateSum += p.rate;
      rated++;
    }
  }
  return { events, commands, keys, reads, writes, libs, dbs, users, rate: rated > 0 ? rateSum / rated : 0, connections };
}

export interface FeatureScore {
  readonly feature: Feature;
  /** 0 … 1. */
  readonly similarity: number;
  /** Its weight in the behaviour score; 0 for the context, which multiplies instead. */
  readonly weight: number;
  /** Context only: what the score was multiplied by (1 when it agrees). */
  readonly factor?: number;
  /** In words: what agreed, or what did not. */
  readonly detail: string;
}

export interface Comparison {
  /** The behaviour score (weighted mean of the behaviour features both sides could speak to) times the context factors, 0 … 1. */
  readonly score: number;
  readonly features: readonly FeatureScore[];
  /** Set when a gate failed: the score does not count, and why. */
  readonly gated?: string;
}

const sum = (m: ReadonlyMap<unknown, number>): number => {
  let s = 0;
  for (const n of m.values()) s += n;
  return s;
};

/**
 * Bhattacharyya coefficient of two count vectors as distributions: Σ √(pᵢ·qᵢ), 1 for the same mix,
 * 0 for nothing in common. Each term is what that dimension contributes, so it explains itself.
 */
function overlap<K>(a: ReadonlyMap<K, number>, b: ReadonlyMap<K, number>): { value: number; terms: Array<[K, number]> } {
  const ta = sum(a);
  const tb = sum(b);
  if (ta <= 0 || tb <= 0) return { value: 0, terms: [] };
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  const terms: Array<[K, number]> = [];
  let value = 0;
  for (const [k, n] of small) {
    const m = large.get(k);
    if (m === undefined) continue;
    const t = Math.sqrt((n / ta) * (m / tb));
    value += t;
    terms.push([k, t]);
  }
  terms.sort((x, y) => y[1] - x[1]);
  return { value: Math.min(1, value), terms };
}

const top = <K>(terms: ReadonlyArray<[K, number]>, n: number): string =>
  terms
    .slice(0, n)
    .map(([k]) => String(k))
    .join(', ');

const round2 = (x: number): number => Math.round(x * 100) / 100;
const pct = (x: number): string => `${Math.round(x * 100)}%`;
const main = <K>(m: ReadonlyMap<K, number>): K | undefined => {
  let best: K | undefined;
  let n = -1;
  for (const [k, c] of m) if (c > n) [best, n] = [k, c];
  return best;
};
const libWords = (key: string): string => {
  const [name = '', ver = ''] = key.split('\u0000');
  return name === '' ? '(no lib-name)' : `${name} ${ver}`.trim();
};

/** How alike `u` (a connection) is to `ref` (a service, or another connection), feature by feature. */
export function compare(u: Profile, ref: Profile): Comparison {
  const features: FeatureScore[] = [];
  const add = (feature: Feature, similarity: number, detail: string): void => {
    features.push({ feature, similarity: round2(Math.max(0, Math.min(1, similarity))), weight: WEIGHTS[feature] ?? 0, detail });
  };
  const context = (feature: Feature, agrees: number, factor: number, detail: string): void => {
    features.push({ feature, similarity: agrees, weight: 0, factor, detail });
  };
  // Key patterns: only when either side touched keys (a keyless workload has nothing to compare).
  const keyed = u.keys.size > 0 || ref.keys.size > 0;
  if (keyed) {
    const k = overlap(u.keys, ref.keys);
    add('keys', k.value, k.terms.length > 0 ? `shares ${top(k.terms, 3)}` : 'no key pattern in common');
  }
  const c = overlap(u.commands, ref.commands);
  add('commands', c.value, c.terms.length > 0 ? `${top(c.terms, 4)} in common` : 'no command in common');
  const ur = u.reads + u.writes;
  const rr = ref.reads + ref.writes;
  if (ur > 0 && rr > 0) {
    const a = u.reads / ur;
    const b = ref.reads / rr;
    add('rw', 1 - Math.abs(a - b), `reads ${pct(a)} vs ${pct(b)}`);
  }
  if (u.rate > 0 && ref.rate > 0) {
    // A tenfold difference halves it, a hundredfold zeroes it: replicas differ in load, not in kind.
    const s = 1 - Math.abs(Math.log10(u.rate / ref.rate)) / 2;
    add('rate', s, `${formatRate(u.rate)} vs ${formatRate(ref.rate)} ops/s per connection`);
  }
  if (u.libs.size > 0 && ref.libs.size > 0) {
    const mine = main(u.libs)!;
    const name = mine.split('\u0000')[0];
    if (ref.libs.has(mine)) context('library', 1, 1, `same library: ${libWords(mine)}`);
    else if ([...ref.libs.keys()].some((k) => k.split('\u0000')[0] === name)) {
      context('library', 0.5, CONTEXT.otherVersion, `same library, other version: ${libWords(mine)} vs ${libWords(main(ref.libs)!)}`);
    } else context('library', 0, CONTEXT.otherLibrary, `other library: ${libWords(mine)} vs ${libWords(main(ref.libs)!)}`);
  }
  const db = main(u.dbs);
  if (db !== undefined && ref.dbs.size > 0) {
    if (ref.dbs.has(db)) context('db', 1, 1, `db ${db} both`);
    else context('db', 0, CONTEXT.otherDb, `db ${db} vs ${main(ref.dbs)}`);
  }
  const user = main(u.users);
  if (user !== undefined && ref.users.size > 0) {
    if (ref.users.has(user)) context('user', 1, 1, `user ${user} both`);
    else context('user', 0, CONTEXT.otherUser, `user ${user} vs ${main(ref.users)}`);
  }
  let weighted = 0;
  let weights = 0;
  let factor = 1;
  for (const f of features) {
    weighted += f.similarity * f.weight;
    weights += f.weight;
    factor *= f.factor ?? 1;
  }
  const score = weights > 0 ? round2((weighted / weights) * factor) : 0;
  const gated = features.find((f) => (f.feature === 'keys' || f.feature === 'commands' || f.feature === 'rw') && f.similarity < FINGERPRINT.gate);
  return { score, features, ...(gated ? { gated: `${GATE_WORDS[gated.feature]} differ (${gated.similarity.toFixed(2)})` } : {}) };
}

const GATE_WORDS: Partial<Record<Feature, string>> = { keys: 'key patterns', commands: 'commands', rw: 'read/write mixes' };

const formatRate = (r: number): string => (r >= 10 ? String(Math.round(r)) : r.toFixed(1));

const shares = new WeakMap<Profile, { keys: Map<string, number>; commands: Map<string, number> }>();

/** √share of each key pattern and command: the Bhattacharyya coefficient is then a dot product. */
function rootShares(p: Profile): { keys: Map<string, number>; commands: Map<string, number> } {
  let r = shares.get(p);
  if (!r) {
    const norm = (m: ReadonlyMap<string, number>): Map<string, number> => {
      const t = sum(m);
      const out = new Map<string, number>();
      if (t > 0) for (const [k, n] of m) out.set(k, Math.sqrt(n / t));
      return out;
    };
    shares.set(p, (r = { keys: norm(p.keys), commands: norm(p.commands) }));
  }
  return r;
}

const dot = (a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number => {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let v = 0;
  for (const [k, x] of small) {
    const y = large.get(k);
    if (y !== undefined) v += x * y;
  }
  return v;
};

/**
 * The gates alone, without the words: most candidates fail them (they share one common key, a
 * config read by every service), so the full comparison runs only for those that pass. Returns why
 * a candidate fails, or undefined.
 */
export function screen(u: Profile, ref: Profile): string | undefined {
  const a = rootShares(u);
  const b = rootShares(ref);
  if (a.keys.size > 0 || b.keys.size > 0) {
    const k = round2(Math.min(1, dot(a.keys, b.keys)));
    if (k < FINGERPRINT.gate) return `key patterns differ (${k.toFixed(2)})`;
  }
  const c = round2(Math.min(1, dot(a.commands, b.commands)));
  if (c < FINGERPRINT.gate) return `commands differ (${c.toFixed(2)})`;
  const ur = u.reads + u.writes;
  const rr = ref.reads + ref.writes;
  if (ur > 0 && rr > 0) {
    const rw = round2(1 - Math.abs(u.reads / ur - ref.reads / rr));
    if (rw < FINGERPRINT.gate) return `read/write mixes differ (${rw.toFixed(2)})`;
  }
  return undefined;
}

/** Whether a comparison is a match on its own (before the margin over other services). */
export const passes = (c: Comparison): boolean => c.gated === undefined && c.score >= FINGERPRINT.threshold;

const signalCache = new WeakMap<Profile, readonly string[]>();

/** The dimensions a profile can be found by: a match must share at least one (the gates ask it). */
export function signals(p: Profile): readonly string[] {
  let s = signalCache.get(p);
  if (!s) signalCache.set(p, (s = p.keys.size > 0 ? [...p.keys.keys()].map((k) => `k:${k}`) : [...p.commands.keys()].map((k) => `c:${k}`)));
  return s;
}
