// What crosses between the render thread and a collector worker. Everything here is plain data
// (structured-clone friendly): no classes, no functions.
//
// Flow control is by credit: a collector sends a delta, then sends nothing more until the main
// thread acknowledges it. Deltas carry state (the newest client views, tree, counts), never events,
// so a slow consumer never makes anything queue: the collector keeps aggregating and its next delta
// simply covers more. The main thread's heartbeats let a collector see that the screen has stalled.
import type { ClientView, KeyCount, SessionView } from '../analysis/session.ts';
import type { LensState, ServerIdentity } from '../types.ts';
import type { CommandFigure, ErrorFigure } from '../analysis/serverLenses.ts';
import type { LoggedEntry } from '../analysis/ledger.ts';
import type { ServerFinding } from '../audit/findings.ts';

export type { CommandFigure, ErrorFigure, LensState, ServerFinding };
import type { PatternSnapshot } from '../analysis/keyPatterns.ts';
import type { Config } from '../config.ts';
import type { HeaderRecord } from '../record/format.ts';
import type { KeyspaceReport } from '../analysis/keyspaceEstimate.ts';
import type { Topology } from '../parse/clusterTopology.ts';
import type { EndpointFacts } from '../parse/endpointFacts.ts';

export type { EndpointFacts };

/** Which side of a migration an endpoint is: the source (the one --url names) or the target (--to). */
export type EndpointSide = 'source' | 'target';

export type MonitorDesire = 'on' | 'paused' | 'off';
export type MonitorPhase = 'off' | 'connecting' | 'on' | 'reconnecting' | 'paused' | 'stopped' | 'error';

/** Why MONITOR is held off on one node although the user wants it on. Each clears by itself. */
export type HoldKind = 'guard' | 'blind' | 'health' | 'stall' | 'backlog' | 'duty';

export interface NodeMonitor {
  readonly phase: MonitorPhase;
  /** In words, for the status bar: why it is not on, or what it is doing. */
  readonly reason?: string;
  /** What holds it off (the user did not ask): it comes back by itself when this clears. */
  readonly hold?: HoldKind;
  /** Time spent with MONITOR on, over all periods, up to `at`. */
  readonly onMs: number;
  /** Wall time (ms) the current on-period began; undefined while not on. */
  readonly onSince?: number;
  /** Periods MONITOR was held off, with why, for the export (bounded, oldest merged). */
  readonly offPeriods: readonly OffPeriod[];
  /** The server's output buffer for our MONITOR connection at the last poll (bytes). */
  readonly omem?: number;
  /**
   * Whether the buffer guard can see our MONITOR connection in CLIENT LIST: 'watching', 'hidden'
   * (a proxy hides or renumbers it: MONITOR runs in a short duty cycle unless the risk was accepted),
   * 'unguarded' (hidden, and the user accepted running it anyway).
   */
  readonly guard: 'watching' | 'hidden' | 'unguarded' | 'idle';
  /**
   * Sampled MONITOR (`--monitor sampled`): the duty cycle, and the windows cut short by the line
   * cap. Counts seen are scaled by each client's watched share of its life (src/analysis/lenses.ts).
   */
  readonly sample?: { readonly onMs: number; readonly periodMs: number; readonly linesPerWindow: number; readonly cappedWindows: number };
}

export interface OffPeriod {
  readonly from: number;
  /** Undefined while the period is still open. */
  readonly to?: number;
  readonly why: string;
  /** Set on a period that stands for several (the oldest merged): how long MONITOR was off within it. */
  readonly offMs?: number;
}

export interface PollState {
  readonly lastAt?: number;
  readonly polls: number;
  readonly lastError?: string;
  readonly lastErrorAt?: number;
  /** Retrying cannot help (bad password, missing permission, TLS refused). */
  readonly gaveUp?: boolean;
  /** The poll interval in force (it grows with the number of connections). */
  readonly intervalMs: number;
  /** What one CLIENT LIST costs the server, from INFO commandstats (µs per call). */
  readonly clientListUsec?: number;
}

export interface StreamState {
  readonly lines: number;
  readonly unparsed: number;
  /** Why lines did not parse (reasons, never their text: a line may hold values). */
  readonly unparsedReasons: Readonly<Record<string, number>>;
  /** Lines dropped because the collector fell behind. */
  readonly dropped: number;
  readonly eventsPerSec: number;
}

/** One command-log entry as the node reports it, joined to a client when one fits. */
export interface LogFigure extends LoggedEntry {
  readonly lens: 'slowlog' | 'commandlog';
  readonly addr: string;
  readonly name: string;
  /** The client's key in the merged view, its server id, when the entry was joined to one. */
  readonly client?: string;
  readonly clientId?: string;
  /** A redis-recon connection's entry. */
  readonly self: boolean;
}

