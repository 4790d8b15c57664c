// Roll-ups by service: people migrating think in services (checkout-api, cleanup-cron), not in the
// connections each one opens. Pure: the findings pane, the libraries pane, the export toast and the
// Markdown all count through these, so they agree.
import type { Finding, FindingCode, Severity } from '../audit/findings.ts';
import { serviceOf } from './clients.ts';

/** What a roll-up reads of a client (a ClientView or an exported client). */
export interface ServiceMember {
  readonly key?: string;
  readonly name: string;
  /** Its service, when already worked out (a ClientView's). */
  readonly service?: string;
  readonly libName?: string | null | undefined;
  readonly libVer?: string | null | undefined;
  readonly connected?: boolean;
  readonly library?: { readonly verdict: string; readonly reason: string; readonly minimum?: string | null; readonly latest?: string | null } | null | undefined;
  readonly findings?: readonly Finding[];
}

/** The service a connection belongs to: its name without pod suffixes; '' when it has no name. */
export const serviceKey = (c: Pick<ServiceMember, 'name' | 'service'>): string => c.service ?? (c.name === '' ? '' : serviceOf(c.name));
export const serviceLabel = (key: string): string => (key === '' ? '(unnamed)' : key);

/** Connections per service, most first, then by name. */
export interface ServiceCount {
  readonly service: string;
  readonly connections: number;
}

export function countServices(members: Iterable<Pick<ServiceMember, 'name' | 'service'>>): ServiceCount[] {
  const m = new Map<string, number>();
  for (const c of members) {
    const k = serviceKey(c);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m]
    .map(([service, connections]) => ({ service, connections }))
    .sort((a, b) => b.connections - a.connections || a.service.localeCompare(b.service));
}

/** `cleanup-cron ×57, billing`: one name per service, ×N when it opened several connections. */
export function servicesText(list: readonly ServiceCount[], max = Infinity): string {
  const shown = list.slice(0, max).map((s) => (s.connections > 1 ? `${serviceLabel(s.service)} ×${s.connections}` : serviceLabel(s.service)));
  return shown.join(', ') + (list.length > max ? `, +${list.length - max} more` : '');
}

const RANK: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2 };

/** What each kind of finding is, in a few words (a row adds the command or library version). */
export const FINDING_LABELS: Readonly<Record<FindingCode, string>> = {
  'library-outdated': 'library to upgrade',
  'library-missing': 'no lib-name',
  'library-unknown': 'library not judged',
  'unsupported-command': 'command fails on target',
  'cross-slot': 'multi-key call across slots',
  'cross-slot-transaction': 'MULTI … EXEC across slots',
  'cross-slot-script': 'script run across slots',
  'select-db': 'non-zero database',
  'no-client-name': 'no client name',
};

/** Codes whose rows are one per command or library version (the finding's example says which). */
const BY_DETAIL: ReadonlySet<FindingCode> = new Set(['library-outdated', 'library-unknown', 'unsupported-command', 'select-db']);

export interface FindingGroup {
  readonly id: string;
  readonly code: FindingCode;
  readonly severity: Severity;
  /** `command fails on target`, with the command or library version in `detail`. */
  readonly label: string;
  readonly detail: string;
  readonly services: readonly ServiceCount[];
  readonly connections: number;
  /** Calls for command findings; connections for library and name findings. */
  readonly count: number;
  /** The first example seen (keys, the cross-slot call). */
  readonly example?: string;
  /** The explanation, once. */
  readonly message: string;
  /** The ledger keys of the connections it concerns. */
  readonly clients: readonly string[];
}

/**
 * One row per finding kind and command (or library version), with the services it concerns, worst
 * first, then the most services. Each message is kept once, from the first client that had it.
 */
export function buildFindingGroups(clients: readonly ServiceMember[]): FindingGroup[] {
  const groups = new Map<string, { code: FindingCode; severity: Severity; detail: string; members: ServiceMember[]; count: number; example?: string; message: string }>();
  for (const c of clients) {
    const findings = c.findings;
    if (findings === undefined || findings.length === 0) continue;
    const seen = findings.length === 1 ? undefined : new Set<string>();
    for (const f of findings) {
      const detail = BY_DETAIL.has(f.code) ? (f.example ?? '') : '';
      const id = `${f.code}\u0000${detail}`;
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { code: f.code, severity: f.severity, detail, members: [], count: 0, example: f.example, message: f.message }));
      if (RANK[f.severity] < RANK[g.severity]) g.severity = f.severity;
      g.count += f.count;
      if (g.example === undefined && f.example !== undefined) g.example = f.example;
      if (seen === undefined || !seen.has(id)) {
        seen?.add(id);
        g.members.push(c);
      }
    }
  }
  return [...groups]
    .map(([id, g]) => {
      const services = countServices(g.members);
      return {
        id,
        code: g.code,
        severity: g.severity,
        label: FINDING_LABELS[g.code],
        detail: g.detail,
        services,
        connections: g.members.length,
        count: g.count,
        ...(g.example !== undefined && !BY_DETAIL.has(g.code) ? { example: g.example } : {}),
        message: g.message,
        clients: g.members.flatMap((m) => (m.key !== undefined ? [m.key] : [])),
      };
    })
    .sort((a, b) => RANK[a.severity] - RANK[b.severity] || b.services.length - a.services.length || b.connections - a.connections || a.id.localeCompare(b.id));
}

/** `2 services (3 connections)`: how a count of findings reads. */
export function servicesCount(services: number, connections: number): string {
  const s = `${services} service${services === 1 ? '' : 's'}`;
  return connections > services ? `${s} (${connections} connections)` : s;
}

export interface UpgradeSummary {
  /** Library versions below the minimum, or unnamed (no lib-name). */
  readonly versions: number;
  readonly services: number;
  readonly connections: number;
}

/** What to upgrade, counted as people count it: library versions, in how many services. */
export function upgradeSummary(clients: readonly ServiceMember[]): UpgradeSummary {
  const versions = new Set<string>();
  const services = new Set<string>();
  let connections = 0;
  for (const c of clients) {
    const v = c.library?.verdict;
    if (v !== 'outdated' && v !== 'missing') continue;
    versions.add(`${c.libName ?? ''}\u0000${c.libVer ?? ''}`);
    services.add(serviceKey(c));
    connections++;
  }
  return { versions: versions.size, services: services.size, connections };
}

/** `1 library version to upgrade in 2 services`, or `no library to upgrade`. */
export function upgradeText(u: UpgradeSummary): string {
  if (u.versions === 0) return 'no library to upgrade';
  return `${u.versions} library version${u.versions === 1 ? '' : 's'} to upgrade in ${servicesCount(u.services, u.connections)}`;
}
