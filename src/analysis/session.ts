// The session: everything learned since the run began, joined per client. It mutates bounded
// structures in place as batches arrive (a copy per event would cost more than the parsing) and
// publishes immutable views on request, reusing the view of every client that did not change.
import { BOUNDS } from '../bounds.ts';
import type { Classified, ClientInfo, CommandClassifier, MonitorEvent } from '../types.ts';
import { SpaceSaving } from './spaceSaving.ts';
import { PrefixTree } from './prefixTree.ts';
import { BoundedCounter, ReadWriteCounter, detach } from './boundedCounter.ts';
import { EwmaRate } from './rate.ts';
import { isCrossSlot } from './slots.ts';
import type { ClientAuditInput, Finding } from '../audit/findings.ts';

/** A MONITOR event, optionally already classified (a recording carries its classification). */
export interface IngestEvent extends MonitorEvent {
  readonly classified?: Classified;
}

export interface KeyCount {
  readonly key: string;
  readonly count: number;
}

export interface PrefixCount {
  readonly prefix: string;
  readonly reads: number;
  readonly writes: number;
}

/** One client as the UI and exports see it: identity from CLIENT LIST, activity from MONITOR. */
export interface ClientView {
  /** Ledger key: the server id, or `addr:<address>` for a connection seen only in MONITOR. */
  readonly key: string;
  readonly id?: string;
  readonly addr: string;
  readonly ip: string;
  readonly name: string;
  readonly libName?: string;
  readonly libVer?: string;
  readonly user?: string;
  readonly db: number;
  readonly age?: number;
  readonly idle?: number;
  readonly lastCommand?: string;
  readonly flags?: string;
  readonly omem?: number;
  /** Still in the latest CLIENT LIST. */
  readonly connected: boolean;
  /** False for connections known only from MONITOR lines: they came and went between polls. */
  readonly listed: boolean;
  readonly self: boolean;
  /** Wall time (ms) the connection opened (from CLIENT LIST age) or was first seen. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly events: number;
  readonly reads: number;
  readonly writes: number;
  readonly opsPerSec: number;
  /** Command name → count, most used first. */
  readonly commands: ReadonlyArray<readonly [string, number]>;
  readonly prefixes: readonly PrefixCount[];
  readonly topKeys: readonly KeyCount[];
  readonly fields?: Readonly<Record<string, string>>;
  /** Databases this client's commands ran in, from MONITOR (db 0 included), most used first. */
  readonly dbs: ReadonlyArray<readonly [number, number]>;
  /** Multi-key calls whose keys hash to different cluster slots, with the first such call's keys. */
  readonly crossSlot: { readonly count: number; readonly example: readonly string[] };
  /**
   * Set on the entry that stands for several connections printing the same address (every
   * unix-socket client shows `<path>:0`): MONITOR cannot tell them apart, so their events land here.
   */
  readonly sharedBy?: number;
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

/** Read-only access to the prefix tree, which is read in place rather than copied per flush. */
export type PrefixTreeReader = Pick<PrefixTree, 'children' | 'node' | 'all'>;

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
}

const EMPTY_TREE: PrefixTreeReader = new PrefixTree(':');
export const emptyView = (): SessionView => ({
  version: 0,
  clients: [],
  topKeys: [],
  tree: EMPTY_TREE,
  totals: { events: 0, reads: 0, writes: 0, keyed: 0, eventsPerSec: 0 },
});

export interface SessionOptions {
  readonly delimiter: string;
  readonly classifier: CommandClassifier;
  readonly isSelf: (info: ClientInfo) => boolean;
  readonly audit?: Auditor;
}

/** Commands by which a connection names itself: a short-lived one is known by them alone. */
export const IDENTITY_COMMANDS: ReadonlySet<string> = new Set(['CLIENT|SETNAME', 'CLIENT|SETINFO', 'HELLO']);

