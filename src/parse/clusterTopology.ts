// Cluster topology replies → the nodes of a cluster, their roles, shards and slots. Pure and total:
// whatever the server sends yields a (possibly empty) list, never a throw.
//
// CLUSTER SHARDS (Redis 7.0+, Valkey): one entry per shard, `slots` as a flat list of range bounds
// [start, end, start, end, …] and `nodes` as field/value lists (`id`, `port` and/or `tls-port`,
// `ip`, `endpoint`, `hostname` when announced, `role`, `replication-offset`, `health`). Over RESP2 a
// map is a flat array of alternating keys and values.
//
// CLUSTER NODES (every version): one text line per node,
//   <id> <ip:port@cport[,hostname[,aux=value…]]> <flags> <primary id|-> <ping> <pong> <epoch> <link> <slot>…
// with flags such as `myself,master`, `slave`, `fail?` (suspected), `fail`, `handshake`, `noaddr`,
// and slots as `0-5460`, `5461`, or `[slot->-id]`/`[slot-<-id]` for a migration in progress.
//
// Which address a client should use: the `endpoint` the cluster announces (a hostname when the
// cluster prefers hostnames, as TLS clusters such as ElastiCache do: their certificates name those
// hostnames), else the ip; `?` or empty means the cluster does not know one yet.

export type NodeHealth = 'online' | 'loading' | 'suspect' | 'failed' | 'unknown';

export interface TopologyNode {
  /** The cluster's id for the node: stable across restarts and address changes. */
  readonly id: string;
  /** Where a client connects: the announced endpoint (hostname or ip). */
  readonly host: string;
  /** The plain-text port, when the node has one. */
  readonly port?: number;
  /** The TLS port, when the node announces one (CLUSTER SHARDS `tls-port`, CLUSTER NODES `tls-port=`). */
  readonly tlsPort?: number;
  readonly ip?: string;
  /** The hostname the node announces (cluster-announce-hostname), for SNI and certificate checks. */
  readonly hostname?: string;
  readonly role: 'primary' | 'replica';
  /** A replica's primary. */
  readonly primaryId?: string;
  readonly health: NodeHealth;
  /** Slot ranges of its shard, inclusive, sorted (a replica serves its primary's). */
  readonly slots: ReadonlyArray<readonly [number, number]>;
  /** The node that answered (CLUSTER NODES says `myself`). */
  readonly myself?: boolean;
}

export interface Topology {
  readonly nodes: readonly TopologyNode[];
  readonly source: 'CLUSTER SHARDS' | 'CLUSTER NODES';
}

const SLOT_MAX = 16383;

/** A RESP2 map (flat [k, v, k, v…]) or RESP3 map/object as a plain lookup. */
function fields(x: unknown): Map<string, unknown> {
  const m = new Map<string, unknown>();
  if (Array.isArray(x)) {
    for (let i = 0; i + 1 < x.length; i += 2) m.set(String(x[i]).toLowerCase(), x[i + 1]);
  } else if (x instanceof Map) {
    for (const [k, v] of x) m.set(String(k).toLowerCase(), v);
  } else if (x !== null && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) m.set(k.toLowerCase(), v);
  }
  return m;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : undefined);

