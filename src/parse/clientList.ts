// CLIENT LIST / CLIENT INFO reply → ClientInfo[]. Total: any input yields a result, nothing throws.
//
// Format (redis-facts.md §1): one line per client, `key=value` tokens separated by single spaces,
// every line ending in "\n". Values are printed raw (no escaping); the server only lets bytes
// 0x21..0x7E into names and lib-name/lib-ver, so a value never holds a space but may hold '=',
// and may be empty (`name=`). ACL user names may hold any byte but whitespace and NUL. Field sets
// differ per version and per managed service, so nothing here relies on order or on a field list.

import type { ClientInfo, ClientListParse } from '../types.ts';

/** Separators between tokens. No value can contain these (names: 0x21..0x7E; users: no isspace()). */
const TOKEN_SEPARATOR = /[ \t\v\f]+/;
const LINE_SEPARATOR = /\r\n|\n|\r/;
const INTEGER = /^-?\d+$/;

/**
 * Parses a whole CLIENT LIST (or CLIENT INFO) reply. Tolerates CRLF, blank lines, a missing final
 * newline and the `txt:` prefix of a RESP3 verbatim string. Lines that have no non-empty `id=` or
 * hold a token that is not `key=value` are returned, as they were, in `unparsed`.
 */
export function parseClientList(text: string): ClientListParse {
  const clients: ClientInfo[] = [];
  const unparsed: string[] = [];
  if (typeof text !== 'string') return { clients, unparsed };
  const body = text.startsWith('txt:') ? text.slice(4) : text;
  for (const line of body.split(LINE_SEPARATOR)) {
    if (line.trim() === '') continue;
    const client = parseClientLine(line);
    if (client) clients.push(client);
    else unparsed.push(line);
  }
  return { clients, unparsed };
}

/** One line of CLIENT LIST / CLIENT INFO; undefined when it is not a client line. */
export function parseClientLine(line: string): ClientInfo | undefined {
  const fields = parseFields(line);
  if (!fields) return undefined;
  const id = own(fields, 'id');
  if (id === undefined || id === '') return undefined;
  return clientInfoFromFields(fields);
}

/**
 * Splits a line into its `key=value` tokens (each on its first '='). Undefined when the line is
 * empty or any token has no '=' or an empty key. A repeated key keeps its first value.
 */
export function parseFields(line: string): Record<string, string> | undefined {
  if (typeof line !== 'string') return undefined;
  const tokens = line.split(TOKEN_SEPARATOR).filter((t) => t !== '');
  if (tokens.length === 0) return undefined;
  const fields: Record<string, string> = {};
  for (const token of tokens) {
    const eq = token.indexOf('=');
    if (eq <= 0) return undefined;
    const key = token.slice(0, eq);
    if (Object.hasOwn(fields, key)) continue;
    // defineProperty, not assignment: a key such as `__proto__` must land as a plain field.
    Object.defineProperty(fields, key, {
      value: token.slice(eq + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return fields;
}

/**
 * Builds a ClientInfo from already split fields. Missing text fields become '' (or undefined for
 * the ones whose absence means something: `user` before 6.0, `laddr` before 6.2, `cmd`,
 * `lib-name`/`lib-ver` before 7.2); numbers that are missing or not safe integers become 0.
 * `cmd` is kept as printed, including the server's `NULL` for a client that ran no command yet.
 */
export function clientInfoFromFields(fields: Readonly<Record<string, string>>): ClientInfo {
  const addr = own(fields, 'addr') ?? '';
  const flags = own(fields, 'flags') ?? '';
  const laddr = own(fields, 'laddr');
  const user = own(fields, 'user');
  const cmd = own(fields, 'cmd');
  const libName = own(fields, 'lib-name');
  const libVer = own(fields, 'lib-ver');
  const totCmds = own(fields, 'tot-cmds');
  // Optional properties are left out, not set to undefined, when the server did not print them.
  return {
    id: own(fields, 'id') ?? '',
    addr,
    addrKey: addressKey(addr, flags),
    ip: hostOf(addr),
    ...(laddr !== undefined && { laddr }),
    name: own(fields, 'name') ?? '',
    age: intOf(own(fields, 'age')),
    idle: intOf(own(fields, 'idle')),
    flags,
    db: intOf(own(fields, 'db')),
    ...(user !== undefined && { user }),
    ...(cmd !== undefined && { cmd }),
    ...(libName !== undefined && { libName }),
    ...(libVer !== undefined && { libVer }),
    omem: intOf(own(fields, 'omem')),
    ...(totCmds !== undefined && { totCmds, totNetIn: own(fields, 'tot-net-in') ?? '0', totNetOut: own(fields, 'tot-net-out') ?? '0' }),
    fields,
  };
}

/**
 * The host part of a CLIENT LIST address: `1.2.3.4:5` → `1.2.3.4`, `[::1]:5` → `::1`,
 * `/run/redis.sock:0` → `/run/redis.sock`, '' → ''. An address without a port is returned whole.
 */
export function hostOf(addr: string): string {
  if (typeof addr !== 'string' || addr === '') return '';
  if (addr.startsWith('[')) {
    const close = addr.indexOf(']');
    if (close > 0) return addr.slice(1, close);
  }
  const colon = addr.lastIndexOf(':');
  return colon < 0 ? addr : addr.slice(0, colon);
}

/**
 * The form MONITOR prints for the connection CLIENT LIST shows as `addr` with `flags`:
 * `ip:port` and `[v6]:port` unchanged; a unix-socket client (flag `U`, or an address that is a
 * path) as `unix:<socket path>` — CLIENT LIST prints `<path>:0`, MONITOR `unix:<path>`; '' for ''.
 */
export function addressKey(addr: string, flags: string): string {
  if (typeof addr !== 'string' || addr === '') return '';
  if (addr.startsWith('unix:')) return addr;
  const unix = (typeof flags === 'string' && flags.includes('U')) || addr.startsWith('/');
  return unix ? `unix:${hostOf(addr)}` : addr;
}

/** What a CLIENT LIST reply shows this server prints, read off the fields present (not the version). */
export interface ClientListFeatures {
  /** `lib-name`/`lib-ver` are printed (Redis/Valkey ≥ 7.2): a client without one sent no CLIENT SETINFO. */
  readonly libInfo: boolean;
  /** `user=` is printed (≥ 6.0). */
  readonly user: boolean;
  /** `laddr=` is printed (≥ 6.2). */
  readonly laddr: boolean;
}

/** Field presence over a parsed list; all false for an empty list (nothing to tell from). */
export function clientListFeatures(clients: readonly ClientInfo[]): ClientListFeatures {
  return {
    libInfo: clients.some((c) => c.libName !== undefined || c.libVer !== undefined),
    user: clients.some((c) => c.user !== undefined),
    laddr: clients.some((c) => c.laddr !== undefined),
  };
}

function own(fields: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(fields, key) ? fields[key] : undefined;
}

function intOf(text: string | undefined): number {
  if (text === undefined || !INTEGER.test(text)) return 0;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n || 0 : 0; // `|| 0`: no -0 from "-0"
}
