// Wires the sources to the session and the store. Sources push raw text; once per flush interval
// the engine parses what arrived, applies the latest poll, aggregates, and commits one update to
// the store. That single commit per interval is what keeps the UI cheap under any event rate.
import type { Config } from './config.ts';
import type { ReconStore } from './store.ts';
import type { CommandClassifier } from './types.ts';
import { BOUNDS, PENDING_LINES_MAX } from './bounds.ts';
import { Session } from './analysis/session.ts';
import { parseMonitorLine } from './parse/monitorLine.ts';
import { clientListFeatures } from './parse/clientList.ts';
import { loadFallbackCommandTable, commandTableFromServer } from './commands/commandTable.ts';
import { startPoller, type PollResult, type Poller } from './sources/poller.ts';
import { startMonitorSource, type MonitorSource } from './sources/monitor.ts';
import { isSelfName, selfName } from './sources/connect.ts';

export interface Engine {
  readonly session: Session;
  /** Settles when the poll connection is up; rejects with a sentence if the first connect fails. */
  readonly ready: Promise<void>;
  /** Applies everything buffered now (also runs on the flush timer). */
  flush(): void;
  /** Closes MONITOR, takes one last CLIENT LIST, flushes, and closes everything. */
  stop(): Promise<void>;
}

/** A classifier whose table can be swapped once the server's own is read. */
class SwappableClassifier implements CommandClassifier {
  constructor(public table: CommandClassifier) {}
  classify(args: readonly string[]) {
    return this.table.classify(args);
  }
}

export function startEngine(config: Config, store: ReconStore, now: () => number = Date.now): Engine {
  const { actions } = store.getState();
  const classifier = new SwappableClassifier(loadFallbackCommandTable());
  const session = new Session({
    delimiter: config.delimiter,
    classifier,
    isSelf: (info) => isSelfName(info.name),
  });

  let pending: string[] = [];
  let dropped = 0;
  let lines = 0;
  let unparsed = 0;
  const samples: string[] = [];
  let latestPoll: PollResult | undefined;
  let tableRequested = false;

  const onLine = (line: string): void => {
    if (pending.length >= PENDING_LINES_MAX) {
      dropped++;
      return;
    }
    pending.push(line);
  };

  const poller: Poller = startPoller(config, {
    onResult(result) {
      latestPoll = result;
    },
    onError(message) {
      actions.pollFailed(now(), message);
    },
    onReady(client) {
      if (tableRequested) return;
      tableRequested = true;
      void commandTableFromServer(client).then(({ table, source, warning }) => {
        classifier.table = table;
        actions.commandTableLoaded(source, warning);
      });
    },
  });

  let monitor: MonitorSource | undefined;
  const ready = poller.ready.then(() => {
    monitor = startMonitorSource(config, store, onLine, now);
  });

  const flush = (): void => {
    const t = now();
    const poll = latestPoll;
    latestPoll = undefined;
    if (poll) {
      session.applyClientList(poll.clients, poll.at, poll.startedAt);
      actions.pollSucceeded(poll.at, poll.server);
      const self = poll.clients.find((c) => c.name === selfName('monitor'));
      actions.monitorOmem(self?.omem);
      if (!clientListFeatures(poll.clients).libInfo && poll.clients.length > 0) {
        actions.notice(
          `${poll.server.name} ${poll.server.version} does not report client libraries (lib-name needs 7.2 or later): library columns stay empty`,
        );
      }
      if (poll.unparsed.length > 0) actions.notice(`CLIENT LIST had ${poll.unparsed.length} line(s) redis-recon could not read`);
    }
    const batch = pending;
    pending = [];
    const events = [];
    for (const line of batch) {
      const r = parseMonitorLine(line);
      if (r.ok) events.push(r.event);
      else {
        unparsed++;
        if (samples.length < BOUNDS.unparsedSamples) samples.push(`${r.reason}: ${line.slice(0, 200)}`);
      }
    }
    lines += batch.length;
    const { unknownAddresses } = session.ingest(events, t);
    if (unknownAddresses > 0) poller.pollSoon();
    session.tick(t);
    const view = session.view();
    if (dropped > 0) actions.notice(`redis-recon fell behind and dropped MONITOR lines (${dropped} so far)`);
    actions.published(view, { lines, unparsed, unparsedSamples: [...samples], eventsPerSec: view.totals.eventsPerSec });
  };

  const timer = setInterval(flush, config.flushIntervalMs);
  timer.unref();

  return {
    session,
    ready,
    flush,
    async stop() {
      clearInterval(timer);
      await monitor?.stop();
      await poller.pollNow().catch(() => {});
      flush();
      await poller.stop();
    },
  };
}
