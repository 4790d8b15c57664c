// The part of the engine that does not care where text comes from: a live server, a recording or
// a `redis-cli monitor` capture all push MONITOR lines (or hand over parsed batches) and CLIENT LIST
// polls here. Once per flush it parses what arrived, applies the latest poll, aggregates, and
// commits one update to the store: that single commit per interval keeps the UI cheap at any rate.
import type { ReconStore } from './store.ts';
import type { ClientInfo, CommandClassifier, ServerIdentity } from './types.ts';
import { BOUNDS, PENDING_CHARS_MAX, PENDING_LINES_MAX } from './bounds.ts';
import { Session, type Auditor, type IngestEvent } from './analysis/session.ts';
import { parseMonitorLine } from './parse/monitorLine.ts';
import { clientListFeatures } from './parse/clientList.ts';
import { loadFallbackCommandTable } from './commands/commandTable.ts';

/** One CLIENT LIST + INFO poll, from a live server or a recording. */
export interface PollResult {
  readonly startedAt: number;
  readonly at: number;
  readonly clients: ClientInfo[];
  readonly unparsed: string[];
  readonly server: ServerIdentity;
  readonly info: Record<string, string>;
  /** The CLIENT LIST reply as sent, for recordings (parsers improve; the text stays true). */
  readonly rawClientList?: string;
}

/** Sees what the session applies, in the order it applies it: the recorder. */
export interface PipelineTap {
  poll(poll: PollResult): void;
  /** One flush's events, each with its classification, and the lines that did not parse. */
  batch(at: number, events: readonly IngestEvent[], unparsed: readonly string[]): void;
  monitor(at: number, phase: string, reason?: string): void;
}

export interface PipelineOptions {
  readonly delimiter: string;
  readonly isSelf: (info: ClientInfo) => boolean;
  /** The engine's clock: wall time when live, the recording's time when replaying. */
  readonly now?: () => number;
  /** Called when a flush saw events from addresses no poll has listed (live: poll early). */
  readonly onUnknownAddresses?: () => void;
  /** Name of our own MONITOR connection, whose omem feeds the buffer guard. */
  readonly monitorName?: string;
  /** Judges each client's library and findings against the migration target. */
  readonly auditor?: Auditor;
  readonly tap?: PipelineTap;
}

export interface Pipeline {
  readonly session: Session;
  pushLine(line: string): void;
  pushPoll(poll: PollResult): void;
  /** Applies a recorded batch at its recorded time, exactly as the live flush did. */
  applyBatch(at: number, events: readonly IngestEvent[], unparsedLines: readonly string[]): void;
  /**
   * Aggregates a batch without publishing: a capture read at full speed publishes on its own
   * schedule (`publish`), not once per batch.
   */
  ingestBatch(at: number, events: readonly IngestEvent[], unparsedLines: readonly string[]): void;
  /** Ticks rates to `at` and commits one view to the store. */
  publish(at: number): void;
  /** The server's own command table replaces the shipped fallback. */
  useCommandTable(table: CommandClassifier, source: 'server' | 'fallback', warning?: string): void;
  /**
   * Applies everything pushed so far, in slices of a few milliseconds so key presses are served
   * between them, and commits once to the store at the end. Resolves when that commit is done.
   */
  flush(): Promise<void>;
}

/** How long one slice of a flush may hold the event loop. */
const SLICE_MS = 8;
/** Lines parsed and aggregated between two looks at the clock. */
const SLICE_LINES = 1024;

/** A classifier whose table can be swapped once the server's own is read. */
class SwappableClassifier implements CommandClassifier {
  constructor(public table: CommandClassifier) {}
  classify(args: readonly string[]) {
    return this.table.classify(args);
  }
}