function port(v: unknown): number | undefined {
  const n = Number(text(v));
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

const isSlot = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= SLOT_MAX;

/** Sorted, merged slot ranges. */
export function normalizeSlots(ranges: Iterable<readonly [number, number]>): Array<readonly [number, number]> {
  const list = [...ranges].filter(([a, b]) => isSlot(a) && isSlot(b) && a <= b).sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  for (const [a, b] of list) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** `0-5460,10923` (compact, for display and exports). */
export function formatSlots(ranges: ReadonlyArray<readonly [number, number]>): string {
  return ranges.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`)).join(',');
}

/** How many slots the ranges hold. */
export const slotCount = (ranges: ReadonlyArray<readonly [number, number]>): number => ranges.reduce((n, [a, b]) => n + b - a + 1, 0);

function shardsHealth(v: string | undefined): NodeHealth {
  switch (v) {
    case 'online':
      return 'online';
    case 'loading':
      return 'loading';
    case 'fail':
    case 'failed':
      return 'failed';
    default:
      return 'unknown';
  }
}

/** The announced address to connect to: endpoint unless unknown (`?`, empty), else ip. */
function chooseHost(endpoint: string | undefined, ip: string | undefined): string | undefined {
  if (endpoint && endpoint !== '?') return endpoint;
  if (ip && ip !== '?') return ip;
  return undefined;
}

/** CLUSTER SHARDS as node-redis returns it (RESP2 nested arrays, or RESP3 maps). */
export function parseClusterShards(reply: unknown): Topology {
  const nodes: TopologyNode[] = [];
  const seen = new Set<string>();
  if (!Array.isArray(reply)) return { nodes, source: 'CLUSTER SHARDS' };
  for (const shardRaw of reply) {
    const shard = fields(shardRaw);
    const bounds = Array.isArray(shard.get('slots')) ? (shard.get('slots') as unknown[]).map((x) => Number(text(x))) : [];
    const pairs: Array<[number, number]> = [];
    for (let i = 0; i + 1 < bounds.length; i += 2) pairs.push([bounds[i]!, bounds[i + 1]!]);
    const slots = normalizeSlots(pairs);
    const members = Array.isArray(shard.get('nodes')) ? (shard.get('nodes') as unknown[]).map(fields) : [];
    const primary = members.find((m) => text(m.get('role')) === 'master' || text(m.get('role')) === 'primary');
    const primaryId = primary ? text(primary.get('id')) : undefined;
    for (const m of members) {
      const id = text(m.get('id'));
      if (!id || seen.has(id)) continue;
      const ip = text(m.get('ip'));
      const hostname = text(m.get('hostname'));
      const host = chooseHost(text(m.get('endpoint')), ip);
      const p = port(m.get('port'));
      const tp = port(m.get('tls-port'));
      if (host === undefined || (p === undefined && tp === undefined)) continue;
      seen.add(id);
      const roleText = text(m.get('role'));
      const role = roleText === 'master' || roleText === 'primary' ? 'primary' : 'replica';
      nodes.push({
        id,
        host,
        ...(p !== undefined ? { port: p } : {}),
        ...(tp !== undefined ? { tlsPort: tp } : {}),
        ...(ip && ip !== '?' ? { ip } : {}),
        ...(hostname ? { hostname } : {}),
        role,
        ...(role === 'replica' && primaryId && primaryId !== id ? { primaryId } : {}),
        health: shardsHealth(text(m.get('health'))),
        slots,
      });
    }
  }
  return { nodes, source: 'CLUSTER SHARDS' };
}

/** CLUSTER NODES text. Nodes without a known address (`noaddr`, `:0`) or still in handshake are left out. */
export function parseClusterNodes(reply: string): Topology & { myself?: string } {
  const rows: Array<{ node: Omit<TopologyNode, 'slots'> & { slots: Array<readonly [number, number]> }; primaryRef?: string }> = [];
  let myself: string | undefined;
  if (typeof reply !== 'string') return { nodes: [], source: 'CLUSTER NODES' };
  for (const line of reply.split(/\r?\n/)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 8) continue;
    const [id, address, flagText, primary, , , , , ...slotTokens] = parts as [string, string, string, string, string, string, string, string, ...string[]];
    const flags = new Set(flagText.split(','));
    if (flags.has('myself')) myself = id;
    if (flags.has('handshake') || flags.has('noaddr')) continue;
    const [main = '', ...extras] = address.split(',');
    const hostPart = main.split('@')[0] ?? '';
    const colon = hostPart.lastIndexOf(':');
    if (colon < 0) continue;
    const ip = hostPart.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    const p = port(hostPart.slice(colon + 1));
    let hostname: string | undefined;
    let tlsPort: number | undefined;
    for (const [i, e] of extras.entries()) {
      const eq = e.indexOf('=');
      if (eq < 0) {
        if (i === 0 && e !== '') hostname = e;
      } else if (e.slice(0, eq) === 'tls-port') tlsPort = port(e.slice(eq + 1));
      else if (e.slice(0, eq) === 'hostname' && e.length > eq + 1) hostname = e.slice(eq + 1);
    }
    if (ip === '' || (p === undefined && tlsPort === undefined)) continue;
    const role: TopologyNode['role'] = flags.has('master') ? 'primary' : 'replica';
    const slots: Array<readonly [number, number]> = [];
    for (const s of slotTokens) {
      if (s.startsWith('[')) continue; // a slot being migrated or imported: still its owner's
      const dash = s.indexOf('-');
      const a = Number(dash < 0 ? s : s.slice(0, dash));
      const b = Number(dash < 0 ? s : s.slice(dash + 1));
      slots.push([a, b]);
    }
    const health: NodeHealth = flags.has('fail') ? 'failed' : flags.has('fail?') ? 'suspect' : 'online';
    rows.push({
      node: {
        id,
        host: ip,
        ...(p !== undefined ? { port: p } : {}),
        ...(tlsPort !== undefined ? { tlsPort } : {}),
        ip,
        ...(hostname ? { hostname } : {}),
        role,
        health,
        ...(flags.has('myself') ? { myself: true } : {}),
        slots,
      },
      ...(role === 'replica' && primary !== '-' ? { primaryRef: primary } : {}),
    });
  }
  // A replica serves its primary's slots (CLUSTER NODES lists them on the primary's line only).
  const byId = new Map(rows.map((r) => [r.node.id, r.node]));
  const nodes: TopologyNode[] = rows.map(({ node, primaryRef }) => {
    const own = normalizeSlots(node.slots);
    const p = primaryRef ? byId.get(primaryRef) : undefined;
    return {
      ...node,
      ...(primaryRef ? { primaryId: primaryRef } : {}),
      slots: node.role === 'replica' && p ? normalizeSlots(p.slots) : own,
    };
  });
  return { nodes, source: 'CLUSTER NODES', ...(myself ? { myself } : {}) };
}

/** host:port for display: IPv6 hosts bracketed. */
export function nodeAddress(host: string, port: number | undefined): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return port === undefined ? h : `${h}:${port}`;
}

/** `3 primaries, 3 replicas`. */
export function describeTopology(nodes: readonly Pick<TopologyNode, 'role'>[]): string {
  const p = nodes.filter((n) => n.role === 'primary').length;
  const r = nodes.length - p;
  return `${p} primar${p === 1 ? 'y' : 'ies'}, ${r} replica${r === 1 ? '' : 's'}`;
}
