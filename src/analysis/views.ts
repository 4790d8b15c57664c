// What the UI, the exports and (through the collector) the main thread read: immutable views of
// clients, built only when something they show changed, with absolute times instead of ages, so a
// poll that only advances ages and idle times changes nothing. Age and idle are derived from a
// clock where they are shown (ageSeconds, idleSeconds).
import type { ClientAuditInput, Finding } from '../audit/findings.ts';
import type { CrossSlotUnits } from './atomicity.ts';
import type { ClientRecord, LoggedEntry } from './ledger.ts';
import { PatternTree, type PatternNames, type PatternTreeReader } from './keyPatterns.ts';
import { BOUNDS } from '../bounds.ts';
import { serviceOf } from './serviceName.ts';
import type { KeyspaceView } from './keyspaceEstimate.ts';

export type { CrossSlotUnits, LoggedEntry };

/** Where a figure comes from: MONITOR, or one of the cheaper lenses (README, "Lenses"). */
export type Lens = 'monitor' | 'counters' | 'client-list' | 'slowlog' | 'commandlog' | 'commandstats' | 'errorstats';

/** CLIENT LIST's per-connection counters: commands, bytes in (requests) and out (replies). */
export interface CounterFigures {
  readonly commands: number;
  readonly netIn: number;
  readonly netOut: number;
}

/** What sampled MONITOR watched of one client (see ClientRecord.cover): times ours, `on*` the node's MONITOR on-time. */
export interface MonitorCover {
  readonly from: number;
  readonly onFrom: number;
  readonly to?: number;
  readonly onTo?: number;
}

export interface KeyCount {
  readonly key: string;
  readonly count: number;
}

/** Reads and writes of one client under one key pattern (`prefix` holds the pattern: `cart:{*}:`). */
export interface PrefixCount {
  readonly prefix: string;
  readonly reads: number;
  readonly writes: number;
}

/** One client as the UI and exports see it: identity from CLIENT LIST, activity from MONITOR. */
export interface ClientView {
  /**
   * Ledger key, unique for the session: the server id (`7`; `7@1` for id 7 after the server's
   * first restart, ids restarting at 1), `addr:<address>` for a connection seen only in MONITOR
   * (`addr:<address>~N` for a later one on the same address), `shared:<address>[#db]` for an entry
   * standing for several connections.
   */
  readonly key: string;
  readonly id?: string;
  readonly addr: string;
  readonly ip: string;
  readonly name: string;
  /**
   * The service its name says (`serviceOf(name)`), worked out once where the view is built: every
   * roll-up reads it for every connection at every poll.
   */
  readonly service?: string;
  readonly libName?: string;
  readonly libVer?: string;
  readonly user?: string;
  readonly db: number;
  /** Wall time (ms, the engine's clock) the connection opened, from CLIENT LIST's age; absent if never listed. */
  readonly openedAt?: number;
  /** Wall time of its last known activity: CLIENT LIST's idle, or its latest MONITOR line. */
  readonly lastActiveAt?: number;
  readonly lastCommand?: string;
  readonly flags?: string;
  readonly omem?: number;
  /** Still in the latest CLIENT LIST (or, never listed, not yet missed by a poll). */
  readonly connected: boolean;
  /** False for connections known only from MONITOR lines: they came and went between polls. */
  readonly listed: boolean;
  /** A redis-recon connection: this run's or another instance's. */
  readonly self: boolean;
  /** Wall time the connection opened (from CLIENT LIST age) or was first seen. */
  readonly firstSeen: number;
  /**
   * Last evidence of it, as of its last change: its latest MONITOR line or, once departed, the last
   * poll that listed it. A connected client is there now (exports use the last poll's time).
   */
  readonly lastSeen: number;
  readonly events: number;
  readonly reads: number;
  readonly writes: number;
  readonly opsPerSec: number;
  /** Command name → count, most used first. */
  readonly commands: ReadonlyArray<readonly [string, number]>;
  readonly prefixes: readonly PrefixCount[];
  readonly topKeys: readonly KeyCount[];
  /** Databases this client's commands ran in, from MONITOR (db 0 included), most used first. */
  readonly dbs: ReadonlyArray<readonly [number, number]>;
  /** Its last commands MONITOR showed, newest first: name, first key (no values), time (ms). */
  readonly recent?: ReadonlyArray<{ readonly command: string; readonly key: string; readonly at: number }>;
  /** Multi-key calls whose keys hash to different cluster slots, with the first such call's keys. */
  readonly crossSlot: { readonly count: number; readonly example: readonly string[] };
  /** MULTI … EXEC transactions whose keys hash to more than one slot. */
  readonly crossSlotTransactions: CrossSlotUnits;
  /** Script runs (declared keys and the keys its commands touched) across more than one slot. */
  readonly crossSlotScripts: CrossSlotUnits;
  /**
   * Set on the entry that stands for several connections printing the same address (every
   * unix-socket client shows `<path>:0`) in one database: MONITOR cannot tell them apart, so their
   * events land here.
   */
  readonly sharedBy?: number;
  /**
   * CLIENT LIST counters summed over the window (lens `counters`): absent where the server does not
   * print `tot-cmds` (before Valkey 8.0; Redis before the release that added it). `from` is when
   * counting began (the window's first poll, or the connection's opening if later).
   */
  readonly counters?: CounterFigures & { readonly from: number };
  /** The same counters per second over its last poll interval. */
  readonly counterRates?: CounterFigures;
  /** CLIENT LIST `cmd=` at polls that found it active (lens `client-list`): [command, polls], most seen first. */
  readonly sampledCommands?: ReadonlyArray<readonly [string, number]>;
  /** What the command logs recorded of it (lens `slowlog` or `commandlog`). */
  readonly logged?: {
    readonly lens: 'slowlog' | 'commandlog';
    readonly entries: number;
    readonly commands: ReadonlyArray<readonly [string, number]>;
    readonly recent: readonly LoggedEntry[];
  };
  /** Sampled MONITOR only: how much of its life MONITOR watched, to scale its counts (src/analysis/lenses.ts). */
  readonly cover?: MonitorCover;
  /** The node it is on, once a collector shipped it to the main thread (src/collect/nodeCore.ts). */
  readonly node?: string;
  /** Library audit verdict (see src/audit), when the session has an auditor. */
  readonly library?: LibraryAudit;
  /** Migration findings for the chosen target, errors first, when the session has an auditor. */
  readonly findings?: readonly Finding[];
}