export function createPipeline(store: ReconStore, opts: PipelineOptions): Pipeline {
  const now = opts.now ?? Date.now;
  const { actions } = store.getState();
  const classifier = new SwappableClassifier(loadFallbackCommandTable());
  const session = new Session({ delimiter: opts.delimiter, classifier, isSelf: opts.isSelf, audit: opts.auditor });

  let lines: string[] = [];
  let rounds: Promise<void> = Promise.resolve();
  let queued = false;
  let latestPoll: PollResult | undefined;
  let dropped = 0;
  let lineCount = 0;
  let unparsed = 0;
  const samples: string[] = [];
  let pendingChars = 0;

  const applyPoll = (poll: PollResult): void => {
    opts.tap?.poll(poll);
    session.applyPoll(poll);
    actions.pollSucceeded(poll.at, poll.server);
    if (opts.monitorName) actions.monitorOmem(poll.clients.find((c) => c.name === opts.monitorName)?.omem);
    if (poll.clients.length > 0 && !clientListFeatures(poll.clients).libInfo) {
      actions.notice(
        `${poll.server.name} ${poll.server.version} does not report client libraries (lib-name needs 7.2 or later): library columns stay empty`,
      );
    }
    if (poll.unparsed.length > 0) actions.notice('some CLIENT LIST lines could not be read: those connections are missing');
  };

  const applyPendingPoll = (): void => {
    const poll = latestPoll;
    latestPoll = undefined;
    if (poll) applyPoll(poll);
  };

  /** One flush round: the poll, then this round's lines slice by slice, then one commit. */
  const runRound = async (): Promise<void> => {
    const t = now();
    applyPendingPoll();
    const batch = lines;
    lines = [];
    pendingChars = 0;
    const recorded: IngestEvent[] = [];
    const bad: string[] = [];
    let unknown = 0;
    let i = 0;
    while (i < batch.length) {
      const deadline = performance.now() + SLICE_MS;
      while (i < batch.length && performance.now() < deadline) {
        const end = Math.min(i + SLICE_LINES, batch.length);
        const events: IngestEvent[] = [];
        for (; i < end; i++) {
          const r = parseMonitorLine(batch[i]!);
          if (r.ok) events.push(opts.tap ? { ...r.event, classified: classifier.classify(r.event.args) } : r.event);
          else {
            bad.push(batch[i]!);
            sample(r.reason);
          }
        }
        unknown += session.ingest(events, t).unknownAddresses;
        if (opts.tap) for (const e of events) recorded.push(e);
      }
      if (i < batch.length) await new Promise((r) => setImmediate(r));
    }
    opts.tap?.batch(t, recorded, bad);
    count(batch.length - bad.length, bad);
    publish(t, unknown);
  };

  const count = (parsed: number, unparsedLines: readonly string[]): void => {
    lineCount += parsed + unparsedLines.length;
    unparsed += unparsedLines.length;
  };

  /** Keeps why a few lines could not be read, never their text: a MONITOR line may hold values. */
  const sample = (reason: string): void => {
    if (samples.length < BOUNDS.unparsedSamples) samples.push(reason);
  };

  const publish = (t: number, unknownAddresses: number): void => {
    if (unknownAddresses > 0) opts.onUnknownAddresses?.();
    session.tick(t);
    const view = session.view();
    // Fixed wording: the count is in the stream counts and the export's droppedLines.
    if (dropped > 0) actions.notice('redis-recon fell behind and dropped MONITOR lines: counts are incomplete');
    actions.published(view, { lines: lineCount, unparsed, unparsedSamples: [...samples], eventsPerSec: view.totals.eventsPerSec, dropped });
  };

  /** A batch from a recording or a capture: the pending poll first, then the events. */
  const ingest = (t: number, batchEvents: readonly IngestEvent[], unparsedLines: readonly string[]): number => {
    applyPendingPoll();
    count(batchEvents.length, unparsedLines);
    return session.ingest(batchEvents, t).unknownAddresses;
  };

  return {
    session,
    pushLine(line) {
      if (lines.length >= PENDING_LINES_MAX || pendingChars + line.length > PENDING_CHARS_MAX) dropped++;
      else {
        lines.push(line);
        pendingChars += line.length;
      }
    },
    pushPoll(poll) {
      // Polls wait for the next flush, but none is skipped: a connection listed only in an older
      // poll (a replay at full speed pushes several per flush) must still be named.
      if (latestPoll) applyPoll(latestPoll);
      latestPoll = poll;
    },
    useCommandTable(table, source, warning) {
      classifier.table = table;
      actions.commandTableLoaded(source, warning);
    },
    applyBatch(at, batchEvents, unparsedLines) {
      publish(at, ingest(at, batchEvents, unparsedLines));
    },
    ingestBatch(at, batchEvents, unparsedLines) {
      ingest(at, batchEvents, unparsedLines);
    },
    publish(at) {
      publish(at, 0);
    },
    flush() {
      // While a round runs, at most one more is queued: it takes everything that arrived meanwhile.
      if (queued) return rounds;
      queued = true;
      rounds = rounds
        .then(() => {
          queued = false;
          return runRound();
        })
        .catch((err: unknown) => actions.notice(`internal error while aggregating MONITOR lines: ${(err as Error).message}`));
      return rounds;
    },
  };
}
