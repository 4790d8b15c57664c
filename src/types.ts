// Plain values that cross module boundaries. Parsers produce them, the session aggregates them,
// the store publishes them, the UI and exports read them. No behaviour lives here.
import type { RawLogEntry } from './parse/commandLog.ts';

/** Whether a lens runs on a node: not tried yet, running, not on this server, or refused (ACL, proxy). */
export type LensState = 'pending' | 'on' | 'absent' | 'refused';

/** What one poll read of the server's command logs (SLOWLOG, or COMMANDLOG where it exists). */
export interface PollLogs {
  /** New entries since the previous read, oldest first. */
  readonly entries: readonly RawLogEntry[];
  readonly slowlog: LensState;
  readonly commandlog: LensState;
  /** Entries that came and went between reads (a short log, or a reset), over the run. */
  readonly missed: number;
}

/** One line of a CLIENT LIST (or CLIENT INFO) reply. */
export interface ClientInfo {
  /** 64-bit server id, kept as text: Redis Enterprise ids exceed 2^53. */
  readonly id: string;
  /** As the server prints it: `ip:port`, `[v6]:port`, `/path/to.sock:0`, or '' for connection-less clients. */
  readonly addr: string;
  /** The key MONITOR lines use for this connection (see `addressKey`). */
  readonly addrKey: string;
  readonly ip: string;
  readonly laddr?: string;
  readonly name: string;
  /** Seconds since the connection opened. */
  readonly age: number;
  /** Seconds since the last command. */
  readonly idle: number;
  readonly flags: string;
  readonly db: number;
  /** Absent before Redis 6.0. */
  readonly user?: string;
  /** Last command, `client|list` style from 7.0. */
  readonly cmd?: string;
  /**
   * Absent when the server does not print the field at all (before 7.2);
   * '' when the server prints it and the client sent nothing (too old a library, or a raw socket).
   */
  readonly libName?: string;
  readonly libVer?: string;
  /** Output buffer memory the server holds for this client, bytes. */
  readonly omem: number;
  /**
   * The per-connection counters as printed (`tot-cmds`, `tot-net-in`, `tot-net-out`: Valkey 8.0+,
   * recent Redis); absent where the server does not print them. Read while the line is parsed.
   */
  readonly totCmds?: string;
  readonly totNetIn?: string;
  readonly totNetOut?: string;
  /** Every field exactly as printed, including ones this version of the tool does not know. */
  readonly fields: Readonly<Record<string, string>>;
}

/** The result of reading a CLIENT LIST reply: what parsed, and what did not. */
export interface ClientListParse {
  readonly clients: ClientInfo[];
  /** Lines that were not `key=value` tokens with an id. */
  readonly unparsed: string[];
}

/** One MONITOR line, decoded. */
export interface MonitorEvent {
  /** Unix time in seconds, microsecond resolution, as the server stamped it. */
  readonly ts: number;
  readonly db: number;
  /**
   * The connection the command came from, in the same form as `ClientInfo.addrKey`:
   * `ip:port`, `[v6]:port`, `unix:/path`; or `lua` for commands a script ran; '' if the server printed none.
   */
  readonly source: string;
  /** Arguments with every server escape undone (bytes decoded as UTF-8). args[0] is the command as sent. */
  readonly args: string[];
}

export type MonitorParse =
  | { readonly ok: true; readonly event: MonitorEvent }
  | { readonly ok: false; readonly reason: string };

/** What INFO says about the server we are inspecting. */
export interface ServerIdentity {
  /** `valkey` when INFO has `server_name:valkey` or a `valkey_version`, else `redis`. */
  readonly name: 'redis' | 'valkey';
  /** The product version: `valkey_version` on Valkey (whose `redis_version` is a frozen 7.2.4). */
  readonly version: string;
  /** `redis_version` as printed, for compatibility checks. */
  readonly redisVersion: string;
  /** standalone | cluster | sentinel, from `redis_mode` (or `server_mode` on Valkey 8+). */
  readonly mode: string;
  /** master | slave, from `role`. */
  readonly role: string;
  readonly connectedClients?: number;
  readonly opsPerSec?: number;
  readonly uptimeSeconds?: number;
}

/** How one command touches the keyspace, read off the server's command table. */
export type Access = 'read' | 'write' | 'other';

export interface KeyTouch {
  readonly key: string;
  readonly write: boolean;
}

export interface Classified {
  /** Canonical upper-case name; subcommands as `CLIENT|SETNAME`. Unknown commands keep their upper-cased name. */
  readonly command: string;
  readonly access: Access;
  readonly keys: KeyTouch[];
  /** EVAL/EVALSHA/FCALL and their _RO forms: the `lua` lines that follow belong to this caller. */
  readonly script: boolean;
}

export interface CommandClassifier {
  classify(args: readonly string[]): Classified;
}

/** One CLIENT LIST + INFO poll, from a live server, a recording or a saved CLIENT LIST. */
export interface PollResult {
  /** Our clock (ms) when the poll was sent and when its answers arrived. */
  readonly startedAt: number;
  readonly at: number;
  readonly clients: ClientInfo[];
  readonly unparsed: string[];
  readonly server: ServerIdentity;
  /** INFO as parsed (`run_id`, `uptime_in_seconds`, `server_time_usec`, memory, replication…); {} when not read. */
  readonly info: Record<string, string>;
  /** INFO commandstats as parsed, when the server answered it. */
  readonly commandstats?: Record<string, string>;
  /** INFO errorstats as parsed, when the server answered it. */
  readonly errorstats?: Record<string, string>;
  /** Whether INFO commandstats and errorstats answer on this server. */
  readonly stats?: { readonly commandstats: LensState; readonly errorstats: LensState };
  /** The command logs read with this poll. */
  readonly logs?: PollLogs;
  /**
   * Commands redis-recon itself had sent on this node when INFO commandstats was read, by their
   * commandstats name (`client|list`, `info`, `monitor`): taken out of the command mix.
   */
  readonly ownCalls?: Readonly<Record<string, number>>;
  /** Round trip of a PING sent with the poll (ms). */
  readonly rttMs?: number;
  /** The CLIENT LIST reply as sent, for recordings (parsers improve; the text stays true). */
  readonly rawClientList?: string;
}