function announce(rec: ClientRecord, command: string, args: readonly string[]): void {
  const a = (rec.announced ??= {});
  if (command === 'CLIENT|SETNAME' && args[2] !== undefined) a.name = detach(args[2]);
  else if (command === 'CLIENT|SETINFO' && args[3] !== undefined) {
    const attr = args[2]?.toUpperCase();
    if (attr === 'LIB-NAME') a.libName = detach(args[3]);
    else if (attr === 'LIB-VER') a.libVer = detach(args[3]);
  } else if (command === 'HELLO') {
    const at = args.findIndex((x, i) => i > 0 && x.toUpperCase() === 'SETNAME');
    if (at > 0 && args[at + 1] !== undefined) a.name = detach(args[at + 1]!);
  }
}

/** Top keys in each published view (the sketch itself keeps BOUNDS.topKeys). */
const PUBLISHED_TOP_KEYS = 200;

/** Departed clients forgotten beyond the bound at once, so the ledger is not sorted per arrival. */
const EVICTION_SLACK = Math.floor(BOUNDS.ledgerClients / 20);

/** Keys kept as the example of a cross-slot call, and databases counted per client. */
const CROSS_SLOT_EXAMPLE_KEYS = 8;
const DBS_PER_CLIENT = 16;

interface ClientRecord {
  key: string;
  info?: ClientInfo;
  addrKey: string;
  connected: boolean;
  listed: boolean;
  self: boolean;
  firstSeen: number;
  lastSeen: number;
  createdAt: number;
  events: number;
  reads: number;
  writes: number;
  /** Smoothed ops/s, the same moving average the prefix tree uses, so the column does not flicker. */
  rate: EwmaRate;
  /** The rate last published, rounded: a view is rebuilt only when what it shows changes. */
  shownRate: number;
  commands: BoundedCounter;
  prefixes: ReadWriteCounter;
  keys: SpaceSaving;
  dbs: Map<number, number>;
  /** For the entry standing for several connections on one address: how many. */
  shared?: number;
  /** Identity the connection announced in MONITOR (CLIENT SETNAME/SETINFO, HELLO SETNAME). */
  announced?: { name?: string; libName?: string; libVer?: string };
  crossSlotCount: number;
  crossSlotExample: readonly string[];
  dirty: boolean;
  view?: ClientView;
}

export class Session {
  readonly tree: PrefixTree;
  readonly keys = new SpaceSaving(BOUNDS.topKeys, { admission: 'randomized' });
  private readonly ledger = new Map<string, ClientRecord>();
  private readonly byAddr = new Map<string, ClientRecord>();
  private scriptCaller: ClientRecord | undefined;
  private version = 0;
  private events = 0;
  private reads = 0;
  private writes = 0;
  private keyed = 0;
  private readonly rate = new EwmaRate();
  private nextEvictionScan = 0;
  private ledgerChanged = true;
  private clientViews: readonly ClientView[] = [];

  constructor(private readonly opts: SessionOptions) {
    this.tree = new PrefixTree(opts.delimiter);
  }