/** The cheaper lenses of one node: which answer, and the server-wide figures they give. */
export interface NodeLenses {
  /** CLIENT LIST prints `tot-cmds`/`tot-net-in`/`tot-net-out` (Valkey 8+). */
  readonly counters: LensState;
  /** CLIENT LIST prints `cmd=`. */
  readonly lastCommand: LensState;
  readonly commandstats: LensState;
  readonly errorstats: LensState;
  readonly slowlog: LensState;
  readonly commandlog: LensState;
  /** When the window's first INFO commandstats reading was taken (ms, ours). */
  readonly since?: number;
  readonly commands: readonly CommandFigure[];
  readonly errors: readonly ErrorFigure[];
  /** The newest command-log entries, oldest first (bounded). */
  readonly log: readonly LogFigure[];
  /** Entries that came and went between reads (a short log, or someone reset it). */
  readonly logMissed: number;
  /** Commands the target lacks, from INFO commandstats (MONITOR or not). */
  readonly findings: readonly ServerFinding[];
}

/** One node's state, small enough to send with every delta. */
export interface NodeStatus {
  readonly id: string;
  /** How to reach it, for display (`host:port`). */
  readonly addr: string;
  readonly server?: ServerIdentity;
  readonly poll: PollState;
  readonly monitor: NodeMonitor;
  readonly stream: StreamState;
  readonly commandTable: { readonly source: 'pending' | 'server' | 'fallback'; readonly warning?: string };
  readonly notices: readonly string[];
  /** The first event's time, for captures and replays (the window starts there, not at launch). */
  readonly windowStart?: number;
  /** The source's clock (the capture's or recording's time; wall time when live). */
  readonly clock: number;
  /** Set when the node is a cluster node: who it is in the cluster and what it serves. */
  readonly cluster?: NodeCluster;
  /** Set (by the main thread) once the node left the cluster: its collector stopped, its data kept. */
  readonly gone?: string;
  /** Set in a cutover session (--to): which endpoint the node belongs to. */
  readonly endpoint?: EndpointSide;
  /** Set in a cutover session: keys, modules, commands and cluster mode, for the comparison. */
  readonly facts?: EndpointFacts;
  /** The cheaper lenses (live nodes); the merger keeps the latest a delta carried. */
  readonly lenses?: NodeLenses;
}

/**
 * One cluster node's place in its cluster, as the node itself says: its own INFO (role), CLUSTER
 * MYID, its shard's slots from its topology reply, CLUSTER INFO's state, INFO errorstats.
 */
export interface NodeCluster {
  /** The cluster's id for the node (CLUSTER MYID): stable across restarts and address changes. */
  readonly id: string;
  readonly role: 'primary' | 'replica';
  /** A replica's primary (cluster id). */
  readonly primaryId?: string;
  /** Slot ranges its shard serves, `0-5460,10923`; '' when none (or not read yet). */
  readonly slots: string;
  /** `cluster_state` from CLUSTER INFO: ok or fail. */
  readonly state?: string;
  /**
   * MOVED and ASK replies this node sent while redis-recon watched it (INFO errorstats). Server-wide:
   * a redirected command never reaches MONITOR, so no lens ties them to a client.
   */
  readonly redirects?: { readonly moved: number; readonly ask: number };
  /** MONITOR left off by policy (a replica, unless --replicas), in words. */
  readonly standby?: string;
  /** MONITOR lines from the replication link (the primary's writes, counted on the primary) left out. */
  readonly replicated?: number;
}

/** A collector's view of the whole cluster, sent when it changes (not with every delta). */
export interface TopologyReport {
  /** The reporting collector's node key. */
  readonly reporter: string;
  /** The reporter's own cluster id. */
  readonly self: string;
  readonly at: number;
  readonly topology: Topology;
}

export interface NodeDelta {
  readonly status: NodeStatus;
  /** Client views that changed since the last acknowledged delta, and keys that were forgotten. */
  readonly clients?: { readonly upsert: readonly ClientView[]; readonly remove: readonly string[] };
  /** The node's key-pattern tree (heatmap), when it changed or its rates need refreshing. */
  readonly tree?: PatternSnapshot;
  readonly topKeys?: readonly KeyCount[];
  readonly totals: SessionView['totals'];
  /** The keyspace sampler's report (live nodes), when it changed. */
  readonly keyspace?: KeyspaceReport;
  /** The node's lenses, when they changed (a poll). */
  readonly lenses?: NodeLenses;
}

// ---------------------------------------------------------------------------------------------
// Starting a collector

export interface AuditSpec {
  readonly target: string;
  readonly librariesFile?: string;
}

