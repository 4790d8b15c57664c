// Every client library seen: name, version, how many clients use it, and the audit's verdict.
import type { ClientView, LibraryAudit, LibraryVerdictKind } from '../analysis/session.ts';
import { countServices, servicesText, type ServiceCount } from './services.ts';
import { displayWidth, fit } from './text.ts';

export interface LibraryRow {
  readonly id: string;
  /** As the server printed it; '' when the client sent none, undefined when the server reports none. */
  readonly name: string | undefined;
  readonly version: string;
  readonly clients: number;
  readonly connected: number;
  readonly opsPerSec: number;
  /** The most severe verdict among its clients, with that client's reason. */
  readonly audit?: LibraryAudit;
  /** The services whose connections use it, most connections first. */
  readonly services: readonly ServiceCount[];
}

const SEVERITY: Readonly<Record<LibraryVerdictKind, number>> = { outdated: 4, missing: 3, unknown: 2, unavailable: 1, ok: 0 };

export const libraryLabel = (name: string | undefined): string =>
  name === undefined ? '(not reported)' : name === '' ? '(no lib-name)' : name;

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** One row per (library, version), named libraries first, then by name and newest version first. */
export function buildLibraryRows(clients: readonly ClientView[]): LibraryRow[] {
  const map = new Map<string, { name: string | undefined; version: string; clients: number; connected: number; ops: number; audit?: LibraryAudit; members: ClientView[] }>();
  for (const c of clients) {
    // An entry standing for several unix-socket connections is not a client of its own: they are
    // each listed, with their libraries (the same count of connected clients as everywhere).
    if (c.sharedBy !== undefined) continue;
    const version = c.libVer ?? '';
    const id = `${c.libName === undefined ? '\u0000' : c.libName}\u0001${version}`;
    let r = map.get(id);
    if (!r) map.set(id, (r = { name: c.libName, version, clients: 0, connected: 0, ops: 0, members: [] }));
    r.clients++;
    r.members.push(c);
    if (c.connected) r.connected++;
    r.ops += c.counterRates?.commands ?? c.opsPerSec;
    if (c.library && (r.audit === undefined || SEVERITY[c.library.verdict] > SEVERITY[r.audit.verdict])) r.audit = c.library;
  }
  const rows: LibraryRow[] = [...map.entries()].map(([id, r]) => ({
    id,
    name: r.name,
    version: r.version,
    clients: r.clients,
    connected: r.connected,
    opsPerSec: r.ops,
    audit: r.audit,
    services: countServices(r.members),
  }));
  const rank = (r: LibraryRow): number => (r.name === undefined ? 2 : r.name === '' ? 1 : 0);
  return rows.sort(
    (a, b) => rank(a) - rank(b) || collator.compare(a.name ?? '', b.name ?? '') || collator.compare(b.version, a.version),
  );
}

/** What to do about a library version: `→ ≥ 5.0.0` for one below the minimum, '' when nothing. */
export function upgradeTarget(audit: LibraryAudit | undefined): string {
  if (!audit) return '';
  if (audit.verdict === 'outdated') {
    const to = audit.minimum ?? audit.latest;
    return to ? `→ ≥ ${to}` : '→ upgrade';
  }
  if (audit.verdict === 'missing') return '→ set lib-name';
  if (audit.verdict === 'unknown') return 'not judged';
  return '';
}

/**
 * One libraries-pane line: `cleanup-cron ×57 · node-redis 1.6.0 → ≥ 5.0.0`, in `width` cells. What is
 * never cut: the upgrade target, then the version; the services and the library's name share the
 * rest (the services about half, the name at least 4 cells), the services going first when tiny.
 */
export function libraryLine(r: LibraryRow, width: number): { services: string; library: string; target: string } {
  const target = upgradeTarget(r.audit);
  const name = libraryLabel(r.name);
  const fixed = `${r.version ? ` ${r.version}` : ''}${target ? ` ${target}` : ''}`;
  const avail = Math.max(1, width - displayWidth(fixed));
  const all = servicesText(r.services);
  const nameW0 = displayWidth(name);
  const allW = displayWidth(all);
  let svcW = 0;
  let nameW = Math.min(nameW0, avail);
  if (allW > 0 && nameW0 + 3 + allW <= avail) svcW = allW;
  else if (allW > 0 && avail >= 3 + 5 + 4) {
    svcW = Math.min(allW, Math.max(5, Math.ceil((avail - 3) / 2), avail - 3 - nameW0));
    nameW = Math.min(nameW0, Math.max(4, avail - 3 - svcW));
    svcW = Math.min(svcW, avail - 3 - nameW);
  }
  const library = `${fit(name, Math.max(1, nameW)).trimEnd()}${r.version ? ` ${r.version}` : ''}`;
  const services = svcW > 0 ? fit(all, svcW).trimEnd() : '';
  return { services: services ? `${services} · ` : '', library, target: target ? ` ${target}` : '' };
}
