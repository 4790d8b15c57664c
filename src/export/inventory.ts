// The export contract users script against. Field names are fixed by the issue that defined them;
// add fields, never rename or remove one. Self connections are left out unless asked for.
import type { ReconState } from '../store.ts';
import { ageSeconds, connectedClients, idleSeconds, type ClientView, type LibraryAudit, type LibraryVerdictKind } from '../analysis/session.ts';
import { findingLens, type Finding, type FindingCode } from '../audit/findings.ts';
import { clientEstimate, clientScale, lensSummary, mergedCommands, mergedErrors, mergedLog, serverFindings, windowScale, type FindingClient } from '../analysis/lenses.ts';
import type { LensState, NodeStatus } from '../collect/protocol.ts';

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
}

export interface Inventory {
  formatVersion: number;
  tool: { name: 'redis-recon'; version: string };
  endpoint: string;
  server: { name: string; version: string; mode: string; role: string } | null;
  target: { id: string; title: string } | null;
  window: { start: string; end: string; monitorEvents: number; unparsedLines: number; droppedLines: number; monitorOnSeconds: number };
  clients: ExportClient[];
  /**
   * Traffic per key pattern (`cart:{*}:` prefixes and `cart:{*}:items` leaves; ids became `*`):
   * every key is counted in its prefixes and in exactly one leaf (or `other` bucket).
   */
  prefixes: Array<{ prefix: string; kind: 'prefix' | 'leaf' | 'other'; reads: number; writes: number; count: number }>;
  topKeys: Array<{ key: string; count: number }>;
  summary: InventorySummary;
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
  const shown = state.view.clients.filter((c) => opts.includeSelf || !c.self);
  const clients = shown.map((c) => exportClient(c, at));
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
      monitorOnSeconds: Math.round(opts.monitorOnMs / 100) / 10,
    },
    target: opts.target ?? null,
    clients,
    prefixes: state.view.tree.all().map(({ prefix, kind, reads, writes, count }) => ({ prefix, kind, reads, writes, count })),
    topKeys: state.view.topKeys.map(({ key, count }) => ({ key, count })),
    summary: summarize(clients, connected, selfLeftOut),
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
  };
}

function exportClient(c: ClientView, at: { endMs: number; polledAt: number | undefined; nodes: readonly NodeStatus[] }): ExportClient {
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
    counters: c.counters ? { commands: c.counters.commands, netIn: c.counters.netIn, netOut: c.counters.netOut } : null,
    countersFrom: c.counters ? iso(c.counters.from) : null,
    counterRates: c.counterRates ? { commands: round2(c.counterRates.commands), netIn: round2(c.counterRates.netIn), netOut: round2(c.counterRates.netOut) } : null,
    sampledCommands: Object.fromEntries(c.sampledCommands ?? []),
    loggedCommands: Object.fromEntries(c.logged?.commands ?? []),
    estimate: estimateOf(c, at),
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
