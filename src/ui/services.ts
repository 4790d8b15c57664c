// Roll-ups by service: people migrating think in services (checkout-api, cleanup-cron), not in the
// connections each one opens. Pure: the findings pane, the libraries pane, the export toast and the
// Markdown all count through these, so they agree.
import type { Finding } from '../audit/findings.ts';
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
  for (const c of members) tally(m, serviceKey(c), 1);
  return serviceCounts(m);
}

/** Adds `by` to a key's count; a count back at 0 leaves the map. */
export function tally<K>(m: Map<K, number>, k: K, by: number): void {
  const n = (m.get(k) ?? 0) + by;
  if (n === 0) m.delete(k);
  else m.set(k, n);
}

/** Counts per service as the roll-ups list them: most connections first, then by name. */
export const serviceCounts = (m: ReadonlyMap<string, number>): ServiceCount[] =>
  [...m].map(([service, connections]) => ({ service, connections })).sort((a, b) => b.connections - a.connections || a.service.localeCompare(b.service));

/** `cleanup-cron ×57, billing`: one name per service, ×N when it opened several connections. */
export function servicesText(list: readonly ServiceCount[], max = Infinity): string {
  const shown = list.slice(0, max).map((s) => (s.connections > 1 ? `${serviceLabel(s.service)} ×${s.connections}` : serviceLabel(s.service)));
  return shown.join(', ') + (list.length > max ? `, +${list.length - max} more` : '');
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
