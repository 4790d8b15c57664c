// The ledger: every connection the session knows of, and the joins that decide which one a MONITOR
// line belongs to. CLIENT LIST names connections by id and address; MONITOR only prints the address
// (and the database). The joins:
//
// - Ids are unique within one run of the server and restart at 1 with it: a restart (INFO's run_id;
//   else uptime going back, or an id listed with another address or opening time) starts a new
//   generation, and ids are keyed with it (`7`, then `7@1`), so a new connection never inherits a
//   departed one's history.
// - An address (`ip:port`) is held by one connection at a time but reused over time (NAT, clients
//   that open a connection per request). Each address keeps its latest connections as tenancies,
//   each from a start time in the server's clock; a line goes to the tenancy its timestamp falls in.
//   A new tenancy begins when (a) a poll lists a new id on the address (it opened at about the
//   poll's server time minus its age, ± 1 s: ages are whole seconds), (b) a line comes after the
//   poll that saw the previous connection leave, or (c) a connection's setup command (HELLO, AUTH,
//   CLIENT SETNAME/SETINFO) comes from an address whose connection has already worked. A poll then
//   confirms: a listed connection held its address from when it opened until the poll, so any
//   never-listed tenancy begun in that time was that connection (a re-AUTH, a late CLIENT SETINFO)
//   and is folded back into it.
// - Unix-socket connections all print `<path>:0` in CLIENT LIST and `unix:<path>` in MONITOR; only
//   the database tells them apart. One listed connection in a line's database gets it; several
//   get a shared entry (`sharedBy`), as honest as MONITOR allows.
// - Nothing grows without bound: departed connections are forgotten oldest first past
//   BOUNDS.ledgerClients, and connections no poll confirms and MONITOR has not shown for
//   BOUNDS.quietAddressMs of the events' own time are marked gone (a capture has no polls).
//
// Times: `*Server` fields and tenancy starts are the server's clock (MONITOR timestamps). Each poll
// maps it to ours with INFO's server_time_usec (Redis 5+/Valkey); without it (recordings, captures)
// the clocks are taken as one, true on loopback and for recordings. Other times are ours, in ms.
import { BOUNDS } from '../bounds.ts';
import type { Classified, ClientInfo, MonitorEvent } from '../types.ts';
import { ClientActivity } from './activity.ts';
import { ClientAtomicity } from './atomicity.ts';
import { NEW_CONNECTION_COMMANDS, SETUP_COMMANDS, type Announced } from './identity.ts';
import type { ClientView } from './views.ts';
import { BoundedCounter } from './boundedCounter.ts';
import { LENS_BOUNDS } from '../bounds.ts';
import type { LogKind } from '../parse/commandLog.ts';
import { addressKey } from '../parse/clientList.ts';

/** One CLIENT LIST (+ INFO) poll: a PollResult (src/pipeline.ts) fits. */
export interface PollInput {
  /** Our clock when the poll was sent, and when its answer came. */
  readonly startedAt: number;
  readonly at: number;
  readonly clients: readonly ClientInfo[];
  /** Parsed INFO: run_id, uptime_in_seconds, server_time_usec are read when present. */
  readonly info?: Readonly<Record<string, string>>;
}

export interface ClientRecord {
  key: string;
  info?: ClientInfo;
  addrKey: string;
  connected: boolean;
  listed: boolean;
  self: boolean;
  /** Our clock: when the ledger first heard of it (a line's arrival, or the poll that listed it). */
  readonly createdAt: number;
  firstSeen: number;
  lastSeen: number;
  /** When it opened (from CLIENT LIST's age), ours and the server's clock. */
  openedAt?: number;
  openedAtServer?: number;
  /** Last known activity, ours; and the idle-derived one in the server's clock. */
  lastActiveAt?: number;
  lastActiveServer?: number;
  /** The last poll that listed it (ours, the server's). */
  lastListedAt?: number;
  lastListedServer?: number;
  /** The server time of the poll that saw it gone. */
  goneAtServer?: number;
  /** Server time of its first and latest MONITOR line. */
  firstLine: number;
  lastLine: number;
  /** It sent something other than connection setup (so a later HELLO/AUTH/SETNAME is not its own). */
  setupDone: boolean;
  readonly activity: ClientActivity;
  readonly atomic: ClientAtomicity;
  /** For an entry standing for several unix-socket connections: how many, and their database. */
  shared?: number;
  sharedDb?: number;
  /** Identity the connection announced in MONITOR (CLIENT SETNAME/SETINFO, HELLO SETNAME). */
  announced?: Announced;
  /** CLIENT LIST's `tot-cmds`/`tot-net-in`/`tot-net-out`, summed over the window (Valkey 8+). */
  counters?: CounterState;
  /** Last commands (`cmd=`) seen in polls that found it active, with how many polls. */
  sampled?: BoundedCounter;
  /** What the command logs (SLOWLOG, COMMANDLOG) recorded of it. */
  logged?: LoggedState;
  /**
   * How much of its life sampled MONITOR watched: from when the ledger first heard of it (ours, and
   * the node's cumulative MONITOR on-time then) until the poll that saw it leave. Only when the
   * session has an on-clock (live, MONITOR sampled).
   */
  cover?: { from: number; onFrom: number; to?: number; onTo?: number };
  dirty: boolean;
  view?: ClientView;
}

