// The cutover, service by service: which services are still on the source, which have moved to the
// target, which write to both (the dangerous state). Clients of the two endpoints are matched into
// services by client name, then (unnamed) by library and address, and each match says how it was
// made. Pure: every time it uses comes from the views themselves, bounded by the number of services.
import type { ClientView } from './views.ts';
import { BOUNDS } from '../bounds.ts';
import { serviceOf as serviceName } from './serviceName.ts';

export type CutoverState = 'source only' | 'moving' | 'both' | 'target only' | 'done';
export const CUTOVER_STATES: readonly CutoverState[] = ['source only', 'moving', 'both', 'target only', 'done'];

/**
 * How a service was recognised on either side: its client name (pod suffixes dropped), the owner the
 * `--hosts` files give its address (a pod's workload, a host), the named service it behaves like
 * (`likely`), its library and address, its address alone.
 */
export type MatchedBy = 'name' | 'owner' | 'likely' | 'library+address' | 'address';

/** Names an unnamed connection from what is known beyond it (owner files, behaviour); undefined: nothing. */
export type NameHook = (c: ClientView) => { service: string; matchedBy: 'owner' | 'likely' } | undefined;

export interface ServiceSide {
  /** Connections open now. */
  readonly connections: number;
  /** Commands per second over its open connections (the lens that counts them: MONITOR, or counters). */
  readonly opsPerSec: number;
  /**
   * Where opsPerSec comes from: CLIENT LIST's per-connection counters (`tot-cmds`: exact, whatever
   * MONITOR does; Valkey 8, Redis 7.4), MONITOR (Redis 7.0 prints no counters), both mixed, or
   * unknown: connections neither lens counted (no counters, MONITOR off or never saw them).
   */
  readonly opsLens?: 'counters' | 'monitor' | 'mixed' | 'unknown';
  /** Last activity seen (ms): a command, or CLIENT LIST's idle time; undefined when never seen here. */
  readonly lastSeen?: number;
  /** Writes counted on this side, over the session. */
  readonly writes: number;
  /** Last activity of its connections that wrote here. */
  readonly lastWriteAt?: number;
  /** When the first of its connections that wrote here opened. */
  readonly firstWriteAt?: number;
  /** When the service was first seen here. */
  readonly firstSeen?: number;
}

export interface CutoverService {
  readonly service: string;
  readonly matchedBy: MatchedBy;
  readonly state: CutoverState;
  readonly source: ServiceSide;
  readonly target: ServiceSide;
  /** Key patterns the service touches (on either side), for the keys-on-both-sides comparison. */
  readonly patterns: readonly string[];
}

export interface CutoverOptions {
  /** No traffic on the source for this long (and present on the target): done. */
  readonly quietAfterMs: number;
  /** Writes on both sides within this window make the state `both`. */
  readonly recentMs: number;
  /**
   * How long the source must go on writing after the target's first write for the two to count as
   * written together: a service that repoints has its last source write and first target write a
   * moment apart (and observations see both a poll late), a dual writer keeps both going.
   */
  readonly overlapMs?: number;
  /**
   * Whether a command writes (from a command table). Given, a connection MONITOR saw no write of
   * counts the polls that caught it running a writing command (CLIENT LIST `cmd=`) as its writes:
   * with MONITOR off or between sampled windows, writing to both still shows.
   */
  readonly isWrite?: (command: string) => boolean;
}

/** Default window in which writes on both endpoints count as writing to both. */
export const RECENT_WRITES_MS = 30_000;
/** Default overlap of writes on both sides that makes `both` (see CutoverOptions.overlapMs). */
export const BOTH_OVERLAP_MS = 5_000;

/** A client's service: its name, or (unnamed) its library and address, or its address alone. */
export function serviceOf(c: Pick<ClientView, 'name' | 'libName' | 'ip' | 'addr'>, named?: { service: string; matchedBy: 'owner' | 'likely' }): { service: string; matchedBy: MatchedBy } {
  if (c.name !== '') return { service: serviceName(c.name), matchedBy: 'name' };
  if (named) return named;
  const ip = c.ip || c.addr;
  if (c.libName) return { service: `${c.libName} from ${ip}`, matchedBy: 'library+address' };
  return { service: `unnamed from ${ip}`, matchedBy: 'address' };
}

