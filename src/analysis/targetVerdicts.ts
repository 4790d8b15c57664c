// What the real target will refuse, from the target's own answers (COMMAND LIST, INFO, MODULE LIST)
// instead of a profile's assumptions: commands the source's clients ran that the target does not
// have, multi-key traffic across slots or numbered databases where the target runs in cluster
// mode, a version older than the source's, modules the source has and the target lacks. Pure.
import type { ClientView } from './views.ts';
import type { ServerIdentity } from '../types.ts';
import type { EndpointFacts } from '../parse/endpointFacts.ts';
import { serviceOf } from './cutover.ts';

export type VerdictCode = 'missing-command' | 'cross-slot' | 'select-db' | 'older-version' | 'other-engine' | 'missing-module';

export interface TargetVerdict {
  readonly code: VerdictCode;
  readonly severity: 'error' | 'warning' | 'info';
  /** In words, for the pane and the reports (server text escaped where it is shown). */
  readonly message: string;
  /** The command, module or version concerned. */
  readonly subject: string;
  /** Services affected (empty for an endpoint-wide verdict), sorted. */
  readonly services: readonly string[];
  /** Calls counted on the source (0 for endpoint-wide verdicts). */
  readonly calls: number;
}

export interface EndpointSnapshot {
  readonly server?: ServerIdentity;
  readonly facts?: EndpointFacts;
}

/** `7.0.15` vs `8.0.1`: negative when a is older. Non-numeric parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const RANK = { error: 0, warning: 1, info: 2 } as const;

/**
 * Verdicts on the real target for the source's traffic. A fact the target did not give (its
 * command list, say) yields no verdict about it: nothing is assumed.
 */
export function targetVerdicts(clients: readonly ClientView[], source: EndpointSnapshot, target: EndpointSnapshot): TargetVerdict[] {
  const out: TargetVerdict[] = [];
  const commands = target.facts?.commands ? new Set(target.facts.commands) : undefined;
  const cluster = target.facts?.clusterEnabled === true || target.server?.mode === 'cluster';
  const missing = new Map<string, { services: Set<string>; calls: number }>();
  const crossSlot = { services: new Set<string>(), calls: 0, example: '' };
  const selectDb = { services: new Set<string>(), calls: 0, dbs: new Set<number>() };
  for (const c of clients) {
    if (c.self) continue;
    const { service } = serviceOf(c);
    if (commands) {
      for (const [cmd, n] of c.commands) {
        const base = cmd.split('|')[0]!.toUpperCase();
        if (commands.has(base)) continue;
        let e = missing.get(base);
        if (!e) missing.set(base, (e = { services: new Set(), calls: 0 }));
        e.services.add(service);
        e.calls += n;
      }
    }
    if (cluster) {
      const n = c.crossSlot.count + c.crossSlotTransactions.count + c.crossSlotScripts.count;
      if (n > 0) {
        crossSlot.services.add(service);
        crossSlot.calls += n;
        if (crossSlot.example === '' && c.crossSlot.example.length > 0) crossSlot.example = c.crossSlot.example.slice(0, 3).join(' ');
      }
      for (const [db, n2] of c.dbs) {
        if (db === 0) continue;
        selectDb.services.add(service);
        selectDb.calls += n2;
        selectDb.dbs.add(db);
      }
    }
  }
  for (const [cmd, e] of missing) {
    out.push({ code: 'missing-command', severity: 'error', subject: cmd, message: `the target has no ${cmd} command (its own COMMAND LIST)`, services: [...e.services].sort(), calls: e.calls });
  }
  if (crossSlot.calls > 0) {
    out.push({
      code: 'cross-slot',
      severity: 'error',
      subject: crossSlot.example || 'multi-key calls',
      message: 'the target runs in cluster mode: multi-key calls, transactions and scripts across hash slots fail with CROSSSLOT',
      services: [...crossSlot.services].sort(),
      calls: crossSlot.calls,
    });
  }
  if (selectDb.calls > 0) {
    out.push({
      code: 'select-db',
      severity: 'error',
      subject: `db ${[...selectDb.dbs].sort((a, b) => a - b).join(', ')}`,
      message: 'the target runs in cluster mode: only database 0 exists there',
      services: [...selectDb.services].sort(),
      calls: selectDb.calls,
    });
  }
  const s = source.server;
  const t = target.server;
  if (s && t && s.version !== 'unknown' && t.version !== 'unknown') {
    if (s.name !== t.name) {
      out.push({ code: 'other-engine', severity: 'info', subject: `${s.name} ${s.version} → ${t.name} ${t.version}`, message: `the target is ${t.name} ${t.version}, the source ${s.name} ${s.version}`, services: [], calls: 0 });
    } else if (compareVersions(t.version, s.version) < 0) {
      out.push({ code: 'older-version', severity: 'warning', subject: `${s.version} → ${t.version}`, message: `the target (${t.version}) is older than the source (${s.version}): commands and options added since are missing`, services: [], calls: 0 });
    }
  }
  const sm = source.facts?.modules;
  const tm = target.facts?.modules;
  if (sm && tm) {
    for (const m of sm) if (!tm.includes(m)) out.push({ code: 'missing-module', severity: 'error', subject: m, message: `module ${m} is loaded on the source, not on the target`, services: [], calls: 0 });
  }
  return out.sort((a, b) => RANK[a.severity] - RANK[b.severity] || b.calls - a.calls || a.subject.localeCompare(b.subject));
}
