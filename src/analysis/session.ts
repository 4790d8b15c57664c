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
import { Ledger, type ClientRecord, type PollInput } from './ledger.ts';
import { buildView, type Auditor, type ClientView, type KeyCount, type SessionView } from './views.ts';

export { IDENTITY_COMMANDS } from './identity.ts';
export type { PollInput } from './ledger.ts';
export {
  ageSeconds,
  connectedClients,
  emptyView,
  idleSeconds,
  ipOf,
  type Auditor,
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

  constructor(private readonly opts: SessionOptions) {
    this.server = new ServerActivity(opts.delimiter);
    this.ledger = new Ledger({
      isSelf: selfTest(opts.isSelf),
      onGone: (rec) => {
        this.atomic.close(rec);
        if (this.scriptCaller === rec) this.scriptCaller = undefined;
      },
    });
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
      countEvent(rec.activity, this.server, c, ev.db, rec.self);
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
    this.server.tree.tick(nowMs);
    this.server.rate.tick(this.server.events, nowMs);
    for (const rec of this.ledger.values()) {
      const act = rec.activity;
      const shown = roundRate(act.rate.tick(act.events, nowMs));
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
