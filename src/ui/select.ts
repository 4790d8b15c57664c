// Row selectors over the store state, memoised on the identity of their inputs (and on the view's
// version for the prefix tree, which is updated in place). The panes draw these rows and the
// keyboard actions move over them, so a key press moves over exactly what is on screen.
import type { ClientView, KeyCount, SessionView } from '../analysis/session.ts';
import { sortClients, tableClients, tableRows, visibleClients, type ClientRow, type Grouping, type SortSpec } from './clients.ts';
import { activePrefixes, type Filter } from './filters.ts';
import { heatRows, topKeysUnder, type HeatRow } from './heatmap.ts';
import { libraryRowsKeeper, type LibraryRow } from './libraries.ts';
import { findingGroupsKeeper, type FindingGroup } from './findingGroups.ts';
import { findingMatches, heatMatches, libraryMatches, searchFor, type Search } from './search.ts';
import { windowStart, type CountSnapshot, type TimeWindow } from './window.ts';
import { accessByPattern, type PatternAccess } from '../analysis/patternAccess.ts';
import { connectedPerNode, narrowedKeys, nodeRows, type NodeFilter, type NodeRow } from './nodes.ts';
import type { NodeStatus } from '../collect/protocol.ts';
import type { ClusterState } from '../collect/cluster.ts';
import { attributionOf, EMPTY_ATTRIBUTIONS, type Attributions } from '../owners/attribute.ts';
import type { OwnerMap } from '../owners/ownerMap.ts';
import type { DnsHint } from '../owners/reverseDns.ts';

/** What the selectors read: the view and the UI's own state. */
export interface SelectInput {
  readonly view: SessionView;
  readonly ui: {
    readonly filters: readonly Filter[];
    readonly showSelf: boolean;
    readonly sort: SortSpec;
    readonly grouping: Grouping;
    readonly drill: string;
    readonly delimiter: string;
    readonly nodeFilter?: NodeFilter;
    /** The clients narrowed to some services (Enter on a finding). */
    readonly services?: ServiceNarrowing;
    /** A service's disconnected connections folded into one row (`D` lists them). */
    readonly foldGone?: boolean;
    /** `/`: the focused pane's search. */
    readonly search?: Search;
    /** The clients table's time window (`w`). */
    readonly window?: TimeWindow;
  };
  /** Snapshots of the clients' counts, and when the view was published (the store's). */
  readonly history?: readonly CountSnapshot[];
  readonly viewAt?: number;
  /** A cluster's nodes, and the view narrowed to some of them (the store's; absent in bare inputs). */
  readonly nodes?: readonly NodeStatus[];
  readonly cluster?: ClusterState;
  readonly narrow?: (keys: readonly string[]) => SessionView;
  /** The owner files and reverse-DNS answers (the store always has them; absent: nothing known). */
  readonly owners?: { readonly map: OwnerMap | null; readonly dns: ReadonlyMap<string, DnsHint> };
}

/**
 * The clients but redis-recon's own connections, as the same array for as long as none of them
 * changed. Our poll connection changes at every poll; at 30,000 idle connections every roll-up over
 * the others (the table, the attribution, the libraries, the findings) was worked out again for
 * it, ~150 ms of the screen's thread a poll. The roll-ups leave our connections out anyway.
 * A given list always gives the same answer (a selector must: React re-renders forever otherwise),
 * and each caller keeps its own line of lists (the whole view's, a narrowed one's).
 */
export function stableOthers(): (clients: readonly ClientView[]) => readonly ClientView[] {
  const answered = new WeakMap<readonly ClientView[], readonly ClientView[]>();
  let last: readonly ClientView[] = [];
  return (clients) => {
    const known = answered.get(clients);
    if (known) return known;
    // Pointer checks only: a client's flags are read where it is not the next one kept (ours, or a change).
    let i = 0;
    let same = true;
    for (const c of clients) {
      if (last[i] === c) i++;
      else if (!c.self) {
        same = false;
        break;
      }
    }
    if (!same || i !== last.length) last = clients.filter((x) => !x.self);
    answered.set(clients, last);
    return last;
  };
}

const othersOfView = stableOthers();
const othersShown = stableOthers();

/** The clients a pane rolls up: all, or (the usual) all but our own, kept stable (stableOthers). */
const rolledUp = (s: SelectInput): readonly ClientView[] => (s.ui.showSelf ? selectView(s).clients : othersShown(selectView(s).clients));

