// The export contract users script against. Field names are fixed by the issue that defined them;
// add fields, never rename or remove one. Self connections are left out unless asked for.
import type { ReconState } from '../store.ts';
import { ageSeconds, connectedClients, idleSeconds, type ClientView, type LibraryAudit, type LibraryVerdictKind } from '../analysis/session.ts';
import { findingLens, type Finding, type FindingCode } from '../audit/findings.ts';
import { clientEstimate, clientScale, lensSummary, mergedCommands, mergedErrors, mergedLog, serverFindings, windowScale, type FindingClient } from '../analysis/lenses.ts';
import { offDuration } from '../collect/monitorGate.ts';
import type { LensState, NodeStatus, OffPeriod } from '../collect/protocol.ts';
import type { ClusterState } from '../collect/cluster.ts';
import { exportKeyspace, type ExportKeyspace } from './keyspace.ts';
import { exportCutover, type ExportCutover } from './cutover.ts';
import { attributionOf, type ClientAttribution } from '../owners/attribute.ts';
import type { PodCandidate } from '../owners/ownerMap.ts';
import type { FeatureScore } from '../owners/fingerprint.ts';

export const EXPORT_FORMAT_VERSION = 1;

/**
 * One client. Fields added after the first contract are optional in the type (an inventory built
 * by hand, in a test or a bench, may leave them out); buildInventory always writes them.
 */
export interface ExportClient {
  id: string | null;
  addr: string;
  ip: string;
  name: string;
  libName: string | null;
  libVer: string | null;
  user: string | null;
  db: number;
  connected: boolean;
  /** False when the connection was only ever seen in MONITOR (it came and went between polls). */
  listed: boolean;
  firstSeen: string;
  lastSeen: string;
  ageSeconds: number | null;
  idleSeconds: number | null;
  lastCommand: string | null;
  events: number;
  commands: Record<string, number>;
  reads: number;
  writes: number;
  prefixes: Array<{ prefix: string; reads: number; writes: number }>;
  topKeys: Array<{ key: string; count: number }>;
  /** Databases the client's commands ran in (from MONITOR), with counts. */
  dbs: Array<{ db: number; count: number }>;
  library: LibraryAudit | null;
  /** Each finding names the lens it rests on (`monitor`, `client-list`, `slowlog`, `commandlog`). */
  findings: Finding[];
  /** This entry stands for N connections that print the same address (unix sockets); else null. */
  sharedBy: number | null;
  /**
   * The node the connection is to: `nodes[].id` (a cluster's node id; host:port of a standalone
   * server). A cluster client holds one connection per node, each listed with its node.
   */
  node: string | null;
  /**
   * CLIENT LIST counters (`tot-cmds`, `tot-net-in`, `tot-net-out`) summed over the window: commands,
   * bytes received and bytes sent. Null where the server does not print them (before Valkey 8.0).
   */
  counters?: { commands: number; netIn: number; netOut: number } | null;
  /** When the counters began counting (the window's first poll, or the connection's opening if later). */
  countersFrom?: string | null;
  /** The same counters per second over the client's last poll interval. */
  counterRates?: { commands: number; netIn: number; netOut: number } | null;
  /** CLIENT LIST `cmd=` at polls that found it active: command → polls. */
  sampledCommands?: Record<string, number>;
  /** Commands the command logs (SLOWLOG/COMMANDLOG) recorded for it: command → entries. */
  loggedCommands?: Record<string, number>;
  /**
   * MONITOR sampled only: `events`, `reads` and `writes` scaled by how much of the client's life
   * MONITOR watched (`scale`). Estimates: the counts above stay what MONITOR saw. Null otherwise.
   */
  estimate?: { events: number; reads: number; writes: number; scale: number } | null;
  // Who is behind the connection (issue 17). Always written; optional here only so that code
  // building an ExportClient by hand (tests, tools) need not name them.
  /** From the --hosts files: the most specific match for its address; null when none. */
  owner?: ExportOwner | null;
  /** An unnamed connection that behaves like a named service; null otherwise. */
  likely?: ExportLikely | null;
  /** `unknown service N`: an unnamed connection like no named service, with its look-alikes; null otherwise. */
  unknownService?: string | null;
  /** Why an unnamed connection got no `likely`, in words; null otherwise. */
  likelyNote?: string | null;
  /** With --resolve, for an address no --hosts file names: the PTR name (a hint, never a name); null otherwise. */
  reverseDns?: string | null;
}

