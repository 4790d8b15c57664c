// Reading the server's COMMAND / COMMAND INFO reply into plain structs, and merging two of them.
//
// Input is the raw reply as node-redis returns it: RESP2 gives nested arrays (key specs as flat
// `[key, value, key, value…]` arrays, flags as arrays of strings); RESP3 gives maps (plain objects
// or `Map`s, depending on the client's type mapping) for key specs and sets for flags. Entries are
// 10 elements from 7.0 (name, arity, flags, first, last, step, ACL categories, tips, key specs,
// subcommands), 7 in 6.x, 6 in 5.x. Everything here is total: what cannot be read is skipped.

/** Where a key spec starts looking for keys. */
export type BeginSearch =
  | { readonly type: 'index'; readonly index: number }
  | { readonly type: 'keyword'; readonly keyword: string; readonly startfrom: number }
  | { readonly type: 'unknown' };

/** How a key spec finds the keys once it has a starting point. */
export type FindKeys =
  | { readonly type: 'range'; readonly lastkey: number; readonly keystep: number; readonly limit: number }
  | { readonly type: 'keynum'; readonly keynumidx: number; readonly firstkey: number; readonly keystep: number }
  | { readonly type: 'unknown' };

export interface KeySpecInfo {
  /** As the server prints them: `RO`, `RW`, `OW`, `RM`, `access`, `update`, `insert`, `delete`, `not_key`, `incomplete`, `variable_flags`. */
  readonly flags: readonly string[];
  readonly beginSearch: BeginSearch;
  readonly findKeys: FindKeys;
}

export interface CommandInfo {
  /** Lower-case; subcommands as `client|setname`. */
  readonly name: string;
  readonly arity: number;
  /** Lower-case command flags: `write`, `readonly`, `movablekeys`, `admin`, … */
  readonly flags: readonly string[];
  /** Legacy key positions (all versions). */
  readonly firstKey: number;
  readonly lastKey: number;
  readonly step: number;
  /** ACL categories, when the server reports them (6.0+). */
  readonly categories?: readonly string[];
  /** Undefined when the server does not report key specs (before 7.0); [] when it reports none. */
  readonly keySpecs?: readonly KeySpecInfo[];
  /** Undefined when the server does not report subcommands (before 7.0). */
  readonly subcommands?: readonly CommandInfo[];
}

// ---------------------------------------------------------------------------------------------
// Tolerant readers

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  return undefined;
}

function int(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v === 'bigint') return Number(v);
  const s = text(v);
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isInteger(n) ? n : undefined;
}

function list(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof Set) return [...v];
  return undefined;
}