/** Judges one client for the migration: its library and what will fail on the target. */
export type Auditor = (input: ClientAuditInput) => { library: LibraryAudit; findings: readonly Finding[] };

export type LibraryVerdictKind = 'ok' | 'outdated' | 'unknown' | 'missing' | 'unavailable';

export interface LibraryAudit {
  readonly verdict: LibraryVerdictKind;
  readonly reason: string;
  readonly family?: string;
  readonly latest?: string;
  readonly minimum?: string;
}

/**
 * Read-only access to the key-pattern tree (the heatmap): a live tree read in place, or several
 * collectors' trees merged.
 */
export type PrefixTreeReader = PatternTreeReader;

export interface SessionView {
  /** Bumped on every publish, so selectors can memoise work on the tree. */
  readonly version: number;
  readonly clients: readonly ClientView[];
  readonly topKeys: readonly KeyCount[];
  readonly tree: PrefixTreeReader;
  readonly totals: {
    readonly events: number;
    readonly reads: number;
    readonly writes: number;
    readonly keyed: number;
    readonly eventsPerSec: number;
  };
  /**
   * What the keyspace samplers found, per key pattern (named as `tree` names them), once one ran.
   * Sampled keys never count as traffic: `tree`'s counts stay MONITOR's.
   */
  readonly keyspace?: KeyspaceView;
}

const EMPTY_TREE: PrefixTreeReader = new PatternTree(':');
export const emptyView = (): SessionView => ({
  version: 0,
  clients: [],
  topKeys: [],
  tree: EMPTY_TREE,
  totals: { events: 0, reads: 0, writes: 0, keyed: 0, eventsPerSec: 0 },
});

/** Whole seconds the connection has been open at `nowMs` (a departed one: when last seen). */
export function ageSeconds(c: Pick<ClientView, 'openedAt' | 'connected' | 'lastSeen'>, nowMs: number): number | undefined {
  if (c.openedAt === undefined) return undefined;
  return Math.max(0, Math.floor(((c.connected ? nowMs : c.lastSeen) - c.openedAt) / 1000));
}

/** Whole seconds since its last activity at `nowMs` (a departed one: when last seen). */
export function idleSeconds(c: Pick<ClientView, 'lastActiveAt' | 'connected' | 'lastSeen'>, nowMs: number): number | undefined {
  if (c.lastActiveAt === undefined) return undefined;
  return Math.max(0, Math.floor(((c.connected ? nowMs : c.lastSeen) - c.lastActiveAt) / 1000));
}

/**
 * The one count of connected clients the header, the panes and the export all show: connections
 * still there, each once (an entry standing for several unix-socket connections is not one more),
 * redis-recon's own left out unless asked for; and how many of those were left out.
 */
export function connectedClients(clients: readonly ClientView[], includeSelf: boolean): { connected: number; selfLeftOut: number } {
  let connected = 0;
  let self = 0;
  for (const c of clients) {
    if (!c.connected || c.sharedBy !== undefined) continue;
    if (c.self) self++;
    if (includeSelf || !c.self) connected++;
  }
  return { connected, selfLeftOut: includeSelf ? 0 : self };
}

