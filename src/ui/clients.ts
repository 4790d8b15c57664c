// The clients table as data: which clients show, in what order, under which group headers, and the
// column set. Pure; the pane and the keyboard actions both read it, so what moves is what shows.
import { connectedClients, type ClientView, type LibraryVerdictKind } from '../analysis/session.ts';
import { activePrefixes, clientPasses, type Filter } from './filters.ts';
import { clientMatches } from './search.ts';
import { withPassing } from './passing.ts';
import { windowed, type CountSnapshot } from './window.ts';
import type { Attributions, ClientAttribution } from '../owners/attribute.ts';
import { ownerText } from '../owners/ownerMap.ts';

export const SORT_COLUMNS = ['ops', 'reads', 'writes', 'idle', 'age', 'name', 'addr', 'lib', 'libVer', 'user', 'cmd', 'net'] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

export interface SortSpec {
  readonly column: SortColumn;
  readonly desc: boolean;
}

export const GROUPINGS = ['none', 'service', 'owner', 'ip', 'library'] as const;
export type Grouping = (typeof GROUPINGS)[number];

export const GROUPING_LABEL: Readonly<Record<Grouping, string>> = {
  none: 'none',
  service: 'service name',
  owner: 'owner',
  ip: 'IP',
  library: 'library',
};

type Text = (c: ClientView) => string;
type Num = (c: ClientView) => number;

/** Each sortable column: its title, how to read it, and the direction it sorts first. */
export const SORT_KEYS: Readonly<Record<SortColumn, { title: string; text?: Text; num?: Num; desc: boolean }>> = {
  ops: { title: 'ops/s', num: (c) => opsOf(c), desc: true },
  reads: { title: 'reads', num: (c) => c.reads, desc: true },
  writes: { title: 'writes', num: (c) => c.writes, desc: true },
  // Age and idle order the same at any moment as the times they are derived from: the oldest
  // connection opened first, the least idle was active last. No clock is needed to sort.
  idle: { title: 'idle', num: (c) => (c.connected && c.lastActiveAt !== undefined ? -c.lastActiveAt : Infinity), desc: false },
  age: { title: 'age', num: (c) => (c.openedAt !== undefined ? -c.openedAt : -Infinity), desc: true },
  name: { title: 'name', text: (c) => c.name, desc: false },
  addr: { title: 'client', text: (c) => c.addr, desc: false },
  lib: { title: 'lib', text: (c) => c.libName ?? '', desc: false },
  libVer: { title: 'lib ver', text: (c) => c.libVer ?? '', desc: false },
  user: { title: 'user', text: (c) => c.user ?? '', desc: false },
  cmd: { title: 'last cmd', text: (c) => c.lastCommand ?? '', desc: false },
  net: { title: 'net/s', num: (c) => bytesOf(c) ?? -1, desc: true },
};

/**
 * A client's ops/s: from CLIENT LIST's counters (exact, over its last poll interval) where the
 * server prints them, else MONITOR's moving average (an estimate when MONITOR is sampled).
 */
export const opsOf = (c: Pick<ClientView, 'counterRates' | 'opsPerSec'>): number => c.counterRates?.commands ?? c.opsPerSec;

/** Bytes/s in and out, from the counters; undefined where the server does not print them. */
export const bytesOf = (c: Pick<ClientView, 'counterRates'>): number | undefined =>
  c.counterRates ? c.counterRates.netIn + c.counterRates.netOut : undefined;

export const defaultSort = (column: SortColumn = 'ops'): SortSpec => ({ column, desc: SORT_KEYS[column].desc });

/** `s`: the next column, in its natural direction. */
export function nextSort(s: SortSpec): SortSpec {
  const i = SORT_COLUMNS.indexOf(s.column);
  return defaultSort(SORT_COLUMNS[(i + 1) % SORT_COLUMNS.length]!);
}

/** `<`: the previous column, in its natural direction. */
export function prevSort(s: SortSpec): SortSpec {
  const i = SORT_COLUMNS.indexOf(s.column);
  return defaultSort(SORT_COLUMNS[(i - 1 + SORT_COLUMNS.length) % SORT_COLUMNS.length]!);
}

export function nextGrouping(g: Grouping): Grouping {
  return GROUPINGS[(GROUPINGS.indexOf(g) + 1) % GROUPINGS.length]!;
}

/**
 * A string that sorts with `<` the way people read lists, as Intl.Collator('en', { numeric, base })
 * does: letters without regard to case or accents, numbers by value (`client-9` before
 * `client-10`), spaces and punctuation first in the collator's order. The collator itself, at 30,000
 * connections sorted by address, took 115 ms a key press; keys are made once per distinct text and
 * compared as plain strings.
 */
