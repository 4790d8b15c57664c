// The live engine: a poller and a MONITOR connection feeding the pipeline, flushed on a timer.
import type { Config } from './config.ts';
import type { ReconStore } from './store.ts';
import type { Auditor } from './analysis/session.ts';
import { commandTableFromServer } from './commands/commandTable.ts';
import { createPipeline, type Pipeline, type PipelineTap } from './pipeline.ts';
import { startPoller, type Poller } from './sources/poller.ts';
import { startMonitorSource, type MonitorSource } from './sources/monitor.ts';
import { isSelfClient, selfName } from './sources/connect.ts';

export interface Engine {
  readonly pipeline: Pipeline;
  /** Settles when the poll connection is up; rejects with a sentence if the first connect fails. */
  readonly ready: Promise<void>;
  /** Closes MONITOR, takes one last CLIENT LIST, flushes, and closes everything. */
  stop(): Promise<void>;
}

export interface EngineOptions {
  readonly now?: () => number;
  readonly auditor?: Auditor;
  /** Sees what the session applies (the recorder). */
  readonly tap?: PipelineTap;
}

export function startEngine(config: Config, store: ReconStore, opts: EngineOptions = {}): Engine {
  const now = opts.now ?? Date.now;
  const { actions } = store.getState();
  let poller: Poller | undefined;
  const pipeline = createPipeline(store, {
    delimiter: config.delimiter,
    isSelf: isSelfClient,
    now,
    onUnknownAddresses: () => poller?.pollSoon(),
    monitorName: selfName('monitor'),
    auditor: opts.auditor,
    tap: opts.tap,
  });

  let tableRequested = false;
  poller = startPoller(config, {
    onResult: (result) => pipeline.pushPoll(result),
    onError: (message, fatal) => actions.pollFailed(now(), message, fatal),
    onReady(client) {
      if (tableRequested) return;
      tableRequested = true;
      void commandTableFromServer(client).then(({ table, source, warning }) => pipeline.useCommandTable(table, source, warning));
    },
  });

  let monitor: MonitorSource | undefined;
  const ready = poller.ready.then(() => {
    // Once MONITOR's connection is up, poll again so it is known as ours at once.
    monitor = startMonitorSource(config, store, (line) => pipeline.pushLine(line), now, () => poller?.pollSoon());
  });

  // The buffer guard reads our MONITOR connection's omem from CLIENT LIST. Without polls it is
  // blind, so MONITOR may not run unwatched for long: pause it, saying why.
  const blindAfterMs = Math.max(2 * config.pollIntervalMs, 5000);
  const guardBlind = (): void => {
    const { monitor: m, poll } = store.getState();
    if (m.desired !== 'on' || m.phase !== 'on' || m.onSince === undefined) return;
    const since = Math.max(poll.lastAt ?? 0, m.onSince);
    if (now() - since <= blindAfterMs) return;
    actions.pauseMonitor(
      `buffer guard: no CLIENT LIST for ${Math.round((now() - since) / 1000)}s (${poll.lastError ?? 'no answer'}), so the server's buffer for MONITOR cannot be watched; p resumes`,
    );
  };
  const timer = setInterval(() => {
    guardBlind();
    void pipeline.flush();
  }, config.flushIntervalMs);
  timer.unref();

  return {
    pipeline,
    ready,
    async stop() {
      clearInterval(timer);
      await monitor?.stop();
      await poller?.pollNow().catch(() => {});
      await pipeline.flush();
      await poller?.stop();
    },
  };
}