/** One server the session watched (every node of a cluster; the one server otherwise). */
export interface ExportNode {
  /** The cluster's node id (stable across restarts and address changes); host:port for a standalone server. */
  id: string;
  /** host:port, as the cluster announces it (or as given). */
  addr: string;
  role: 'primary' | 'replica' | null;
  /** A replica's primary (`nodes[].id`). */
  primary: string | null;
  /** Hash slots its shard serves (`0-5460,10923`); null for a standalone server. */
  slots: string | null;
  /** up; down (its polls fail at the end of the window); gone (it left the cluster); unwatched (--single-node). */
  state: 'up' | 'down' | 'gone' | 'unwatched';
  /** Why it is down or gone; else null. */
  why: string | null;
  /** Its connections still connected at the end (redis-recon's own left out unless asked). */
  connected: number;
  /** MONITOR on this node: its state at the end, time on, events read, and when and why it was held off. */
  monitor: { phase: string; reason: string | null; onSeconds: number; events: number; offPeriods: Array<{ from: string; to: string | null; why: string }> };
  /**
   * MOVED and ASK replies the node sent during the window. Lens: INFO errorstats, server-wide: a
   * redirected command never reaches MONITOR, so these cannot be tied to a client.
   */
  redirects: { moved: number; ask: number; lens: 'INFO errorstats (server-wide)' } | null;
  /** A cutover session (--to): the endpoint the node belongs to (these are the source's; the target's are in `cutover`). */
  endpoint?: 'source' | 'target';
}

/** A cluster session: how it was watched and what happened to the cluster meanwhile. */
export interface ExportCluster {
  mode: ClusterState['mode'];
  /** The endpoint given. */
  seed: string;
  events: Array<{ at: string; kind: string; node: string; text: string }>;
  /**
   * Named services whose every connection is to one node of a cluster of several primaries, on a node that
   * answered MOVED while watched: likely not cluster-aware (each MOVED is a command that failed for
   * them). An inference from two lenses (CLIENT LIST per node, INFO errorstats), not a fact: the
   * server never says which client it redirected.
   */
  notClusterAware: Array<{ name: string; node: string; connections: number; moved: number }>;
}

/** One command from INFO commandstats (or, where it is refused, what MONITOR counted). */
export interface ExportCommand {
  /** Canonical, upper case: `GET`, `CLIENT|LIST`. */
  name: string;
  /** Calls in the window, redis-recon's own left out. */
  calls: number;
  /** The server's own count since its statistics began (null from MONITOR). */
  callsSinceStart: number | null;
  usecPerCall: number | null;
  failedCalls: number | null;
  rejectedCalls: number | null;
  /** `commandstats`, or `monitor` (counts MONITOR saw, sampled or not: see lenses.monitor). */
  source: 'commandstats' | 'monitor';
}

/** One command-log entry, joined to the client that held its address at its time. */
export interface ExportLogEntry {
  id: number;
  /** ISO, the server's clock (whole seconds). */
  at: string;
  /** Execution time (SLOWLOG, COMMANDLOG slow); null for the large-request/large-reply logs. */
  durationUs: number | null;
  /** Request or reply size for COMMANDLOG large-request/large-reply; else null. */
  bytes: number | null;
  command: string;
  keys: string[];
  addr: string;
  name: string;
  /** The `id` of the entry in `clients` it was joined to; null when no known connection fits. */
  client: string | null;
  kind: 'slow' | 'large-request' | 'large-reply';
  lens: 'slowlog' | 'commandlog';
}

