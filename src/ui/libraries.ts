// Every client library seen: name, version, how many clients use it, and the audit's verdict.
import type { ClientView, LibraryAudit, LibraryVerdictKind } from '../analysis/session.ts';
import { listChanges, sameClient } from './listChanges.ts';
import { serviceCounts, serviceKey, servicesText, tally, type ServiceCount } from './services.ts';
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

/** One (library, version): running counts over its connections, so a poll pays for what changed. */
interface LibraryGroup {
  readonly id: string;
  readonly name: string | undefined;
  readonly version: string;
  /** Its connections, longest-standing first (a changed one keeps its place). */
  readonly members: Map<unknown, ClientView>;
  clients: number;
  connected: number;
  ops: number;
  /** Connections with a non-zero rate: the sum is set back to exactly 0 when none is left. */
  busy: number;
  /** Connections per verdict, by SEVERITY. */
  readonly verdicts: number[];
  readonly services: Map<string, number>;
  /** The connection whose audit the row shows (the first of the worst verdict). */
  auditFrom: ClientView | undefined;
  /** Undefined while a change is not yet rolled up. */
  row: LibraryRow | undefined;
}

const VERDICTS = Object.keys(SEVERITY).length;
const severityOf = (c: ClientView): number => (c.library ? SEVERITY[c.library.verdict] : -1);
const opsOf = (c: ClientView): number => c.counterRates?.commands ?? c.opsPerSec;
const rank = (r: LibraryRow): number => (r.name === undefined ? 2 : r.name === '' ? 1 : 0);
const byLibrary = (a: LibraryRow, b: LibraryRow): number =>
  rank(a) - rank(b) || collator.compare(a.name ?? '', b.name ?? '') || collator.compare(b.version, a.version);

/**
 * The library rows of a client list that is replaced at each poll: one per (library, version), named
 * libraries first, then by name and newest version first. Kept up to date from what changed since the
 * previous list (listChanges), so 30,000 idle connections cost nothing while a few change; the same
 * array comes back while no row changed.
 */
export function libraryRowsKeeper(): (clients: readonly ClientView[]) => LibraryRow[] {
  const changes = listChanges<ClientView>();
  const groups = new Map<string, LibraryGroup>();
  let rows: LibraryRow[] = [];

  const groupOf = (c: ClientView, create: boolean): LibraryGroup | undefined => {
    // An entry standing for several unix-socket connections is not a client of its own: they are
    // each listed, with their libraries (the same count of connected clients as everywhere).
    if (c.sharedBy !== undefined) return undefined;
    const version = c.libVer ?? '';
    const id = `${c.libName === undefined ? '\u0000' : c.libName}\u0001${version}`;
    let g = groups.get(id);
    if (!g && create) {
      g = { id, name: c.libName, version, members: new Map(), clients: 0, connected: 0, ops: 0, busy: 0, verdicts: new Array<number>(VERDICTS).fill(0), services: new Map(), auditFrom: undefined, row: undefined };
      groups.set(id, g);
    }
    return g;
  };

  const count = (g: LibraryGroup, c: ClientView, by: 1 | -1): void => {
    g.clients += by;
    if (c.connected) g.connected += by;
    const ops = opsOf(c);
    if (ops !== 0) {
      g.ops += by * ops;
      g.busy += by;
      if (g.busy === 0) g.ops = 0;
    }
    const v = severityOf(c);
    if (v >= 0) g.verdicts[v]! += by;
    tally(g.services, serviceKey(c), by);
    g.row = undefined;
  };

  const rowOf = (g: LibraryGroup): LibraryRow => {
    const worst = g.verdicts.findLastIndex((n) => n > 0);
    const kept = g.auditFrom;
    if (worst < 0) g.auditFrom = undefined;
    else if (!kept || g.members.get(sameClient(kept)) !== kept || severityOf(kept) !== worst) {
      for (const m of g.members.values()) if (severityOf(m) === worst) {
        g.auditFrom = m;
        break;
      }
    }
    return { id: g.id, name: g.name, version: g.version, clients: g.clients, connected: g.connected, opsPerSec: g.ops, audit: g.auditFrom?.library, services: serviceCounts(g.services) };
  };

  return (clients) => {
    const { came, gone } = changes(clients);
    let changed = false;
    // What came first: a changed connection's new object takes its old one's place among the members.
    for (const c of came) {
      const g = groupOf(c, true);
      if (!g) continue;
      g.members.set(sameClient(c), c);
      count(g, c, 1);
      changed = true;
    }
    for (const c of gone) {
      const g = groupOf(c, false);
      if (!g) continue;
      const k = sameClient(c);
      if (g.members.get(k) === c) g.members.delete(k);
      count(g, c, -1);
      if (g.clients === 0) groups.delete(g.id);
      changed = true;
    }
    if (changed) rows = [...groups.values()].map((g) => (g.row ??= rowOf(g))).sort(byLibrary);
    return rows;
  };
}

/** The library rows of a list, worked out whole (the same as a keeper's). */
export const buildLibraryRows = (clients: readonly ClientView[]): LibraryRow[] => libraryRowsKeeper()(clients);

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