  /**
   * Applies one CLIENT LIST. Connections in it are (re)joined by id; connections known only from
   * MONITOR are adopted by address; those missing from it are kept, marked disconnected.
   * `pollStartedAt` guards against marking gone a connection first seen after the poll was sent.
   */
  applyClientList(clients: readonly ClientInfo[], nowMs: number, pollStartedAt = nowMs): void {
    const present = new Set<ClientRecord>();
    for (const info of clients) {
      let rec = this.ledger.get(info.id);
      if (rec === undefined) {
        const provisional = info.addrKey ? this.byAddr.get(info.addrKey) : undefined;
        if (provisional !== undefined && !provisional.listed) {
          this.ledger.delete(provisional.key);
          provisional.key = info.id;
          rec = provisional;
        } else {
          rec = this.newRecord(info.id, info.addrKey, nowMs);
        }
        this.ledger.set(info.id, rec);
      }
      rec.info = info;
      rec.listed = true;
      rec.connected = true;
      rec.self = this.opts.isSelf(info);
      rec.firstSeen = Math.min(rec.firstSeen, nowMs - info.age * 1000);
      rec.lastSeen = nowMs;
      rec.dirty = true;
      if (info.addrKey) this.byAddr.set(info.addrKey, rec);
      present.add(rec);
    }
    // Addresses several listed connections print at once (unix sockets): one shared entry each.
    const perAddr = new Map<string, number>();
    for (const info of clients) if (info.addrKey) perAddr.set(info.addrKey, (perAddr.get(info.addrKey) ?? 0) + 1);
    for (const [addrKey, n] of perAddr) {
      if (n < 2) continue;
      const key = `shared:${addrKey}`;
      let shared = this.ledger.get(key);
      if (!shared) {
        shared = this.newRecord(key, addrKey, nowMs);
        this.ledger.set(key, shared);
      }
      shared.listed = true;
      shared.connected = true;
      shared.shared = n;
      shared.lastSeen = nowMs;
      shared.dirty = true;
      this.byAddr.set(addrKey, shared);
      present.add(shared);
    }
    for (const rec of this.ledger.values()) {
      if (!rec.connected || present.has(rec)) continue;
      if (!rec.listed && rec.createdAt >= pollStartedAt) continue;
      // The address keeps pointing here: MONITOR lines from the connection's last moments can
      // arrive after the poll that saw it gone. A new connection on the same address replaces it.
      rec.connected = false;
      rec.dirty = true;
    }
    this.ledgerChanged = true;
    this.evictDeparted();
  }

  /**
   * Aggregates a batch of MONITOR events. `unknownAddresses` > 0 says a poll would tell more: lines
   * from an address no poll has listed, or from one whose connection a poll saw leave.
   */
  ingest(events: readonly IngestEvent[], nowMs: number): { unknownAddresses: number } {
    const { classifier, delimiter } = this.opts;
    let unknownAddresses = 0;
    for (const ev of events) {
      let rec: ClientRecord;
      if (ev.source === 'lua') {
        // A script's own commands follow its EVAL/FCALL line at once; the caller owns them.
        rec = this.scriptCaller ?? this.recordFor('lua', nowMs);
      } else {
        this.scriptCaller = undefined;
        const known = this.byAddr.get(ev.source);
        if (known === undefined) {
          unknownAddresses++;
          rec = this.recordFor(ev.source, nowMs);
        } else {
          // Late lines of a departed connection, or a new one reusing its port: a poll tells which.
          if (!known.connected) unknownAddresses++;
          rec = known;
        }
      }
      const c = ev.classified ?? classifier.classify(ev.args);
      if (c.script) this.scriptCaller = rec;
      if (IDENTITY_COMMANDS.has(c.command)) announce(rec, c.command, ev.args);
      if (rec.dbs.has(ev.db) || rec.dbs.size < DBS_PER_CLIENT) rec.dbs.set(ev.db, (rec.dbs.get(ev.db) ?? 0) + 1);
      if (c.keys.length > 1 && isCrossSlot(c.keys.map((k) => k.key))) {
        if (rec.crossSlotCount++ === 0) rec.crossSlotExample = c.keys.slice(0, CROSS_SLOT_EXAMPLE_KEYS).map((k) => detach(k.key));
      }
      rec.events++;
      rec.lastSeen = nowMs;
      rec.dirty = true;
      rec.commands.add(c.command);
      this.events++;
      if (c.access === 'read') {
        rec.reads++;
        this.reads++;
      } else if (c.access === 'write') {
        rec.writes++;
        this.writes++;
      }
      const keys = c.keys;
      for (let i = 0; i < keys.length; i++) {
        const touch = keys[i]!;
        const key = touch.key.length > BOUNDS.keyLength ? touch.key.slice(0, BOUNDS.keyLength) : touch.key;
        this.keyed++;
        this.tree.add(key, touch.write);
        // One copy of a new key serves both sketches: kept strings outlive young collections, so
        // on streams of one-off keys every extra copy is old-generation garbage.
        const held = this.keys.offer(key);
        rec.keys.offer(held ?? key, 1, held !== undefined);
        // Every proper delimiter-ended prefix of the key (the same ones the tree counts), so a
        // client can be matched at any depth.
        let from = 0;
        let depth = 0;
        for (;;) {
          const at = key.indexOf(delimiter, from);
          if (at < 0 || ++depth > BOUNDS.prefixDepth) break;
          from = at + delimiter.length;
          if (from >= key.length) break;
          rec.prefixes.add(key.slice(0, from), touch.write);
        }
      }
    }
    return { unknownAddresses };
  }