/**
 * One connection's counters: totals over the window, the last reading, the rate over the last
 * interval. Flat numbers, updated in place: read for every listed connection at every poll.
 */
export interface CounterState {
  commands: number;
  netIn: number;
  netOut: number;
  /** Our clock: counting began (the window's first poll, or when it opened, if later). */
  readonly from: number;
  lastCommands: number;
  lastNetIn: number;
  lastNetOut: number;
  lastAt: number;
  /** Per second over the interval between its last two polls. */
  rateCommands: number;
  rateNetIn: number;
  rateNetOut: number;
}

/** One command-log entry as a client's detail shows it. */
export interface LoggedEntry {
  readonly kind: LogKind;
  readonly id: number;
  /** Ms, the server's clock. */
  readonly at: number;
  /** µs for `slow`, bytes for `large-request`/`large-reply`. */
  readonly value: number;
  readonly command: string;
  readonly keys: readonly string[];
}

export interface LoggedState {
  /** Which log: SLOWLOG, or COMMANDLOG where the server has it. */
  lens: 'slowlog' | 'commandlog';
  entries: number;
  readonly commands: BoundedCounter;
  /** The newest few, oldest first. */
  recent: LoggedEntry[];
}

interface Tenancy {
  readonly rec: ClientRecord;
  /** Server time from which lines on the address are this connection's. */
  from: number;
}

interface UnixGroup {
  readonly all: ClientRecord[];
  readonly byDb: Map<number, ClientRecord[]>;
}

export interface LedgerOptions {
  readonly isSelf: (info: ClientInfo) => boolean;
  /** A connection left or was forgotten (its open transaction ends with it). */
  readonly onGone: (rec: ClientRecord) => void;
  /**
   * The node's cumulative MONITOR on-time now (ms), when MONITOR is sampled: each record notes it
   * when it begins and ends, so its counts can be scaled by how much of its life MONITOR watched.
   */
  readonly monitorClock?: () => { readonly at: number; readonly on: number };
}

/** CLIENT LIST's age and idle are whole seconds. */
const SECOND = 1000;
/** Open longer than this, a connection has done its setup: a setup command from its address is another's. */
const SETUP_WINDOW_MS = 2 * SECOND;
/** Idle must move by more than this (whole seconds, plus the poll's own jitter) to be activity. */
const ACTIVITY_STEP_MS = 1.5 * SECOND;
/** An id listed again with an opening time this far off is another connection (the server restarted). */
const SAME_OPENING_MS = 2.5 * SECOND;
/** Departed clients forgotten beyond the bound at once, so the ledger is not sorted per arrival. */
const EVICTION_SLACK = Math.floor(BOUNDS.ledgerClients / 20);

const isUnix = (addr: string): boolean => addr.startsWith('unix:');

export class Ledger {
  private readonly records = new Map<string, ClientRecord>();
  /** Listed connections of the server's current run, by id. */
  private readonly byId = new Map<string, ClientRecord>();
  /** TCP addresses: their latest connections, oldest first. */
  private readonly byAddr = new Map<string, Tenancy[]>();
  /** Unix-socket connections of the latest poll, per socket path. */
  private unixGroups = new Map<string, UnixGroup>();
  /** Lines from a socket path no poll lists a connection on. */
  private readonly unixLoose = new Map<string, ClientRecord>();
  /** `lua` lines no script call claims, and lines with no address. */
  private readonly special = new Map<string, ClientRecord>();
  private readonly sharedEntries = new Map<string, ClientRecord>();
  private generation = 0;
  private runId: string | undefined;
  private serverStart: number | undefined;
  private serial = 0;
  private latestLine = -Infinity;
  private nextQuietScan = -Infinity;
  private nextEvictionScan = 0;
  /** Server time of the first poll: the counters' window begins there. */
  private windowStartServer: number | undefined;
  /**
   * The connections the window's first poll listed. Any other opened after the window began: its
   * counters count from 0. CLIENT LIST's `age` is whole seconds, too coarse to tell that alone for a
   * connection opened within a second of the first poll.
   */
  private initialIds: ReadonlySet<string> | undefined;
  /** Membership or order changed since the last view. */
  changed = true;

