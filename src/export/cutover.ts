// The cutover report in the exports: every service with its state on the source and the target,
// the keys on both sides for the patterns being moved, and what the real target will refuse.
// Built from the store (pure); present only in a cutover session (--to, or the replay of one).
import type { ReconState } from '../store.ts';
import { CutoverTracker, leftOnSource, RECENT_WRITES_MS, stateCounts, type CutoverService, type CutoverState, type MatchedBy } from '../analysis/cutover.ts';
import { targetVerdicts, type TargetVerdict } from '../analysis/targetVerdicts.ts';
import type { NodeStatus } from '../collect/protocol.ts';
import type { EndpointFacts } from '../parse/endpointFacts.ts';
import { cutoverNames } from '../owners/cutoverNames.ts';
import { writesByName } from '../commands/commandTable.ts';

export interface ExportServiceSide {
  connections: number;
  /** null when no lens counted its connections (no counters on that server and MONITOR off). */
  opsPerSec: number | null;
  /** Which lens counted opsPerSec: CLIENT LIST counters, MONITOR, both mixed, unknown; null without connections. */
  opsLens: 'counters' | 'monitor' | 'mixed' | 'unknown' | null;
  /** ISO time of its last activity there; null when never seen on that side. */
  lastSeen: string | null;
}

export interface ExportCutoverService {
  service: string;
  state: CutoverState;
  source: ExportServiceSide;
  target: ExportServiceSide;
  matchedBy: MatchedBy;
  /** When it was first seen on the target (null: not there). */
  movedAt: string | null;
  /** What is still on the source, in words. */
  left: string;
  writes: { source: number; target: number };
}

export interface ExportEndpoint {
  endpoint: string;
  /** Its nodes as watched: address and whether it answered (the target's are only here). */
  nodes: Array<{ addr: string; endpoint: 'source' | 'target'; state: 'up' | 'down' | 'gone'; why: string | null }>;
  server: { name: string; version: string; mode: string } | null;
  /** Keys over every database (INFO keyspace); null when unknown. */
  keys: number | null;
  /** Why it could not be watched, if it could not. */
  error?: string;
}

export interface ExportCutover {
  source: ExportEndpoint;
  target: ExportEndpoint;
  quietAfterSeconds: number;
  counts: Record<CutoverState, number>;
  services: ExportCutoverService[];
  /**
   * Keys on both sides: every database's (INFO keyspace, at the last poll: a stalled copy shows as a
   * gap that stops closing), and per leaf pattern the moving and moved services touch where the
   * keyspace sampler ran on both sides (as of its pass; null: no sample on that side).
   */
  keys: {
    total: { source: number | null; target: number | null; lens: 'INFO keyspace' };
    patterns: Array<{ pattern: string; source: number | null; target: number | null; exact: boolean; lens: 'keyspace sample' }>;
  };
  /** What the real target refuses of the source's traffic (its own COMMAND LIST, INFO, MODULE LIST). */
  verdicts: TargetVerdict[];
}