  /** Advances rates to `nowMs`. */
  tick(nowMs: number): void {
    this.tree.tick(nowMs);
    this.rate.tick(this.events, nowMs);
    for (const rec of this.ledger.values()) {
      const shown = roundRate(rec.rate.tick(rec.events, nowMs));
      if (shown !== rec.shownRate) {
        rec.shownRate = shown;
        rec.dirty = true;
      }
    }
  }

  /** An immutable view; unchanged clients keep their previous view object. */
  view(): SessionView {
    let changed = this.ledgerChanged;
    for (const rec of this.ledger.values()) {
      if (rec.dirty || rec.view === undefined) {
        rec.view = toView(rec, rec.self || rec.shared ? undefined : this.opts.audit);
        rec.dirty = false;
        changed = true;
      }
    }
    if (changed) this.clientViews = Array.from(this.ledger.values(), (r) => r.view!);
    this.ledgerChanged = false;
    this.version++;
    return {
      version: this.version,
      clients: this.clientViews,
      topKeys: this.keys.top(PUBLISHED_TOP_KEYS).map(({ key, count }) => ({ key, count })),
      tree: this.tree,
      totals: {
        events: this.events,
        reads: this.reads,
        writes: this.writes,
        keyed: this.keyed,
        eventsPerSec: this.rate.value,
      },
    };
  }

  private recordFor(addrKey: string, nowMs: number): ClientRecord {
    const existing = this.byAddr.get(addrKey);
    if (existing) return existing;
    const rec = this.newRecord(`addr:${addrKey}`, addrKey, nowMs);
    // Unlisted connections count as connected until a poll sent after their first line misses them.
    rec.connected = true;
    this.ledger.set(rec.key, rec);
    this.byAddr.set(addrKey, rec);
    this.ledgerChanged = true;
    this.evictDeparted();
    return rec;
  }

  private newRecord(key: string, addrKey: string, nowMs: number): ClientRecord {
    return {
      key,
      addrKey,
      connected: true,
      listed: false,
      self: false,
      firstSeen: nowMs,
      lastSeen: nowMs,
      createdAt: nowMs,
      events: 0,
      reads: 0,
      writes: 0,
      rate: new EwmaRate(),
      shownRate: 0,
      commands: new BoundedCounter(BOUNDS.commandsPerClient),
      prefixes: new ReadWriteCounter(BOUNDS.prefixesPerClient),
      keys: new SpaceSaving(BOUNDS.topKeysPerClient, { admission: 'randomized' }),
      dbs: new Map(),
      crossSlotCount: 0,
      crossSlotExample: [],
      dirty: true,
    };
  }

