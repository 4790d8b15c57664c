// Keeps a MONITOR connection in the state the store asks for. Pausing closes the connection
// outright (RESET is refused by Redis Enterprise proxies, and a closed socket can leave no backlog
// on the server); resuming opens a fresh one. The time budget counts only time spent on.
import type { Config } from '../config.ts';
import type { ReconStore, MonitorDesire } from '../store.ts';
import { monitorElapsedMs } from '../store.ts';
import { backoff, buildClient, describeError, markSelf, type Redis } from './connect.ts';

export interface MonitorSource {
  stop(): Promise<void>;
}

export function startMonitorSource(
  config: Config,
  store: ReconStore,
  onLine: (line: string) => void,
  now: () => number = Date.now,
  onConnected?: () => void,
): MonitorSource {
  let client: Redis | undefined;
  let generation = 0;
  let budgetTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  const { actions } = store.getState();

  const close = async (): Promise<void> => {
    generation++;
    const c = client;
    client = undefined;
    clearTimeout(budgetTimer);
    if (c) {
      try {
        c.destroy();
      } catch {
        /* already closed */
      }
    }
  };

  const armBudget = (): void => {
    clearTimeout(budgetTimer);
    const m = store.getState().monitor;
    if (m.budgetMs === undefined) return;
    const left = m.budgetMs - monitorElapsedMs(m, now());
    budgetTimer = setTimeout(() => {
      actions.stopMonitor(`budget of ${Math.round(m.budgetMs! / 1000)}s used up; press p for another`);
    }, Math.max(0, left));
    budgetTimer.unref();
  };

  const open = async (): Promise<void> => {
    const gen = ++generation;
    let fatal = false;
    const built = buildClient(config, 'monitor', backoff(5_000, () => (fatal = true)));
    if (!built.client) {
      actions.monitorPhase('error', built.error);
      return;
    }
    const c = built.client;
    client = c;
    c.on('error', (err: unknown) => {
      if (gen !== generation) return;
      actions.monitorPhase(fatal ? 'error' : 'reconnecting', describeError(err, config));
    });
    // node-redis re-issues MONITOR after a reconnect by itself; 'ready' tells us it is back.
    c.on('ready', () => {
      if (gen === generation && store.getState().monitor.phase === 'reconnecting') actions.monitorPhase('on');
    });
    actions.monitorPhase('connecting');
    try {
      await c.connect();
      if (gen !== generation) return;
      try {
        markSelf(String(await c.clientId()));
      } catch {
        /* CLIENT ID refused (ACL): the name still identifies the connection */
      }
      onConnected?.();
      await c.monitor((line: unknown) => {
        if (gen === generation) onLine(typeof line === 'string' ? line : String(line));
      });
      if (gen !== generation) return;
      actions.monitorPhase('on');
    } catch (err) {
      if (gen !== generation) return;
      actions.monitorPhase('error', describeError(err, config));
      await close();
    }
  };

  const reconcile = (desired: MonitorDesire): void => {
    if (stopped) return;
    const phase = store.getState().monitor.phase;
    if (desired === 'on') {
      if (client === undefined) void open();
    } else if (client !== undefined || phase !== 'off') {
      void close().then(() => actions.monitorPhase(desired === 'paused' ? 'paused' : phase === 'off' ? 'off' : 'stopped'));
    }
  };

  const unsubscribe = store.subscribe((s, prev) => {
    if (s.monitor.desired !== prev.monitor.desired) reconcile(s.monitor.desired);
    // The budget counts time with MONITOR on: armed for what is left each time it comes on,
    // disarmed while it reconnects or is paused.
    if (s.monitor.phase !== prev.monitor.phase) {
      if (s.monitor.phase === 'on') armBudget();
      else clearTimeout(budgetTimer);
    }
  });
  reconcile(store.getState().monitor.desired);

  return {
    async stop() {
      stopped = true;
      unsubscribe();
      await close();
    },
  };
}