/** Owners, behavioural matches and unknown services of every client (memoised on its inputs). */
export const selectAttribution = (s: SelectInput): Attributions =>
  s.owners ? attributionOf({ view: { clients: othersOfView(s.view.clients) }, owners: s.owners }) : EMPTY_ATTRIBUTIONS;

/** Remembers the last result per argument list (compared with ===). */
export function memoLast<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  let last: A | undefined;
  let value: R;
  return (...args: A): R => {
    if (last && last.length === args.length && last.every((a, i) => a === args[i])) return value;
    value = fn(...args);
    last = args;
    return value;
  };
}

const NO_NODES: readonly NodeStatus[] = [];
const perNodeMemo = memoLast((clients: readonly ClientView[], showSelf: boolean) => connectedPerNode(clients, showSelf));
const nodeRowsMemo = memoLast((nodes: readonly NodeStatus[], cluster: ClusterState | undefined, connected: ReadonlyMap<string, number>) =>
  nodeRows(nodes, cluster, connected),
);
/** Every node as a row (status bar, nodes view, the NODE column). */
export const selectNodeRows = (s: SelectInput): NodeRow[] =>
  nodeRowsMemo(s.nodes ?? NO_NODES, s.cluster, perNodeMemo(s.view.clients, s.ui.showSelf));

const narrowMemo = memoLast((view: SessionView, narrow: SelectInput['narrow'], keys: string): SessionView => {
  const list = keys.split('\n');
  if (narrow) return narrow(list);
  const want = new Set(list);
  return { ...view, clients: view.clients.filter((c) => want.has((c as ClientView & { node?: string }).node ?? '')) };
});

/**
 * The view every pane reads: the whole session, or, narrowed to a node or a shard (`n`, `N`), that
 * node's or shard's clients, prefix tree, top keys and totals.
 */
export function selectView(s: SelectInput): SessionView {
  const keys = narrowedKeys(s.ui.nodeFilter, s.ui.nodeFilter ? selectNodeRows(s) : []);
  return keys === undefined ? s.view : narrowMemo(s.view, s.narrow, keys.join('\n'));
}

// The table in three stages, each kept for its own inputs: a sort key press re-sorts what shows
// without filtering 30,000 connections again, a grouping key press regroups without sorting.
const tableClientsMemo = memoLast((clients: readonly ClientView[], visible: readonly ClientView[], filters: readonly Filter[], showSelf: boolean, delimiter: string, services: ServiceNarrowing | undefined, search: string, start: CountSnapshot | undefined, at: number) =>
  tableClients({ clients, filters, showSelf, delimiter, services: services?.services, search, ...(start ? { window: { start, now: at } } : {}) }, visible),
);
const sortedMemo = memoLast((list: readonly ClientView[], sort: SortSpec) => sortClients(list, sort));
const tableRowsMemo = memoLast((sorted: readonly ClientView[], grouping: Grouping, foldGone: boolean, attribution: Attributions | undefined) =>
  tableRows(sorted, { grouping, foldGone, ...(attribution ? { attribution } : {}) }),
);
const clientRowsMemo = memoLast((rows: ClientRow[], shown: number, total: number, connected: number) => ({ rows, shown, total, connected }));
export const selectClientRows = (s: SelectInput): { rows: ClientRow[]; shown: number; total: number; connected: number } => {
  const start = selectWindowStart(s);
  const shown = tableClientsMemo(rolledUp(s), selectVisibleClients(s), s.ui.filters, s.ui.showSelf, s.ui.delimiter, s.ui.services, searchFor(s.ui.search, 'clients'), start, start ? (s.viewAt ?? 0) : 0);
  const sorted = sortedMemo(shown.list, s.ui.sort);
  // Only grouping by owner needs the attribution: the other groupings do not wait for it.
  const rows = tableRowsMemo(sorted, s.ui.grouping, s.ui.foldGone ?? false, s.ui.grouping === 'owner' ? selectAttribution(s) : undefined);
  return clientRowsMemo(rows, sorted.length, shown.total, shown.connected);
};

/** The snapshot the clients table's window starts from; undefined: since start. */
export const selectWindowStart = (s: SelectInput): CountSnapshot | undefined =>
  s.ui.window && s.ui.window !== 'all' && s.viewAt !== undefined ? windowStart(s.history ?? [], s.ui.window, s.viewAt) : undefined;

const visibleMemo = memoLast((clients: readonly ClientView[], filters: readonly Filter[], showSelf: boolean, delimiter: string, services: ServiceNarrowing | undefined) =>
  visibleClients(clients, filters, showSelf, delimiter, services?.services),
);
export const selectVisibleClients = (s: SelectInput): ClientView[] => visibleMemo(rolledUp(s), s.ui.filters, s.ui.showSelf, s.ui.delimiter, s.ui.services);