  /** Keeps the ledger within its bound by forgetting the longest-departed clients first. */
  private evictDeparted(): void {
    const excess = this.ledger.size - BOUNDS.ledgerClients;
    // Connected clients are never forgotten: when a scan found no departed one to drop, wait for
    // the ledger to grow by the slack before scanning again rather than scanning every arrival.
    if (excess <= 0 || this.ledger.size < this.nextEvictionScan) return;
    const departed = [...this.ledger.values()].filter((r) => !r.connected).sort((a, b) => a.lastSeen - b.lastSeen);
    if (departed.length === 0) {
      this.nextEvictionScan = this.ledger.size + EVICTION_SLACK;
      return;
    }
    // Slack, so churning connections cost one sort per thousand arrivals, not one each.
    for (const rec of departed.slice(0, excess + EVICTION_SLACK)) {
      this.ledger.delete(rec.key);
      if (this.byAddr.get(rec.addrKey) === rec) this.byAddr.delete(rec.addrKey);
      if (this.scriptCaller === rec) this.scriptCaller = undefined;
    }
    this.ledgerChanged = true;
  }
}

function toView(rec: ClientRecord, audit: Auditor | undefined): ClientView {
  const info = rec.info;
  const addr = info?.addr ?? rec.addrKey;
  const commands = rec.commands.entries().map((e) => [e.key, e.count] as const);
  const dbs = [...rec.dbs].sort((a, b) => b[1] - a[1]);
  const crossSlot = { count: rec.crossSlotCount, example: rec.crossSlotExample };
  // CLIENT LIST is the authority; what the connection announced in MONITOR fills in for one never listed.
  const said = info ? undefined : rec.announced;
  const name = info?.name ?? said?.name ?? '';
  const libName = info?.libName ?? said?.libName;
  const libVer = info?.libVer ?? said?.libVer;
  const judged = audit?.({
    name,
    libName,
    libVer,
    // The database it works in: the busiest non-zero one seen in MONITOR, else CLIENT LIST's.
    db: dbs.find(([db]) => db !== 0)?.[0] ?? info?.db ?? 0,
    commands: Object.fromEntries(commands),
    crossSlot,
    // Never listed: only a CLIENT SETINFO seen in MONITOR (accepted, so the server has it) tells.
    libraryFieldsShown: info ? info.libName !== undefined : said?.libName !== undefined,
  });
  return {
    key: rec.key,
    id: info?.id,
    addr,
    ip: info?.ip ?? ipOf(rec.addrKey),
    name,
    libName,
    libVer,
    user: info?.user,
    db: info?.db ?? 0,
    age: info?.age,
    idle: info?.idle,
    lastCommand: info?.cmd,
    flags: info?.flags,
    omem: info?.omem,
    connected: rec.connected,
    listed: rec.listed,
    self: rec.self,
    firstSeen: rec.firstSeen,
    lastSeen: rec.lastSeen,
    events: rec.events,
    reads: rec.reads,
    writes: rec.writes,
    opsPerSec: rec.shownRate,
    commands,
    prefixes: rec.prefixes.entries().map((e) => ({ prefix: e.key, reads: e.reads, writes: e.writes })),
    topKeys: rec.keys.top(BOUNDS.topKeysPerClient).map(({ key, count }) => ({ key, count })),
    fields: info?.fields,
    dbs,
    crossSlot,
    ...(rec.shared ? { sharedBy: rec.shared } : {}),
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

/** Two significant digits, and nothing below 0.01/s: a decaying average settles instead of redrawing forever. */
function roundRate(r: number): number {
  if (!(r >= 0.01)) return 0;
  const scale = 10 ** (Math.floor(Math.log10(r)) - 1);
  return Math.round(r / scale) * scale;
}

/** The IP part of a MONITOR source: `1.2.3.4:5` → `1.2.3.4`, `[::1]:5` → `::1`, unix/lua unchanged. */
export function ipOf(addrKey: string): string {
  if (addrKey.startsWith('[')) return addrKey.slice(1, addrKey.indexOf(']'));
  if (addrKey.startsWith('unix:') || addrKey === 'lua' || addrKey === '') return addrKey;
  const at = addrKey.lastIndexOf(':');
  return at < 0 ? addrKey : addrKey.slice(0, at);
}
