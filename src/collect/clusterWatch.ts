// The cluster side of one live collector: whether its node is a cluster node and which one, its role
// and slots as the node itself says, the MOVED/ASK replies it sent (INFO errorstats), whether its
// MONITOR belongs on (primaries by default, replicas with --replicas), and the cluster's topology as
// this node sees it, re-read when CLUSTER INFO says something changed (epoch, known nodes, slot
// states, its own role) or every TOPOLOGY_REFRESH_MS, and reported only when it differs from the last
// report: the main thread's work follows topology changes, never the traffic.
import type { Redis } from '../sources/connect.ts';
import type { ClientInfo, PollResult } from '../types.ts';
import { formatSlots, parseClusterNodes, parseClusterShards, type Topology } from '../parse/clusterTopology.ts';
import { parseInfo } from '../parse/info.ts';
import type { NodeCluster, TopologyReport } from './protocol.ts';

/** The topology is re-read at least this often even when CLUSTER INFO looks unchanged (resharding may not bump an epoch). */
export const TOPOLOGY_REFRESH_MS = 30_000;

export const REPLICA_STANDBY = 'replica: MONITOR runs on the primaries (--replicas adds replicas)';

/** Whether the node is a cluster node, and its cluster id when it can be read. */
export interface NodeIdentity {
  readonly cluster: boolean;
  readonly clusterId?: string;
}

/**
 * Asks the node who it is: INFO cluster, then CLUSTER MYID (CLUSTER NODES' `myself` where MYID is
 * refused). Never throws: a server that refuses INFO is treated as standalone, as before.
 */
export async function identifyNode(client: Redis): Promise<NodeIdentity> {
  try {
    const info = parseInfo(String(await client.sendCommand(['INFO', 'cluster'])));
    if (info.cluster_enabled !== '1') return { cluster: false };
  } catch {
    return { cluster: false };
  }
  try {
    const id = String(await client.sendCommand(['CLUSTER', 'MYID'])).trim();
    if (/^[0-9a-f]{40}$/i.test(id)) return { cluster: true, clusterId: id };
  } catch {
    /* refused: try CLUSTER NODES */
  }
  try {
    const t = parseClusterNodes(String(await client.sendCommand(['CLUSTER', 'NODES'])));
    if (t.myself) return { cluster: true, clusterId: t.myself };
  } catch {
    /* refused too */
  }
  return { cluster: true };
}

/** Reads the topology: CLUSTER SHARDS (7.0+), CLUSTER NODES before (or where SHARDS is refused). */
async function readTopology(client: Redis, preferShards: boolean): Promise<{ topology: Topology; shards: boolean }> {
  if (preferShards) {
    try {
      const t = parseClusterShards(await client.sendCommand(['CLUSTER', 'SHARDS']));
      if (t.nodes.length > 0) return { topology: t, shards: true };
    } catch {
      /* unknown before 7.0, or refused: CLUSTER NODES */
    }
  }
  return { topology: parseClusterNodes(String(await client.sendCommand(['CLUSTER', 'NODES']))), shards: false };
}

/** `errorstat_MOVED:count=12` → 12. */
export function errorCount(info: Readonly<Record<string, string>>, name: string): number {
  const m = /count=(\d+)/.exec(info[`errorstat_${name}`] ?? '');
  return m ? Number(m[1]) : 0;
}

/** A counter the server may reset (restart, CONFIG RESETSTAT): what it grew by while we watched. */
export class Growth {
  private last: number | undefined;
  total = 0;
  see(v: number): void {
    if (this.last !== undefined) this.total += v >= this.last ? v - this.last : v;
    this.last = v;
  }
}

export interface ClusterWatchOptions {
  /** The collector's node key (the engine's name for it). */
  readonly key: string;
  readonly clusterId: string | undefined;
  readonly monitorReplicas: boolean;
  /** --single-node: the user chose this node, so its MONITOR runs whatever its role. */
  readonly pinned: boolean;
  readonly report: (r: TopologyReport) => void;
  readonly notice: (message: string) => void;
  /** The topology cannot be read from this node (an ACL refuses it): there will be no report. */
  readonly refused?: () => void;
  readonly now: () => number;
}