  constructor(private readonly opts: LedgerOptions) {}

  values(): IterableIterator<ClientRecord> {
    return this.records.values();
  }

  get size(): number {
    return this.records.size;
  }

  get(key: string): ClientRecord | undefined {
    return this.records.get(key);
  }

  // ---------------------------------------------------------------------------------------------
  // Polls

  applyPoll(poll: PollInput): void {
    const localAt = (poll.startedAt + poll.at) / 2;
    const serverNow = serverTimeOf(poll.info);
    const serverAt = serverNow ?? localAt;
    /** Server ms minus ours, for this poll. */
    const offset = serverAt - localAt;
    // Without the server's clock, a poll's own duration blurs every time it gives.
    const slack = serverNow === undefined ? Math.max(0, poll.at - poll.startedAt) : 0;
    this.detectRestart(poll, serverAt, slack);
    if (this.windowStartServer === undefined) {
      this.windowStartServer = serverAt;
      this.initialIds = new Set(poll.clients.map((x) => x.id));
    }

    const present = new Set<ClientRecord>();
    const unixCount = new Map<string, number>();
    for (const x of poll.clients) if (isUnix(x.addrKey)) unixCount.set(x.addrKey, (unixCount.get(x.addrKey) ?? 0) + 1);

    for (const x of poll.clients) {
      const opened = serverAt - x.age * SECOND;
      let rec = this.byId.get(x.id);
      if (isUnix(x.addrKey)) {
        rec ??= this.adoptLooseUnix(x, unixCount.get(x.addrKey) ?? 0) ?? this.created(x, poll.at);
      } else if (x.addrKey !== '') {
        rec = this.joinAddress(x, rec, opened, serverAt, poll.at);
      } else {
        rec ??= this.created(x, poll.at);
      }
      this.listed(rec, x, opened, offset, serverAt, poll.at);
      present.add(rec);
    }

    this.groupUnix(present, serverAt);

    for (const rec of this.records.values()) {
      if (!rec.connected || present.has(rec)) continue;
      // A connection whose first line arrived after the poll was sent may simply be newer than it.
      if (!rec.listed && rec.createdAt >= poll.startedAt) continue;
      // The address keeps pointing here: lines from its last moments may arrive after this poll.
      this.gone(rec, serverAt);
    }
    this.evict();
  }

  /** A restart starts a new generation of ids. True when this poll shows one. */
  private detectRestart(poll: PollInput, serverAt: number, slack: number): boolean {
    const info = poll.info ?? {};
    const runId = info['run_id'] || undefined;
    const uptime = Number(info['uptime_in_seconds']);
    let restarted = false;
    if (runId !== undefined) {
      restarted = this.runId !== undefined && runId !== this.runId;
      this.runId = runId;
    } else {
      if (info['uptime_in_seconds'] !== undefined && Number.isFinite(uptime)) {
        const start = serverAt - uptime * SECOND;
        restarted = this.serverStart !== undefined && start > this.serverStart + SAME_OPENING_MS + slack;
        this.serverStart = restarted || this.serverStart === undefined ? start : Math.min(this.serverStart, start);
      }
      // Recordings and captures carry no INFO: an id is one connection for a whole run of the
      // server, so an id listed with another address or opening time means the server restarted.
      if (!restarted) {
        for (const x of poll.clients) {
          const r = this.byId.get(x.id);
          if (r === undefined) continue;
          const opened = serverAt - x.age * SECOND;
          if (r.addrKey !== x.addrKey || (r.openedAtServer !== undefined && Math.abs(opened - r.openedAtServer) > SAME_OPENING_MS + slack)) {
            restarted = true;
            break;
          }
        }
      }
    }
    if (restarted) {
      this.generation++;
      this.byId.clear();
      // Every connection of the previous run is gone; the departure pass marks them.
    }
    return restarted;
  }

