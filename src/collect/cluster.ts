// Follows a cluster on the main thread: turns the collectors' topology reports into collectors (one
// per node, at the address the cluster announces, with the seed's credentials and TLS settings),
// retires the seed once it turned out to be a cluster node, retires nodes that left the cluster
// (their data stays), and says what happened (fan-out, failover, node down, back, restarted, joined,
// left) from the nodes' own states. Its work follows topology changes and status changes, never the
// traffic: reports arrive only when a node's view of the cluster changed.
import type { Config } from '../config.ts';
import { describeTopology, formatSlots, nodeAddress, type NodeHealth, type TopologyNode } from '../parse/clusterTopology.ts';
import type { CollectorSpec, NodeStatus, TopologyReport } from './protocol.ts';

/** Bounded: what happened, newest last. */
export const CLUSTER_EVENTS_MAX = 100;
/** A node every report has left out for this long has left the cluster: its collector stops. */
export const GONE_AFTER_MS = 10_000;

export type ClusterEventKind = 'fan-out' | 'pinned' | 'joined' | 'failover' | 'demoted' | 'down' | 'up' | 'restarted' | 'left';

export interface ClusterEvent {
  readonly at: number;
  readonly kind: ClusterEventKind;
  /** host:port of the node it is about. */
  readonly node: string;
  readonly text: string;
}

/** A node as the cluster lists it (the newest report), whether or not a collector watches it. */
export interface ClusterNodeInfo {
  readonly id: string;
  readonly addr: string;
  readonly role: 'primary' | 'replica';
  readonly primaryId?: string;
  readonly slots: string;
  /** What the cluster says of it (its own collector knows better when it has one). */
  readonly health: NodeHealth;
  /** The collector watching it (its NodeStatus id), when one does. */
  readonly key?: string;
}

export interface ClusterState {
  /** fan-out: every node watched; pinned: --single-node; replay: a recorded cluster session. */
  readonly mode: 'fan-out' | 'pinned' | 'replay';
  /** The endpoint the user gave. */
  readonly seed: string;
  readonly nodes: readonly ClusterNodeInfo[];
  readonly events: readonly ClusterEvent[];
}

export interface FollowerHooks {
  /** Starts a collector. */
  start(spec: CollectorSpec): void;
  /**
   * Stops a collector. `forget`: its state goes too (a seed that counted nothing); otherwise its
   * data stays, marked gone with `why`.
   */
  retire(key: string, why: string, forget: boolean): void;
  /** Asks every collector for an early poll (roles changed: MONITOR should follow at once). */
  pollAll(): void;
  /** The cluster's state changed (nodes or events). */
  changed(state: ClusterState): void;
  /** One event, also worth a notice. */
  event(e: ClusterEvent): void;
}

export interface FollowerOptions {
  readonly mode: ClusterState['mode'];
  /** The seed's config: every node gets its credentials, TLS settings, intervals. */
  readonly config: Config;
  /** The seed collector's key (its NodeStatus id). */
  readonly seedKey: string;
  readonly monitorReplicas: boolean;
  readonly hooks: FollowerHooks;
  readonly now: () => number;
}

const isIp = (host: string): boolean => /^[\d.]+$/.test(host) || host.includes(':');

/**
 * A node's config: the seed's, pointed at the address the cluster announces. TLS: the TLS port when
 * the node announces one, and for SNI and the certificate check the hostname it announces (TLS
 * clusters announce hostnames and their certificates name them), else the announced endpoint when it
 * is a name, else the seed's --tls-servername (a certificate shared by every node).
 */
export function nodeConfig(seed: Config, n: TopologyNode): Config {
  const port = seed.tls.enabled ? n.tlsPort ?? n.port : n.port ?? n.tlsPort;
  const servername = n.hostname ?? (isIp(n.host) ? seed.tls.servername : n.host);
  const { servername: _drop, ...tls } = seed.tls;
  return {
    ...seed,
    host: n.host,
    port: port ?? 6379,
    socketPath: undefined,
    endpoint: nodeAddress(n.host, port),
    tls: servername !== undefined ? { ...tls, servername } : tls,
  };
}

interface Watched {
  readonly key: string;
  readonly addr: string;
  /** When every report last listed it (or when it was started). */
  listedAt: number;
  gone: boolean;
}

