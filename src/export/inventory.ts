// The export contract users script against. Field names are fixed by the issue that defined them;
// add fields, never rename or remove one. Self connections are left out unless asked for.
import type { ReconState } from '../store.ts';
import { ageSeconds, connectedClients, idleSeconds, type ClientView, type LibraryAudit, type LibraryVerdictKind } from '../analysis/session.ts';
import type { Finding, FindingCode } from '../audit/findings.ts';
import { offDuration } from '../collect/monitorGate.ts';
import type { OffPeriod } from '../collect/protocol.ts';
import { attributionOf, type ClientAttribution } from '../owners/attribute.ts';
import type { PodCandidate } from '../owners/ownerMap.ts';
import type { FeatureScore } from '../owners/fingerprint.ts';

export const EXPORT_FORMAT_VERSION = 1;

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
  findings: Finding[];
  /** This entry stands for N connections that print the same address (unix sockets); else null. */
  sharedBy: number | null;
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
  const at = { endMs: opts.endMs, polledAt: state.poll.lastAt };
  const who = attributionOf(state);
  const clients = state.view.clients.filter((c) => opts.includeSelf || !c.self).map((c) => exportClient(c, at, who.byKey.get(c.key)));
  const { connected, selfLeftOut } = connectedClients(state.view.clients, opts.includeSelf === true);
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
    prefixes: state.view.tree.all().map(({ prefix, kind, reads, writes, count }) => ({ prefix, kind, reads, writes, count })),
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
  };
}

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

function exportClient(c: ClientView, at: { endMs: number; polledAt: number | undefined }, who: ClientAttribution | undefined): ExportClient {
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
    findings: c.findings ? [...c.findings] : [],
    sharedBy: c.sharedBy ?? null,
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

/** ISO 8601, or the epoch for a time no Date can hold (a damaged capture must not crash an export). */
const iso = (ms: number): string => {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? new Date(0).toISOString() : d.toISOString();
};
