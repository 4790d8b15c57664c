// The one ingest path of a collector, whatever feeds it: MONITOR lines from a live connection or a
// capture, recorded batches from a replay, CLIENT LIST polls from any of them. It owns one Session
// (one node's ledger and aggregates) and turns its views into deltas for the main thread. No
// sockets, no timers, no store: the collector around it decides when to flush and when to send.
import { BOUNDS, PENDING_CHARS_MAX, PENDING_LINES_MAX } from '../bounds.ts';
import { Session, type Auditor, type ClientView, type IngestEvent, type KeyCount } from '../analysis/session.ts';
import { parseMonitorLine } from '../parse/monitorLine.ts';
import { clientListFeatures } from '../parse/clientList.ts';
import { loadFallbackCommandTable } from '../commands/commandTable.ts';
import type { ClientInfo, CommandClassifier, PollResult, ServerIdentity } from '../types.ts';
import type { LogFigure, NodeDelta, NodeLenses, NodeStatus, StreamState } from './protocol.ts';
import { ServerLenses } from '../analysis/serverLenses.ts';
import type { ServerAuditor } from '../audit/auditor.ts';
import type { PatternSnapshot } from '../analysis/keyPatterns.ts';
import type { RecordTap } from './tap.ts';
import type { RecordedNode } from '../record/format.ts';

export type { PollResult };

export interface NodeCoreOptions {
  readonly nodeId: string;
  readonly delimiter: string;
  readonly isSelf: (info: ClientInfo) => boolean;
  readonly auditor?: Auditor;
  /** The source's clock: wall time live, the recording's or capture's time offline. */
  readonly now: () => number;
  /** Records what is applied, in order (live recording). */
  readonly tap?: RecordTap;
  /** Prefix of client keys sent to the main thread (unique across nodes and partitions); the node id by default. */
  readonly keyPrefix?: string;
  /**
   * The clock follows the events' own timestamps (a capture read at full speed): each batch is
   * aggregated at its last event's time, and `now` is not consulted for it.
   */
  readonly eventClock?: boolean;
  /** Wall time for pacing client views (performance.now by default; tests pass their own). */
  readonly wall?: () => number;
  /** Judges the server's command mix (INFO commandstats) against the target. */
  readonly serverAudit?: ServerAuditor;
  /** Sampled MONITOR: the node's cumulative MONITOR on-time now (see SessionOptions.monitorClock). */
  readonly monitorClock?: () => { readonly at: number; readonly on: number };
  /** Sampled MONITOR: the on-time clock rates run on (see SessionOptions.rateClock). */
  readonly rateClock?: () => number;
}

/** How long one slice of a flush may run before the worker lets its sockets and messages in. */
const SLICE_MS = 12;
/**
 * Lines parsed and aggregated together. Small, so a batch's event objects die young: batches of
 * thousands survived a scavenge each and garbage collection took a quarter of the time.
 */
const SUB_BATCH = 256;
/** The tree and top keys are re-sent at least this often while rates decay, even without traffic. */
const TREE_REFRESH_MS = 1000;
/**
 * A paced delta (live, between syncs) carries client views at most every this many ms per client
 * in the session: each change of the client list costs the screen a pass and a sort over all of
 * them (30,000 clients: about every 6 s; below 1,250 clients, every delta).
 */
export const CLIENTS_PACE_MS_PER_CLIENT = 0.2;

/** A view as sent to the main thread: tagged with its node, keyed uniquely across nodes. */
export type NodeClientView = ClientView & { readonly node: string };

/** A classifier whose table can be swapped once the server's own is read. */
class SwappableClassifier implements CommandClassifier {
  constructor(public table: CommandClassifier) {}
  classify(args: readonly string[]) {
    return this.table.classify(args);
  }
}

