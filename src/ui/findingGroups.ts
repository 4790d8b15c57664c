// The findings pane's rows: one per finding kind and command (or library version), with the services
// it concerns, worst first, then the most services. Kept up to date from what changed between two
// versions of the client list, so a poll that changes a few of 30,000 connections costs a few.
import type { FindingCode, Severity } from '../audit/findings.ts';
import { listChanges, sameClient } from './listChanges.ts';
import { serviceCounts, serviceKey, tally, type ServiceCount, type ServiceMember } from './services.ts';

const RANK: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2 };
const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

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
  /** An example (keys, the cross-slot call): the longest-standing connection's that has one. */
  readonly example?: string;
  /** The explanation, once: the longest-standing connection's. */
  readonly message: string;
}

/** One row's running figures over its connections. */
interface Group {
  readonly id: string;
  readonly code: FindingCode;
  readonly detail: string;
  /** Its connections, longest-standing first (a changed one keeps its place). */
  readonly members: Map<unknown, ServiceMember>;
  count: number;
  /** Findings per severity, by RANK. */
  readonly severities: number[];
  /** Members with an example for this row. */
  withExample: number;
  exampleFrom: ServiceMember | undefined;
  readonly services: Map<string, number>;
  row: FindingGroup | undefined;
}

const detailOf = (code: FindingCode, example: string | undefined): string => (BY_DETAIL.has(code) ? (example ?? '') : '');
const groupId = (code: FindingCode, detail: string): string => `${code}\u0000${detail}`;

/** A client's first finding in a row, and its first example there. */
function inGroup(c: ServiceMember, id: string): { message: string; example: string | undefined } | undefined {
  let message: string | undefined;
  let example: string | undefined;
  for (const f of c.findings ?? []) {
    if (groupId(f.code, detailOf(f.code, f.example)) !== id) continue;
    message ??= f.message;
    example ??= f.example;
    if (example !== undefined) break;
  }
  return message === undefined ? undefined : { message, example };
}

const byConcern = (a: FindingGroup, b: FindingGroup): number =>
  RANK[a.severity] - RANK[b.severity] || b.services.length - a.services.length || b.connections - a.connections || a.id.localeCompare(b.id);

/** A keeper of the rows of one client list, fed each new version of it; the same array while no row changed. */
export function findingGroupsKeeper(): (clients: readonly ServiceMember[]) => FindingGroup[] {
  const changes = listChanges<ServiceMember>();
  const groups = new Map<string, Group>();
  let rows: FindingGroup[] = [];

  /** Adds (1) or takes away (-1) a client's findings; whether any row changed. */
  const count = (c: ServiceMember, by: 1 | -1): boolean => {
    const findings = c.findings;
    if (findings === undefined || findings.length === 0) return false;
    const seen = findings.length === 1 ? undefined : new Set<string>();
    const k = sameClient(c);
    for (const f of findings) {
      const detail = detailOf(f.code, f.example);
      const id = groupId(f.code, detail);
      let g = groups.get(id);
      if (!g) {
        if (by < 0) continue;
        g = { id, code: f.code, detail, members: new Map(), count: 0, severities: [0, 0, 0], withExample: 0, exampleFrom: undefined, services: new Map(), row: undefined };
        groups.set(id, g);
      }
      g.count += by * f.count;
      g.severities[RANK[f.severity]]! += by;
      g.row = undefined;
      if (seen?.has(id)) continue;
      seen?.add(id);
      // What came is counted before what went: a changed client's new object takes its old one's place.
      if (by > 0) g.members.set(k, c);
      else if (g.members.get(k) === c) g.members.delete(k);
      tally(g.services, serviceKey(c), by);
      if ((seen === undefined ? f.example : inGroup(c, id)?.example) !== undefined) g.withExample += by;
    }
    return true;
  };

  const rowOf = (g: Group): FindingGroup => {
    const kept = g.exampleFrom;
    if (g.withExample === 0) g.exampleFrom = undefined;
    else if (!kept || g.members.get(sameClient(kept)) !== kept || inGroup(kept, g.id)?.example === undefined) {
      g.exampleFrom = undefined;
      for (const m of g.members.values())
        if (inGroup(m, g.id)?.example !== undefined) {
          g.exampleFrom = m;
          break;
        }
    }
    const example = g.exampleFrom ? inGroup(g.exampleFrom, g.id)?.example : undefined;
    const first = g.members.values().next().value!;
    return {
      id: g.id,
      code: g.code,
      severity: SEVERITIES[g.severities.findIndex((n) => n > 0)]!,
      label: FINDING_LABELS[g.code],
      detail: g.detail,
      services: serviceCounts(g.services),
      connections: g.members.size,
      count: g.count,
      ...(example !== undefined && !BY_DETAIL.has(g.code) ? { example } : {}),
      message: inGroup(first, g.id)!.message,
    };
  };

  return (clients) => {
    const { came, gone } = changes(clients);
    let changed = false;
    for (const c of came) changed = count(c, 1) || changed;
    for (const c of gone) changed = count(c, -1) || changed;
    if (!changed) return rows;
    for (const g of groups.values()) if (g.members.size === 0) groups.delete(g.id);
    rows = [...groups.values()].map((g) => (g.row ??= rowOf(g))).sort(byConcern);
    return rows;
  };
}

/** The rows of a list, worked out whole (the same as a keeper's). */
export const buildFindingGroups = (clients: readonly ServiceMember[]): FindingGroup[] => findingGroupsKeeper()(clients);
