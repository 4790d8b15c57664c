// Reading the lenses across nodes, for the screen and the exports alike: which lenses ran, the
// server-wide figures summed over nodes, sampled MONITOR's scale for each client, and the
// server-wide findings with the clients each lens saw running the command. Pure.
import type { ClientView } from './views.ts';
import type { CommandFigure, ErrorFigure, LensState, LogFigure, NodeMonitor, NodeStatus, ServerFinding } from '../collect/protocol.ts';

export type LensName = 'counters' | 'lastCommand' | 'slowlog' | 'commandlog' | 'commandstats' | 'errorstats';
export type LensSummary = Readonly<Record<LensName, LensState>>;

const LENS_NAMES: readonly LensName[] = ['counters', 'lastCommand', 'slowlog', 'commandlog', 'commandstats', 'errorstats'];
const STATE_RANK: readonly LensState[] = ['on', 'refused', 'absent', 'pending'];

/** Each lens over the nodes: on where any node runs it, else the most telling other state. */
export function lensSummary(nodes: readonly NodeStatus[]): LensSummary {
  const out = {} as Record<LensName, LensState>;
  for (const k of LENS_NAMES) {
    let best: LensState = 'pending';
    for (const n of nodes) {
      const st = n.lenses?.[k];
      if (st !== undefined && STATE_RANK.indexOf(st) < STATE_RANK.indexOf(best)) best = st;
    }
    out[k] = best;
  }
  return out;
}

/** The node's MONITOR on-time now (ms). */
export function onClockOf(m: Pick<NodeMonitor, 'onMs' | 'onSince'>, nowMs: number): number {
  return m.onMs + (m.onSince !== undefined ? Math.max(0, nowMs - m.onSince) : 0);
}

/**
 * Sampled MONITOR's scale for one client: its life in the window over the time MONITOR watched it
 * (at least 1). Undefined where MONITOR is not sampled or never watched it (no estimate).
 */
export function clientScale(c: Pick<ClientView, 'cover' | 'node'>, nodes: readonly NodeStatus[], nowMs: number): number | undefined {
  const cover = c.cover;
  if (!cover) return undefined;
  const node = nodes.length === 1 ? nodes[0] : nodes.find((n) => n.id === c.node);
  if (!node?.monitor.sample) return undefined;
  const to = cover.to ?? nowMs;
  const watched = (cover.onTo ?? onClockOf(node.monitor, nowMs)) - cover.onFrom;
  if (!(watched > 0)) return undefined;
  return Math.max(1, (to - cover.from) / watched);
}

/** A client's MONITOR counts scaled to its life: estimates, never to be shown as counts. */
export function clientEstimate(c: Pick<ClientView, 'events' | 'reads' | 'writes'>, scale: number): { events: number; reads: number; writes: number } {
  return { events: Math.round(c.events * scale), reads: Math.round(c.reads * scale), writes: Math.round(c.writes * scale) };
}

/** Sampled MONITOR's scale for the whole window: its length over MONITOR's on-time (the longest-watched node). */
export function windowScale(nodes: readonly NodeStatus[], windowStart: number, nowMs: number): number | undefined {
  const sampled = nodes.filter((n) => n.monitor.sample);
  if (sampled.length === 0) return undefined;
  const on = Math.max(...sampled.map((n) => onClockOf(n.monitor, nowMs)));
  if (!(on > 0)) return undefined;
  return Math.max(1, (nowMs - windowStart) / on);
}