interface Seen {
  role?: 'primary' | 'replica';
  down: boolean;
  uptime?: number;
  polls: number;
}

export class ClusterFollower {
  private readonly reports = new Map<string, TopologyReport>();
  private readonly watched = new Map<string, Watched>();
  private readonly incarnations = new Map<string, number>();
  private readonly seen = new Map<string, Seen>();
  private nodes: readonly ClusterNodeInfo[] = [];
  private events: ClusterEvent[] = [];
  private seedDone = false;
  /** The retired seed's report: the cluster as listed until the nodes' own collectors report. */
  private initial: TopologyReport | undefined;
  private snapshot: ClusterState;

  constructor(private readonly opts: FollowerOptions) {
    this.snapshot = { mode: opts.mode, seed: opts.config.endpoint, nodes: [], events: [] };
  }

  get state(): ClusterState {
    return this.snapshot;
  }

  /** A collector's view of the cluster changed. */
  onReport(report: TopologyReport): void {
    const t = this.opts.now();
    this.reports.set(report.reporter, report);
    const nodes = report.topology.nodes;
    if (!this.seedDone && report.reporter === this.opts.seedKey) {
      this.seedDone = true;
      const shape = describeTopology(nodes);
      if (this.opts.mode === 'fan-out') {
        this.emit('fan-out', this.opts.config.endpoint, `${this.opts.config.endpoint} is a node of a cluster (${shape}): watching every node${this.opts.monitorReplicas ? ', MONITOR on primaries and replicas' : ', MONITOR on the primaries'} (--single-node watches this one only)`);
        this.opts.hooks.retire(this.opts.seedKey, 'the seed: every node is watched at its announced address', true);
        // Its view no longer speaks for who is in the cluster (a retired seed reports nothing new).
        this.reports.delete(report.reporter);
        this.initial = report;
        for (const n of nodes) this.watch(n, false);
      } else if (this.opts.mode === 'pinned') {
        this.emit('pinned', this.opts.config.endpoint, `${this.opts.config.endpoint} is one node of a cluster (${shape}): watching it alone (--single-node); the other ${Math.max(0, nodes.length - 1)} are not watched`);
      }
    } else if (this.opts.mode === 'fan-out') {
      for (const n of nodes) if (!this.watched.has(n.id) || this.watched.get(n.id)!.gone) this.watch(n, true);
      this.opts.hooks.pollAll();
    }
    this.rebuild(t);
  }

  /** The nodes' own states, at each commit: roles, reachability, restarts become events. */
  observe(statuses: readonly NodeStatus[]): void {
    let changed = false;
    for (const s of statuses) {
      if (s.gone) continue;
      const role = s.cluster?.role;
      if (!role) continue;
      let prev = this.seen.get(s.id);
      if (!prev) {
        this.seen.set(s.id, (prev = { role, down: false, polls: s.poll.polls, ...(s.server?.uptimeSeconds !== undefined ? { uptime: s.server.uptimeSeconds } : {}) }));
        changed = true;
        continue;
      }
      const down = s.poll.lastError !== undefined && (s.poll.lastAt === undefined || (s.poll.lastErrorAt ?? 0) > s.poll.lastAt);
      if (down && !prev.down) this.emit('down', s.addr, `${s.addr} is unreachable: ${s.poll.lastError}`);
      if (!down && prev.down && s.poll.polls > prev.polls) this.emit('up', s.addr, `${s.addr} answers again`);
      if (!down && s.poll.polls > prev.polls) {
        const up = s.server?.uptimeSeconds;
        if (up !== undefined && prev.uptime !== undefined && up + 5 < prev.uptime) this.emit('restarted', s.addr, `${s.addr} restarted (its uptime went from ${prev.uptime}s to ${up}s): its connections before are kept, marked gone`);
        if (up !== undefined) prev.uptime = up;
        prev.polls = s.poll.polls;
      }
      prev.down = down;
      if (role !== prev.role) {
        if (role === 'primary') {
          const slots = s.cluster?.slots ? ` of slots ${s.cluster.slots}` : '';
          this.emit('failover', s.addr, `failover: ${s.addr} is now the primary${slots}${this.monitorNote(true)}`);
        } else {
          const p = this.addrOf(s.cluster?.primaryId);
          this.emit('demoted', s.addr, `${s.addr} is now a replica${p ? ` of ${p}` : ''}${this.monitorNote(false)}`);
        }
        prev.role = role;
        changed = true;
      }
    }
    this.expireGone();
    if (changed) this.rebuild(this.opts.now());
  }