  /**
   * A TCP connection listed at `addr`, opened at server time `opened`. The poll says it held the
   * address from then until now: it adopts the never-listed tenancy its lines began as, and folds
   * in any later never-listed one (a setup command that was not a new connection after all).
   */
  private joinAddress(x: ClientInfo, known: ClientRecord | undefined, opened: number, serverAt: number, at: number): ClientRecord {
    let chain = this.byAddr.get(x.addrKey);
    if (chain === undefined) this.byAddr.set(x.addrKey, (chain = []));
    let rec = known;
    if (rec === undefined) {
      const loose = chain.find((t) => !t.rec.listed && t.rec.connected && t.from >= opened - SECOND && t.from < serverAt);
      if (loose !== undefined) rec = this.adopt(loose.rec, x);
      else {
        rec = this.created(x, at);
        // It opened after the previous connection was last listed and by this poll. Its lines
        // start at the latest time it may have opened: lines from the previous connection's last
        // moments stay that one's; its own setup command, if earlier, moves the start (resolve).
        place(chain, { rec, from: chain.length === 0 ? -Infinity : Math.min(serverAt, opened + SECOND) });
      }
    } else if (!chain.some((t) => t.rec === rec)) {
      place(chain, { rec, from: chain.length === 0 ? -Infinity : opened });
    }
    const at0 = chain.findIndex((t) => t.rec === rec);
    for (let i = chain.length - 1; i > at0; i--) {
      const t = chain[i]!;
      if (t.rec.listed || t.from < opened - SECOND || t.from >= serverAt) continue;
      this.fold(t.rec, rec);
    }
    trim(chain);
    return rec;
  }

  private adoptLooseUnix(x: ClientInfo, listedOnPath: number): ClientRecord | undefined {
    const loose = this.unixLoose.get(x.addrKey);
    if (loose === undefined || listedOnPath !== 1 || !loose.connected || loose.listed) return undefined;
    this.unixLoose.delete(x.addrKey);
    return this.adopt(loose, x);
  }

  /** A never-listed record becomes the listed connection `x`. */
  private adopt(rec: ClientRecord, x: ClientInfo): ClientRecord {
    this.records.delete(rec.key);
    rec.key = this.keyFor(x.id);
    this.records.set(rec.key, rec);
    this.byId.set(x.id, rec);
    this.changed = true;
    return rec;
  }

  private created(x: ClientInfo, at: number): ClientRecord {
    const rec = this.stamp(newRecord(this.keyFor(x.id), x.addrKey, at, -Infinity));
    this.records.set(rec.key, rec);
    this.byId.set(x.id, rec);
    this.changed = true;
    return rec;
  }

  /** Ids restart with the server: after a restart they are keyed with the generation. */
  private keyFor(id: string): string {
    return this.generation === 0 ? id : `${id}@${this.generation}`;
  }

  /**
   * What this poll says of a listed connection. Absolute times are kept (opened at, last active
   * at) and moved only when they really move, so a poll that only advances age and idle leaves the
   * record clean and its view the same object.
   */
  private listed(rec: ClientRecord, x: ClientInfo, opened: number, offset: number, serverAt: number, at: number): void {
    const prev = rec.info;
    rec.info = x;
    if (!rec.listed || !rec.connected) {
      rec.listed = true;
      rec.connected = true;
      rec.goneAtServer = undefined;
      if (rec.cover) rec.cover = { from: rec.cover.from, onFrom: rec.cover.onFrom };
      rec.lastSeen = Math.max(rec.lastSeen, at);
      rec.dirty = true;
    }
    const self = this.opts.isSelf(x);
    if (self !== rec.self) {
      rec.self = self;
      rec.dirty = true;
    }
    if (rec.openedAtServer === undefined) {
      rec.openedAtServer = opened;
      rec.openedAt = opened - offset;
      rec.firstSeen = Math.min(rec.firstSeen, rec.openedAt);
      rec.dirty = true;
    }
    const active = serverAt - x.idle * SECOND;
    if (rec.lastActiveServer === undefined || active - rec.lastActiveServer > ACTIVITY_STEP_MS) {
      rec.lastActiveServer = active;
      const local = active - offset;
      // A MONITOR line may already have said so, more precisely.
      if (rec.lastActiveAt === undefined || local > rec.lastActiveAt + ACTIVITY_STEP_MS) rec.lastActiveAt = local;
      rec.dirty = true;
    }
    if (prev !== undefined && shownChanged(prev, x)) rec.dirty = true;
    this.countersOf(rec, x, opened, offset, at);
    this.sampleCommand(rec, x, prev, at);
    rec.lastListedAt = at;
    rec.lastListedServer = serverAt;
  }

