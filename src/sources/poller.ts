// Polls CLIENT LIST and INFO on the tool's own connection, at an interval the collector sets (it
// grows with what CLIENT LIST costs the server), backing off on errors, and early when MONITOR
// shows an address no poll has listed yet. Each poll also reads INFO commandstats (what CLIENT LIST
// costs, and the server's command mix) and INFO errorstats (both tolerated when refused), the new
// entries of the command logs (SLOWLOG, or COMMANDLOG where it exists), and times a PING (the
// health gate's latency probe). Every command it sends is counted, so the command mix can leave
// redis-recon's own calls out.
import type { Config } from '../config.ts';
import type { LensState, PollResult } from '../types.ts';
import { parseClientList } from '../parse/clientList.ts';
import { parseInfo, serverIdentity } from '../parse/info.ts';
import { ErrorReply } from 'redis';
import { backoff, buildClient, describeError, isFatal, type Redis } from './connect.ts';
import { CommandLogReader } from './logReader.ts';

export type { PollResult };

export interface PollerHandlers {
  onResult(result: PollResult): void;
  /**
   * A poll or the connection failed. `answered`: the server itself replied with an error (NOPERM,
   * ERR…), so it is up and serving; false for timeouts and lost connections.
   */
  onError(message: string, fatal: boolean, answered: boolean): void;
  /** The connection is up (first time or after a reconnect). */
  onReady?(client: Redis): void;
  /**
   * Commands redis-recon ran on its other connections of this node (MONITOR), by commandstats
   * name, as known now: taken with the poller's own when INFO commandstats is read.
   */
  ownCalls?(): Readonly<Record<string, number>>;
}

export interface Poller {
  /** Resolves once connected, or rejects with a sentence when the first connect fails. */
  readonly ready: Promise<Redis>;
  /** Polls as soon as allowed (at most one early poll per interval). */
  pollSoon(): void;
  /** One poll now, awaited: used at the end of a run for the final picture. */
  pollNow(): Promise<void>;
  /** The interval between polls from now on. */
  setInterval(ms: number): void;
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
  let intervalMs = config.pollIntervalMs;
  let commandstatsState: LensState = 'pending';
  let errorstatsState: LensState = 'pending';
  const logs = new CommandLogReader();
  /** Commands sent by this poller, by their INFO commandstats name. */
  const own: Record<string, number> = {};

  const built = buildClient(config, 'poll', backoff(10_000, () => (fatal = true)));
  if (!built.client) {
    const error = built.error ?? 'cannot create client';
    return {
      ready: Promise.reject(new Error(error)),
      pollSoon() {},
      pollNow: async () => {},
      setInterval() {},
      stop: async () => {},
    };
  }
  const client = built.client;
  /** The connection has been up: later errors are a lost connection, not a misconfiguration. */
  let established = false;
  client.on('error', (err: unknown) => {
    if (!stopped) handlers.onError(describeError(err, config, { established }), fatal, false);
  });
  client.on('ready', () => {
    established = true;
    // A reconnect is a fresh start: the backoff of the failures before it must not delay the next
    // poll (a 3 s restart would otherwise leave the guard blind for the whole backoff).
    if (failures > 0) {
      failures = 0;
      schedule(0);
    }
    handlers.onReady?.(client);
  });