/** The view of one ledger record, judged by the auditor unless it is ours or stands for several connections. */
export function buildView(rec: ClientRecord, audit: Auditor | undefined, names: PatternNames): ClientView {
  const info = rec.info;
  const act = rec.activity;
  const addr = info?.addr ?? rec.addrKey;
  const commands = act.commands.entries().map((e) => [e.key, e.count] as const);
  const dbs = [...act.dbs].sort((a, b) => b[1] - a[1]);
  const at = rec.atomic;
  const crossSlot = at.calls;
  // CLIENT LIST is the authority; what the connection announced in MONITOR fills in for one never listed.
  const said = info ? undefined : rec.announced;
  const name = info?.name ?? said?.name ?? '';
  const libName = info?.libName ?? said?.libName;
  const libVer = info?.libVer ?? said?.libVer;
  const sampledCommands = rec.sampled?.entries().map((e) => [e.key, e.count] as const);
  const loggedCommands = rec.logged?.commands.entries().map((e) => [e.key, e.count] as const);
  const judged = rec.self || rec.shared ? undefined : audit?.({
    name,
    libName,
    libVer,
    // The database it works in: the busiest non-zero one seen in MONITOR, else CLIENT LIST's.
    db: dbs.find(([db]) => db !== 0)?.[0] ?? info?.db ?? 0,
    commands: Object.fromEntries(commands),
    crossSlot,
    crossSlotTransactions: at.transactions,
    crossSlotScripts: at.scripts,
    // Never listed: only a CLIENT SETINFO seen in MONITOR (accepted, so the server has it) tells.
    libraryFieldsShown: info ? info.libName !== undefined : said?.libName !== undefined,
    ...(sampledCommands || loggedCommands ? { otherLenses: otherLenses(rec, sampledCommands, loggedCommands) } : {}),
  });
  return {
    key: rec.key,
    id: info?.id,
    addr,
    ip: info?.ip ?? ipOf(rec.addrKey),
    name,
    ...(name !== '' ? { service: serviceOf(name) } : {}),
    libName,
    libVer,
    user: info?.user,
    db: info?.db ?? 0,
    ...(rec.openedAt !== undefined ? { openedAt: rec.openedAt } : {}),
    ...(rec.lastActiveAt !== undefined ? { lastActiveAt: rec.lastActiveAt } : {}),
    lastCommand: info?.cmd,
    flags: info?.flags,
    omem: info?.omem,
    connected: rec.connected,
    listed: rec.listed,
    self: rec.self,
    firstSeen: rec.firstSeen,
    lastSeen: rec.lastSeen,
    events: act.events,
    reads: act.reads,
    writes: act.writes,
    opsPerSec: act.shownRate,
    commands,
    prefixes: act.patterns.entries(names).map((e) => ({ prefix: e.pattern, reads: e.reads, writes: e.writes })),
    topKeys: act.keys.top(BOUNDS.topKeysPerClient).map(({ key, count }) => ({ key, count })),
    dbs,
    crossSlot,
    crossSlotTransactions: at.transactions,
    crossSlotScripts: at.scripts,
    ...(rec.shared ? { sharedBy: rec.shared } : {}),
    recent: act.recent(),
    ...(rec.counters
      ? {
          counters: { commands: rec.counters.commands, netIn: rec.counters.netIn, netOut: rec.counters.netOut, from: rec.counters.from },
          counterRates: { commands: rec.counters.rateCommands, netIn: rec.counters.rateNetIn, netOut: rec.counters.rateNetOut },
        }
      : {}),
    ...(sampledCommands ? { sampledCommands } : {}),
    ...(rec.logged && loggedCommands ? { logged: { lens: rec.logged.lens, entries: rec.logged.entries, commands: loggedCommands, recent: [...rec.logged.recent] } } : {}),
    ...(rec.cover ? { cover: { ...rec.cover } } : {}),
    ...(judged
      ? {
          library: info || said?.libName !== undefined
            ? judged.library
            : { verdict: 'unknown' as const, reason: 'seen only in MONITOR: the connection closed before a CLIENT LIST poll could read its library' },
          findings: judged.findings,
        }
      : {}),
  };
}

/** Commands the cheaper lenses saw it run, for the audit (the log's lens first: it is the more exact). */
function otherLenses(
  rec: ClientRecord,
  sampled: ReadonlyArray<readonly [string, number]> | undefined,
  logged: ReadonlyArray<readonly [string, number]> | undefined,
): Array<{ command: string; lens: 'client-list' | 'slowlog' | 'commandlog'; count: number }> {
  const out: Array<{ command: string; lens: 'client-list' | 'slowlog' | 'commandlog'; count: number }> = [];
  const logLens = rec.logged?.lens ?? 'slowlog';
  for (const [command, count] of logged ?? []) out.push({ command, lens: logLens, count });
  for (const [command, count] of sampled ?? []) out.push({ command, lens: 'client-list', count });
  return out;
}

/** The IP part of a MONITOR source: `1.2.3.4:5` → `1.2.3.4`, `[::1]:5` → `::1`, unix/lua unchanged. */
export function ipOf(addrKey: string): string {
  if (addrKey.startsWith('[')) return addrKey.slice(1, addrKey.indexOf(']'));
  if (addrKey.startsWith('unix:') || addrKey === 'lua' || addrKey === '') return addrKey;
  const at = addrKey.lastIndexOf(':');
  return at < 0 ? addrKey : addrKey.slice(0, at);
}
