// INFO reply → flat key/value map, and who the server is. Total: any input yields a result.
//
// INFO is `# Section` headers and `key:value` lines, CRLF-terminated (RESP3: a verbatim string,
// `txt:` prefixed). Values may hold ':' and '=' (`listener0:name=tcp,bind=::1,port=6379`) and
// spaces (`os:Linux 6.1 x86_64`). Valkey prints `redis_version:7.2.4` (frozen) plus
// `server_name:valkey` and `valkey_version:<x>`, and from 8.0 `server_mode:` instead of `redis_mode:`.

import type { ServerIdentity } from '../types.ts';

const LINE_SEPARATOR = /\r\n|\n|\r/;
const UNKNOWN = 'unknown';

/**
 * Every `key:value` line of an INFO reply, all sections in one map (keys are unique across
 * sections on Redis and Valkey). Split on the first ':'; section headers, blank lines and lines
 * without a key are skipped. A repeated key (the Modules section prints one `module:` line per
 * module) keeps its first value.
 */
export function parseInfo(text: string): Record<string, string> {
  const info: Record<string, string> = {};
  if (typeof text !== 'string') return info;
  const body = text.startsWith('txt:') ? text.slice(4) : text;
  for (const line of body.split(LINE_SEPARATOR)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim();
    if (key === '' || Object.hasOwn(info, key)) continue;
    // defineProperty, not assignment: a key such as `__proto__` must land as a plain entry.
    Object.defineProperty(info, key, {
      value: line.slice(colon + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return info;
}

/**
 * Product, version, mode and role from a parsed INFO. Valkey when `server_name` is `valkey` or a
 * `valkey_version` is printed; its `version` is `valkey_version` (falling back to `redis_version`,
 * which Valkey 7.2 set to its own version). Missing text → 'unknown'; missing numbers → undefined.
 */
export function serverIdentity(info: Readonly<Record<string, string>>): ServerIdentity {
  const get = (key: string): string | undefined => {
    if (info === null || typeof info !== 'object' || !Object.hasOwn(info, key)) return undefined;
    const value = info[key];
    if (typeof value !== 'string') return undefined;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  };
  const valkey = get('server_name')?.toLowerCase() === 'valkey' || get('valkey_version') !== undefined;
  const redisVersion = get('redis_version');
  return {
    name: valkey ? 'valkey' : 'redis',
    version: (valkey ? get('valkey_version') ?? redisVersion : redisVersion) ?? UNKNOWN,
    redisVersion: redisVersion ?? UNKNOWN,
    mode: get('redis_mode') ?? get('server_mode') ?? UNKNOWN,
    role: get('role') ?? UNKNOWN,
    ...optional('connectedClients', numberOf(get('connected_clients'))),
    ...optional('opsPerSec', numberOf(get('instantaneous_ops_per_sec'))),
    ...optional('uptimeSeconds', numberOf(get('uptime_in_seconds'))),
  };
}

/** Convenience: `serverIdentity(parseInfo(text))`. */
export function identityFromInfo(text: string): ServerIdentity {
  return serverIdentity(parseInfo(text));
}

/** `{ [key]: value }`, or nothing when value is undefined (absent stays absent, not `key: undefined`). */
function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: number });
}

function numberOf(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