/**
 * How a live collector treats a cluster node. `seed`: the endpoint the user gave; a standalone
 * server is watched as always, a cluster node only reports the topology (the engine then watches
 * every node at the address the cluster announces, and retires the seed before it counted
 * anything). `node`: one node of a cluster the engine fans out over. `pinned`: --single-node.
 */
export interface ClusterRole {
  readonly mode: 'seed' | 'node' | 'pinned';
  /** MONITOR on replicas too (--replicas); by default only primaries stream MONITOR. */
  readonly monitorReplicas: boolean;
}

export type CollectorSpec =
  | {
      readonly kind: 'live';
      readonly nodeId: string;
      readonly config: Config;
      readonly cluster?: ClusterRole;
      /** A cutover session: which endpoint this node belongs to (its status and records say so). */
      readonly endpoint?: EndpointSide;
    }
  | {
      readonly kind: 'capture';
      readonly nodeId: string;
      /** Where the capture comes from, for display (the main thread reads it and feeds the lines). */
      readonly source: string;
      readonly partition: number;
      readonly partitions: number;
      readonly clientList?: string;
    }
  | {
      readonly kind: 'replay';
      readonly path: string;
      readonly header: HeaderRecord;
      readonly speed: number | 'max';
      /** A recorded cutover: this collector replays only this endpoint's records (absent: the source's). */
      readonly endpoint?: EndpointSide;
    };

export interface CollectorInit {
  readonly spec: CollectorSpec;
  readonly delimiter: string;
  readonly audit: AuditSpec | null;
  /** Live only: send the recording's lines (keys; values when asked). */
  readonly record: { readonly values: boolean } | null;
  /** The main thread's heartbeat stopped for this long: MONITOR closes (fail closed). */
  readonly stallMs: number;
  /** Run MONITOR even where the buffer guard cannot see our connection (the user accepted the risk). */
  readonly unguarded: boolean;
  readonly monitorMaxOmem: number;
  /** The intent at start. */
  readonly desired: MonitorDesire;
  /**
   * Captures: the least time between deltas (1 s when absent). A headless run reads only the last
   * one, so it asks for none before: each costs the partition a view and a copy to the main thread.
   */
  readonly publishEveryMs?: number;
  /** Live only: the keyspace sampler's budget and sample size, and whether it starts at once (--keyspace). */
  readonly keyspace?: { readonly rate: number; readonly sample: number; readonly run: boolean };
  /** Tests only: shorter safety timings and smaller bounds than the defaults in live.ts. */
  readonly tuning?: CollectorTuning;
  /** Live only: MONITOR runs in this duty cycle (`--monitor sampled`); absent: continuously. */
  readonly sample?: { readonly onMs: number; readonly periodMs: number };
}

/** What a test may shorten so a fail-closed path is seen in seconds (the engine never sets it). */
export interface CollectorTuning {
  /** The duty cycle where the buffer guard cannot see our MONITOR connection (default 10 s on, 50 s off). */
  readonly hiddenDuty?: { readonly onMs: number; readonly offMs: number };
  /** MONITOR lines waiting in the collector that trip the backlog hold (default 500,000). */
  readonly backlogHoldLines?: number;
}

// ---------------------------------------------------------------------------------------------
// Messages

export type ToCollector =
  | { readonly t: 'hb' }
  | { readonly t: 'ack'; readonly seq: number }
  | { readonly t: 'monitor'; readonly desired: MonitorDesire; readonly reason?: string }
  | { readonly t: 'poll' }
  /** Start or stop the keyspace sampler (live nodes). */
  | { readonly t: 'keyspace'; readonly run: boolean; readonly reason?: string }
  /** Flush now and send a delta at once, whatever the credit (an export must see everything). */
  | { readonly t: 'sync' }
  /** A capture's first event time (its window starts there): a saved CLIENT LIST applies from then. */
  | { readonly t: 'window'; readonly at: number }
  /** A capture chunk in shared memory, and this partition's lines in it as [start, end) pairs. */
  | { readonly t: 'lines'; readonly buf: Uint8Array; readonly offsets: Int32Array }
  | { readonly t: 'end' }
  | { readonly t: 'stop' };

export type FromCollector =
  | { readonly t: 'delta'; readonly seq: number; readonly nodes: readonly NodeDelta[]; readonly final?: boolean; readonly synced?: boolean }
  | { readonly t: 'ready' }
  | { readonly t: 'connect-failed'; readonly message: string }
  | { readonly t: 'tap'; readonly text: string; readonly kind: 'poll' | 'batch' }
  /** The cluster's topology as this node sees it, when it changed. */
  | { readonly t: 'topology'; readonly report: TopologyReport }
  /** A capture chunk was taken: the main thread's flow control. */
  | { readonly t: 'chunk-ack' }
  | { readonly t: 'done'; readonly summary: string }
  | { readonly t: 'stopped' }
  | { readonly t: 'fatal'; readonly message: string };