/** What ran, and which lens each figure of the export comes from. */
export interface ExportLenses {
  monitor: {
    mode: 'on' | 'sampled' | 'off';
    onSeconds: number;
    windowSeconds: number;
    /** Sampled: the window over MONITOR's on-time (what `window.monitorEvents` would scale by); else null. */
    scale: number | null;
    sample: { onSeconds: number; periodSeconds: number; linesPerWindow: number; cappedWindows: number } | null;
  };
  counters: LensState;
  lastCommand: LensState;
  slowlog: LensState;
  commandlog: LensState;
  commandstats: LensState;
  errorstats: LensState;
  /** Entries that came and went between reads of the command logs (a short log, or a reset). */
  logMissed: number;
  /** The lens behind each figure. */
  figures: Record<string, string>;
}

/** A command the target lacks, from INFO commandstats, with the clients each lens saw running it. */
export interface ExportServerFinding {
  code: 'unsupported-command';
  severity: Finding['severity'];
  message: string;
  command: string;
  calls: number;
  callsSinceStart: number;
  lens: 'commandstats';
  clients: Array<{ id: string | null; name: string; addr: string; lens: FindingClient['lens']; count: number }>;
}

export interface ExportOwner {
  name: string;
  team?: string;
  /** `file:line` it was read from. */
  source: string;
  /** What matched: the address itself, or the range (`10.0.0.0/16`). */
  match: string;
  /** pod: a pod's address; node: a node's (one of its pods); host: one address; network: a range. */
  kind: 'pod' | 'node' | 'host' | 'network';
  namespace?: string;
  pod?: string;
  node?: string;
  /** A node's address: the workloads with pods on it (from the pods file). */
  candidates?: readonly PodCandidate[];
  moreCandidates?: number;
}

export interface ExportLikely {
  service: string;
  /** 0 … 1: the weighted similarity of the features below. */
  score: number;
  evidence: FeatureScore[];
  /** The next closest service, which it beat by the margin; null when there was none. */
  runnerUp: { service: string; score: number } | null;
  /** What the owner files say about it (the node runs that service's pods, or not); null when nothing. */
  owner: string | null;
}

export interface ExportUnknownService {
  label: string;
  connections: number;
  ips: string[];
  libraries: string[];
  patterns: string[];
  commands: string[];
  events: number;
}

export interface InventorySummary {
  clients: number;
  connected: number;
  unnamed: number;
  /** Distinct client names, the services the migration owners can identify. */
  services: number;
  libraries: Record<LibraryVerdictKind, number>;
  /** Clients with at least one finding of each code. */
  findings: Partial<Record<FindingCode, number>>;
  /** Connected redis-recon connections (this run's and other instances') left out of `clients` and `connected`. */
  selfLeftOut: number;
  /** Clients an owner file names. */
  owned?: number;
  /** Unnamed clients that behave like a named service. */
  likely?: number;
  /** Groups of unnamed clients alike each other and no named service. */
  unknownServices?: number;
}

export interface Inventory {
  formatVersion: number;
  tool: { name: 'redis-recon'; version: string };
  endpoint: string;
  server: { name: string; version: string; mode: string; role: string } | null;
  target: { id: string; title: string } | null;
  window: {
    start: string;
    end: string;
    monitorEvents: number;
    unparsedLines: number;
    droppedLines: number;
    monitorOnSeconds: number;
    /** Time MONITOR was off although it was wanted (held off, or its connection down), in the window. */
    monitorOffSeconds: number;
    /** When and why: traffic in these periods was not seen, so the counts are short by it. */
    monitorOff: MonitorOffPeriod[];
  };
  clients: ExportClient[];
  /**
   * Traffic per key pattern (`cart:{*}:` prefixes and `cart:{*}:items` leaves; ids became `*`):
   * every key is counted in its prefixes and in exactly one leaf (or `other` bucket).
   */
  prefixes: Array<{ prefix: string; kind: 'prefix' | 'leaf' | 'other'; reads: number; writes: number; count: number }>;
  topKeys: Array<{ key: string; count: number }>;
  summary: InventorySummary;
  /** What the keyspace sampler found per key pattern (see src/export/keyspace.ts); null when it never ran (always set by buildInventory). */
  keyspace?: ExportKeyspace | null;
  /** Every node watched (one for a standalone server), in shard order. */
  nodes: ExportNode[];
  /** Set for a cluster: how it was watched and what happened (failovers, nodes down and back…). */
  cluster: ExportCluster | null;
  /** A cutover session (--to): services on the source and the target, keys on both, the real target's verdicts. Absent otherwise. */
  cutover?: ExportCutover;
  /** Which lenses ran and which lens each figure comes from. */
  lenses?: ExportLenses;
  /** The server's command mix: INFO commandstats over the window, or MONITOR's counts where it is refused. */
  commands?: ExportCommand[];
  /** INFO errorstats over the window: error prefix, count, count since the server's start. */
  errors?: Array<{ name: string; count: number; countSinceStart: number; source: 'errorstats' }>;
  /** The newest command-log entries (SLOWLOG or COMMANDLOG), oldest first; redis-recon's own left out. */
  slowlog?: ExportLogEntry[];
  /** Findings about the whole server (commands the target lacks, from INFO commandstats). */
  serverFindings?: ExportServerFinding[];
  /** Unnamed connections grouped by how alike they behave, when they behave like no named service. */
  unknownServices?: ExportUnknownService[];
}