interface SideAcc {
  connections: number;
  opsPerSec: number;
  counted: number;
  monitored: number;
  uncounted: number;
  lastSeen?: number;
  writes: number;
  firstSeen?: number;
  lastWriteAt?: number;
  firstWriteAt?: number;
}

const emptyAcc = (): SideAcc => ({ connections: 0, opsPerSec: 0, counted: 0, monitored: 0, uncounted: 0, writes: 0 });

function opsLens(a: SideAcc): NonNullable<ServiceSide['opsLens']> {
  if (a.counted + a.monitored === 0) return 'unknown';
  if (a.monitored === 0 && a.uncounted === 0) return 'counters';
  if (a.counted === 0 && a.uncounted === 0) return 'monitor';
  return 'mixed';
}

/** Writes MONITOR counted, or else the polls that caught a writing command in `cmd=`. */
function writesOf(c: ClientView, isWrite: ((command: string) => boolean) | undefined): number {
  if (c.writes > 0 || !isWrite || !c.sampledCommands) return c.writes;
  let n = 0;
  for (const [cmd, polls] of c.sampledCommands) if (isWrite(cmd)) n += polls;
  return n;
}

function accumulate(clients: readonly ClientView[], into: Map<string, { matchedBy: MatchedBy; acc: SideAcc; patterns: Set<string> }>, name?: NameHook, isWrite?: (command: string) => boolean): void {
  for (const c of clients) {
    if (c.self) continue;
    const { service, matchedBy } = serviceOf(c, c.name === '' ? name?.(c) : undefined);
    let e = into.get(service);
    if (!e) into.set(service, (e = { matchedBy, acc: emptyAcc(), patterns: new Set() }));
    const a = e.acc;
    if (c.connected) {
      a.connections += c.sharedBy ?? 1;
      // The counters count every command all the time; MONITOR only while it runs.
      if (c.counterRates) {
        a.opsPerSec += c.counterRates.commands;
        a.counted++;
      } else if (c.events > 0) {
        a.opsPerSec += c.opsPerSec;
        a.monitored++;
      } else a.uncounted++;
    }
    const writes = writesOf(c, isWrite);
    a.writes += writes;
    const seen = Math.max(c.lastActiveAt ?? 0, c.events > 0 ? c.lastSeen : 0, c.connected ? (c.lastActiveAt ?? c.firstSeen) : 0);
    if (seen > 0) a.lastSeen = Math.max(a.lastSeen ?? 0, seen);
    a.firstSeen = Math.min(a.firstSeen ?? Infinity, c.firstSeen);
    // Times from the data's own clock (never when it was observed), so a replay at any speed says
    // the same: a writing connection wrote from when it opened until its last activity.
    if (writes > 0) {
      a.firstWriteAt = Math.min(a.firstWriteAt ?? Infinity, c.firstSeen);
      if (seen > 0) a.lastWriteAt = Math.max(a.lastWriteAt ?? 0, seen);
    }
    for (const p of c.prefixes) if (e.patterns.size < BOUNDS.cutoverPatternsPerService) e.patterns.add(p.prefix);
  }
}

/** The state of one service from what each side shows now. */
export function stateOf(src: ServiceSide | undefined, tgt: ServiceSide | undefined, now: number, opts: CutoverOptions): CutoverState {
  const onSource = src !== undefined && (src.connections > 0 || src.lastSeen !== undefined);
  const onTarget = tgt !== undefined && (tgt.connections > 0 || tgt.lastSeen !== undefined);
  if (!onSource) return 'target only';
  if (!onTarget) return 'source only';
  const recent = (t: number | undefined): boolean => t !== undefined && now - t <= opts.recentMs;
  const overlap = src.lastWriteAt !== undefined && tgt.firstWriteAt !== undefined ? src.lastWriteAt - tgt.firstWriteAt : -Infinity;
  if (recent(src.lastWriteAt) && recent(tgt.lastWriteAt) && overlap >= (opts.overlapMs ?? BOTH_OVERLAP_MS)) return 'both';
  const sourceQuiet = src.lastSeen === undefined || now - src.lastSeen >= opts.quietAfterMs;
  if (sourceQuiet) return 'done';
  return 'moving';
}