/** Every pane narrowed to some services: what it came from (a finding) and the services. */
export interface ServiceNarrowing {
  readonly label: string;
  readonly services: readonly string[];
}

// Kept up to date from the clients that changed since the last list (most of 30,000 do not, a poll).
const libraryRowsOf = libraryRowsKeeper();
const libraryMemo = memoLast((rows: readonly LibraryRow[], q: string) => (q === '' ? (rows as LibraryRow[]) : rows.filter((r) => libraryMatches(r, q))));
export const selectLibraryRows = (s: SelectInput): LibraryRow[] => libraryMemo(libraryRowsOf(selectVisibleClients(s)), searchFor(s.ui.search, 'libraries'));

const findingGroupsOf = findingGroupsKeeper();
const groupMemo = memoLast((groups: readonly FindingGroup[], q: string) => (q === '' ? (groups as FindingGroup[]) : groups.filter((g) => findingMatches(g, q))));
/** One row per finding kind and command (or library version), by service: the findings pane. */
export const selectFindingGroups = (s: SelectInput): FindingGroup[] => groupMemo(findingGroupsOf(selectVisibleClients(s)), searchFor(s.ui.search, 'findings'));

const activeMemo = memoLast((filters: readonly Filter[]) => activePrefixes(filters));
export const selectActive = (s: SelectInput): readonly string[] => activeMemo(s.ui.filters);

const heatMemo = memoLast((view: SessionView, _version: number, drill: string, active: readonly string[], delimiter: string, q: string) =>
  heatRows(view.tree, drill, active, delimiter).filter((r) => heatMatches(r, q)),
);
export const selectHeatRows = (s: SelectInput): HeatRow[] => {
  const view = selectView(s);
  return heatMemo(view, view.version, s.ui.drill, selectActive(s), s.ui.delimiter, searchFor(s.ui.search, 'keys'));
};

/** Top keys published per view are at most a few hundred; the pane shows what fits. */
export const TOP_KEYS_SHOWN = 50;
const topMemo = memoLast((top: readonly KeyCount[], drill: string, active: readonly string[], delimiter: string) =>
  topKeysUnder(top, drill, active, TOP_KEYS_SHOWN, delimiter),
);
export const selectTopKeys = (s: SelectInput): KeyCount[] => topMemo(selectView(s).topKeys, s.ui.drill, selectActive(s), s.ui.delimiter);

/** The heatmap row the selection rests on (the first when unset). */
export const selectSelectedHeatRow = (s: SelectInput & { readonly ui: { readonly selection: Readonly<Partial<Record<ListPane, string>>> } }): HeatRow | undefined => {
  const rows = selectHeatRows(s);
  const want = s.ui.selection.keys;
  return (want !== undefined ? rows.find((r) => r.id === want) : undefined) ?? rows[0];
};

const accessMemo = memoLast((clients: readonly ClientView[], tree: SessionView['tree'], showSelf: boolean) => accessByPattern(clients, tree, showSelf));
/** Who reads and writes each pattern (by the heatmap's names), for the pattern panel. */
export const selectPatternAccess = (s: SelectInput): Map<string, PatternAccess> => accessMemo(selectView(s).clients, selectView(s).tree, s.ui.showSelf);

export type ListPane = 'clients' | 'keys' | 'libraries' | 'findings';

/** A key press moves over these: worked out once per table, not per key (30,000 ids). */
const clientIdsOf = memoLast((rows: readonly ClientRow[]): string[] => {
  const ids: string[] = [];
  for (const r of rows) if (r.kind === 'client') ids.push(r.id);
  return ids;
});

/** The ids a selection can rest on in a pane (group headers are not selectable). */
export function selectableIds(s: SelectInput, pane: ListPane): string[] {
  switch (pane) {
    case 'clients':
      return clientIdsOf(selectClientRows(s).rows);
    case 'keys':
      return selectHeatRows(s).map((r) => r.id);
    case 'libraries':
      return selectLibraryRows(s).map((r) => r.id);
    case 'findings':
      return selectFindingGroups(s).map((r) => r.id);
  }
}

/** Index of the selected id among `ids`; the first row when the selection is gone or unset. */
export function selectedIndex(ids: readonly string[], selected: string | undefined): number {
  if (selected === undefined) return 0;
  const i = ids.indexOf(selected);
  return i < 0 ? 0 : i;
}