export interface MonitorOffPeriod {
  from: string;
  /** The end of the window for a period still open when the run ended. */
  to: string;
  /** How long MONITOR was off in it (less than to − from for a period that stands for several). */
  seconds: number;
  why: string;
}

export interface InventoryOptions {
  toolVersion: string;
  endMs: number;
  includeSelf?: boolean;
  monitorOnMs: number;
  target?: { id: string; title: string };
}

export function buildInventory(state: ReconState, opts: InventoryOptions): Inventory {
  // Age, idle and a connected client's last sighting are derived at export time: views carry
  // absolute times, so that a poll that only advances ages changes nothing.
  const at = { endMs: opts.endMs, polledAt: state.poll.lastAt, nodes: state.nodes };
  const nodeIds = new Map(state.nodes.map((n) => [n.id, exportNodeId(n, state.cluster)]));
  const who = attributionOf(state);
  const shown = state.view.clients.filter((c) => opts.includeSelf || !c.self);
  const clients = shown.map((c) => exportClient(c, at, nodeOf(c, nodeIds), who.byKey.get(c.key)));
  const nodes = exportNodes(state, opts);
  const { connected, selfLeftOut } = connectedClients(state.view.clients, opts.includeSelf === true);
  const idOf = new Map(shown.map((c) => [c.key, c.id ?? null]));
  return {
    formatVersion: EXPORT_FORMAT_VERSION,
    tool: { name: 'redis-recon', version: opts.toolVersion },
    endpoint: state.endpoint,
    server: state.server
      ? { name: state.server.name, version: state.server.version, mode: state.server.mode, role: state.server.role }
      : null,
    window: {
      start: iso(state.startedAt),
      end: iso(opts.endMs),
      monitorEvents: state.stream.lines - state.stream.unparsed,
      unparsedLines: state.stream.unparsed,
      // Lines the engine dropped because it fell behind: an export with these is incomplete.
      droppedLines: state.stream.dropped,
      monitorOnSeconds: Math.round(Math.max(0, opts.monitorOnMs) / 100) / 10,
      ...monitorOff(state.monitor.offPeriods, opts.endMs),
    },
    target: opts.target ?? null,
    clients,
    // Traffic only: patterns the keyspace sampler found but nobody touched are in `keyspace`.
    prefixes: state.view.tree.all().flatMap(({ prefix, kind, reads, writes, count }) => (count > 0 ? [{ prefix, kind, reads, writes, count }] : [])),
    topKeys: state.view.topKeys.map(({ key, count }) => ({ key, count })),
    summary: { ...summarize(clients, connected, selfLeftOut), unknownServices: who.unknownServices.length },
    unknownServices: who.unknownServices.map((u) => ({
      label: u.label,
      connections: u.clients.length,
      ips: [...u.ips],
      libraries: [...u.libraries],
      patterns: [...u.patterns],
      commands: [...u.commands],
      events: u.events,
    })),
    keyspace: exportKeyspace(state.view, { includeSelf: opts.includeSelf, monitorOnMs: opts.monitorOnMs }),
    nodes,
    cluster: state.cluster
      ? {
          mode: state.cluster.mode,
          seed: state.cluster.seed,
          events: state.cluster.events.map((e) => ({ at: iso(e.at), kind: e.kind, node: e.node, text: e.text })),
          notClusterAware: notClusterAware(clients, nodes),
        }
      : null,
    ...cutoverOf(state, opts.endMs),
    lenses: exportLenses(state, opts),
    commands: exportCommands(state.nodes, clients),
    errors: mergedErrors(state.nodes).map((e) => ({ name: e.name, count: e.count, countSinceStart: e.countSinceStart, source: 'errorstats' as const })),
    slowlog: mergedLog(state.nodes, opts.includeSelf === true).map((e) => ({
      id: e.id,
      at: iso(e.at),
      durationUs: e.kind === 'slow' ? e.value : null,
      bytes: e.kind === 'slow' ? null : e.value,
      command: e.command,
      keys: [...e.keys],
      addr: e.addr,
      name: e.name,
      client: e.client !== undefined ? idOf.get(e.client) ?? e.clientId ?? null : null,
      kind: e.kind,
      lens: e.lens,
    })),
    serverFindings: serverFindings(state.nodes, shown, opts.includeSelf === true).map((f) => ({
      code: f.code,
      severity: f.severity,
      message: f.message,
      command: f.command,
      calls: f.calls,
      callsSinceStart: f.callsSinceStart,
      lens: f.lens,
      clients: f.clients.map((c) => ({ id: c.id ?? null, name: c.name, addr: c.addr, lens: c.lens, count: c.count })),
    })),
  };
}

