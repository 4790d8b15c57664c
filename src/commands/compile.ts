// The command table: which arguments of a command are keys, whether it reads or writes, read off
// the server's own COMMAND reply. `classify` runs once per MONITOR event (up to ~1M/s), so every
// command is compiled once into a plain struct with a key-finding closure, and the struct is cached
// per raw `args[0]` spelling: the common path is one Map lookup plus reading a few argv slots.
//
// Key extraction follows the server's `getKeysUsingKeySpecs()` (src/db.c, 7.0+), except that a
// spec which does not fit the argv is skipped instead of voiding the whole answer ("return what it
// can"). SORT and MIGRATE, whose specs are `unknown`/`incomplete`, follow `sortGetKeys()` and
// `migrateGetKeys()`. Without key specs (servers before 7.0), the legacy first/last/step is used.

import type { Access, Classified, CommandClassifier, KeyTouch } from '../types.ts';
import { readCommandReply, type CommandInfo, type KeySpecInfo } from './commandInfo.ts';

/** Raw `args[0]` spellings (and, per container, raw `args[1]` spellings) remembered. */
const CACHE_MAX = 1024;
const SUB_CACHE_MAX = 128;

type KeyFinder = (args: readonly string[]) => KeyTouch[];

interface Entry {
  /** Canonical upper-case name, `CLIENT|SETNAME` for subcommands. */
  readonly command: string;
  readonly access: Access;
  readonly script: boolean;
  /** null when the command never has keys. */
  readonly find: KeyFinder | null;
  /** Subcommand containers only: lower-case subcommand name (after the `|`) → entry. */
  readonly subs: Map<string, Entry> | null;
  /** Subcommand containers only: raw `args[1]` → entry. */
  readonly subCache: Map<string, Entry> | null;
}

/**
 * Scripts and functions. The keys declared to them (numkeys, then the keys) are what a cluster
 * routes on and checks for one slot; they are not an access: what the script reads and writes is
 * what its own commands do, and MONITOR shows each of those as a `[db lua]` line right after this
 * one. So a script call has access 'other' and its declared keys are never writes here; the
 * session counts the lua lines and keeps the declared keys for the one-slot check only.
 */
const SCRIPTS = new Set(['eval', 'evalsha', 'fcall', 'eval_ro', 'evalsha_ro', 'fcall_ro']);

// ---------------------------------------------------------------------------------------------
// Hot-path helpers (no regexes, no case conversion)

/** `a` equals the upper-case ASCII `kw`, ignoring ASCII case (the server's strcasecmp). */
function eqKeyword(a: string | undefined, kw: string): boolean {
  if (a === undefined || a.length !== kw.length) return false;
  for (let i = 0; i < kw.length; i++) {
    let c = a.charCodeAt(i);
    if (c >= 97 && c <= 122) c -= 32;
    if (c !== kw.charCodeAt(i)) return false;
  }
  return true;
}

