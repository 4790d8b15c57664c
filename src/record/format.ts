// The recording format: gzip-compressed JSON lines, one record per line, in the order the session
// applied them. Replaying the same records in the same order gives the same analysis.
// Version 1. Values (non-key arguments) are left out unless the recording was made with values.
import type { Access, ServerIdentity } from '../types.ts';

export const RECORDING_VERSION = 1;

export interface HeaderRecord {
  readonly t: 'header';
  readonly v: number;
  readonly tool: string;
  readonly toolVersion: string;
  readonly endpoint: string;
  readonly startedAt: number;
  readonly delimiter: string;
  /** True when argument values were kept (--record-values). */
  readonly values: boolean;
  /** A cutover session: the target endpoint (--to) whose records carry `ep: 'target'`. */
  readonly target?: string;
}

/** A CLIENT LIST (+ INFO identity) poll, as the raw text the server sent. */
export interface PollRecord {
  readonly t: 'poll';
  /** The cluster node it came from (absent: the one node of a standalone session). */
  readonly node?: string;
  /** A cutover session's target endpoint made this record (absent: the source). */
  readonly ep?: 'target';
  readonly at: number;
  readonly startedAt: number;
  readonly server: ServerIdentity;
  readonly clientList: string;
  /**
   * The INFO fields the session reads besides the identity (added in 0.1, optional): run_id and
   * uptime_in_seconds tell a server restart, server_time_usec maps MONITOR's clock to the poll's;
   * a cluster node's MOVED and ASK replies (errorstat_*) are kept too.
   */
  readonly info?: Readonly<Record<string, string>>;
  /** A cluster node's place when the poll was taken (added with clusters; absent standalone). */
  readonly cluster?: RecordedNode;
}

/** What a replay needs to show a cluster node as it was: its id, address, role, primary and slots. */
export interface RecordedNode {
  readonly id: string;
  readonly addr: string;
  readonly role: 'primary' | 'replica';
  readonly primaryId?: string;
  readonly slots: string;
}

/** INFO fields a recording keeps with each poll (see PollRecord.info). */
export const RECORDED_INFO = ['run_id', 'uptime_in_seconds', 'server_time_usec', 'errorstat_MOVED', 'errorstat_ASK'] as const;

/** INFO keyspace lines (`db0`…) a cutover recording keeps too: the keys on each side replay. */
export const isRecordedKeyspace = (field: string): boolean => /^db\d+$/.test(field);

/** One MONITOR event with its classification; `args` only when recorded with values. */
export interface EventRecord {
  readonly ts: number;
  readonly db: number;
  readonly src: string;
  /** Canonical command (`GET`, `CLIENT|SETNAME`). */
  readonly c: string;
  readonly a: Access;
  /** Keys, and which of them were written (same order). */
  readonly k: readonly string[];
  readonly w: readonly boolean[];
  readonly s?: true;
  readonly args?: readonly string[];
}

/**
 * Everything one flush applied, at engine time `at`: the events, and the lines that did not parse.
 * Those lines may hold values, so their text (`unparsed`) is kept only with values; without, just
 * how many there were (`bad`). A replay counts them the same either way.
 */
export interface BatchRecord {
  readonly t: 'batch';
  readonly node?: string;
  readonly ep?: 'target';
  readonly at: number;
  readonly events: readonly EventRecord[];
  readonly unparsed?: readonly string[];
  readonly bad?: number;
}

/** A change in MONITOR's state worth replaying (on, paused, stopped, with the reason). */
export interface MonitorRecord {
  readonly t: 'monitor';
  readonly node?: string;
  readonly ep?: 'target';
  readonly at: number;
  readonly phase: string;
  readonly reason?: string;
}

/**
 * Batches the recorder dropped because the disk could not keep up (gzip backpressure), written once
 * the file caught up; `at` is the engine time of the last dropped batch.
 */
export interface GapRecord {
  readonly t: 'gap';
  readonly at: number;
  readonly droppedBatches: number;
}

export type RecordingRecord = HeaderRecord | PollRecord | BatchRecord | MonitorRecord | GapRecord;