const iso = (ms: number | undefined): string | null => (ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

/** Facts over an endpoint's nodes: keys summed, modules and commands of the first node that said. */
export function endpointFacts(nodes: readonly NodeStatus[]): EndpointFacts {
  const present = nodes.filter((n) => n.gone === undefined);
  const keyed = present.filter((n) => n.facts?.keys !== undefined);
  const first = <K extends keyof EndpointFacts>(k: K): EndpointFacts[K] | undefined => present.find((n) => n.facts?.[k] !== undefined)?.facts?.[k];
  return {
    ...(keyed.length > 0 ? { keys: keyed.reduce((a, n) => a + (n.facts!.keys ?? 0), 0) } : {}),
    ...(first('modules') ? { modules: first('modules')! } : {}),
    ...(first('commands') ? { commands: first('commands')! } : {}),
    ...(first('clusterEnabled') !== undefined ? { clusterEnabled: first('clusterEnabled')! } : {}),
  };
}

/** The real target's verdicts for this session's source traffic. */
export function sessionVerdicts(state: Pick<ReconState, 'to' | 'view' | 'server' | 'nodes'>): TargetVerdict[] {
  if (!state.to) return [];
  return targetVerdicts(state.view.clients, { ...(state.server ? { server: state.server } : {}), facts: endpointFacts(state.nodes) }, { ...(state.to.server ? { server: state.to.server } : {}), facts: endpointFacts(state.to.nodes) });
}

const nodesOf = (nodes: readonly NodeStatus[], side: 'source' | 'target'): ExportEndpoint['nodes'] =>
  nodes.map((n) => ({
    addr: n.addr,
    endpoint: n.endpoint ?? side,
    state: n.gone !== undefined ? ('gone' as const) : n.poll.lastError !== undefined ? ('down' as const) : ('up' as const),
    why: n.gone ?? n.poll.lastError ?? null,
  }));

/** Patterns whose keys are being copied: those of services that started moving (or moved). */
function movedPatterns(services: readonly CutoverService[]): string[] {
  const out = new Set<string>();
  for (const s of services) if (s.state !== 'source only') for (const p of s.patterns) out.add(p);
  return [...out].sort();
}

export function exportCutover(state: ReconState, endMs: number): ExportCutover | null {
  const t = state.to;
  if (!t) return null;
  // Afresh, as of the end of the window (the store follows a large fleet at most once a second).
  const services = new CutoverTracker({ quietAfterMs: state.quietAfterMs, recentMs: Math.min(RECENT_WRITES_MS, state.quietAfterMs), isWrite: writesByName() }).observe(endMs, state.view.clients, t.view.clients, cutoverNames(state.view.clients, t.view.clients, state.owners));
  const sourceFacts = endpointFacts(state.nodes);
  const targetFacts = endpointFacts(t.nodes);
  const side = (s: CutoverService['source']): ExportServiceSide => ({ connections: s.connections, opsPerSec: s.opsLens === 'unknown' ? null : s.opsPerSec, opsLens: s.opsLens ?? null, lastSeen: iso(s.lastSeen) });
  const srcRows = state.view.keyspace?.rows;
  const tgtRows = t.view.keyspace?.rows;
  const leaf = (p: string): boolean => srcRows?.get(p)?.kind === 'leaf' || tgtRows?.get(p)?.kind === 'leaf';
  const patterns =
    srcRows !== undefined || tgtRows !== undefined
      ? movedPatterns(services)
          .filter(leaf)
          .map((p) => {
            const a = srcRows?.get(p)?.keys;
            const b = tgtRows?.get(p)?.keys;
            return {
              pattern: p,
              source: srcRows ? (a?.value ?? 0) : null,
              target: tgtRows ? (b?.value ?? 0) : null,
              exact: (a?.exact ?? srcRows !== undefined) && (b?.exact ?? tgtRows !== undefined),
              lens: 'keyspace sample' as const,
            };
          })
      : [];
  return {
    source: { endpoint: state.endpoint, nodes: nodesOf(state.nodes, 'source'), server: state.server ? { name: state.server.name, version: state.server.version, mode: state.server.mode } : null, keys: sourceFacts.keys ?? null },
    target: {
      endpoint: t.endpoint,
      nodes: nodesOf(t.nodes, 'target'),
      server: t.server ? { name: t.server.name, version: t.server.version, mode: t.server.mode } : null,
      keys: targetFacts.keys ?? null,
      ...(t.error ? { error: t.error } : {}),
    },
    quietAfterSeconds: Math.round(state.quietAfterMs / 1000),
    counts: stateCounts(services),
    services: services.map((s) => ({
      service: s.service,
      state: s.state,
      source: side(s.source),
      target: side(s.target),
      matchedBy: s.matchedBy,
      movedAt: iso(s.target.firstSeen),
      left: leftOnSource(s),
      writes: { source: s.source.writes, target: s.target.writes },
    })),
    keys: { total: { source: sourceFacts.keys ?? null, target: targetFacts.keys ?? null, lens: 'INFO keyspace' }, patterns },
    verdicts: sessionVerdicts(state),
  };
}
