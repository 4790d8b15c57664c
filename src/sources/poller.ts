// Polls CLIENT LIST and INFO on the tool's own connection at the poll interval, backing off on
// errors, and polls early when MONITOR shows an address no poll has listed yet.
import type { Config } from '../config.ts';
import type { PollResult } from '../pipeline.ts';
import { parseClientList } from '../parse/clientList.ts';
import { parseInfo, serverIdentity } from '../parse/info.ts';
import { backoff, buildClient, describeError, isFatal, type Redis } from './connect.ts';

export type { PollResult };

export interface PollerHandlers {
  onResult(result: PollResult): void;
  onError(message: string, fatal: boolean): void;
  /** The connection is up (first time or after a reconnect). */
  onReady?(client: Redis): void;
}

export interface Poller {
  /** Resolves once connected, or rejects with a sentence when the first connect fails. */
  readonly ready: Promise<Redis>;
  /** Polls as soon as allowed (at most every `minGapMs`). */
  pollSoon(): void;
  /** One poll now, awaited: used at the end of a run for the final picture. */
  pollNow(): Promise<void>;
  stop(): Promise<void>;
}

const MIN_GAP_MS = 300;
const MAX_BACKOFF_MS = 30_000;

export function startPoller(config: Config, handlers: PollerHandlers, now: () => number = Date.now): Poller {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let failures = 0;
  let lastStart = 0;
  let fatal = false;
  let lastEarly = -Infinity;

  const built = buildClient(config, 'poll', backoff(10_000, () => (fatal = true)));
  if (!built.client) {
    const error = built.error ?? 'cannot create client';
    return {
      ready: Promise.reject(new Error(error)),
      pollSoon() {},
      pollNow: async () => {},
      stop: async () => {},
    };
  }
  const client = built.client;
  client.on('error', (err: unknown) => {
    if (!stopped) handlers.onError(describeError(err, config), fatal);
  });
  client.on('ready', () => handlers.onReady?.(client));

  const schedule = (delay: number): void => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void pollOnce(), delay);
    timer.unref();
  };

  const pollOnce = (): Promise<void> => {
    if (inFlight) return inFlight;
    inFlight = (async () => {
      const startedAt = now();
      lastStart = startedAt;
      try {
        const [listText, infoText] = await Promise.all([
          client.sendCommand(['CLIENT', 'LIST']),
          client.sendCommand(['INFO']),
        ]);
        const rawClientList = String(listText);
        const parsed = parseClientList(rawClientList);
        const info = parseInfo(String(infoText));
        failures = 0;
        handlers.onResult({
          startedAt,
          at: now(),
          clients: parsed.clients,
          unparsed: parsed.unparsed,
          server: serverIdentity(info),
          info,
          rawClientList,
        });
      } catch (err) {
        failures++;
        if (!stopped) handlers.onError(describeError(err, config), fatal || isFatal(err));
      } finally {
        inFlight = undefined;
        const delay = failures === 0 ? config.pollIntervalMs : Math.min(config.pollIntervalMs * 2 ** failures, MAX_BACKOFF_MS);
        schedule(delay);
      }
    })();
    return inFlight;
  };

  const ready = client.connect().then(
    () => {
      void pollOnce();
      return client;
    },
    (err: unknown) => {
      throw new Error(describeError(err, config));
    },
  );
  // The caller may never await `ready` (the dashboard keeps running); errors already went to onError.
  ready.catch(() => {});

  return {
    ready,
    pollSoon() {
      // CLIENT LIST costs the server in proportion to its connections: a fleet that opens one per
      // request must not turn "poll early" into a poll storm. At most one early poll per interval,
      // and none while polls fail (the backoff decides then).
      if (stopped || inFlight || !client.isReady || failures > 0) return;
      const t = now();
      if (t - lastEarly < config.pollIntervalMs) return;
      lastEarly = t;
      schedule(Math.max(0, lastStart + MIN_GAP_MS - t));
    },
    async pollNow() {
      if (stopped || !client.isReady) return;
      if (inFlight) await inFlight;
      await pollOnce();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight?.catch(() => {});
      try {
        client.destroy();
      } catch {
        /* already closed */
      }
    },
  };
}