export class NodeCore {
  readonly session: Session;
  readonly classifier = new SwappableClassifier(loadFallbackCommandTable());
  private lines: string[] = [];
  private pendingChars = 0;
  private latestPoll: PollResult | undefined;
  private lineCount = 0;
  private unparsed = 0;
  private readonly reasons: Record<string, number> = {};
  private dropped = 0;
  private flushing: Promise<void> | undefined;
  private readonly noticeList: string[] = [];
  private unknownAddresses = 0;
  server: ServerIdentity | undefined;
  /** A cluster node's place, recorded with each poll (live) or read back from one (replay). */
  cluster: RecordedNode | undefined;
  /**
   * Sources whose MONITOR lines are left out: a cluster replica's replication link replays its
   * primary's writes, which the primary's own MONITOR already counted.
   */
  dropSources: ReadonlySet<string> = new Set();
  private droppedReplicated = 0;
  commandTable: NodeStatus['commandTable'] = { source: 'pending' };
  windowStart: number | undefined;

  // What the main thread has been sent, to diff the next view against.
  private readonly sent = new Map<string, ClientView>();
  private readonly shipped = new WeakMap<ClientView, NodeClientView>();
  private sentKeyed = -1;
  private sentTreeAt = -Infinity;
  /** Wall time (opts.wall) client views were last sent. */
  private clientsSentAt = -Infinity;
  /** Server-wide lenses (commandstats, errorstats, which lenses answer). */
  readonly lenses = new ServerLenses();
  private sentLenses = -1;
  private sentLog = -1;

  constructor(private readonly opts: NodeCoreOptions) {
    this.session = new Session({
      delimiter: opts.delimiter,
      classifier: this.classifier,
      isSelf: opts.isSelf,
      audit: opts.auditor,
      ...(opts.monitorClock ? { monitorClock: opts.monitorClock } : {}),
      ...(opts.rateClock ? { rateClock: opts.rateClock } : {}),
    });
  }

  /** Queues a MONITOR line. False when the queue is full (the line is dropped and counted). */
  pushLine(line: string): boolean {
    if (this.lines.length >= PENDING_LINES_MAX || this.pendingChars + line.length > PENDING_CHARS_MAX) {
      this.dropped++;
      return false;
    }
    this.lines.push(line);
    this.pendingChars += line.length;
    return true;
  }

  /** Lines waiting for the next flush. */
  get backlog(): number {
    return this.lines.length;
  }

  /**
   * Queues a poll for the next flush. None is skipped: a connection listed only in an older poll
   * (a replay at full speed pushes several per flush) must still be named.
   */
  pushPoll(poll: PollResult): void {
    if (this.latestPoll) this.applyPoll(this.latestPoll);
    this.latestPoll = poll;
  }

  useCommandTable(table: CommandClassifier, source: 'server' | 'fallback', warning?: string): void {
    this.classifier.table = table;
    this.commandTable = warning ? { source, warning } : { source };
    if (warning) this.notice(warning);
  }

  notice(message: string): void {
    if (this.noticeList.includes(message)) return;
    this.noticeList.push(message);
    if (this.noticeList.length > BOUNDS.notices) this.noticeList.shift();
  }

  /** Whether events from unlisted (or departed) addresses arrived since the last call. */
  takeUnknownAddresses(): boolean {
    const any = this.unknownAddresses > 0;
    this.unknownAddresses = 0;
    return any;
  }

  /** Applies recorded events at their recorded time, exactly as the live flush did (replay). */
  applyEvents(at: number, events: readonly IngestEvent[], unparsedReasons: readonly string[]): void {
    this.applyPendingPoll();
    this.count(events.length, unparsedReasons);
    this.unknownAddresses += this.session.ingest(events, at).unknownAddresses;
  }