  /**
   * CLIENT LIST's per-connection counters (Valkey 8+, recent Redis): the deltas between polls,
   * summed. A connection that opened after the window began counted from 0 when it opened; one
   * already open counts from the first poll that lists it. A counter going back (reset) counts
   * from 0 again. A record whose counters did not move stays clean: idle connections cost nothing.
   */
  private countersOf(rec: ClientRecord, x: ClientInfo, opened: number, offset: number, at: number): void {
    if (x.totCmds === undefined) return;
    const commands = counterOf(x.totCmds);
    const netIn = counterOf(x.totNetIn);
    const netOut = counterOf(x.totNetOut);
    const st = rec.counters;
    if (st === undefined) {
      const fresh =
        this.windowStartServer !== undefined && (opened > this.windowStartServer || this.generation > 0 || !this.initialIds?.has(x.id));
      const from = fresh ? Math.max(opened, this.windowStartServer!) - offset : at;
      const secs = Math.max(1, (at - from) / 1000);
      rec.counters = {
        commands: fresh ? commands : 0,
        netIn: fresh ? netIn : 0,
        netOut: fresh ? netOut : 0,
        from,
        lastCommands: commands,
        lastNetIn: netIn,
        lastNetOut: netOut,
        lastAt: at,
        rateCommands: fresh ? commands / secs : 0,
        rateNetIn: fresh ? netIn / secs : 0,
        rateNetOut: fresh ? netOut / secs : 0,
      };
      rec.dirty = true;
      return;
    }
    // A counter going back was reset: it counts from 0 again.
    const dc = commands >= st.lastCommands ? commands - st.lastCommands : commands;
    const di = netIn >= st.lastNetIn ? netIn - st.lastNetIn : netIn;
    const dout = netOut >= st.lastNetOut ? netOut - st.lastNetOut : netOut;
    if (dc > 0 || di > 0 || dout > 0) {
      st.commands += dc;
      st.netIn += di;
      st.netOut += dout;
      const secs = (at - st.lastAt) / 1000;
      if (secs > 0) {
        st.rateCommands = dc / secs;
        st.rateNetIn = di / secs;
        st.rateNetOut = dout / secs;
      }
      rec.dirty = true;
    } else if (st.rateCommands !== 0 || st.rateNetIn !== 0 || st.rateNetOut !== 0) {
      // Idle since the last poll: its rate falls to 0 once; after that nothing changes.
      st.rateCommands = 0;
      st.rateNetIn = 0;
      st.rateNetOut = 0;
      rec.dirty = true;
    }
    st.lastCommands = commands;
    st.lastNetIn = netIn;
    st.lastNetOut = netOut;
    st.lastAt = at;
  }

  /**
   * CLIENT LIST's `cmd=`, sampled: counted for a poll that finds the connection active since the
   * previous one (its last command changed, or its idle time is shorter than the time since), or
   * at its first sighting, so an idle connection's last command counts once.
   */
  private sampleCommand(rec: ClientRecord, x: ClientInfo, prev: ClientInfo | undefined, at: number): void {
    const cmd = x.cmd;
    if (cmd === undefined || cmd === '' || cmd === 'NULL') return;
    const since = rec.lastListedAt;
    if (since !== undefined && prev !== undefined && prev.cmd === cmd && x.idle * SECOND >= at - since) return;
    (rec.sampled ??= new BoundedCounter(LENS_BOUNDS.sampledCommandsPerClient)).add(cmd.toUpperCase());
    rec.dirty = true;
  }

  /**
   * The connection a command-log entry came from: the one holding `addr` at the entry's time (ms,
   * the server's clock) that had opened by then; among several (ages are whole seconds), the one
   * with the entry's name. Unix-socket connections all print one address: the one with the name,
   * or the only one on the socket. Undefined when no connection the ledger knows fits.
   */
  findLogged(addr: string, name: string, at: number): ClientRecord | undefined {
    const key = addressKey(addr, '');
    if (key === '') return undefined;
    // Log times and ages are whole seconds: two of slack.
    const slack = 2 * SECOND;
    const fits = (r: ClientRecord): boolean =>
      (r.openedAtServer === undefined || r.openedAtServer <= at + slack) &&
      (r.goneAtServer === undefined || at <= r.goneAtServer + slack) &&
      r.firstLine <= at + slack;
    const named = (r: ClientRecord): string => r.info?.name ?? r.announced?.name ?? '';
    if (isUnix(key)) {
      const g = this.unixGroups.get(key);
      const all = g?.all ?? [];
      const byName = all.filter((r) => named(r) === name && fits(r));
      if (byName.length === 1) return byName[0];
      if (all.length === 1 && fits(all[0]!)) return all[0];
      const loose = this.unixLoose.get(key);
      return loose && fits(loose) ? loose : undefined;
    }
    const chain = this.byAddr.get(key);
    if (chain === undefined) return undefined;
    const candidates = chain.filter((t) => t.from <= at + slack && fits(t.rec)).map((t) => t.rec);
    if (candidates.length === 0) return undefined;
    return candidates.findLast((r) => named(r) === name) ?? candidates[candidates.length - 1];
  }

  /** Notes where MONITOR's on-time stood when a record began (sampled mode). */
  private stamp(rec: ClientRecord): ClientRecord {
    const clock = this.opts.monitorClock?.();
    if (clock) rec.cover = { from: clock.at, onFrom: clock.on };
    return rec;
  }