function strings(v: unknown): string[] {
  const l = list(v);
  if (l === undefined) return [];
  const out: string[] = [];
  for (const x of l) {
    const s = text(x);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** A RESP2 flat `[k, v, k, v…]` array, a RESP3 map decoded as a `Map`, or a plain object → Map. */
function record(v: unknown): Map<string, unknown> | undefined {
  if (v instanceof Map) {
    const m = new Map<string, unknown>();
    for (const [k, x] of v) {
      const ks = text(k);
      if (ks !== undefined) m.set(ks.toLowerCase(), x);
    }
    return m;
  }
  if (Array.isArray(v)) {
    const m = new Map<string, unknown>();
    for (let i = 0; i + 1 < v.length; i += 2) {
      const ks = text(v[i]);
      if (ks !== undefined) m.set(ks.toLowerCase(), v[i + 1]);
    }
    return m;
  }
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const m = new Map<string, unknown>();
    for (const [k, x] of Object.entries(v)) m.set(k.toLowerCase(), x);
    return m;
  }
  return undefined;
}

function readBeginSearch(v: unknown): BeginSearch {
  const r = record(v);
  const type = text(r?.get('type'))?.toLowerCase();
  const spec = record(r?.get('spec'));
  if (type === 'index') {
    const index = int(spec?.get('index'));
    if (index !== undefined) return { type: 'index', index };
  } else if (type === 'keyword') {
    const keyword = text(spec?.get('keyword'));
    const startfrom = int(spec?.get('startfrom'));
    if (keyword !== undefined && keyword !== '' && startfrom !== undefined) {
      return { type: 'keyword', keyword: keyword.toUpperCase(), startfrom };
    }
  }
  return { type: 'unknown' };
}

function readFindKeys(v: unknown): FindKeys {
  const r = record(v);
  const type = text(r?.get('type'))?.toLowerCase();
  const spec = record(r?.get('spec'));
  if (type === 'range') {
    const lastkey = int(spec?.get('lastkey'));
    const keystep = int(spec?.get('keystep')) ?? 1;
    const limit = int(spec?.get('limit')) ?? 0;
    if (lastkey !== undefined) return { type: 'range', lastkey, keystep, limit };
  } else if (type === 'keynum') {
    const keynumidx = int(spec?.get('keynumidx'));
    const firstkey = int(spec?.get('firstkey'));
    const keystep = int(spec?.get('keystep')) ?? 1;
    if (keynumidx !== undefined && firstkey !== undefined) return { type: 'keynum', keynumidx, firstkey, keystep };
  }
  return { type: 'unknown' };
}

function readKeySpec(v: unknown): KeySpecInfo | undefined {
  const r = record(v);
  if (r === undefined) return undefined;
  return {
    flags: strings(r.get('flags')),
    beginSearch: readBeginSearch(r.get('begin_search')),
    findKeys: readFindKeys(r.get('find_keys')),
  };
}

/** One COMMAND entry → CommandInfo, or undefined when it cannot be read. */
export function readCommandEntry(v: unknown): CommandInfo | undefined {
  const e = list(v);
  if (e === undefined || e.length < 6) return undefined;
  const name = text(e[0]);
  const arity = int(e[1]);
  if (name === undefined || name === '' || arity === undefined) return undefined;
  const flagList = list(e[2]);
  if (flagList === undefined) return undefined;
  const info: {
    name: string; arity: number; flags: string[]; firstKey: number; lastKey: number; step: number;
    categories?: string[]; keySpecs?: KeySpecInfo[]; subcommands?: CommandInfo[];
  } = {
    name: name.toLowerCase(),
    arity,
    flags: strings(flagList).map((f) => f.toLowerCase()),
    firstKey: int(e[3]) ?? 0,
    lastKey: int(e[4]) ?? 0,
    step: int(e[5]) ?? 0,
  };
  if (e.length > 6) info.categories = strings(e[6]);
  if (e.length > 8) {
    const specs = list(e[8]);
    if (specs !== undefined) {
      info.keySpecs = [];
      for (const s of specs) {
        const ks = readKeySpec(s);
        if (ks !== undefined) info.keySpecs.push(ks);
      }
    }
  }
  if (e.length > 9) {
    const subs = list(e[9]);
    if (subs !== undefined) info.subcommands = readCommandReply(subs);
  }
  return info;
}

/** The whole COMMAND (or COMMAND INFO …) reply. Nulls (unknown names in COMMAND INFO) and unreadable entries are skipped. */
export function readCommandReply(reply: unknown): CommandInfo[] {
  const l = list(reply);
  if (l === undefined) return [];
  const out: CommandInfo[] = [];
  for (const e of l) {
    const c = readCommandEntry(e);
    if (c !== undefined) out.push(c);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Merging

/**
 * `primary` wins. Commands only `secondary` has are added; for commands in both, key specs and
 * subcommands `primary` does not report at all (a pre-7.0 server) are taken from `secondary`, and
 * subcommands only `secondary` lists are added.
 */
export function mergeCommandInfos(primary: readonly CommandInfo[], secondary: readonly CommandInfo[]): CommandInfo[] {
  const byName = new Map<string, CommandInfo>();
  for (const c of secondary) byName.set(c.name, c);
  const seen = new Set<string>();
  const out: CommandInfo[] = [];
  for (const p of primary) {
    if (seen.has(p.name)) continue;
    seen.add(p.name);
    const s = byName.get(p.name);
    out.push(s === undefined ? p : mergeOne(p, s));
  }
  for (const s of secondary) {
    if (seen.has(s.name)) continue;
    seen.add(s.name);
    out.push(s);
  }
  return out;
}

function mergeOne(p: CommandInfo, s: CommandInfo): CommandInfo {
  let keySpecs = p.keySpecs;
  if (keySpecs === undefined && s.keySpecs !== undefined) keySpecs = s.keySpecs;
  let subcommands = p.subcommands;
  if (s.subcommands !== undefined && s.subcommands.length > 0) {
    subcommands = mergeCommandInfos(p.subcommands ?? [], s.subcommands);
  }
  if (keySpecs === p.keySpecs && subcommands === p.subcommands) return p;
  return { ...p, ...(keySpecs !== undefined ? { keySpecs } : {}), ...(subcommands !== undefined ? { subcommands } : {}) };
}

/**
 * Raw-reply merge for the shipped file: entries of `primary` as they are (with subcommands only
 * `secondary` lists appended to their nested list), then entries of `secondary` whose names
 * `primary` lacks. Unreadable entries are dropped.
 */
export function mergeCommandReplies(primary: unknown, secondary: unknown): unknown[] {
  const nameOf = (e: unknown): string | undefined => {
    const l = list(e);
    return l === undefined ? undefined : text(l[0])?.toLowerCase();
  };
  const p = (list(primary) ?? []).filter((e) => readCommandEntry(e) !== undefined);
  const s = (list(secondary) ?? []).filter((e) => readCommandEntry(e) !== undefined);
  const sByName = new Map<string, unknown[]>();
  for (const e of s) {
    const n = nameOf(e);
    if (n !== undefined) sByName.set(n, e as unknown[]);
  }
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const e of p) {
    const n = nameOf(e);
    if (n === undefined || seen.has(n)) continue;
    seen.add(n);
    const other = sByName.get(n);
    const mine = list(e) as unknown[];
    if (other !== undefined && mine.length > 9 && other.length > 9) {
      const subs = mergeCommandReplies(mine[9], other[9]);
      out.push([...mine.slice(0, 9), subs, ...mine.slice(10)]);
    } else {
      out.push(e);
    }
  }
  for (const e of s) {
    const n = nameOf(e);
    if (n === undefined || seen.has(n)) continue;
    seen.add(n);
    out.push(e);
  }
  return out;
}