const cutoverOf = (state: ReconState, endMs: number): { cutover?: ExportCutover } => {
  const c = exportCutover(state, endMs);
  return c ? { cutover: c } : {};
};

/** The periods MONITOR was held off or down, and their total, as the export states them. */
export function monitorOff(periods: readonly OffPeriod[], endMs: number): { monitorOffSeconds: number; monitorOff: MonitorOffPeriod[] } {
  let total = 0;
  const list: MonitorOffPeriod[] = [];
  for (const p of periods) {
    const ms = offDuration(p, endMs);
    total += ms;
    list.push({ from: iso(p.from), to: iso(p.to ?? endMs), seconds: tenths(ms), why: p.why });
  }
  return { monitorOffSeconds: tenths(total), monitorOff: list };
}

const tenths = (ms: number): number => Math.round(ms / 100) / 10;

/** See ExportCluster.notClusterAware. */
export function notClusterAware(clients: readonly ExportClient[], nodes: readonly ExportNode[]): ExportCluster['notClusterAware'] {
  const primaries = nodes.filter((n) => n.role === 'primary' && n.state !== 'gone' && n.state !== 'unwatched');
  if (primaries.length < 2) return [];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const services = new Map<string, { nodes: Set<string>; connections: number; aware: boolean }>();
  for (const c of clients) {
    if (c.name === '' || c.node === null) continue;
    let s = services.get(c.name);
    if (!s) services.set(c.name, (s = { nodes: new Set(), connections: 0, aware: false }));
    s.nodes.add(c.node);
    s.connections++;
    if (!s.aware) s.aware = Object.keys(c.commands).some(readsTopology);
  }
  const out: ExportCluster['notClusterAware'] = [];
  for (const [name, s] of services) {
    // A client that reads the slot map (a cluster client's topology refresher, on one node by
    // design) or follows ASK is cluster-aware, whatever node it sits on.
    if (s.nodes.size !== 1 || s.aware) continue;
    const node = byId.get([...s.nodes][0]!);
    const moved = node?.redirects?.moved ?? 0;
    // Its role now does not matter: a node demoted by a failover answered MOVED while it was primary.
    if (node && moved > 0) out.push({ name, node: node.id, connections: s.connections, moved });
  }
  return out.sort((a, b) => b.moved - a.moved || a.name.localeCompare(b.name));
}

