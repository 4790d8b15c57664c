// One copy of each repeated value among the client views the main thread keeps. A view arrives as a
// structured clone, every string and object its own copy: at 30,000 connections the same library
// verdicts, finding messages, users, addresses and command names were 23 MiB of the screen's 36 MiB
// of text, and every major garbage collection (a pause of the screen's thread) walked them all.

import type { ClientView } from '../analysis/views.ts';

const EMPTY_ARRAY: readonly never[] = Object.freeze([]);

/** A view as `adopt` rewrites it: the fields it shares, writable. */
type Mutable = { -readonly [K in keyof ClientView]: ClientView[K] } & { node?: string };

/** Texts longer than this are rare enough to be kept as they come. */
const LONGEST_SHARED = 1024;
/** Small objects and arrays of plain values are shared when they have at most this many entries. */
const WIDEST_SHARED = 8;

/**
 * Shares the repeated parts of the client views passed through `adopt`: strings, and small objects
 * and arrays of plain values (a library verdict, a finding, a `[command, count]` pair). What is one
 * connection's own (its key, address, timestamps, recent keys) is left as it came: remembering it
 * would cost more than it saves. Bounded: past `max` distinct values, new ones are kept as they
 * come. Shared objects are frozen: a view is read-only data, and a writer would now change every
 * connection at once.
 */
export class Canonical {
  private readonly texts = new Map<string, string>();
  private readonly values = new Map<string, object>();

  constructor(private readonly max = 100_000) {}

  /** Takes ownership of a freshly received view (it is changed in place) and returns it. */
  adopt<T extends object>(view: T): T {
    // Named one by one: a loop over field names reads them by computed keys, three times slower.
    if (Object.isFrozen(view)) return view;
    const o = view as unknown as Mutable;
    // Texts that repeat across connections (an address or a key is one connection's own).
    o.ip = this.text(o.ip);
    o.name = this.text(o.name);
    if (o.service !== undefined) o.service = this.text(o.service);
    if (o.user !== undefined) o.user = this.text(o.user);
    if (o.flags !== undefined) o.flags = this.text(o.flags);
    if (o.lastCommand !== undefined) o.lastCommand = this.text(o.lastCommand);
    if (o.libName !== undefined) o.libName = this.text(o.libName);
    if (o.libVer !== undefined) o.libVer = this.text(o.libVer);
    if (o.node !== undefined) o.node = this.text(o.node);
    // Contents that repeat: verdicts, findings, command counts, idle rates, empty cross-slot records.
    if (o.library !== undefined) o.library = this.walk(o.library);
    if (o.findings !== undefined) o.findings = this.walk(o.findings);
    o.commands = this.walk(o.commands);
    o.dbs = this.walk(o.dbs);
    if (o.sampledCommands !== undefined) o.sampledCommands = this.walk(o.sampledCommands);
    o.crossSlot = this.walk(o.crossSlot);
    o.crossSlotTransactions = this.walk(o.crossSlotTransactions);
    o.crossSlotScripts = this.walk(o.crossSlotScripts);
    if (o.counterRates !== undefined) o.counterRates = this.walk(o.counterRates);
    // Lists most connections have empty.
    if (o.prefixes.length === 0) o.prefixes = EMPTY_ARRAY;
    if (o.topKeys.length === 0) o.topKeys = EMPTY_ARRAY;
    if (o.recent !== undefined && o.recent.length === 0) o.recent = EMPTY_ARRAY;
    return view;
  }

  private text(s: string): string {
    if (s.length > LONGEST_SHARED) return s;
    const hit = this.texts.get(s);
    if (hit !== undefined) return hit;
    if (this.texts.size < this.max) this.texts.set(s, s);
    return s;
  }

  private walk<T>(v: T): T;
  private walk(v: unknown): unknown {
    if (typeof v === 'string') return this.text(v);
    // Frozen: already shared (or not ours to change).
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return v;
    if (Array.isArray(v)) {
      if (v.length === 0) return EMPTY_ARRAY;
      let plain = v.length <= WIDEST_SHARED;
      for (let i = 0; i < v.length; i++) {
        const x = this.walk(v[i]);
        if (x !== v[i]) v[i] = x;
        if (typeof x === 'object' && x !== null) plain = false;
      }
      return plain ? this.shared(v, v) : v;
    }
    if (Object.getPrototypeOf(v) !== Object.prototype) return v;
    const o = v as Record<string, unknown>;
    let plain = true;
    let n = 0;
    for (const k in o) {
      const x = this.walk(o[k]);
      if (x !== o[k]) o[k] = x;
      n++;
      if (typeof x === 'object' && x !== null) plain = false;
    }
    return plain && n <= WIDEST_SHARED ? this.shared(o, Object.entries(o).flat()) : o;
  }

  /** The one copy of an object of plain values, told apart by its entries' kinds and values. */
  private shared(o: object, entries: readonly unknown[]): object {
    let key = Array.isArray(o) ? '[' : '{';
    // Texts carry their length, so no text can pass for two entries.
    for (const x of entries) key += typeof x === 'string' ? `s${x.length}:${x}` : `${typeof x === 'number' ? 'n' : typeof x === 'boolean' ? 'b' : 'u'}${String(x)};`;
    const hit = this.values.get(key);
    if (hit) return hit;
    if (this.values.size < this.max) this.values.set(key, Object.freeze(o));
    return o;
  }
}