/**
 * The cutover at one time from both sides' client views: every service with its state, sorted by
 * state (the red flags first) then name. It keeps nothing between calls: every time it uses comes
 * from the views, so a replay of a recorded session gives the same report as the live one.
 */
export class CutoverTracker {
  constructor(private readonly opts: CutoverOptions) {}

  observe(now: number, source: readonly ClientView[], target: readonly ClientView[], hooks: { source?: NameHook; target?: NameHook } = {}): CutoverService[] {
    const src = new Map<string, { matchedBy: MatchedBy; acc: SideAcc; patterns: Set<string> }>();
    const tgt = new Map<string, { matchedBy: MatchedBy; acc: SideAcc; patterns: Set<string> }>();
    accumulate(source, src, hooks.source, this.opts.isWrite);
    accumulate(target, tgt, hooks.target, this.opts.isWrite);
    const names = new Set([...src.keys(), ...tgt.keys()]);
    const out: CutoverService[] = [];
    for (const service of names) {
      if (out.length >= BOUNDS.cutoverServices) break;
      const s = src.get(service);
      const t = tgt.get(service);
      const side = (e: NonNullable<typeof s>): ServiceSide => ({
        connections: e.acc.connections,
        opsPerSec: Math.round(e.acc.opsPerSec * 10) / 10,
        ...(e.acc.connections > 0 ? { opsLens: opsLens(e.acc) } : {}),
        writes: e.acc.writes,
        ...(e.acc.lastSeen !== undefined ? { lastSeen: e.acc.lastSeen } : {}),
        ...(e.acc.firstSeen !== undefined && Number.isFinite(e.acc.firstSeen) ? { firstSeen: e.acc.firstSeen } : {}),
        ...(e.acc.lastWriteAt !== undefined ? { lastWriteAt: e.acc.lastWriteAt } : {}),
        ...(e.acc.firstWriteAt !== undefined && Number.isFinite(e.acc.firstWriteAt) ? { firstWriteAt: e.acc.firstWriteAt } : {}),
      });
      const sourceSide = s ? side(s) : undefined;
      const targetSide = t ? side(t) : undefined;
      out.push({
        service,
        matchedBy: (s ?? t)!.matchedBy,
        state: stateOf(sourceSide, targetSide, now, this.opts),
        source: sourceSide ?? { connections: 0, opsPerSec: 0, writes: 0 },
        target: targetSide ?? { connections: 0, opsPerSec: 0, writes: 0 },
        patterns: [...new Set([...(s?.patterns ?? []), ...(t?.patterns ?? [])])].sort(),
      });
    }
    return out.sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.service.localeCompare(b.service));
  }
}

/** The order services are listed in: writes on both first, then what is still to move. */
const STATE_ORDER: Readonly<Record<CutoverState, number>> = { both: 0, moving: 1, 'source only': 2, 'target only': 3, done: 4 };

/** How many services are in each state (every state present, zeros included). */
export function stateCounts(services: readonly CutoverService[]): Record<CutoverState, number> {
  const counts = Object.fromEntries(CUTOVER_STATES.map((s) => [s, 0])) as Record<CutoverState, number>;
  for (const s of services) counts[s.state]++;
  return counts;
}

/** What is left on the source for a service, in words ('nothing' once it is done). */
export function leftOnSource(s: CutoverService): string {
  if (s.state === 'done') return s.source.connections > 0 ? `${s.source.connections} idle connection${s.source.connections === 1 ? '' : 's'} on the source` : 'nothing';
  if (s.state === 'target only') return 'nothing (never on the source)';
  if (s.source.connections === 0) return 'no connection on the source, quiet there for less than the quiet period';
  const parts = [`${s.source.connections} connection${s.source.connections === 1 ? '' : 's'}`];
  if (s.source.opsPerSec > 0) parts.push(`${s.source.opsPerSec} ops/s`);
  return `${parts.join(', ')} on the source`;
}