/** CLUSTER SLOTS / SHARDS / NODES or ASKING, however the command is named (`cluster|slots`, `CLUSTER`). */
const readsTopology = (command: string): boolean => /^(cluster([| ](slots|shards|nodes))?|asking)$/i.test(command);

/** What the cluster lists about the node a collector watches (for one that never answered itself). */
const listedFor = (n: NodeStatus, cluster: ClusterState | undefined) => cluster?.nodes.find((x) => x.key === n.id);

/** A node's id in the export: its cluster id, else its address. */
const exportNodeId = (n: NodeStatus, cluster: ClusterState | undefined): string => n.cluster?.id ?? listedFor(n, cluster)?.id ?? n.addr;

/** The node a client view came from (views are tagged with their collector's node key). */
function nodeOf(c: ClientView, ids: ReadonlyMap<string, string>): string | null {
  const key = (c as ClientView & { node?: string }).node;
  if (key === undefined) return null;
  return ids.get(key) ?? key;
}

const roleOf = (r: string | undefined): ExportNode['role'] =>
  r === 'primary' || r === 'master' ? 'primary' : r === 'replica' || r === 'slave' ? 'replica' : null;

/** Every node: those a collector watched, then those only the cluster listed; primaries each followed by their replicas. */
function exportNodes(state: ReconState, opts: InventoryOptions): ExportNode[] {
  const perNode = new Map<string, number>();
  for (const c of state.view.clients) {
    if (!c.connected || (c.self && !opts.includeSelf) || c.sharedBy !== undefined) continue;
    const key = (c as ClientView & { node?: string }).node;
    if (key !== undefined) perNode.set(key, (perNode.get(key) ?? 0) + 1);
  }
  const out: ExportNode[] = state.nodes.map((n) => {
    const down = n.gone === undefined && n.poll.lastError !== undefined;
    const onMs = n.monitor.onMs + (n.monitor.onSince !== undefined ? Math.max(0, opts.endMs - n.monitor.onSince) : 0);
    const l = n.cluster ? undefined : listedFor(n, state.cluster);
    return {
      id: exportNodeId(n, state.cluster),
      addr: n.addr,
      role: roleOf(n.cluster?.role ?? l?.role ?? n.server?.role),
      primary: n.cluster ? n.cluster.primaryId ?? null : l?.primaryId ?? null,
      slots: n.cluster ? n.cluster.slots : l ? l.slots : null,
      state: n.gone !== undefined ? 'gone' : down ? 'down' : 'up',
      why: n.gone ?? (down ? n.poll.lastError ?? null : null),
      connected: perNode.get(n.id) ?? 0,
      monitor: {
        phase: n.monitor.phase,
        reason: n.monitor.reason ?? null,
        onSeconds: Math.round(onMs / 100) / 10,
        events: n.stream.lines - n.stream.unparsed,
        offPeriods: n.monitor.offPeriods.map((p) => ({ from: iso(p.from), to: p.to !== undefined ? iso(p.to) : null, why: p.why })),
      },
      redirects: n.cluster?.redirects ? { ...n.cluster.redirects, lens: 'INFO errorstats (server-wide)' } : null,
      ...(n.endpoint ? { endpoint: n.endpoint } : {}),
    };
  });
  // --single-node: the cluster's other nodes, listed but not watched.
  const watched = new Set(out.map((n) => n.id));
  for (const n of state.cluster?.mode === 'pinned' ? state.cluster.nodes : []) {
    if (watched.has(n.id)) continue;
    out.push({
      id: n.id,
      addr: n.addr,
      role: n.role,
      primary: n.primaryId ?? null,
      slots: n.slots,
      state: 'unwatched',
      why: null,
      connected: 0,
      monitor: { phase: 'off', reason: null, onSeconds: 0, events: 0, offPeriods: [] },
      redirects: null,
    });
  }
  return sortNodes(out);
}