  /**
   * Applies the pending poll, then every queued line in slices (the worker's socket reads and
   * messages are served between them). Concurrent calls share one round.
   */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.round().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Flushes synchronously, without yielding (a capture partition's own loop). */
  flushNow(): void {
    this.applyPendingPoll();
    const batch = this.takeLines();
    for (let i = 0; i < batch.length; i += SUB_BATCH) this.parse(batch, i, Math.min(i + SUB_BATCH, batch.length), this.opts.now());
  }

  private takeLines(): string[] {
    const batch = this.lines;
    this.lines = [];
    this.pendingChars = 0;
    return batch;
  }

  private async round(): Promise<void> {
    this.applyPendingPoll();
    const batch = this.takeLines();
    const t = this.opts.now();
    let i = 0;
    while (i < batch.length) {
      const deadline = performance.now() + SLICE_MS;
      while (i < batch.length && performance.now() < deadline) {
        const end = Math.min(i + SUB_BATCH, batch.length);
        this.parse(batch, i, end, t);
        i = end;
      }
      if (i < batch.length) await new Promise((r) => setImmediate(r));
    }
  }

  private parse(batch: readonly string[], from: number, to: number, t: number): void {
    // (t is reassigned for captures, whose clock is their events' own time)
    const tap = this.opts.tap;
    const events: IngestEvent[] = [];
    const bad: string[] = [];
    for (let i = from; i < to; i++) {
      const line = batch[i]!;
      const r = parseMonitorLine(line);
      if (r.ok && this.dropSources.size > 0 && this.dropSources.has(r.event.source)) {
        this.droppedReplicated++;
        continue;
      }
      if (r.ok) {
        const e = tap ? { ...r.event, classified: this.classifier.classify(r.event.args) } : r.event;
        events.push(e);
      } else if (line !== 'OK' && line !== '') {
        // redis-cli prints "OK" when MONITOR starts: not a line of the capture.
        bad.push(r.reason);
        if (tap) tap.unparsed(line);
      }
    }
    if (this.windowStart === undefined && events[0]) this.windowStart = Math.round(events[0].ts * 1000);
    if (this.opts.eventClock) {
      const last = events[events.length - 1];
      if (last) this.eventTime = Math.round(last.ts * 1000);
      t = this.eventTime;
    }
    this.unknownAddresses += this.session.ingest(events, t).unknownAddresses;
    tap?.batch(t, events);
    this.count(events.length, bad);
  }

  private count(parsed: number, reasons: readonly string[]): void {
    this.lineCount += parsed + reasons.length;
    this.unparsed += reasons.length;
    for (const r of reasons) this.reasons[r] = (this.reasons[r] ?? 0) + 1;
  }

  private applyPendingPoll(): void {
    const poll = this.latestPoll;
    this.latestPoll = undefined;
    if (poll) this.applyPoll(poll);
  }

  /** Polls applied, and the source time of the last one (a replay's recorded polls, a capture's saved list). */
  polls = 0;
  lastPollAt: number | undefined;

  private applyPoll(poll: PollResult): void {
    this.polls++;
    this.lastPollAt = poll.at;
    this.opts.tap?.poll(poll, this.cluster);
    this.session.applyPoll(poll);
    if (poll.logs) this.session.applyLog(poll.logs.entries, poll.logs.commandlog === 'on' ? 'commandlog' : 'slowlog');
    this.lenses.applyPoll(poll);
    this.server = poll.server;
    if (poll.clients.length > 0 && !clientListFeatures(poll.clients).libInfo) {
      this.notice(
        `${poll.server.name} ${poll.server.version} does not report client libraries (lib-name needs 7.2 or later): library columns stay empty`,
      );
    }
    if (poll.unparsed.length > 0) this.notice('some CLIENT LIST lines could not be read: those connections are missing');
  }

  /** MONITOR lines of the replication link left out (see dropSources). */
  get replicated(): number {
    return this.droppedReplicated;
  }

  get stream(): StreamState {
    return {
      lines: this.lineCount,
      unparsed: this.unparsed,
      unparsedReasons: { ...this.reasons },
      dropped: this.dropped,
      eventsPerSec: this.rate,
    };
  }

  private rate = 0;

  get notices(): readonly string[] {
    return this.noticeList;
  }

  /**
   * What changed since the last delta: client views by identity (the session keeps the same view
   * object for a client that did not change), the tree when it did or when its rates need a refresh.
   * `paced`: client views wait while the last ones are younger than CLIENTS_PACE_MS_PER_CLIENT per
   * client (never for a sync or the final delta, which must carry everything).
   */
  delta(status: NodeStatus, force = false, paced = false): NodeDelta {
    const now = this.clock;
    this.session.tick(now);
    const view = this.session.view();
    this.rate = view.totals.eventsPerSec;
    const upsert: NodeClientView[] = [];
    const remove: string[] = [];
    const wall = this.opts.wall ? this.opts.wall() : performance.now();
    if (force || !paced || wall - this.clientsSentAt >= view.clients.length * CLIENTS_PACE_MS_PER_CLIENT) {
      const seen = new Set<string>();
      for (const v of view.clients) {
        seen.add(v.key);
        if (this.sent.get(v.key) === v && !force) continue;
        this.sent.set(v.key, v);
        upsert.push(this.ship(v));
      }
      for (const key of this.sent.keys()) {
        if (seen.has(key)) continue;
        this.sent.delete(key);
        remove.push(this.globalKey(key));
      }
      if (upsert.length > 0 || remove.length > 0) this.clientsSentAt = wall;
    }
    const treeDue = force || view.totals.keyed !== this.sentKeyed || now - this.sentTreeAt >= TREE_REFRESH_MS;
    let tree: PatternSnapshot | undefined;
    let topKeys: readonly KeyCount[] | undefined;
    if (treeDue) {
      this.sentKeyed = view.totals.keyed;
      this.sentTreeAt = now;
      tree = view.tree.snapshot();
      topKeys = view.topKeys;
    }
    const lensesDue = force || this.lenses.version !== this.sentLenses || this.session.logVersion !== this.sentLog;
    if (lensesDue) {
      this.sentLenses = this.lenses.version;
      this.sentLog = this.session.logVersion;
    }
    return {
      status: { ...status, stream: this.stream },
      ...(upsert.length > 0 || remove.length > 0 ? { clients: { upsert, remove } } : {}),
      ...(tree ? { tree, topKeys } : {}),
      totals: view.totals,
      ...(lensesDue && this.lenses.version > 0 ? { lenses: this.lensView() } : {}),
    };
  }

  /** The node's lenses as plain data: states, the command mix, errors, log entries joined to clients. */
  lensView(): NodeLenses {
    const l = this.lenses;
    const log: LogFigure[] = this.session.logEntries.map((r) => {
      const rec = r.rec;
      return {
        lens: r.lens,
        kind: r.entry.kind,
        id: r.entry.id,
        at: r.entry.at,
        value: r.entry.value,
        command: r.entry.command,
        keys: r.entry.keys,
        addr: r.addr,
        name: r.name,
        ...(rec ? { client: this.globalKey(rec.key), ...(rec.info?.id !== undefined ? { clientId: rec.info.id } : {}) } : {}),
        self: Session.logIsSelf(r),
      };
    });
    return {
      counters: l.counters,
      lastCommand: l.lastCommand,
      commandstats: l.commandstats,
      errorstats: l.errorstats,
      slowlog: l.slowlog,
      commandlog: l.commandlog,
      ...(l.since !== undefined ? { since: l.since } : {}),
      commands: l.commands,
      errors: l.errors,
      log,
      logMissed: l.logMissed,
      findings: this.opts.serverAudit?.(l.commands) ?? [],
    };
  }

  private globalKey(key: string): string {
    return `${this.opts.keyPrefix ?? this.opts.nodeId}/${key}`;
  }

  /** The source's time as of the last batch (the capture's clock when `eventClock`). */
  get clock(): number {
    return this.opts.eventClock ? this.eventTime : this.opts.now();
  }

  private eventTime = 0;

  /** The view as the main thread gets it: tagged with its node, keyed uniquely across nodes. */
  private ship(v: ClientView): NodeClientView {
    let s = this.shipped.get(v);
    if (!s) {
      s = { ...v, key: this.globalKey(v.key), node: this.opts.nodeId };
      this.shipped.set(v, s);
    }
    return s;
  }
}