  /** Unix-socket connections of this poll, by path and database; shared entries follow them. */
  private groupUnix(present: Set<ClientRecord>, serverAt: number): void {
    const groups = new Map<string, UnixGroup>();
    for (const rec of present) {
      if (!isUnix(rec.addrKey) || rec.shared !== undefined) continue;
      let g = groups.get(rec.addrKey);
      if (!g) groups.set(rec.addrKey, (g = { all: [], byDb: new Map() }));
      g.all.push(rec);
      const db = rec.info?.db ?? 0;
      const inDb = g.byDb.get(db);
      if (inDb) inDb.push(rec);
      else g.byDb.set(db, [rec]);
    }
    this.unixGroups = groups;
    for (const sh of this.sharedEntries.values()) {
      const n = this.sharedMembers(sh.addrKey, sh.sharedDb)?.length ?? 0;
      if (n < 2) continue;
      if (sh.shared !== n || !sh.connected) {
        sh.shared = n;
        sh.connected = true;
        sh.goneAtServer = undefined;
        sh.dirty = true;
      }
      sh.lastListedServer = serverAt;
      present.add(sh);
    }
  }

  private sharedMembers(addr: string, db: number | undefined): ClientRecord[] | undefined {
    const g = this.unixGroups.get(addr);
    if (g === undefined) return undefined;
    return db === undefined ? g.all : g.byDb.get(db);
  }

  private gone(rec: ClientRecord, serverAt: number): void {
    rec.connected = false;
    rec.goneAtServer = serverAt;
    const clock = this.opts.monitorClock?.();
    if (clock && rec.cover) rec.cover = { from: rec.cover.from, onFrom: rec.cover.onFrom, to: Math.max(rec.cover.from, clock.at), onTo: clock.on };
    if (rec.lastListedAt !== undefined) rec.lastSeen = Math.max(rec.lastSeen, rec.lastListedAt);
    rec.dirty = true;
    this.opts.onGone(rec);
  }

  // ---------------------------------------------------------------------------------------------
  // MONITOR lines

  /**
   * Set by `resolve` and `specialRecord`: the line just resolved begins a connection no poll has
   * listed yet, so a poll would tell more. (A field, not a returned pair: this runs per event.)
   */
  lastUnknown = false;

  private found(rec: ClientRecord, unknown: boolean): ClientRecord {
    this.lastUnknown = unknown;
    return rec;
  }

  /** The record a line belongs to (not `lua` lines: the session gives those to the script's caller). */
  resolve(ev: MonitorEvent, c: Classified, nowMs: number): ClientRecord {
    const te = ev.ts * 1000;
    if (te > this.latestLine) this.latestLine = te;
    const addr = ev.source;
    if (addr === '' || addr === 'lua') return this.specialRecord(addr, te, nowMs);
    if (isUnix(addr)) return this.resolveUnix(addr, ev.db, te, nowMs);
    return this.resolveTcp(addr, te, c, nowMs);
  }

  /** After a line is counted: what it tells of its connection's activity and setup. */
  touch(rec: ClientRecord, ev: MonitorEvent, c: Classified, nowMs: number): void {
    const te = ev.ts * 1000;
    if (te > rec.lastLine) rec.lastLine = te;
    if (!SETUP_COMMANDS.has(c.command)) rec.setupDone = true;
    rec.lastSeen = nowMs;
    rec.lastActiveAt = Math.max(rec.lastActiveAt ?? nowMs, nowMs);
    rec.dirty = true;
  }

  /** The record for script lines no script call claims (`lua`), or lines with no address. */
  specialRecord(addr: string, te: number, nowMs: number): ClientRecord {
    const known = this.special.get(addr);
    if (known !== undefined) return this.found(known, false);
    const rec = this.provisional(addr, te, nowMs);
    this.special.set(addr, rec);
    return this.found(rec, false);
  }

  private resolveTcp(addr: string, te: number, c: Classified, nowMs: number): ClientRecord {
    const chain = this.byAddr.get(addr);
    if (chain === undefined || chain.length === 0) {
      const rec = this.provisional(addr, te, nowMs);
      this.byAddr.set(addr, [{ rec, from: te }]);
      return this.found(rec, true);
    }
    let i = chain.length - 1;
    while (i > 0 && te < chain[i]!.from) i--;
    const last = chain[chain.length - 1]!;
    if (i < chain.length - 1) {
      // Earlier than the latest connection's start: the previous one's late line, unless it is
      // the latest one's own setup, earlier than the cautious start its age gave.
      const latest = last.rec;
      if (
        i === chain.length - 2 &&
        NEW_CONNECTION_COMMANDS.has(c.command) &&
        !latest.setupDone &&
        latest.openedAtServer !== undefined &&
        te >= latest.openedAtServer - SECOND
      ) {
        last.from = te;
        return this.found(latest, false);
      }
      return this.found(chain[i]!.rec, false);
    }
    const rec = last.rec;
    if (NEW_CONNECTION_COMMANDS.has(c.command) && this.setUp(rec, te)) {
      return this.found(this.split(chain, addr, te, nowMs), true);
    }
    if (!rec.connected && rec.goneAtServer !== undefined && te >= rec.goneAtServer) {
      // The poll that saw it leave ran before this line: a new connection holds the address.
      return this.found(this.split(chain, addr, rec.goneAtServer, nowMs), true);
    }
    return this.found(rec, false);
  }

