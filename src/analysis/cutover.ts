// The cutover, service by service: which services are still on the source, which have moved to the
// target, which write to both (the dangerous state). Clients of the two endpoints are matched into
// services by client name, then (unnamed) by library and address, and each match says how it was
// made. Pure: the tracker keeps only what it needs between observations (per service and side, the
// last write and the cumulative counts), bounded by the number of services.
import type { ClientView } from './views.ts';
import { BOUNDS } from '../bounds.ts';

export type CutoverState = 'source only' | 'moving' | 'both' | 'target only' | 'done';
export const CUTOVER_STATES: readonly CutoverState[] = ['source only', 'moving', 'both', 'target only', 'done'];

/** How a service was recognised on either side. */
export type MatchedBy = 'name' | 'library+address' | 'address';

export interface ServiceSide {
  /** Connections open now. */
  readonly connections: number;
  /** Commands per second over its open connections (the lens that counts them: MONITOR, or counters). */
  readonly opsPerSec: number;
  /** Last activity seen (ms): a command, or CLIENT LIST's idle time; undefined when never seen here. */
  readonly lastSeen?: number;
  /** Writes counted on this side, over the session. */
  readonly writes: number;
  /** When writes were last seen to grow here. */
  readonly lastWriteAt?: number;
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
}

/** Default window in which writes on both endpoints count as writing to both. */
export const RECENT_WRITES_MS = 30_000;

/** A client's service: its name, or (unnamed) its library and address, or its address alone. */
export function serviceOf(c: Pick<ClientView, 'name' | 'libName' | 'ip' | 'addr'>): { service: string; matchedBy: MatchedBy } {
  if (c.name !== '') return { service: c.name, matchedBy: 'name' };
  const ip = c.ip || c.addr;
  if (c.libName) return { service: `${c.libName} from ${ip}`, matchedBy: 'library+address' };
  return { service: `unnamed from ${ip}`, matchedBy: 'address' };
}

interface SideAcc {
  connections: number;
  opsPerSec: number;
  lastSeen?: number;
  writes: number;
  firstSeen?: number;
}

interface Memory {
  writes: { source: number; target: number };
  lastWriteAt: { source?: number; target?: number };
}

const emptyAcc = (): SideAcc => ({ connections: 0, opsPerSec: 0, writes: 0 });

function accumulate(clients: readonly ClientView[], into: Map<string, { matchedBy: MatchedBy; acc: SideAcc; patterns: Set<string> }>): void {
  for (const c of clients) {
    if (c.self) continue;
    const { service, matchedBy } = serviceOf(c);
    let e = into.get(service);
    if (!e) into.set(service, (e = { matchedBy, acc: emptyAcc(), patterns: new Set() }));
    const a = e.acc;
    if (c.connected) {
      a.connections += c.sharedBy ?? 1;
      a.opsPerSec += c.opsPerSec;
    }
    a.writes += c.writes;
    const seen = Math.max(c.lastActiveAt ?? 0, c.events > 0 ? c.lastSeen : 0, c.connected ? (c.lastActiveAt ?? c.firstSeen) : 0);
    if (seen > 0) a.lastSeen = Math.max(a.lastSeen ?? 0, seen);
    a.firstSeen = Math.min(a.firstSeen ?? Infinity, c.firstSeen);
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
  if (recent(src.lastWriteAt) && recent(tgt.lastWriteAt)) return 'both';
  const sourceQuiet = src.lastSeen === undefined || now - src.lastSeen >= opts.quietAfterMs;
  if (sourceQuiet) return 'done';
  return 'moving';
}

/**
 * Follows the cutover across observations: each one takes both sides' client views at a time and
 * returns every service with its state, sorted by state (the red flags first) then name.
 */
export class CutoverTracker {
  private readonly memory = new Map<string, Memory>();

  constructor(private readonly opts: CutoverOptions) {}

  observe(now: number, source: readonly ClientView[], target: readonly ClientView[]): CutoverService[] {
    const src = new Map<string, { matchedBy: MatchedBy; acc: SideAcc; patterns: Set<string> }>();
    const tgt = new Map<string, { matchedBy: MatchedBy; acc: SideAcc; patterns: Set<string> }>();
    accumulate(source, src);
    accumulate(target, tgt);
    const names = new Set([...src.keys(), ...tgt.keys()]);
    const out: CutoverService[] = [];
    for (const service of names) {
      const s = src.get(service);
      const t = tgt.get(service);
      let m = this.memory.get(service);
      if (!m) {
        m = { writes: { source: 0, target: 0 }, lastWriteAt: {} };
        if (this.memory.size < BOUNDS.cutoverServices) this.memory.set(service, m);
      }
      // Writes that grew since the last observation happened by now (at the latest).
      for (const [side, e] of [['source', s], ['target', t]] as const) {
        const w = e?.acc.writes ?? 0;
        if (w > m.writes[side]) m.lastWriteAt[side] = Math.min(now, e?.acc.lastSeen ?? now);
        m.writes[side] = Math.max(m.writes[side], w);
      }
      const side = (e: typeof s, which: 'source' | 'target'): ServiceSide => ({
        connections: e?.acc.connections ?? 0,
        opsPerSec: Math.round((e?.acc.opsPerSec ?? 0) * 10) / 10,
        writes: e?.acc.writes ?? 0,
        ...(e?.acc.lastSeen !== undefined ? { lastSeen: e.acc.lastSeen } : {}),
        ...(e?.acc.firstSeen !== undefined && Number.isFinite(e.acc.firstSeen) ? { firstSeen: e.acc.firstSeen } : {}),
        ...(m!.lastWriteAt[which] !== undefined ? { lastWriteAt: m!.lastWriteAt[which] } : {}),
      });
      const sourceSide = s ? side(s, 'source') : undefined;
      const targetSide = t ? side(t, 'target') : undefined;
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
  if (s.state === 'done') return 'nothing';
  if (s.state === 'target only') return 'nothing (never on the source)';
  const parts = [`${s.source.connections} connection${s.source.connections === 1 ? '' : 's'}`];
  if (s.source.opsPerSec > 0) parts.push(`${s.source.opsPerSec} ops/s`);
  return `${parts.join(', ')} on the source`;
}