/** The server's string2ll for a key count: canonical non-negative decimal, else -1. */
function parseCount(s: string | undefined): number {
  if (s === undefined || s.length === 0 || s.length > 9) return -1;
  if (s.length > 1 && s.charCodeAt(0) === 48) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Compiling key rules

interface CompiledSpec {
  /** Index begin-search: the index; keyword begin-search: 0. */
  readonly index: number;
  /** Keyword begin-search: upper-case keyword; index: ''. */
  readonly keyword: string;
  readonly startfrom: number;
  readonly range: boolean;
  readonly lastkey: number;
  readonly limit: number;
  readonly keynumidx: number;
  readonly firstkey: number;
  readonly step: number;
  readonly write: boolean;
}

/** Does a key spec with these flags modify the key? `fallback` when the spec says nothing. */
function specWrites(flags: readonly string[], fallback: boolean): boolean {
  let ro = false, rw = false, ow = false, rm = false, change = false;
  for (const f of flags) {
    switch (f.toLowerCase()) {
      case 'ro': ro = true; break;
      case 'rw': rw = true; break;
      case 'ow': ow = true; break;
      case 'rm': rm = true; break;
      case 'insert': case 'delete': case 'update': change = true; break;
    }
  }
  if (ow || rm) return true;
  if (rw) return change;
  if (ro) return false;
  return fallback;
}

function compileSpec(ks: KeySpecInfo, accessWrites: boolean): CompiledSpec | undefined {
  for (const f of ks.flags) if (f.toLowerCase() === 'not_key') return undefined;
  const bs = ks.beginSearch;
  const fk = ks.findKeys;
  if (bs.type === 'unknown' || fk.type === 'unknown') return undefined;
  if (bs.type === 'index' && bs.index < 1) return undefined;
  return {
    index: bs.type === 'index' ? bs.index : 0,
    keyword: bs.type === 'keyword' ? bs.keyword : '',
    startfrom: bs.type === 'keyword' ? bs.startfrom : 0,
    range: fk.type === 'range',
    lastkey: fk.type === 'range' ? fk.lastkey : 0,
    limit: fk.type === 'range' ? Math.max(0, fk.limit) : 0,
    keynumidx: fk.type === 'keynum' ? fk.keynumidx : 0,
    firstkey: fk.type === 'keynum' ? fk.firstkey : 0,
    step: Math.max(1, fk.keystep),
    write: specWrites(ks.flags, accessWrites),
  };
}

function findWithSpecs(specs: readonly CompiledSpec[], args: readonly string[]): KeyTouch[] {
  const argc = args.length;
  const out: KeyTouch[] = [];
  for (let j = 0; j < specs.length; j++) {
    const s = specs[j]!;
    let first = s.index;
    if (first === 0) {
      // Keyword search, as the server does it: forwards from startfrom up to (not including) the
      // last argument, or backwards from argc+startfrom down to (not including) argv[1].
      if (s.startfrom > 0) {
        for (let i = s.startfrom; i < argc - 1; i++) {
          if (eqKeyword(args[i], s.keyword)) { first = i + 1; break; }
        }
      } else {
        for (let i = argc + s.startfrom; i > 1; i--) {
          if (eqKeyword(args[i], s.keyword)) { first = i + 1; break; }
        }
      }
      if (first === 0) continue;
    }
    if (first >= argc) continue;
    let last: number;
    if (s.range) {
      if (s.lastkey >= 0) last = first + s.lastkey;
      else if (s.limit === 0) last = argc + s.lastkey;
      else last = first + (Math.trunc((argc - first) / s.limit) + s.lastkey);
    } else {
      const n = parseCount(args[first + s.keynumidx]);
      if (n < 0) continue;
      first += s.firstkey;
      last = first + n - 1;
    }
    if (last >= argc || last < first || first >= argc) continue;
    for (let i = first; i <= last; i += s.step) out.push({ key: args[i]!, write: s.write });
  }
  return out;
}

/** Specs that are all "one key at a fixed index": a list of positions. */
function fixedPositions(specs: readonly CompiledSpec[]): KeyFinder {
  if (specs.length === 1) {
    const p = specs[0]!.index, w = specs[0]!.write;
    return (a) => (p < a.length ? [{ key: a[p]!, write: w }] : []);
  }
  if (specs.length === 2) {
    const p0 = specs[0]!.index, w0 = specs[0]!.write, p1 = specs[1]!.index, w1 = specs[1]!.write;
    return (a) => {
      if (p0 < a.length && p1 < a.length) return [{ key: a[p0]!, write: w0 }, { key: a[p1]!, write: w1 }];
      const out: KeyTouch[] = [];
      if (p0 < a.length) out.push({ key: a[p0]!, write: w0 });
      if (p1 < a.length) out.push({ key: a[p1]!, write: w1 });
      return out;
    };
  }
  const ps = specs.map((s) => s.index), ws = specs.map((s) => s.write);
  return (a) => {
    const out: KeyTouch[] = [];
    for (let i = 0; i < ps.length; i++) if (ps[i]! < a.length) out.push({ key: a[ps[i]!]!, write: ws[i]! });
    return out;
  };
}

function legacyFinder(first: number, last: number, step: number, write: boolean): KeyFinder | null {
  if (first < 1) return null;
  const st = Math.max(1, step);
  if (last === first) return (a) => (first < a.length ? [{ key: a[first]!, write }] : []);
  return (a) => {
    const argc = a.length;
    let l = last < 0 ? argc + last : last;
    if (l >= argc) l = argc - 1;
    const out: KeyTouch[] = [];
    for (let i = first; i <= l; i += st) out.push({ key: a[i]!, write });
    return out;
  };
}

/** sortGetKeys(): the sorted key, plus the argument after the last STORE (LIMIT takes 2, GET/BY 1). */
function sortFinder(a: readonly string[]): KeyTouch[] {
  const argc = a.length;
  if (argc < 2) return [];
  const out: KeyTouch[] = [{ key: a[1]!, write: false }];
  let store = 0;
  for (let i = 2; i < argc; i++) {
    const x = a[i];
    if (eqKeyword(x, 'LIMIT')) i += 2;
    else if (eqKeyword(x, 'GET') || eqKeyword(x, 'BY')) i += 1;
    else if (eqKeyword(x, 'STORE') && i + 1 < argc) store = i + 1;
  }
  if (store !== 0) out.push({ key: a[store]!, write: true });
  return out;
}

/** migrateGetKeys(): argv[3], or with `"" … KEYS k1 k2…` everything after KEYS (AUTH takes 1, AUTH2 2). */
function migrateFinder(a: readonly string[]): KeyTouch[] {
  const argc = a.length;
  let first = 3;
  let num = 1;
  for (let i = 6; i < argc; i++) {
    const x = a[i];
    if (eqKeyword(x, 'KEYS')) {
      if (a[3] !== '') return [];
      first = i + 1;
      num = argc - first;
      break;
    }
    if (eqKeyword(x, 'AUTH')) i += 1;
    else if (eqKeyword(x, 'AUTH2')) i += 2;
  }
  const out: KeyTouch[] = [];
  for (let i = first; i < first + num && i < argc; i++) out.push({ key: a[i]!, write: true });
  return out;
}

function accessOf(name: string, flags: readonly string[]): Access {
  if (SCRIPTS.has(name)) return 'other';
  if (flags.includes('write')) return 'write';
  if (flags.includes('readonly')) return 'read';
  return 'other';
}

/** A script's declared keys, whatever its key spec's flags say (RW, update): see SCRIPTS. */
function declaredOnly(find: KeyFinder | null): KeyFinder | null {
  if (find === null) return null;
  return (a) => {
    const keys = find(a);
    for (let i = 0; i < keys.length; i++) if (keys[i]!.write) keys[i] = { key: keys[i]!.key, write: false };
    return keys;
  };
}

function compileFinder(info: CommandInfo, access: Access): KeyFinder | null {
  if (SCRIPTS.has(info.name)) return declaredOnly(compileKeyFinder(info, access));
  return compileKeyFinder(info, access);
}

function compileKeyFinder(info: CommandInfo, access: Access): KeyFinder | null {
  if (info.name === 'sort') return sortFinder;
  if (info.name === 'migrate') return migrateFinder;
  const accessWrites = access === 'write';
  if (info.keySpecs === undefined) return legacyFinder(info.firstKey, info.lastKey, info.step, accessWrites);
  const specs: CompiledSpec[] = [];
  for (const ks of info.keySpecs) {
    const c = compileSpec(ks, accessWrites);
    if (c !== undefined) specs.push(c);
  }
  if (specs.length === 0) return null;
  if (specs.every((s) => s.index > 0 && s.range && s.lastkey === 0)) return fixedPositions(specs);
  return (a) => findWithSpecs(specs, a);
}

function compileEntry(info: CommandInfo): Entry {
  const access = accessOf(info.name, info.flags);
  const isContainer = info.subcommands !== undefined && info.subcommands.length > 0;
  let subs: Map<string, Entry> | null = null;
  if (isContainer) {
    subs = new Map();
    for (const s of info.subcommands!) {
      const bar = s.name.indexOf('|');
      subs.set(bar >= 0 ? s.name.slice(bar + 1) : s.name, compileEntry(s));
    }
  }
  return {
    command: info.name.toUpperCase(),
    access,
    script: SCRIPTS.has(info.name),
    find: compileFinder(info, access),
    subs,
    subCache: subs === null ? null : new Map(),
  };
}

function unknownEntry(command: string): Entry {
  return { command, access: 'other', script: false, find: null, subs: null, subCache: null };
}

function boundedSet(m: Map<string, Entry>, max: number, k: string, v: Entry): void {
  if (m.size >= max) {
    const oldest = m.keys().next();
    if (oldest.done !== true) m.delete(oldest.value);
  }
  m.set(k, v);
}

// ---------------------------------------------------------------------------------------------

export class CommandTable implements CommandClassifier {
  readonly #entries = new Map<string, Entry>();
  readonly #infos = new Map<string, CommandInfo>();
  readonly #cache = new Map<string, Entry>();

  /** Build from already-read (and possibly merged) command infos. Later duplicates are ignored. */
  constructor(infos: readonly CommandInfo[]) {
    for (const info of infos) {
      if (info.name.includes('|') || this.#infos.has(info.name)) continue;
      this.#infos.set(info.name, info);
      this.#entries.set(info.name, compileEntry(info));
    }
  }

  /** Number of top-level commands. */
  get size(): number {
    return this.#entries.size;
  }

  /** Top-level commands as read, in table order. */
  get commands(): readonly CommandInfo[] {
    return [...this.#infos.values()];
  }

  /** `get`, `GET`, `client|setname`, `CLIENT|SETNAME`. */
  info(name: string): CommandInfo | undefined {
    const lower = name.toLowerCase();
    const bar = lower.indexOf('|');
    const top = this.#infos.get(bar < 0 ? lower : lower.slice(0, bar));
    if (bar < 0 || top === undefined) return top;
    return top.subcommands?.find((s) => s.name === lower);
  }

  has(name: string): boolean {
    return this.info(name) !== undefined;
  }

  classify(args: readonly string[]): Classified {
    const a0 = args[0];
    if (a0 === undefined) return { command: '', access: 'other', keys: [], script: false };
    let e = this.#cache.get(a0);
    if (e === undefined) e = this.#resolve(a0);
    if (e.subs !== null) {
      const a1 = args[1];
      if (a1 !== undefined) e = e.subCache!.get(a1) ?? this.#resolveSub(e, a1);
    }
    return { command: e.command, access: e.access, keys: e.find === null ? [] : e.find(args), script: e.script };
  }

  #resolve(raw: string): Entry {
    const e = this.#entries.get(raw.toLowerCase()) ?? unknownEntry(raw.toUpperCase());
    boundedSet(this.#cache, CACHE_MAX, raw, e);
    return e;
  }

  #resolveSub(container: Entry, raw: string): Entry {
    const e = container.subs!.get(raw.toLowerCase()) ?? unknownEntry(`${container.command}|${raw.toUpperCase()}`);
    boundedSet(container.subCache!, SUB_CACHE_MAX, raw, e);
    return e;
  }
}

/**
 * The raw `COMMAND` reply (as node-redis returns it, RESP2 arrays or RESP3 maps) → a classifier.
 * Entries that cannot be read are skipped.
 */
export function buildCommandTable(reply: unknown): CommandTable {
  return new CommandTable(readCommandReply(reply));
}
