// The session: everything learned since the run began, joined per client, and the one place polls
// and MONITOR events enter (live, replayed or read from a capture alike). It wires four parts, each
// its own module:
//
//   ledger.ts     which connection a poll lists and a MONITOR line belongs to (ids across restarts,
//                 ports reused, unix sockets, departures, bounds)
//   identity.ts   what a connection announces of itself, and which connections are redis-recon's
//   activity.ts   what each connection and the whole server did (counts, prefixes, keys, rates)
//   atomicity.ts  multi-key calls, transactions and script runs that a cluster needs on one slot
//
// and publishes immutable views (views.ts), reusing the view of every client that did not change.
// Structures are mutated in place as batches arrive (a copy per event would cost more than parsing).
import type { ClientInfo, CommandClassifier, Classified, MonitorEvent } from '../types.ts';
import { countEvent, roundRate, ServerActivity } from './activity.ts';
import { Atomicity } from './atomicity.ts';
import { announce, IDENTITY_COMMANDS, isReconConnection, selfTest } from './identity.ts';
import { Ledger, type ClientRecord, type LoggedEntry, type PollInput } from './ledger.ts';

export type { ClientRecord };
import { buildView, type Auditor, type ClientView, type KeyCount, type SessionView } from './views.ts';
import type { RawLogEntry } from '../parse/commandLog.ts';
import { BoundedCounter } from './boundedCounter.ts';
import { BOUNDS, LENS_BOUNDS } from '../bounds.ts';

export { IDENTITY_COMMANDS } from './identity.ts';
export type { PollInput } from './ledger.ts';
export {
  ageSeconds,
  connectedClients,
  emptyView,
  idleSeconds,
  ipOf,
  type Auditor,
  type CounterFigures,
  type Lens,
  type LoggedEntry,
  type MonitorCover,
  type ClientView,
  type CrossSlotUnits,
  type KeyCount,
  type LibraryAudit,
  type LibraryVerdictKind,
  type PrefixCount,
  type PrefixTreeReader,
  type SessionView,
} from './views.ts';

/** A MONITOR event, optionally already classified (a recording carries its classification). */
export interface IngestEvent extends MonitorEvent {
  readonly classified?: Classified;
}

export interface SessionOptions {
  readonly delimiter: string;
  readonly classifier: CommandClassifier;
  /**
   * This run's own connections beyond the rule every run applies (`redis-recon-*` names, a
   * lib-name with `redis-recon`): e.g. one a poll caught before its CLIENT SETNAME landed.
   */
  readonly isSelf?: (info: ClientInfo) => boolean;
  readonly audit?: Auditor;
  /** The node's cumulative MONITOR on-time now (sampled MONITOR): records note it, to scale their counts. */
  readonly monitorClock?: () => { readonly at: number; readonly on: number };
  /**
   * The clock rates are measured on. Sampled MONITOR passes its on-time: rates freeze between
   * windows instead of decaying, so they stay an estimate of the traffic, not of our sampling.
   */
  readonly rateClock?: () => number;
}

/** One command-log entry as the session keeps it: joined to the connection it came from, if known. */
export interface LogRecord {
  readonly lens: 'slowlog' | 'commandlog';
  readonly entry: LoggedEntry;
  readonly addr: string;
  readonly name: string;
  /** The ledger's record for the connection, when one fits the address and time. */
  readonly rec: ClientRecord | undefined;
}

/** Top keys in each published view (the sketch itself keeps BOUNDS.topKeys). */
const PUBLISHED_TOP_KEYS = 200;

export class Session {
  private readonly server: ServerActivity;
  private readonly atomic = new Atomicity<ClientRecord>();
  private readonly ledger: Ledger;
  /** The client whose script call came last: the `lua` lines that follow are its script's. */
  private scriptCaller: ClientRecord | undefined;
  private version = 0;
  private viewedEpoch = 0;
  private clientViews: readonly ClientView[] = [];
  /** The newest command-log entries (bounded), oldest first, and a count of all joined. */
  private readonly logs: LogRecord[] = [];
  logVersion = 0;

  constructor(private readonly opts: SessionOptions) {
    this.server = new ServerActivity(opts.delimiter);
    this.ledger = new Ledger({
      isSelf: selfTest(opts.isSelf),
      onGone: (rec) => {
        this.atomic.close(rec);
        if (this.scriptCaller === rec) this.scriptCaller = undefined;
      },
      ...(opts.monitorClock ? { monitorClock: opts.monitorClock } : {}),
    });
  }

