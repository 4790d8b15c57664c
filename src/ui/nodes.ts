// The nodes of a session as rows for the dashboard: role, shard, slots, connections, ops/s, MONITOR,
// reachability, each in the same order everywhere (shards in slot order, each primary before its
// replicas, nodes that left last), and the node/shard narrowing the `n` and `N` keys cycle through.
// Pure: the status bar, the nodes view, the clients table and the selectors all read these.
import type { ClientView } from '../analysis/session.ts';
import type { ClusterState } from '../collect/cluster.ts';
import type { MonitorPhase, NodeStatus } from '../collect/protocol.ts';

export interface NodeRow {
  /** The collector's key (NodeStatus.id; what client views carry as `node`). */
  readonly key: string;
  /** The cluster's node id, or host:port for a standalone server. */
  readonly id: string;
  readonly addr: string;
  /** Short, for narrow columns: `:7001` when every node shares a host, else host:port. */
  readonly label: string;
  readonly role: 'primary' | 'replica' | 'unknown';
  /** The slots its shard serves (its shard's identity: it survives a failover). */
  readonly slots: string;
  readonly primaryAddr?: string;
  readonly state: 'up' | 'down' | 'gone' | 'unwatched';
  /** Why it is down or gone. */
  readonly why?: string;
  /** MONITOR on this node: its phase, or standby (off by policy on a replica). */
  readonly monitor: MonitorPhase | 'standby';
  readonly monitorReason?: string;
  readonly connected: number;
  readonly opsPerSec: number;
  readonly eventsPerSec: number;
  readonly moved: number;
  readonly ask: number;
}

/** What the dashboard is narrowed to: one node (by key), or one shard (by its slots). */
export type NodeFilter = { readonly kind: 'node'; readonly key: string } | { readonly kind: 'shard'; readonly slots: string };

const roleOf = (n: NodeStatus): NodeRow['role'] => {
  const r = n.cluster?.role ?? n.server?.role;
  return r === 'primary' || r === 'master' ? 'primary' : r === 'replica' || r === 'slave' ? 'replica' : 'unknown';
};

const hostOf = (addr: string): string => addr.slice(0, Math.max(0, addr.lastIndexOf(':')));

