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

/** Exponential backoff capped at `maxMs`; stops for errors that retrying cannot fix. */
export function backoff(maxMs = 10_000, onGiveUp?: (cause: Error) => void): RetryPolicy {
  return {
    strategy(retries, cause) {
      if (isFatal(cause)) {
        onGiveUp?.(cause);
        return false;
      }
      return Math.min(200 * 2 ** retries, maxMs) + Math.floor(Math.random() * 100);
    },
  };
}

const FATAL = /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username|AUTH failed|ERR AUTH|certificate|CERT_|SSL|TLS|self.signed|wrong version number|ERR_TLS/i;
export const isFatal = (err: unknown): boolean => FATAL.test(rawMessage(err));

/** A sentence for the status bar or stderr. Never includes the password, whatever the server said. */
export function describeError(err: unknown, config: Pick<Config, 'endpoint' | 'auth' | 'connectTimeoutMs' | 'tls'>): string {
  const raw = rawMessage(err);
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
  const at = config.endpoint;
  let text: string;
  if (/WRONGPASS|invalid username-password|invalid password/i.test(raw)) {
    text = `authentication failed at ${at}: wrong user name or password`;
  } else if (/NOAUTH/i.test(raw)) {
    text = `${at} requires a password: set REDIS_PASSWORD (and REDIS_USERNAME for an ACL user)`;
  } else if (/NOPERM/i.test(raw)) {
    const cmd = /command '([^']+)'|run the '([^']+)' command/i.exec(raw);
    const name = cmd?.[1] ?? cmd?.[2];
    text = `permission denied${name ? ` for ${name.toUpperCase()}` : ''}: the ACL user needs +client|list +info +monitor +command (${firstLine(raw)})`;
  } else if (code === 'ECONNREFUSED') {
    text = `connection refused by ${at}: is the server running and the port right?`;
  } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    text = `host not found: ${at}`;
  } else if (/ConnectionTimeout|timed? ?out|ETIMEDOUT/i.test(raw) || code === 'ETIMEDOUT') {
    text = `timed out after ${Math.round(config.connectTimeoutMs / 1000)}s connecting to ${at}`;
    // A TLS client facing a plain port waits forever for a ServerHello that never comes.
    if (config.tls.enabled) text += ': if that port is not TLS, drop --tls / use redis://';
  } else if (/certificate|CERT_|self.signed|UNABLE_TO_VERIFY/i.test(raw + code)) {
    text = `TLS certificate rejected by us for ${at} (${code || firstLine(raw)}): pass the CA with --tls-ca, or --tls-insecure for a test server`;
  } else if (/SSL|TLS|wrong version number|EPROTO/i.test(raw + code)) {
    text = `TLS handshake with ${at} failed (${code || firstLine(raw)}): check --tls / rediss:// against what the server expects`;
  } else if (code === 'ECONNRESET' || /Socket closed unexpectedly|socket hang up|EPIPE/i.test(raw)) {
    text = `connection to ${at} lost`;
    // A plain client facing a TLS port is hung up on at the first byte.
    if (!config.tls.enabled) text += ': if the server expects TLS, use rediss:// or --tls';
  } else {
    text = firstLine(raw) || 'unknown error';
  }
  return scrub(text, config.auth.password);
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
