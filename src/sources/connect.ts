// The one place that builds node-redis clients. Every connection redis-recon opens names itself
// (so it can be told apart from the application's and hidden from the views), talks RESP2 (the
// only protocol every server from Redis 5 through Valkey 9 and managed proxies all speak), and
// reports errors as short sentences that never contain a secret.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import type { Config } from '../config.ts';
import { fileErrorText } from '../fileErrors.ts';

export type Role = 'poll' | 'monitor' | 'keyspace';

/** Identifies this run's own connections in CLIENT LIST: `redis-recon-<role>-<token>`. */
export const SESSION_TOKEN = `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
export const selfName = (role: Role): string => `redis-recon-${role}-${SESSION_TOKEN}`;
export const isSelfName = (name: string): boolean =>
  name.startsWith('redis-recon-') && name.endsWith(`-${SESSION_TOKEN}`);

/** Server ids of our own connections: a poll can catch one before its CLIENT SETNAME lands. */
const selfIds = new Set<string>();
export const markSelf = (id: string): void => {
  selfIds.add(id);
};
export const isSelfClient = (info: { readonly id: string; readonly name: string }): boolean =>
  isSelfName(info.name) || selfIds.has(info.id);

export type Redis = ReturnType<typeof createClient<{}, {}, {}, 2>>;

export interface OpenResult {
  readonly client?: Redis;
  readonly error?: string;
}

/**
 * Builds a client; does not connect. `giveUp` decides, per failure, whether node-redis should stop
 * retrying (bad password, missing permission, TLS refused: retrying cannot help and would hammer
 * a production server's auth path).
 */
export function buildClient(config: Config, role: Role, retry: RetryPolicy): { client?: Redis; error?: string } {
  let tlsFiles: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  try {
    tlsFiles = {
      ca: config.tls.caFile ? readFileSync(config.tls.caFile) : undefined,
      cert: config.tls.certFile ? readFileSync(config.tls.certFile) : undefined,
      key: config.tls.keyFile ? readFileSync(config.tls.keyFile) : undefined,
    };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { error: `cannot read TLS file ${e.path ?? ''}: ${fileErrorText(e)}` };
  }
  const socket = config.socketPath
    ? { path: config.socketPath, connectTimeout: config.connectTimeoutMs, reconnectStrategy: retry.strategy }
    : config.tls.enabled
      ? {
          host: config.host,
          port: config.port,
          tls: true as const,
          ...tlsFiles,
          servername: config.tls.servername ?? (isIp(config.host) ? undefined : config.host),
          rejectUnauthorized: !config.tls.insecure,
          connectTimeout: config.connectTimeoutMs,
          reconnectStrategy: retry.strategy,
        }
      : { host: config.host, port: config.port, connectTimeout: config.connectTimeoutMs, reconnectStrategy: retry.strategy };
  const client = createClient({
    RESP: 2,
    socket,
    username: config.auth.username,
    password: config.auth.password,
    database: config.db || undefined,
    name: selfName(role),
    clientInfoTag: 'redis-recon',
    // A MONITOR connection must never queue commands while it is down, and the poller's
    // commands are worthless once stale: fail them fast instead.
    disableOfflineQueue: true,
    commandOptions: { timeout: Math.max(config.connectTimeoutMs, 5000) },
  }) as unknown as Redis;
  return { client };
}

export interface RetryPolicy {
  strategy: (retries: number, cause: Error) => number | false | Error;
}

/**
 * Backoff for reconnecting, tuned so MONITOR misses as little as it can: the first retry at once (a
 * connection killed by CLIENT KILL comes back in milliseconds), then 50, 100, 200 ms and every 250 ms
 * for about ten seconds (a restarting server is back within seconds, and every moment MONITOR is
 * later than the application's own clients is traffic it never sees), then every second for another
 * minute, then every `maxMs`. An attempt against a server that is down costs it nothing. Stops for
 * errors that retrying cannot fix.
 */
export function backoff(maxMs = 10_000, onGiveUp?: (cause: Error) => void): RetryPolicy {
  return {
    strategy(retries, cause) {
      if (isFatal(cause)) {
        onGiveUp?.(cause);
        return false;
      }
      return reconnectDelay(retries, maxMs) + Math.floor(Math.random() * (retries <= FAST_RETRIES ? 20 : 100));
    },
  };
}

/** Retries at most 250 ms apart (about ten seconds), then a second apart up to SLOW_RETRIES. */
const FAST_RETRIES = 40;
const SLOW_RETRIES = 100;

/** The wait before reconnect attempt `retries` (0 = the first), without jitter. */
export function reconnectDelay(retries: number, maxMs: number): number {
  if (retries === 0) return 0;
  if (retries <= FAST_RETRIES) return Math.min(50 * 2 ** (retries - 1), 250, maxMs);
  if (retries <= SLOW_RETRIES) return Math.min(1000, maxMs);
  return maxMs;
}

const FATAL = /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username|AUTH failed|ERR AUTH|certificate|CERT_|SSL|TLS|self.signed|wrong version number|ERR_TLS/i;
export const isFatal = (err: unknown): boolean => FATAL.test(rawMessage(err));

/** Where the error happened: while connecting (the first time), or on a connection that had been up. */
export interface ErrorContext {
  /** The connection had been up: a dropped connection is a dropped connection, not a TLS mismatch. */
  readonly established?: boolean;
}

/** A sentence for the status bar or stderr. Never includes the password, whatever the server said. */
export function describeError(err: unknown, config: Pick<Config, 'endpoint' | 'auth' | 'connectTimeoutMs' | 'tls'>, ctx: ErrorContext = {}): string {
  const raw = rawMessage(err);
  const code = errorCode(err);
  const at = config.endpoint;
  const why = code || firstLine(raw);
  let text: string;
  if (/WRONGPASS|invalid username-password|invalid password/i.test(raw)) {
    text = `authentication failed at ${at}: wrong user name or password`;
  } else if (/NOAUTH/i.test(raw)) {
    text = `${at} requires a password: set REDIS_PASSWORD (and REDIS_USERNAME for an ACL user)`;
  } else if (/NOPERM/i.test(raw)) {
    const cmd = /command '([^']+)'|run the '([^']+)' command/i.exec(raw);
    const name = cmd?.[1] ?? cmd?.[2];
    text = `permission denied${name ? ` for ${name.toUpperCase()}` : ''}: the ACL user needs +client|list +client|id +client|setname +client|setinfo +info +monitor +command (${firstLine(raw)})`;
  } else if (code === 'ECONNREFUSED') {
    text = ctx.established
      ? `${at} stopped accepting connections (restarting?); reconnecting`
      : `connection refused by ${at}: is the server running and the port right?`;
  } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    text = `host not found: ${at}`;
  } else if (/CERTIFICATE_REQUIRED|alert certificate required/i.test(raw + code)) {
    // The server asks for a client certificate (mutual TLS, --tls-auth-clients yes) and got none.
    text = config.tls.certFile
      ? `${at} refused our client certificate (${why}): check --tls-cert and --tls-key`
      : `${at} requires a client certificate (mutual TLS): pass --tls-cert and --tls-key`;
  } else if (/ALERT_UNKNOWN_CA|ALERT_BAD_CERTIFICATE|ALERT_CERTIFICATE_UNKNOWN|ALERT_DECRYPT_ERROR|alert (unknown ca|bad certificate|certificate unknown)/i.test(raw + code)) {
    // The server's alert: it did not accept the certificate we sent.
    text = config.tls.certFile
      ? `${at} refused our client certificate (${why}): --tls-cert must be signed by a CA the server trusts`
      : `${at} refused the TLS handshake (${why}): it may require a client certificate (--tls-cert and --tls-key)`;
  } else if (/KEY_VALUES_MISMATCH|key values mismatch/i.test(raw + code)) {
    text = `--tls-key does not belong to --tls-cert (${why})`;
  } else if (/ALTNAME_INVALID|does not match certificate's altnames/i.test(raw + code)) {
    const name = config.tls.servername ?? (config.endpoint.includes('/') ? config.endpoint : config.endpoint.replace(/:\d+$/, ''));
    text = `the TLS certificate of ${at} is not for ${name} (${why}): connect by a name the certificate lists, or pass --tls-servername NAME`;
  } else if (/CERT_HAS_EXPIRED|certificate has expired/i.test(raw + code)) {
    text = `the TLS certificate of ${at} has expired (${why}); --tls-insecure skips the check on a test server`;
  } else if (/ConnectionTimeout|timed? ?out|ETIMEDOUT/i.test(raw) || code === 'ETIMEDOUT') {
    text = `timed out after ${Math.round(config.connectTimeoutMs / 1000)}s connecting to ${at}`;
    // A TLS client facing a plain port waits forever for a ServerHello that never comes.
    if (config.tls.enabled && !ctx.established) text += ': if that port is not TLS, drop --tls / use redis://';
  } else if (/certificate|CERT_|self.signed|UNABLE_TO_VERIFY/i.test(raw + code)) {
    text = `TLS certificate rejected by us for ${at} (${why}): pass the CA with --tls-ca, or --tls-insecure for a test server`;
  } else if (/SSL|TLS|wrong version number|EPROTO/i.test(raw + code)) {
    text = `TLS handshake with ${at} failed (${why}): check --tls / rediss:// against what the server expects`;
  } else if (code === 'ECONNRESET' || /Socket closed unexpectedly|socket hang up|EPIPE/i.test(raw)) {
    if (ctx.established) {
      // It had been up: killed (CLIENT KILL), a restart, a failover or the network. Not a protocol mismatch.
      text = `connection to ${at} lost (closed by the server or the network); reconnecting`;
    } else {
      text = `connection to ${at} lost`;
      // A plain client facing a TLS port is hung up on at the first byte.
      if (!config.tls.enabled) text += ': if the server expects TLS, use rediss:// or --tls';
    }
  } else {
    text = firstLine(raw) || 'unknown error';
  }
  return scrub(text, config.auth.password);
}

/** The error's code, or its cause's (node-redis wraps socket errors). */
function errorCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && code !== '') return code;
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  return cause && cause !== err ? errorCode(cause) : '';
}

function rawMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error && cause !== err ? `${err.message} ${rawMessage(cause)}` : err.message;
  }
  return String(err ?? '');
}

const firstLine = (s: string): string => (s.split('\n')[0] ?? '').slice(0, 200);

/** Removes the secret wherever a message might echo it, and any URL userinfo. */
export function scrub(text: string, secret?: string): string {
  let out = text.replace(/(\/\/[^/@\s:]*:)[^@/\s]*@/g, '$1***@');
  if (secret) out = out.split(secret).join('***');
  return out;
}

const isIp = (host: string): boolean => /^[\d.]+$/.test(host) || host.includes(':');