  private monitorNote(primary: boolean): string {
    if (this.opts.mode !== 'fan-out' || this.opts.monitorReplicas) return '';
    return primary ? ': MONITOR moves to it' : ': its MONITOR closes';
  }

  private addrOf(id: string | undefined): string | undefined {
    if (!id) return undefined;
    return this.watched.get(id)?.addr ?? this.nodes.find((n) => n.id === id)?.addr;
  }

  /** Starts a collector for a node the cluster lists (again, with a new key, if it had left). */
  private watch(n: TopologyNode, joined: boolean): void {
    const before = this.watched.get(n.id);
    const incarnation = (this.incarnations.get(n.id) ?? 0) + 1;
    this.incarnations.set(n.id, incarnation);
    // A node that comes back after it left gets a new key: its old data stays as it was.
    const key = incarnation === 1 ? n.id : `${n.id}~${incarnation}`;
    const config = nodeConfig(this.opts.config, n);
    this.watched.set(n.id, { key, addr: config.endpoint, listedAt: this.opts.now(), gone: false });
    if (joined) this.emit('joined', config.endpoint, `${config.endpoint} ${before ? 'is back in' : 'joined'} the cluster (${n.role}): watching it`);
    this.opts.hooks.start({ kind: 'live', nodeId: key, config, cluster: { mode: 'node', monitorReplicas: this.opts.monitorReplicas } });
  }

  /** Nodes no report has listed for GONE_AFTER_MS have left: their collectors stop, their data stays. */
  private expireGone(): void {
    if (this.opts.mode !== 'fan-out' || this.reports.size === 0) return;
    const t = this.opts.now();
    const listed = new Set<string>();
    for (const r of this.reports.values()) for (const n of r.topology.nodes) listed.add(n.id);
    for (const [id, w] of this.watched) {
      if (w.gone) continue;
      if (listed.has(id)) {
        w.listedAt = t;
        continue;
      }
      if (t - w.listedAt < GONE_AFTER_MS) continue;
      w.gone = true;
      this.reports.delete(w.key);
      this.emit('left', w.addr, `${w.addr} left the cluster (no node lists it): its collector stopped, what it counted is kept`);
      this.opts.hooks.retire(w.key, 'left the cluster', false);
    }
  }

  /** The cluster as the newest report lists it, each node with the collector that watches it. */
  private rebuild(t: number): void {
    let newest: TopologyReport | undefined = this.reports.size === 0 ? this.initial : undefined;
    for (const r of this.reports.values()) if (!newest || r.at > newest.at) newest = r;
    if (newest) {
      this.nodes = newest.topology.nodes.map((n) => {
        const w = this.watched.get(n.id);
        const port = this.opts.config.tls.enabled ? n.tlsPort ?? n.port : n.port ?? n.tlsPort;
        return {
          id: n.id,
          addr: w?.addr ?? nodeAddress(n.host, port),
          role: n.role,
          ...(n.primaryId ? { primaryId: n.primaryId } : {}),
          slots: formatSlots(n.slots),
          health: n.health,
          ...(w && !w.gone ? { key: w.key } : this.opts.mode === 'pinned' && n.id === newest!.self ? { key: this.opts.seedKey } : {}),
        };
      });
    }
    this.snapshot = { mode: this.opts.mode, seed: this.opts.config.endpoint, nodes: this.nodes, events: this.events };
    this.opts.hooks.changed(this.snapshot);
    void t;
  }

  private emit(kind: ClusterEventKind, node: string, text: string): void {
    const e: ClusterEvent = { at: this.opts.now(), kind, node, text };
    this.events = [...this.events, e].slice(-CLUSTER_EVENTS_MAX);
    this.snapshot = { ...this.snapshot, events: this.events };
    this.opts.hooks.event(e);
    this.opts.hooks.changed(this.snapshot);
  }
}