export function collationKey(text: string): string {
  let t = text.toLowerCase();
  if (/[^\x00-\x7f]/.test(t)) t = t.normalize('NFD').replace(/\p{M}/gu, '');
  let out = '';
  for (let i = 0; i < t.length; ) {
    const c = t.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // A run of digits: `0` (after every punctuation mark, before every letter), its length, its value.
      let j = i;
      while (j < t.length && t.charCodeAt(j) >= 48 && t.charCodeAt(j) <= 57) j++;
      let from = i;
      while (from < j - 1 && t.charCodeAt(from) === 48) from++;
      out += `0${String.fromCharCode(0x30 + Math.min(j - from, 0x4e))}${t.slice(from, j)}`;
      i = j;
      continue;
    }
    const rank = c < 128 ? PUNCTUATION_RANK[c]! : 0;
    out += rank > 0 ? String.fromCharCode(rank) : t[i];
    i++;
  }
  return out;
}

/** ASCII spaces and punctuation in the collator's order, each ranked below the digits (`0`). */
const PUNCTUATION_RANK = (() => {
  const rank = new Uint8Array(128);
  [...' _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$'].forEach((ch, i) => (rank[ch.charCodeAt(0)] = i + 1));
  return rank;
})();

/** Collation keys of the texts seen lately (cleared when it grows past any real table's size). */
const collationKeys = new Map<string, string>();

function collationKeyOf(text: string): string {
  let k = collationKeys.get(text);
  if (k === undefined) {
    if (collationKeys.size >= 250_000) collationKeys.clear();
    k = collationKey(text);
    collationKeys.set(text, k);
  }
  return k;
}

export function compareClients(sort: SortSpec): (a: ClientView, b: ClientView) => number {
  const k = SORT_KEYS[sort.column];
  const sign = sort.desc ? -1 : 1;
  return (a, b) => {
    let d: number;
    if (k.num) {
      const x = k.num(a);
      const y = k.num(b);
      d = x === y ? 0 : x < y ? -1 : 1;
    } else {
      const x = k.text!(a);
      const y = k.text!(b);
      // Empty values sort last whatever the direction: they are the least informative.
      if ((x === '') !== (y === '')) return x === '' ? 1 : -1;
      const kx = collationKeyOf(x);
      const ky = collationKeyOf(y);
      d = kx === ky ? 0 : kx < ky ? -1 : 1;
    }
    if (d !== 0) return d * sign;
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  };
}

/**
 * Each client's place in key order, for breaking ties without comparing strings (at 30,000 idle
 * connections every client ties at 0 ops/s: key comparisons were half of a sort). Remembered for
 * the last list: the connections change at each poll, the sort at each key press.
 */
let tieCache: { keys: string[]; rank: Int32Array } = { keys: [], rank: new Int32Array(0) };