/** Shards in slot order, each primary before its replicas; gone nodes last. */
export function sortNodes<T extends Pick<ExportNode, 'id' | 'role' | 'primary' | 'slots' | 'addr' | 'state'>>(nodes: readonly T[]): T[] {
  const firstSlot = (n: T): number => {
    const m = /^(\d+)/.exec(n.slots ?? '');
    return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
  };
  const rank = (n: T): [number, number, number, string] => [n.state === 'gone' ? 1 : 0, firstSlot(n), n.role === 'primary' ? 0 : 1, n.addr];
  return [...nodes].sort((a, b) => {
    const x = rank(a);
    const y = rank(b);
    for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
    return x[3] < y[3] ? -1 : x[3] > y[3] ? 1 : 0;
  });
}

/** The figures of the export and the lens each comes from (stable names: scripts may read them). */
const FIGURE_LENSES: Record<string, string> = {
  'clients[].id, addr, name, libName, libVer, user, db, ageSeconds, idleSeconds, lastCommand': 'client-list',
  'clients[].counters, countersFrom, counterRates': 'counters (CLIENT LIST tot-cmds, tot-net-in, tot-net-out)',
  'clients[].sampledCommands': 'client-list (cmd= at each poll)',
  'clients[].loggedCommands, slowlog[]': 'slowlog or commandlog (slowlog[].lens)',
  'clients[].events, commands, reads, writes, prefixes, topKeys, dbs; window.monitorEvents; prefixes[]; topKeys[]': 'monitor (counts seen; sampled: see lenses.monitor)',
  'clients[].estimate': 'monitor, sampled: counts scaled by the share of the client\'s life MONITOR watched (estimates)',
  'clients[].findings[]': 'findings[].lens',
  'commands[]': 'commands[].source (commandstats, or monitor where INFO commandstats is refused)',
  'errors[]': 'errorstats',
  'serverFindings[]': 'commandstats; serverFindings[].clients[].lens says how each client was seen',
};

function exportLenses(state: ReconState, opts: InventoryOptions): ExportLenses {
  const l = lensSummary(state.nodes);
  const m = state.monitor;
  const mode = m.mode ?? (m.desired === 'off' && opts.monitorOnMs === 0 ? 'off' : 'on');
  const windowMs = Math.max(0, opts.endMs - state.startedAt);
  const scale = mode === 'sampled' ? windowScale(state.nodes, state.startedAt, opts.endMs) : undefined;
  return {
    monitor: {
      mode,
      onSeconds: Math.round(opts.monitorOnMs / 100) / 10,
      windowSeconds: Math.round(windowMs / 100) / 10,
      scale: scale !== undefined ? Math.round(scale * 100) / 100 : null,
      sample: m.sample
        ? { onSeconds: m.sample.onMs / 1000, periodSeconds: m.sample.periodMs / 1000, linesPerWindow: m.sample.linesPerWindow, cappedWindows: m.sample.cappedWindows }
        : null,
    },
    counters: l.counters,
    lastCommand: l.lastCommand,
    slowlog: l.slowlog,
    commandlog: l.commandlog,
    commandstats: l.commandstats,
    errorstats: l.errorstats,
    logMissed: state.nodes.reduce((n, x) => n + (x.lenses?.logMissed ?? 0), 0),
    figures: FIGURE_LENSES,
  };
}

/** INFO commandstats where any node answered it; else what MONITOR counted over the clients shown. */
function exportCommands(nodes: readonly NodeStatus[], clients: readonly ExportClient[]): ExportCommand[] {
  const stats = mergedCommands(nodes);
  if (stats.length > 0) {
    return stats.map((c) => ({
      name: c.name,
      calls: c.calls,
      callsSinceStart: c.callsSinceStart,
      usecPerCall: c.usecPerCall,
      failedCalls: c.failedCalls,
      rejectedCalls: c.rejectedCalls,
      source: 'commandstats' as const,
    }));
  }
  const seen = new Map<string, number>();
  for (const c of clients) for (const [name, n] of Object.entries(c.commands)) seen.set(name, (seen.get(name) ?? 0) + n);
  return [...seen]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([name, calls]) => ({ name, calls, callsSinceStart: null, usecPerCall: null, failedCalls: null, rejectedCalls: null, source: 'monitor' as const }));
}

