// One MONITOR connection, opened and closed on request. Closing destroys the socket outright
// (RESET is refused by Redis Enterprise proxies, and a closed socket can leave no backlog on the
// server); opening again makes a fresh connection. Whether it should be open is not decided here:
// the collector's MonitorGate does that.
import type { Config } from '../config.ts';
import type { MonitorPhase } from '../collect/protocol.ts';
import { backoff, buildClient, describeError, markSelf, type Redis } from './connect.ts';

export interface MonitorHandlers {
  onLine(line: string): void;
  /** connecting, on, reconnecting, error (with a sentence), off (closed by us). */
  onPhase(phase: MonitorPhase, reason?: string): void;
  /** The connection is up, before MONITOR starts: its server id, when CLIENT ID answered. */
  onConnected?(clientId: string | undefined): void;
}

export interface MonitorConnection {
  readonly isOpen: boolean;
  /** The server id of the current connection, once known. */
  readonly clientId: string | undefined;
  open(): void;
  close(): void;
}

export function monitorConnection(config: Config, handlers: MonitorHandlers): MonitorConnection {
  let client: Redis | undefined;
  let generation = 0;
  let clientId: string | undefined;

  const close = (report = true): void => {
    generation++;
    const c = client;
    client = undefined;
    clientId = undefined;
    if (c) {
      try {
        c.destroy();
      } catch {
        /* already closed */
      }
      if (report) handlers.onPhase('off');
    }
  };

  const open = async (): Promise<void> => {
    const gen = ++generation;
    let fatal = false;
    const built = buildClient(config, 'monitor', backoff(5_000, () => (fatal = true)));
    if (!built.client) {
      handlers.onPhase('error', built.error);
      return;
    }
    const c = built.client;
    client = c;
    let started = false;
    c.on('error', (err: unknown) => {
      if (gen !== generation) return;
      handlers.onPhase(fatal ? 'error' : 'reconnecting', describeError(err, config, { established: started }));
    });
    // node-redis re-issues MONITOR after a reconnect by itself; 'ready' tells us it is back.
    c.on('ready', () => {
      if (gen === generation && c.isReady && started) handlers.onPhase('on');
    });
    handlers.onPhase('connecting');
    try {
      await c.connect();
      if (gen !== generation) return;
      try {
        clientId = String(await c.clientId());
        markSelf(clientId);
      } catch {
        /* CLIENT ID refused (ACL): the name still identifies the connection */
      }
      handlers.onConnected?.(clientId);
      await c.monitor((line: unknown) => {
        if (gen === generation) handlers.onLine(typeof line === 'string' ? line : String(line));
      });
      if (gen !== generation) return;
      started = true;
      handlers.onPhase('on');
    } catch (err) {
      if (gen !== generation) return;
      handlers.onPhase('error', describeError(err, config));
      close(false);
    }
  };

  return {
    get isOpen() {
      return client !== undefined;
    },
    get clientId() {
      return clientId;
    },
    open() {
      if (client === undefined) void open();
    },
    close: () => close(),
  };
}