  /** It has worked, or been open too long for a setup command to be its own. */
  private setUp(rec: ClientRecord, te: number): boolean {
    return rec.setupDone || (rec.openedAtServer !== undefined && te - rec.openedAtServer > SETUP_WINDOW_MS);
  }

  private split(chain: Tenancy[], addr: string, from: number, nowMs: number): ClientRecord {
    const rec = this.provisional(addr, from, nowMs);
    place(chain, { rec, from });
    trim(chain);
    return rec;
  }

  private resolveUnix(addr: string, db: number, te: number, nowMs: number): ClientRecord {
    const g = this.unixGroups.get(addr);
    if (g === undefined || g.all.length === 0) {
      const loose = this.unixLoose.get(addr);
      if (loose !== undefined && (loose.connected || loose.goneAtServer === undefined || te < loose.goneAtServer)) return this.found(loose, false);
      const rec = this.provisional(addr, te, nowMs);
      this.unixLoose.set(addr, rec);
      return this.found(rec, true);
    }
    // One connection on the socket: it (whatever database it moved to since the poll).
    if (g.all.length === 1) return this.found(g.all[0]!, false);
    const inDb = g.byDb.get(db);
    if (inDb !== undefined && inDb.length === 1) return this.found(inDb[0]!, false);
    // Several in this database, or none listed in it (one moved with SELECT since): an entry for them.
    const sharedDb = inDb !== undefined ? db : undefined;
    const key = sharedDb !== undefined ? `shared:${addr}#${db}` : `shared:${addr}`;
    let sh = this.sharedEntries.get(key);
    if (sh === undefined) {
      sh = this.stamp(newRecord(key, addr, nowMs, te));
      sh.listed = true;
      sh.sharedDb = sharedDb;
      sh.shared = (inDb ?? g.all).length;
      this.sharedEntries.set(key, sh);
      this.records.set(key, sh);
      this.changed = true;
    } else if (!sh.connected) {
      sh.connected = true;
      sh.goneAtServer = undefined;
      sh.shared = (inDb ?? g.all).length;
      sh.dirty = true;
    }
    return this.found(sh, false);
  }

  /** A connection known only from MONITOR so far, its lines starting at server time `from`. */
  private provisional(addr: string, from: number, nowMs: number): ClientRecord {
    let key = `addr:${addr}`;
    if (this.records.has(key)) key = `addr:${addr}~${++this.serial}`;
    const rec = this.stamp(newRecord(key, addr, nowMs, from));
    this.records.set(key, rec);
    this.changed = true;
    // The bound is kept after each batch (Session.ingest), never here: the record being returned
    // must not be the one forgotten.
    return rec;
  }

  /** `from`'s counts and identity go to `into`, and `from` is forgotten: they were one connection. */
  private fold(from: ClientRecord, into: ClientRecord): void {
    into.activity.absorb(from.activity);
    into.atomic.absorb(from.atomic);
    if (from.announced) into.announced = { ...from.announced, ...into.announced };
    into.firstSeen = Math.min(into.firstSeen, from.firstSeen);
    into.lastSeen = Math.max(into.lastSeen, from.lastSeen);
    into.lastLine = Math.max(into.lastLine, from.lastLine);
    into.setupDone ||= from.setupDone;
    into.dirty = true;
    this.forget(from);
  }

  // ---------------------------------------------------------------------------------------------
  // Bounds

  /**
   * Marks gone, in the events' own time, connections no poll has confirmed and MONITOR has not
   * shown for BOUNDS.quietAddressMs. Live, polls keep listed connections confirmed and mark the
   * others; reading a capture, this is what ends a connection. Scans at most four times per bound.
   */
  expireQuiet(): void {
    if (this.latestLine < this.nextQuietScan) return;
    this.nextQuietScan = this.latestLine + BOUNDS.quietAddressMs / 4;
    const cutoff = this.latestLine - BOUNDS.quietAddressMs;
    for (const rec of this.records.values()) {
      if (!rec.connected) continue;
      const heard = Math.max(rec.lastLine, rec.firstLine, rec.lastListedServer ?? -Infinity);
      if (heard < cutoff) this.gone(rec, this.latestLine);
    }
    this.evict();
  }