  const schedule = (delay: number): void => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void pollOnce(), delay);
    timer.unref();
  };

  /** Every command goes through here, so the command mix can tell redis-recon's own calls apart. */
  const send = (args: string[]): Promise<unknown> => {
    const name = statName(args);
    own[name] = (own[name] ?? 0) + 1;
    return client.sendCommand(args);
  };

  /** One INFO section, once refused never asked again; the poll goes on without it. */
  const infoSection = async (section: string, state: () => LensState, set: (s: LensState) => void): Promise<Record<string, string> | undefined> => {
    if (state() === 'refused') return undefined;
    try {
      const parsed = parseInfo(String(await send(['INFO', section])));
      set('on');
      return parsed;
    } catch (err) {
      // A proxy or an ACL may refuse it; the poll interval then follows the connection count.
      if (/NOPERM|unknown|not supported|ERR/i.test((err as Error).message ?? '')) set('refused');
      return undefined;
    }
  };
  /** Our own calls as the server had counted them when it answered INFO commandstats (not this INFO itself). */
  let ownAtStats: Record<string, number> = {};
  const commandstats = () => {
    ownAtStats = { ...own };
    for (const [c, n] of Object.entries(handlers.ownCalls?.() ?? {})) ownAtStats[c] = (ownAtStats[c] ?? 0) + n;
    return infoSection('commandstats', () => commandstatsState, (s) => (commandstatsState = s));
  };
  const errorstats = () => infoSection('errorstats', () => errorstatsState, (s) => (errorstatsState = s));

  const ping = async (): Promise<number | undefined> => {
    const t0 = performance.now();
    try {
      await send(['PING']);
      return performance.now() - t0;
    } catch {
      return undefined;
    }
  };

  const pollOnce = (): Promise<void> => {
    if (inFlight) return inFlight;
    inFlight = (async () => {
      const startedAt = now();
      lastStart = startedAt;
      try {
        const rtt = await ping();
        const [listText, infoText, stats, errors] = await Promise.all([
          send(['CLIENT', 'LIST']),
          send(['INFO']),
          commandstats(),
          errorstats(),
        ]);
        const rawClientList = String(listText);
        const parsed = parseClientList(rawClientList);
        const info = parseInfo(String(infoText));
        // After CLIENT LIST, so an entry's connection is in the list that comes with it.
        const logRead = await logs.read(send, info['run_id'] || undefined);
        failures = 0;
        handlers.onResult({
          startedAt,
          at: now(),
          clients: parsed.clients,
          unparsed: parsed.unparsed,
          server: serverIdentity(info),
          info,
          ...(stats ? { commandstats: stats } : {}),
          ...(errors ? { errorstats: errors } : {}),
          stats: { commandstats: commandstatsState, errorstats: errorstatsState },
          logs: logRead,
          ownCalls: ownAtStats,
          ...(rtt !== undefined ? { rttMs: rtt } : {}),
          rawClientList,
        });
      } catch (err) {
        failures++;
        if (!stopped) handlers.onError(describeError(err, config, { established }), fatal || isFatal(err), err instanceof ErrorReply);
      } finally {
        inFlight = undefined;
        const delay = failures === 0 ? intervalMs : Math.min(intervalMs * 2 ** failures, MAX_BACKOFF_MS);
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
      if (t - lastEarly < intervalMs) return;
      lastEarly = t;
      schedule(Math.max(0, lastStart + MIN_GAP_MS - t));
    },
    async pollNow() {
      if (stopped || !client.isReady) return;
      if (inFlight) await inFlight;
      await pollOnce();
    },
    setInterval(ms) {
      if (ms === intervalMs) return;
      const sooner = ms < intervalMs;
      intervalMs = ms;
      // A shorter interval applies at once; a longer one from the next poll.
      if (sooner && !inFlight && failures === 0) schedule(Math.max(0, lastStart + ms - now()));
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

/** Container commands whose subcommand INFO commandstats counts apart (`client|list`). */
const CONTAINERS: ReadonlySet<string> = new Set(['client', 'slowlog', 'commandlog', 'command', 'config', 'object', 'memory', 'cluster', 'acl', 'latency']);

/** The INFO commandstats name of a command as sent: `client|list`, `info`, `ping`. */
export function statName(args: readonly string[]): string {
  const c = (args[0] ?? '').toLowerCase();
  const sub = args[1];
  return CONTAINERS.has(c) && sub !== undefined ? `${c}|${sub.toLowerCase()}` : c;
}