/** Connected connections per node key (redis-recon's own left out unless shown). */
export function connectedPerNode(clients: readonly ClientView[], showSelf: boolean): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of clients) {
    if (!c.connected || (c.self && !showSelf) || c.sharedBy !== undefined) continue;
    const key = (c as ClientView & { node?: string }).node;
    if (key !== undefined) m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

export function nodeRows(nodes: readonly NodeStatus[], cluster: ClusterState | undefined, connected: ReadonlyMap<string, number>): NodeRow[] {
  const addrOfId = new Map<string, string>();
  for (const n of nodes) if (n.cluster) addrOfId.set(n.cluster.id, n.addr);
  for (const n of cluster?.nodes ?? []) if (!addrOfId.has(n.id)) addrOfId.set(n.id, n.addr);
  // What the cluster lists about a node whose own collector has not said yet (its first poll).
  const listed = new Map((cluster?.nodes ?? []).flatMap((n) => (n.key !== undefined ? [[n.key, n] as const] : [])));
  const rows: Array<Omit<NodeRow, 'label'>> = nodes.map((n) => {
    const down = n.gone === undefined && n.poll.lastError !== undefined;
    const standby = n.cluster?.standby !== undefined && n.monitor.phase === 'off';
    const l = listed.get(n.id);
    const role = roleOf(n);
    const primaryId = n.cluster?.primaryId ?? (n.cluster ? undefined : l?.primaryId);
    return {
      key: n.id,
      id: n.cluster?.id ?? l?.id ?? n.addr,
      addr: n.addr,
      role: role === 'unknown' && l ? l.role : role,
      slots: n.cluster?.slots ?? l?.slots ?? '',
      ...(primaryId && addrOfId.has(primaryId) ? { primaryAddr: addrOfId.get(primaryId)! } : {}),
      state: n.gone !== undefined ? 'gone' : down ? 'down' : 'up',
      ...(n.gone !== undefined ? { why: n.gone } : down && n.poll.lastError ? { why: n.poll.lastError } : {}),
      monitor: standby ? 'standby' : n.monitor.phase,
      ...(n.monitor.reason ? { monitorReason: n.monitor.reason } : {}),
      connected: connected.get(n.id) ?? 0,
      opsPerSec: n.gone === undefined ? n.server?.opsPerSec ?? 0 : 0,
      eventsPerSec: n.stream.eventsPerSec,
      moved: n.cluster?.redirects?.moved ?? 0,
      ask: n.cluster?.redirects?.ask ?? 0,
    };
  });
  // --single-node: the cluster's other nodes, listed but not watched (fanning out, every listed node
  // has a collector, about to report if it has not yet).
  const watched = new Set(rows.map((r) => r.id));
  for (const n of cluster?.mode === 'pinned' ? cluster.nodes : []) {
    if (watched.has(n.id)) continue;
    rows.push({
      key: `unwatched:${n.id}`,
      id: n.id,
      addr: n.addr,
      role: n.role,
      slots: n.slots,
      ...(n.primaryId && addrOfId.has(n.primaryId) ? { primaryAddr: addrOfId.get(n.primaryId)! } : {}),
      state: 'unwatched',
      monitor: 'off',
      connected: 0,
      opsPerSec: 0,
      eventsPerSec: 0,
      moved: 0,
      ask: 0,
    });
  }
  const hosts = new Set(rows.map((r) => hostOf(r.addr)));
  const oneHost = hosts.size === 1 && rows.length > 1;
  const firstSlot = (r: Omit<NodeRow, 'label'>): number => {
    const m = /^(\d+)/.exec(r.slots);
    return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
  };
  return rows
    .map((r) => ({ ...r, label: oneHost ? r.addr.slice(r.addr.lastIndexOf(':')) : r.addr }))
    .sort(
      (a, b) =>
        Number(a.state === 'gone') - Number(b.state === 'gone') ||
        firstSlot(a) - firstSlot(b) ||
        Number(a.role !== 'primary') - Number(b.role !== 'primary') ||
        (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0),
    );
}

/** The node keys a narrowing stands for (undefined: not narrowed). A shard's nodes are those serving its slots now. */
export function narrowedKeys(filter: NodeFilter | undefined, rows: readonly NodeRow[]): readonly string[] | undefined {
  if (!filter) return undefined;
  if (filter.kind === 'node') return [filter.key];
  return rows.filter((r) => r.slots === filter.slots && r.state !== 'unwatched').map((r) => r.key);
}

/** The next narrowing of `n`: all nodes → each node in order → all nodes. */
export function nextNodeFilter(current: NodeFilter | undefined, rows: readonly NodeRow[]): NodeFilter | undefined {
  const keys = rows.filter((r) => r.state !== 'unwatched').map((r) => r.key);
  if (keys.length < 2) return undefined;
  const at = current?.kind === 'node' ? keys.indexOf(current.key) : -1;
  return at + 1 < keys.length ? { kind: 'node', key: keys[at + 1]! } : undefined;
}

/** The next narrowing of `N`: all nodes → each shard in slot order → all nodes. */
export function nextShardFilter(current: NodeFilter | undefined, rows: readonly NodeRow[]): NodeFilter | undefined {
  const shards = [...new Set(rows.filter((r) => r.slots !== '' && r.state !== 'unwatched').map((r) => r.slots))];
  if (shards.length < 2) return undefined;
  const at = current?.kind === 'shard' ? shards.indexOf(current.slots) : -1;
  return at + 1 < shards.length ? { kind: 'shard', slots: shards[at + 1]! } : undefined;
}

/** The narrowing in words, for the filter line: `node :7001 (primary, slots 0-5460)`. */
export function describeNodeFilter(filter: NodeFilter, rows: readonly NodeRow[]): string {
  if (filter.kind === 'node') {
    const r = rows.find((x) => x.key === filter.key);
    if (!r) return 'a node no longer listed';
    const role = r.role === 'unknown' ? '' : r.role;
    const what = [role, r.slots ? `slots ${r.slots}` : '', r.state !== 'up' ? r.state : ''].filter(Boolean).join(', ');
    return `node ${r.label}${what ? ` (${what})` : ''}`;
  }
  const members = rows.filter((r) => r.slots === filter.slots && r.state !== 'unwatched');
  return `shard ${filter.slots} (${members.map((m) => `${m.label}${m.role === 'primary' ? '*' : ''}`).join(' ') || 'no node'})`;
}

/**
 * Named services whose every connection is to one node of a cluster of several primaries, a node
 * that answered MOVED while watched: likely not cluster-aware (the export's cluster.notClusterAware).
 */
export function likelyNotClusterAware(clients: readonly ClientView[], rows: readonly NodeRow[]): Array<{ name: string; label: string; moved: number }> {
  if (rows.filter((r) => r.role === 'primary' && r.state !== 'gone' && r.state !== 'unwatched').length < 2) return [];
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const services = new Map<string, Set<string>>();
  for (const c of clients) {
    const key = (c as ClientView & { node?: string }).node;
    if (c.name === '' || c.self || key === undefined) continue;
    let s = services.get(c.name);
    if (!s) services.set(c.name, (s = new Set()));
    s.add(key);
  }
  const out: Array<{ name: string; label: string; moved: number }> = [];
  for (const [name, keys] of services) {
    const r = keys.size === 1 ? byKey.get([...keys][0]!) : undefined;
    if (r && r.moved > 0) out.push({ name, label: r.label, moved: r.moved });
  }
  return out.sort((a, b) => b.moved - a.moved || a.name.localeCompare(b.name));
}

/** Several nodes: a cluster (or a recording of one). */
export const isMultiNode = (nodes: readonly NodeStatus[]): boolean => nodes.length > 1 || nodes.some((n) => n.cluster !== undefined);