  /** Keeps the ledger within its bound by forgetting the longest-departed clients first. */
  evict(): void {
    const excess = this.records.size - BOUNDS.ledgerClients;
    // Connected clients are not forgotten: when a scan found no departed one to drop, wait for
    // the ledger to grow by the slack before scanning again rather than scanning every arrival.
    if (excess <= 0 || this.records.size < this.nextEvictionScan) return;
    const departed: ClientRecord[] = [];
    const loose: ClientRecord[] = [];
    for (const r of this.records.values()) {
      if (!r.connected) departed.push(r);
      else if (!r.listed) loose.push(r);
    }
    if (departed.length < excess && loose.length > 0) {
      // Never-listed connections, quiet the longest, are taken as gone: between two polls (or in a
      // capture, which has none) nothing else can bound a flood of new addresses.
      loose.sort((a, b) => a.lastLine - b.lastLine);
      for (const r of loose.slice(0, excess - departed.length + EVICTION_SLACK)) {
        this.gone(r, this.latestLine);
        departed.push(r);
      }
    }
    if (departed.length === 0) {
      this.nextEvictionScan = this.records.size + EVICTION_SLACK;
      return;
    }
    // Slack, so churning connections cost one sort per thousand arrivals, not one each.
    departed.sort((a, b) => a.lastSeen - b.lastSeen);
    for (const rec of departed.slice(0, excess + EVICTION_SLACK)) this.forget(rec);
  }

  private forget(rec: ClientRecord): void {
    if (this.records.get(rec.key) === rec) this.records.delete(rec.key);
    if (rec.info && this.byId.get(rec.info.id) === rec) this.byId.delete(rec.info.id);
    const chain = this.byAddr.get(rec.addrKey);
    if (chain !== undefined) {
      const i = chain.findIndex((t) => t.rec === rec);
      if (i >= 0) chain.splice(i, 1);
      if (chain.length === 0) this.byAddr.delete(rec.addrKey);
    }
    if (this.unixLoose.get(rec.addrKey) === rec) this.unixLoose.delete(rec.addrKey);
    if (this.special.get(rec.addrKey) === rec) this.special.delete(rec.addrKey);
    if (this.sharedEntries.get(rec.key) === rec) this.sharedEntries.delete(rec.key);
    this.changed = true;
    this.opts.onGone(rec);
  }
}

function newRecord(key: string, addrKey: string, nowMs: number, from: number): ClientRecord {
  return {
    key,
    addrKey,
    connected: true,
    listed: false,
    self: false,
    createdAt: nowMs,
    firstSeen: nowMs,
    lastSeen: nowMs,
    firstLine: from,
    lastLine: from,
    setupDone: false,
    activity: new ClientActivity(),
    atomic: new ClientAtomicity(),
    // Set later, but present from the start: every record keeps one shape (a field added to some
    // records later makes every access to any record slower: 30,000 of them per poll).
    counters: undefined,
    sampled: undefined,
    logged: undefined,
    cover: undefined,
    dirty: true,
  };
}

/** Inserts a tenancy in order of start. */
function place(chain: Tenancy[], t: Tenancy): void {
  let i = chain.length;
  while (i > 0 && chain[i - 1]!.from > t.from) i--;
  chain.splice(i, 0, t);
}

/** At most BOUNDS.connectionsPerAddress tenancies per address: the oldest go. */
function trim(chain: Tenancy[]): void {
  if (chain.length > BOUNDS.connectionsPerAddress) chain.splice(0, chain.length - BOUNDS.connectionsPerAddress);
}

/** A counter as printed: a non-negative integer, 0 when missing or unreadable. */
function counterOf(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

/** INFO's server_time_usec in ms, when the server printed it. */
function serverTimeOf(info: Readonly<Record<string, string>> | undefined): number | undefined {
  const usec = info?.['server_time_usec'];
  if (usec === undefined) return undefined;
  const ms = Number(usec) / 1000;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** Whether what the clients pane shows of a listed connection changed (age and idle are derived). */
function shownChanged(a: ClientInfo, b: ClientInfo): boolean {
  return (
    a.name !== b.name ||
    a.libName !== b.libName ||
    a.libVer !== b.libVer ||
    a.user !== b.user ||
    a.db !== b.db ||
    a.cmd !== b.cmd ||
    a.flags !== b.flags ||
    a.omem !== b.omem ||
    a.addr !== b.addr
  );
}