function summarize(clients: readonly ExportClient[], connected: number, selfLeftOut: number): InventorySummary {
  const libraries: Record<LibraryVerdictKind, number> = { ok: 0, outdated: 0, unknown: 0, missing: 0, unavailable: 0 };
  const findings: Partial<Record<FindingCode, number>> = {};
  for (const c of clients) {
    if (c.library) libraries[c.library.verdict]++;
    for (const code of new Set(c.findings.map((f) => f.code))) findings[code] = (findings[code] ?? 0) + 1;
  }
  return {
    clients: clients.length,
    // The one count of connected clients the dashboard shows too (see connectedClients).
    connected,
    unnamed: clients.filter((c) => c.name === '').length,
    services: new Set(clients.map((c) => c.name).filter(Boolean)).size,
    libraries,
    findings,
    selfLeftOut,
    owned: clients.filter((c) => c.owner).length,
    likely: clients.filter((c) => c.likely).length,
  };
}

function exportClient(c: ClientView, at: { endMs: number; polledAt: number | undefined; nodes: readonly NodeStatus[] }, node: string | null, who: ClientAttribution | undefined): ExportClient {
  // A connected client was there at the last poll that listed it: the last poll.
  const lastSeen = c.connected && c.listed && at.polledAt !== undefined ? Math.max(c.lastSeen, at.polledAt) : c.lastSeen;
  const age = ageSeconds(c, at.endMs);
  const idle = idleSeconds(c, at.endMs);
  return {
    id: c.id ?? null,
    addr: c.addr,
    ip: c.ip,
    name: c.name,
    libName: c.libName ?? null,
    libVer: c.libVer ?? null,
    user: c.user ?? null,
    db: c.db,
    connected: c.connected,
    listed: c.listed,
    firstSeen: iso(c.firstSeen),
    lastSeen: iso(lastSeen),
    ageSeconds: age ?? null,
    idleSeconds: idle ?? null,
    lastCommand: c.lastCommand ?? null,
    events: c.events,
    commands: Object.fromEntries(c.commands),
    reads: c.reads,
    writes: c.writes,
    prefixes: c.prefixes.map(({ prefix, reads, writes }) => ({ prefix, reads, writes })),
    topKeys: c.topKeys.map(({ key, count }) => ({ key, count })),
    dbs: c.dbs.map(([db, count]) => ({ db, count })),
    library: c.library ?? null,
    findings: (c.findings ?? []).map((f) => ({ ...f, lens: findingLens(f) })),
    sharedBy: c.sharedBy ?? null,
    node,
    counters: c.counters ? { commands: c.counters.commands, netIn: c.counters.netIn, netOut: c.counters.netOut } : null,
    countersFrom: c.counters ? iso(c.counters.from) : null,
    counterRates: c.counterRates ? { commands: round2(c.counterRates.commands), netIn: round2(c.counterRates.netIn), netOut: round2(c.counterRates.netOut) } : null,
    sampledCommands: Object.fromEntries(c.sampledCommands ?? []),
    loggedCommands: Object.fromEntries(c.logged?.commands ?? []),
    estimate: estimateOf(c, at),
    owner: who?.owner ? { ...who.owner, ...(who.owner.candidates ? { candidates: [...who.owner.candidates] } : {}) } : null,
    likely: who?.likely
      ? {
          service: who.likely.service,
          score: who.likely.score,
          evidence: who.likely.evidence.map((e) => ({ ...e })),
          runnerUp: who.likely.runnerUp ? { ...who.likely.runnerUp } : null,
          owner: who.likely.owner ?? null,
        }
      : null,
    unknownService: who?.unknownService ?? null,
    likelyNote: who?.note ?? null,
    reverseDns: who?.dns && 'name' in who.dns ? who.dns.name : null,
  };
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

function estimateOf(c: ClientView, at: { endMs: number; nodes: readonly NodeStatus[] }): ExportClient['estimate'] {
  const scale = clientScale(c, at.nodes, at.endMs);
  if (scale === undefined) return null;
  return { ...clientEstimate(c, scale), scale: round2(scale) };
}

/** ISO 8601, or the epoch for a time no Date can hold (a damaged capture must not crash an export). */
const iso = (ms: number): string => {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? new Date(0).toISOString() : d.toISOString();
};