/** INFO commandstats over every node: calls summed per command, µs per call weighted by calls. */
export function mergedCommands(nodes: readonly NodeStatus[]): CommandFigure[] {
  const withLens = nodes.filter((n) => n.lenses && n.lenses.commands.length > 0);
  if (withLens.length === 1) return [...withLens[0]!.lenses!.commands];
  const by = new Map<string, { calls: number; since: number; usec: number; failed: number; rejected: number; ours: number }>();
  for (const n of withLens) {
    for (const c of n.lenses!.commands) {
      const e = by.get(c.name) ?? { calls: 0, since: 0, usec: 0, failed: 0, rejected: 0, ours: 0 };
      e.calls += c.calls;
      e.since += c.callsSinceStart;
      e.usec += c.usecPerCall * Math.max(1, c.calls);
      e.failed += c.failedCalls;
      e.rejected += c.rejectedCalls;
      e.ours += c.ours;
      by.set(c.name, e);
    }
  }
  return [...by]
    .map(([name, e]) => ({
      name,
      calls: e.calls,
      callsSinceStart: e.since,
      usecPerCall: Math.round((e.usec / Math.max(1, e.calls)) * 100) / 100,
      failedCalls: e.failed,
      rejectedCalls: e.rejected,
      ours: e.ours,
    }))
    .sort((a, b) => b.calls - a.calls || b.callsSinceStart - a.callsSinceStart || (a.name < b.name ? -1 : 1));
}

/** INFO errorstats over every node, summed per error prefix. */
export function mergedErrors(nodes: readonly NodeStatus[]): ErrorFigure[] {
  const by = new Map<string, { count: number; since: number }>();
  for (const n of nodes) {
    for (const e of n.lenses?.errors ?? []) {
      const x = by.get(e.name) ?? { count: 0, since: 0 };
      x.count += e.count;
      x.since += e.countSinceStart;
      by.set(e.name, x);
    }
  }
  return [...by].map(([name, x]) => ({ name, count: x.count, countSinceStart: x.since })).sort((a, b) => b.count - a.count || b.countSinceStart - a.countSinceStart || (a.name < b.name ? -1 : 1));
}

/** Command-log entries over every node, oldest first; redis-recon's own left out unless asked. */
export function mergedLog(nodes: readonly NodeStatus[], includeSelf = false): LogFigure[] {
  const all = nodes.flatMap((n) => n.lenses?.log ?? []).filter((e) => includeSelf || !e.self);
  return nodes.length > 1 ? all.sort((a, b) => a.at - b.at || a.id - b.id) : all;
}

/** A client the lenses saw running a command, and which lens saw it. */
export interface FindingClient {
  readonly key: string;
  readonly id?: string;
  readonly name: string;
  readonly addr: string;
  readonly lens: 'monitor' | 'slowlog' | 'commandlog' | 'client-list';
  /** MONITOR calls, log entries or polls, as the lens counts. */
  readonly count: number;
}

export interface ServerFindingView extends ServerFinding {
  readonly clients: readonly FindingClient[];
}

/**
 * The nodes' command-mix findings, summed per command, each with the clients seen running it:
 * through MONITOR (its counts), the command logs, or CLIENT LIST's last command, in that order of
 * exactness (a client is named once, under the most exact lens that saw it).
 */
export function serverFindings(nodes: readonly NodeStatus[], clients: readonly ClientView[], includeSelf = false): ServerFindingView[] {
  const by = new Map<string, ServerFinding>();
  for (const n of nodes) {
    for (const f of n.lenses?.findings ?? []) {
      const e = by.get(f.command);
      by.set(f.command, e ? { ...e, calls: e.calls + f.calls, callsSinceStart: e.callsSinceStart + f.callsSinceStart } : f);
    }
  }
  if (by.size === 0) return [];
  const seen = new Map<string, FindingClient[]>([...by.keys()].map((k) => [k, []]));
  const count = (list: ReadonlyArray<readonly [string, number]> | undefined, cmd: string): number => list?.find(([c]) => c.toUpperCase() === cmd)?.[1] ?? 0;
  for (const c of clients) {
    if (c.self && !includeSelf) continue;
    for (const [cmd, list] of seen) {
      const who = { key: c.key, ...(c.id !== undefined ? { id: c.id } : {}), name: c.name, addr: c.addr };
      const m = count(c.commands, cmd);
      const l = count(c.logged?.commands, cmd);
      const s = count(c.sampledCommands, cmd);
      if (m > 0) list.push({ ...who, lens: 'monitor', count: m });
      else if (l > 0) list.push({ ...who, lens: c.logged?.lens ?? 'slowlog', count: l });
      else if (s > 0) list.push({ ...who, lens: 'client-list', count: s });
    }
  }
  return [...by.values()].map((f) => ({ ...f, clients: seen.get(f.command) ?? [] }));
}