function tieRanks(list: readonly ClientView[]): Int32Array {
  const n = list.length;
  const cached = tieCache;
  if (cached.keys.length === n) {
    let same = true;
    for (let i = 0; i < n && same; i++) same = cached.keys[i] === list[i]!.key;
    if (same) return cached.rank;
  }
  const keys = list.map((c) => c.key);
  const byKey = Array.from({ length: n }, (_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
  const rank = new Int32Array(n);
  byKey.forEach((i, r) => (rank[i] = r));
  tieCache = { keys, rank };
  return rank;
}

/**
 * `list` in the order `compareClients(sort)` gives, each client's sort value read once (a
 * comparator reads two per comparison: 30,000 clients, about 900,000 reads).
 */
export function sortClients<T extends ClientView>(list: readonly T[], sort: SortSpec): T[] {
  const k = SORT_KEYS[sort.column];
  const sign = sort.desc ? -1 : 1;
  const n = list.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const tie = tieRanks(list);
  if (k.num) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = k.num(list[i]!);
    order.sort((a, b) => {
      const x = v[a]!;
      const y = v[b]!;
      return x === y ? tie[a]! - tie[b]! : x < y ? -sign : sign;
    });
  } else {
    const v = new Array<string>(n);
    for (let i = 0; i < n; i++) {
      const t = k.text!(list[i]!);
      v[i] = t === '' ? '' : collationKeyOf(t);
    }
    order.sort((a, b) => {
      const x = v[a]!;
      const y = v[b]!;
      if ((x === '') !== (y === '')) return x === '' ? 1 : -1;
      return x === y ? tie[a]! - tie[b]! : x < y ? -sign : sign;
    });
  }
  return order.map((i) => list[i]!);
}

import { serviceOf } from '../analysis/serviceName.ts';

export { serviceOf };

/**
 * Who is behind a connection, best knowledge first: its own name (what the code says), an owner
 * file's exact answer (a pod, a host), a behavioural match, the unknown service it shares with
 * look-alikes, a node's or a range's owner, a reverse-DNS hint. An unknown service comes before a
 * node: behind a node's address every pod looks the same, and "3 unknown services" is the answer
 * the owner needs, not "40 connections from node-a".
 */
export function ownerLabel(c: ClientView, a: ClientAttribution | undefined): string {
  if (c.name !== '') return c.service ?? serviceOf(c.name);
  const o = a?.owner;
  // A pod's workload without its namespace, so it groups with the named connections of the service.
  if (o && (o.kind === 'pod' || o.kind === 'host')) return o.name;
  if (a?.likely) return `likely ${a.likely.service}`;
  if (a?.unknownService) return a.unknownService;
  if (o) return ownerText(o);
  if (a?.dns && 'name' in a.dns) return `≈ ${a.dns.name}`;
  return '(unknown)';
}

/** What an unnamed connection's NAME cell says instead of a name: owner, likely service, hint. */
export function attributionText(a: ClientAttribution | undefined): string {
  if (!a) return '';
  const o = a.owner;
  const exact = o && (o.kind === 'pod' || o.kind === 'host');
  const parts = [
    exact ? ownerText(o) : '',
    a.likely ? `likely ${a.likely.service} (${a.likely.score.toFixed(2)})` : (a.unknownService ?? ''),
    o && !exact ? ownerText(o) : '',
    a.dns && 'name' in a.dns ? `≈ ${a.dns.name}` : '',
  ];
  return parts.filter(Boolean).join(' · ');
}

export function groupLabel(c: ClientView, g: Grouping, a?: ClientAttribution): string {
  switch (g) {
    case 'service':
      return c.name === '' ? '(unnamed)' : (c.service ?? serviceOf(c.name));
    case 'owner':
      return ownerLabel(c, a);
    case 'ip':
      return c.ip || '(no address)';
    case 'library':
      return c.libName === undefined ? '(not reported)' : c.libName === '' ? '(no lib-name)' : c.libName;
    default:
      return '';
  }
}

/** Library verdicts that earn a mark. */
export const FLAGGED: ReadonlySet<LibraryVerdictKind> = new Set(['outdated', 'missing', 'unknown']);
export const isFlagged = (c: Pick<ClientView, 'library'>): boolean => c.library !== undefined && FLAGGED.has(c.library.verdict);

export type ClientRow =
  | {
      readonly kind: 'group';
      readonly id: string;
      readonly label: string;
      readonly clients: number;
      readonly connected: number;
      readonly opsPerSec: number;
      readonly flagged: number;
      /** Nodes its connections are to (a cluster client holds one per node). */
      readonly nodes: number;
    }
  | { readonly kind: 'client'; readonly id: string; readonly client: ClientView }
  /** A service's disconnected connections in one line (`D` lists them one by one). */
  | { readonly kind: 'folded'; readonly id: string; readonly service: string; readonly clients: number; readonly flagged: number };

export interface ClientRowsInput {
  readonly clients: readonly ClientView[];
  readonly filters: readonly Filter[];
  readonly showSelf: boolean;
  readonly sort: SortSpec;
  readonly grouping: Grouping;
  /** The key delimiter, for matching filters against key patterns. */
  readonly delimiter?: string;
  /** Only these services' connections (a finding's, from the findings pane); undefined: all. */
  readonly services?: readonly string[];
  /** Fold a service's disconnected connections into one row when it has several (the default). */
  readonly foldGone?: boolean;
  /** `/` in the clients pane: only clients whose name, address, library or prefixes contain it (lowercase). */
  readonly search?: string;
  /** The time window (`w`): counts since this snapshot, at `now`; undefined: since start. */
  readonly window?: { readonly start: CountSnapshot; readonly now: number };
  /** Owners and behavioural matches, for grouping by owner. */
  readonly attribution?: Attributions;
}

/**
 * Rows for some clients in order: each one, except that a service's disconnected connections, when
 * it has more than one, become one `folded` row after the others (57 short-lived connections of a
 * cron job must not bury the live ones). A lone disconnected connection keeps its row.
 */
function clientRowsOf(list: readonly ClientView[], fold: boolean): ClientRow[] {
  if (!fold) return list.map((c) => ({ kind: 'client', id: c.key, client: c }));
  const gone = new Map<string, ClientView[]>();
  for (const c of list) {
    if (c.connected) continue;
    const k = serviceOfClient(c);
    let g = gone.get(k);
    if (!g) gone.set(k, (g = []));
    g.push(c);
  }
  const folded = new Set<ClientView>();
  for (const g of gone.values()) if (g.length > 1) for (const c of g) folded.add(c);
  const rows: ClientRow[] = list.filter((c) => !folded.has(c)).map((c) => ({ kind: 'client', id: c.key, client: c }));
  const many = [...gone].filter(([, g]) => g.length > 1).sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  for (const [service, g] of many) {
    rows.push({ kind: 'folded', id: `folded:${service}`, service, clients: g.length, flagged: g.filter(isFlagged).length });
  }
  return rows;
}

/** Clients that show: not our own connections (unless asked), and touching a passing key. */
export function visibleClients(clients: readonly ClientView[], filters: readonly Filter[], showSelf: boolean, delimiter = ':', services?: readonly string[]): ClientView[] {
  const active = activePrefixes(filters);
  const only = services ? new Set(services) : undefined;
  return clients.filter((c) => (showSelf || !c.self) && (!only || only.has(serviceOfClient(c))) && clientPasses(c, active, delimiter));
}

/** The service a connection belongs to ('' unnamed): what the findings pane narrows by. */
export const serviceOfClient = (c: Pick<ClientView, 'name' | 'service'>): string => c.service ?? (c.name === '' ? '' : serviceOf(c.name));

/** The clients the table shows, before sorting: what passes the filters, narrowing and search, with their counts on passing keys (and in the time window). */
export interface TableClients {
  readonly list: readonly ClientView[];
  readonly total: number;
  readonly connected: number;
}

/**
 * The first stage of the table: what shows (a key press that only sorts or groups reuses it).
 * `visible`: visibleClients of the same input, when the caller has it already (the panes share one).
 */
export function tableClients(input: Omit<ClientRowsInput, 'sort' | 'grouping' | 'foldGone' | 'attribution'>, visible?: readonly ClientView[]): TableClients {
  const total = input.showSelf ? input.clients.length : input.clients.filter((c) => !c.self).length;
  // The count the status bar and the export give too.
  const { connected } = connectedClients(input.clients, input.showSelf);
  const q = input.search ?? '';
  // With filters active, each client's reads, writes and ops/s are those on passing keys (src/ui/passing.ts).
  const active = activePrefixes(input.filters);
  const list = (visible ?? visibleClients(input.clients, input.filters, input.showSelf, input.delimiter, input.services))
    .filter((c) => clientMatches(c, q))
    .map((c) => withPassing(c, active, input.delimiter ?? ':', input.window ? windowed(c, input.window.start, input.window.now) : c));
  return { list, total, connected };
}

/**
 * The last stage: sorted clients as rows; when grouped, each group under a header, groups ordered
 * by their best-placed client (so sorting by ops/s also puts the busiest group first).
 */
export function tableRows(list: readonly ClientView[], input: Pick<ClientRowsInput, 'grouping' | 'foldGone' | 'attribution'>): ClientRow[] {
  const fold = input.foldGone ?? false;
  if (input.grouping === 'none') return clientRowsOf(list, fold);
  const groups = new Map<string, ClientView[]>();
  for (const c of list) {
    const label = groupLabel(c, input.grouping, input.attribution?.byKey.get(c.key));
    let g = groups.get(label);
    if (!g) groups.set(label, (g = []));
    g.push(c);
  }
  const rows: ClientRow[] = [];
  for (const [label, members] of groups) {
    let connected = 0;
    let ops = 0;
    let flagged = 0;
    const nodes = new Set<string | undefined>();
    for (const c of members) {
      if (c.connected) connected++;
      ops += opsOf(c);
      if (isFlagged(c)) flagged++;
      nodes.add((c as ClientView & { node?: string }).node);
    }
    rows.push({ kind: 'group', id: `group:${label}`, label, clients: members.length, connected, opsPerSec: ops, flagged, nodes: nodes.size });
    rows.push(...clientRowsOf(members, fold));
  }
  return rows;
}

/** Rows of the table, every stage at once (the dashboard keeps each stage's last answer: select.ts). */
export function buildClientRows(input: ClientRowsInput): { rows: ClientRow[]; shown: number; total: number; connected: number } {
  const { list, total, connected } = tableClients(input);
  const sorted = sortClients(list, input.sort);
  return { rows: tableRows(sorted, input), shown: sorted.length, total, connected };
}
