// Who a connection says it is, from the commands it sends while it sets itself up, and which
// connections are redis-recon's own. Pure: the ledger and the views call these.
import type { ClientInfo } from '../types.ts';
import { detach } from './boundedCounter.ts';

/** Commands by which a connection names itself: a short-lived one is known by them alone. */
export const IDENTITY_COMMANDS: ReadonlySet<string> = new Set(['CLIENT|SETNAME', 'CLIENT|SETINFO', 'HELLO']);

/**
 * Commands a client library sends first on a new connection, before any work. Seen from an address
 * whose connection has already worked (or has been open for a while), one of them is strong
 * evidence that a new connection now holds that `ip:port` (a port reused behind NAT, or by a
 * connection-per-request client): no library re-authenticates or renames itself between two
 * commands without reason, and when one does, the next CLIENT LIST says so (see ledger.ts).
 */
export const NEW_CONNECTION_COMMANDS: ReadonlySet<string> = new Set(['HELLO', 'AUTH', 'CLIENT|SETNAME', 'CLIENT|SETINFO']);

/**
 * Everything a connection may send while setting up, in any order: the commands above, then the
 * database, protocol and tracking options libraries apply before the first real command. A
 * connection that sent anything else has finished its setup.
 */
export const SETUP_COMMANDS: ReadonlySet<string> = new Set([
  ...NEW_CONNECTION_COMMANDS,
  'SELECT',
  'PING',
  'READONLY',
  'CLIENT|TRACKING',
  'CLIENT|CAPA',
  'CLIENT|MAINT_NOTIFICATIONS',
  'CLIENT|ID',
]);

/** What a connection announced in MONITOR (CLIENT SETNAME/SETINFO, HELLO … SETNAME). */
export interface Announced {
  name?: string;
  libName?: string;
  libVer?: string;
}

/** Records what `args` (one of IDENTITY_COMMANDS, canonical name `command`) announces. */
export function announce(into: Announced, command: string, args: readonly string[]): void {
  if (command === 'CLIENT|SETNAME' && args[2] !== undefined) into.name = detach(args[2]);
  else if (command === 'CLIENT|SETINFO' && args[3] !== undefined) {
    const attr = args[2]?.toUpperCase();
    if (attr === 'LIB-NAME') into.libName = detach(args[3]);
    else if (attr === 'LIB-VER') into.libVer = detach(args[3]);
  } else if (command === 'HELLO') {
    const at = args.findIndex((x, i) => i > 0 && x.toUpperCase() === 'SETNAME');
    if (at > 0 && args[at + 1] !== undefined) into.name = detach(args[at + 1]!);
  }
}

/**
 * A redis-recon connection, this run's or another instance's: every connection the tool opens is
 * named `redis-recon-<role>-<token>` and sends `lib-name node-redis(redis-recon)` (connect.ts sets
 * clientInfoTag), which servers from 7.2 print. Another instance watching the same server must not
 * show up as a client of it, nor be counted as one.
 */
export function isReconConnection(who: { readonly name?: string; readonly libName?: string }): boolean {
  return (who.name?.startsWith('redis-recon-') ?? false) || (who.libName?.includes('redis-recon') ?? false);
}

/** The self test the session applies to a listed connection: redis-recon's by name or library, or the caller's own rule. */
export function selfTest(extra: ((info: ClientInfo) => boolean) | undefined): (info: ClientInfo) => boolean {
  return (info) => isReconConnection(info) || (extra?.(info) ?? false);
}
