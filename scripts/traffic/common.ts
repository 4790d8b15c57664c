// What every traffic service shares: where the server is, when to stop, and small helpers for
// human-scale pacing. One service = one module under scripts/traffic/ that exports a `Service`.
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

/** The server, as the orchestrator parsed it from --url. Always loopback or a unix socket. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  readonly socketPath?: string;
  readonly db: number;
  readonly username?: string;
  /** From REDIS_PASSWORD only; never printed. */
  readonly password?: string;
  /**
   * Connect without the service's client name: the same workload, anonymous (`--unnamed`, and the
   * fingerprint test, which needs a named service and its unnamed twin).
   */
  readonly unnamed?: boolean;
}

export interface Ctx {
  readonly endpoint: Endpoint;
  /** Aborted when the duration ends or on Ctrl-C: loops stop and connections close. */
  readonly signal: AbortSignal;
  /** Speed multiplier from --rate (1 = default): pauses are divided by it. */
  readonly rate: number;
  /** Reports a problem on stderr, once per distinct message. */
  warn(message: string): void;
}

export interface Service {
  /** CLIENT SETNAME value; '' for a client that never names itself. */
  readonly name: string;
  /** What the startup line calls it (defaults to `name`). */
  readonly label?: string;
  readonly library: string;
  readonly version: string;
  readonly keys: string;
  /** Runs until ctx.signal aborts, then closes its connections. Rejects only on a real failure. */
  run(ctx: Ctx): Promise<void>;
}

/** Waits `ms` (divided by the rate); resolves false at once if the run is stopping. */
export async function pause(ctx: Ctx, ms: number): Promise<boolean> {
  if (ctx.signal.aborted) return false;
  try {
    await sleep(Math.max(1, ms / ctx.rate), undefined, { signal: ctx.signal });
    return true;
  } catch {
    return false;
  }
}

/**
 * Calls `tick` until the run stops, pausing `pauseMs()` between calls. A failed tick (server
 * restarting, a command error) is reported and the loop goes on.
 */
export async function every(ctx: Ctx, pauseMs: () => number, tick: () => Promise<unknown>): Promise<void> {
  while (!ctx.signal.aborted) {
    try {
      await tick();
    } catch (err) {
      if (ctx.signal.aborted) break;
      ctx.warn(errorText(err));
    }
    if (!(await pause(ctx, pauseMs()))) break;
  }
}

export const between = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1));
export const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
export const chance = (p: number): boolean => Math.random() < p;

/** Every key the traffic writes expires within this many seconds, so a demo leaves nothing behind. */
export const TTL_S = 3600;

export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // Connection errors may come as an AggregateError with no message of their own.
  const first = err instanceof AggregateError ? (err.errors[0] as Error | undefined) : undefined;
  return err.message || first?.message || (err as NodeJS.ErrnoException).code || err.name;
}

/** Ends a connection politely, or drops it if the polite way fails or takes over 2 s. */
export async function closeClient(polite: () => Promise<unknown>, force: () => unknown): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([polite(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('close timed out')), 2000)))]);
  } catch {
    try {
      // Awaited: node-redis 4 rejects (not throws) when the connection is already closed, and an
      // unhandled rejection would end the whole generator when the server restarts.
      await force();
    } catch {
      // already gone
    }
  } finally {
    clearTimeout(timer);
  }
}

const require = createRequire(import.meta.url);

/** The installed version of package `name`, resolved from package `from` when given (redis-v4's own @redis/client). */
export function packageVersion(name: string, from?: string): string {
  try {
    const resolver = from ? createRequire(require.resolve(from)) : require;
    return (resolver(`${name}/package.json`) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** node-redis (any age) socket options for the endpoint. */
export function nodeRedisOptions(e: Endpoint, name?: string, socket: { reconnectStrategy?: false; connectTimeout?: number } = {}) {
  return {
    socket: { ...(e.socketPath ? { path: e.socketPath } : { host: e.host, port: e.port }), ...socket },
    database: e.db,
    ...(e.username ? { username: e.username } : {}),
    ...(e.password ? { password: e.password } : {}),
    ...(name && !e.unnamed ? { name } : {}),
  };
}

/** ioredis / iovalkey options for the endpoint. */
export function ioredisOptions(e: Endpoint, connectionName?: string) {
  return {
    ...(e.socketPath ? { path: e.socketPath } : { host: e.host, port: e.port }),
    db: e.db,
    ...(e.username ? { username: e.username } : {}),
    ...(e.password ? { password: e.password } : {}),
    ...(connectionName && !e.unnamed ? { connectionName } : {}),
  };
}