export class ClusterWatch {
  role: 'primary' | 'replica' | undefined;
  private primaryId: string | undefined;
  private slots = '';
  private state: string | undefined;
  private readonly moved = new Growth();
  private readonly ask = new Growth();
  private reading = false;
  private preferShards = true;
  private fingerprint = '';
  private readAt = -Infinity;
  private sent = '';
  private refused = false;
  /** Addresses of the replication link (flags M): its lines are the primary's writes. */
  replicationSources: ReadonlySet<string> = new Set();

  constructor(private readonly opts: ClusterWatchOptions) {}

  /** Takes what one poll says: role, errorstats, the replication link; re-reads the topology when due. */
  afterPoll(p: PollResult, client: Redis | undefined): void {
    const role = p.info.role === 'master' ? 'primary' : p.info.role === 'slave' ? 'replica' : this.role;
    this.role = role;
    this.moved.see(errorCount(p.info, 'MOVED'));
    this.ask.see(errorCount(p.info, 'ASK'));
    const links = new Set<string>();
    for (const c of p.clients) if (isReplicationLink(c)) links.add(c.addrKey);
    this.replicationSources = links;
    if (client) void this.refreshTopology(client);
  }

  /** Why MONITOR stays off on this node by policy, or undefined when it belongs on. */
  standby(): string | undefined {
    if (this.opts.pinned || this.opts.monitorReplicas) return undefined;
    return this.role === 'replica' ? REPLICA_STANDBY : undefined;
  }

  /** Whether the node's role is known yet (MONITOR waits for it: a replica must not open it first). */
  get roleKnown(): boolean {
    return this.role !== undefined;
  }

  facts(replicated: number): NodeCluster | undefined {
    if (this.opts.clusterId === undefined || this.role === undefined) return undefined;
    const standby = this.standby();
    return {
      id: this.opts.clusterId,
      role: this.role,
      ...(this.primaryId && this.role === 'replica' ? { primaryId: this.primaryId } : {}),
      slots: this.slots,
      ...(this.state ? { state: this.state } : {}),
      redirects: { moved: this.moved.total, ask: this.ask.total },
      ...(standby ? { standby } : {}),
      ...(replicated > 0 ? { replicated } : {}),
    };
  }

  /** Re-reads the topology when CLUSTER INFO changed or the refresh is due; reports it when it differs. */
  async refreshTopology(client: Redis): Promise<void> {
    if (this.reading || this.refused || this.opts.clusterId === undefined) return;
    this.reading = true;
    try {
      const ci = parseInfo(String(await client.sendCommand(['CLUSTER', 'INFO'])));
      this.state = ci.cluster_state;
      const fp = [
        ci.cluster_state, ci.cluster_current_epoch, ci.cluster_known_nodes, ci.cluster_size, ci.cluster_slots_assigned,
        ci.cluster_slots_ok, ci.cluster_slots_pfail, ci.cluster_slots_fail, this.role,
      ].join('|');
      const now = this.opts.now();
      if (fp === this.fingerprint && now - this.readAt < TOPOLOGY_REFRESH_MS) return;
      const { topology, shards } = await readTopology(client, this.preferShards);
      this.preferShards = shards;
      this.fingerprint = fp;
      this.readAt = now;
      const me = topology.nodes.find((n) => n.id === this.opts.clusterId);
      if (me) {
        this.slots = formatSlots(me.slots);
        this.primaryId = me.primaryId;
      }
      // Sorted, so that the same cluster always reads the same whoever lists it first.
      const canonical = JSON.stringify([...topology.nodes].sort((a, b) => (a.id < b.id ? -1 : 1)).map(({ myself: _m, ...n }) => n));
      if (canonical === this.sent) return;
      this.sent = canonical;
      this.opts.report({ reporter: this.opts.key, self: this.opts.clusterId!, at: now, topology });
    } catch (err) {
      const msg = (err as Error).message ?? '';
      if (/NOPERM|unknown (sub)?command|not allowed/i.test(msg)) {
        this.refused = true;
        this.opts.notice(`cannot read the cluster topology from this node (${msg.split('\n')[0]!.slice(0, 120)}): the ACL user needs +cluster|info +cluster|shards (or +cluster|nodes)`);
        this.opts.refused?.();
      }
      // Anything else (a timeout, a lost connection) is retried at the next poll.
    } finally {
      this.reading = false;
    }
  }
}

/** A replica's replication link as CLIENT LIST shows it (flag `M`: the connection from its primary). */
export const isReplicationLink = (c: Pick<ClientInfo, 'flags'>): boolean => /M/.test(c.flags);