  /**
   * Command-log entries (SLOWLOG, COMMANDLOG) read with the latest poll, oldest first: each joined
   * to the connection that held its address at its time (and had its name), its keys read through
   * the command table. Only the command and its keys are kept: a logged argument may be a value.
   */
  applyLog(entries: readonly RawLogEntry[], lens: 'slowlog' | 'commandlog'): void {
    if (entries.length === 0) return;
    for (const e of entries) {
      const at = e.time * 1000;
      const c = this.opts.classifier.classify(e.args as string[]);
      const keys = c.keys.slice(0, LENS_BOUNDS.logKeysPerEntry).map((k) => (k.key.length > BOUNDS.keyLength ? k.key.slice(0, BOUNDS.keyLength) : k.key));
      const entry: LoggedEntry = { kind: e.kind, id: e.id, at, value: e.value, command: c.command, keys };
      const rec = this.ledger.findLogged(e.addr, e.name, at);
      if (rec) {
        const l = (rec.logged ??= { lens, entries: 0, commands: new BoundedCounter(LENS_BOUNDS.loggedCommandsPerClient), recent: [] });
        l.lens = lens;
        l.entries++;
        l.commands.add(c.command);
        l.recent.push(entry);
        if (l.recent.length > LENS_BOUNDS.logRecentPerClient) l.recent.shift();
        rec.dirty = true;
      }
      this.logs.push({ lens, entry, addr: e.addr, name: e.name, rec });
    }
    if (this.logs.length > LENS_BOUNDS.logEntriesKept) this.logs.splice(0, this.logs.length - LENS_BOUNDS.logEntriesKept);
    this.logVersion++;
  }

  /** The newest command-log entries, oldest first (bounded). */
  get logEntries(): readonly LogRecord[] {
    return this.logs;
  }

  /** Whether a log entry came from redis-recon (this run's or another instance's connection). */
  static logIsSelf(l: LogRecord): boolean {
    return l.rec?.self ?? isReconConnection({ name: l.name });
  }

  /** The server-wide prefix tree (read in place by the heatmap). */
  get tree(): ServerActivity['tree'] {
    return this.server.tree;
  }

  /**
   * Applies one CLIENT LIST + INFO poll (a PollResult). Listed connections are joined by id and
   * address; connections known only from MONITOR are adopted by the listed one that held their
   * address; those missing are kept, marked disconnected. A restart (run_id, uptime) starts new ids.
   */
  applyPoll(poll: PollInput): void {
    this.ledger.applyPoll(poll);
  }

  /**
   * Aggregates a batch of MONITOR events, in order. `unknownAddresses` > 0 says a poll would tell
   * more: a connection no poll has listed begins in this batch.
   */
  ingest(events: readonly IngestEvent[], nowMs: number): { unknownAddresses: number } {
    const { classifier } = this.opts;
    const ledger = this.ledger;
    let unknownAddresses = 0;
    for (const ev of events) {
      const c = ev.classified ?? classifier.classify(ev.args);
      let rec: ClientRecord;
      if (ev.source === 'lua') {
        // A script's own commands follow its call at once (scripts run atomically); the caller owns them.
        rec = this.scriptCaller ?? ledger.specialRecord('lua', ev.ts * 1000, nowMs);
        this.atomic.command(rec, c, true);
      } else {
        rec = ledger.resolve(ev, c, nowMs);
        if (ledger.lastUnknown) unknownAddresses++;
        this.scriptCaller = undefined;
        this.atomic.command(rec, c, false);
      }
      if (IDENTITY_COMMANDS.has(c.command)) {
        announce((rec.announced ??= {}), c.command, ev.args);
        // Never listed: what it announced is all there is to tell redis-recon's own connections by.
        if (!rec.listed && isReconConnection(rec.announced)) rec.self = true;
      }
      countEvent(rec.activity, this.server, c, ev.db, rec.self, ev.ts * 1000);
      ledger.touch(rec, ev, c, nowMs);
      if (c.script) {
        this.scriptCaller = rec;
        this.atomic.startScript(rec, c);
      }
    }
    ledger.expireQuiet();
    ledger.evict();
    return { unknownAddresses };
  }

  /** Advances rates to `nowMs`. */
  tick(nowMs: number): void {
    const t = this.opts.rateClock?.() ?? nowMs;
    this.server.tree.tick(t);
    this.server.rate.tick(this.server.events, t);
    for (const rec of this.ledger.values()) {
      const act = rec.activity;
      const shown = roundRate(act.rate.tick(act.events, t));
      if (shown !== act.shownRate) {
        act.shownRate = shown;
        rec.dirty = true;
      }
    }
  }

  /** An immutable view; unchanged clients keep their previous view object. */
  view(): SessionView {
    let changed = this.ledger.changed;
    // A collapse in the pattern tree renamed patterns (`tenant:acme:` → `tenant:*:`): every client
    // that counted any must show the new names.
    const epoch = this.server.tree.epoch;
    const renamed = epoch !== this.viewedEpoch;
    this.viewedEpoch = epoch;
    for (const rec of this.ledger.values()) {
      if (rec.dirty || rec.view === undefined || (renamed && rec.activity.patterns.size > 0)) {
        rec.view = buildView(rec, this.opts.audit, this.server.tree);
        rec.dirty = false;
        changed = true;
      }
    }
    if (changed) this.clientViews = Array.from(this.ledger.values(), (r) => r.view!);
    this.ledger.changed = false;
    this.version++;
    const s = this.server;
    return {
      version: this.version,
      clients: this.clientViews,
      topKeys: s.keys.top(PUBLISHED_TOP_KEYS).map(({ key, count }): KeyCount => ({ key, count })),
      tree: s.tree,
      totals: { events: s.events, reads: s.reads, writes: s.writes, keyed: s.keyed, eventsPerSec: s.rate.value },
    };
  }

  /** Transactions open now (for tests of the bound). */
  get openTransactions(): number {
    return this.atomic.openTransactions;
  }
}
