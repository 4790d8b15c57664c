// Row selectors over the store state, memoised on the identity of their inputs (and on the view's
// version for the prefix tree, which is updated in place). The panes draw these rows and the
// keyboard actions move over them, so a key press moves over exactly what is on screen.
import { buildFindingRows, type FindingRow } from './findings.ts';
import type { ClientView, KeyCount, SessionView } from '../analysis/session.ts';
import { buildClientRows, visibleClients, type ClientRow, type Grouping, type SortSpec } from './clients.ts';
import { activePrefixes, type Filter } from './filters.ts';
import { heatRows, topKeysUnder, type HeatRow } from './heatmap.ts';
import { buildLibraryRows, type LibraryRow } from './libraries.ts';
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
  };
  /** The owner files and reverse-DNS answers (the store always has them; absent: nothing known). */
  readonly owners?: { readonly map: OwnerMap | null; readonly dns: ReadonlyMap<string, DnsHint> };
}

/** Owners, behavioural matches and unknown services of every client (memoised on its inputs). */
export const selectAttribution = (s: SelectInput): Attributions => (s.owners ? attributionOf({ view: s.view, owners: s.owners }) : EMPTY_ATTRIBUTIONS);

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

const clientRowsMemo = memoLast(
  (clients: readonly ClientView[], filters: readonly Filter[], showSelf: boolean, sort: SortSpec, grouping: Grouping, delimiter: string, attribution: Attributions | undefined) =>
    buildClientRows({ clients, filters, showSelf, sort, grouping, delimiter, ...(attribution ? { attribution } : {}) }),
);
export const selectClientRows = (s: SelectInput): { rows: ClientRow[]; shown: number; total: number; connected: number } =>
  // Only grouping by owner needs the attribution: the other groupings do not wait for it.
  clientRowsMemo(s.view.clients, s.ui.filters, s.ui.showSelf, s.ui.sort, s.ui.grouping, s.ui.delimiter, s.ui.grouping === 'owner' ? selectAttribution(s) : undefined);

const visibleMemo = memoLast((clients: readonly ClientView[], filters: readonly Filter[], showSelf: boolean, delimiter: string) =>
  visibleClients(clients, filters, showSelf, delimiter),
);
export const selectVisibleClients = (s: SelectInput): ClientView[] => visibleMemo(s.view.clients, s.ui.filters, s.ui.showSelf, s.ui.delimiter);

const libraryMemo = memoLast((visible: readonly ClientView[]) => buildLibraryRows(visible));
export const selectLibraryRows = (s: SelectInput): LibraryRow[] => libraryMemo(selectVisibleClients(s));

const findingMemo = memoLast((visible: readonly ClientView[]) => buildFindingRows(visible));
export const selectFindingRows = (s: SelectInput): FindingRow[] => findingMemo(selectVisibleClients(s));

const activeMemo = memoLast((filters: readonly Filter[]) => activePrefixes(filters));
export const selectActive = (s: SelectInput): readonly string[] => activeMemo(s.ui.filters);

const heatMemo = memoLast((view: SessionView, _version: number, drill: string, active: readonly string[], delimiter: string) =>
  heatRows(view.tree, drill, active, delimiter),
);
export const selectHeatRows = (s: SelectInput): HeatRow[] =>
  heatMemo(s.view, s.view.version, s.ui.drill, selectActive(s), s.ui.delimiter);

/** Top keys published per view are at most a few hundred; the pane shows what fits. */
export const TOP_KEYS_SHOWN = 50;
const topMemo = memoLast((top: readonly KeyCount[], drill: string, active: readonly string[], delimiter: string) =>
  topKeysUnder(top, drill, active, TOP_KEYS_SHOWN, delimiter),
);
export const selectTopKeys = (s: SelectInput): KeyCount[] => topMemo(s.view.topKeys, s.ui.drill, selectActive(s), s.ui.delimiter);

export type ListPane = 'clients' | 'keys' | 'libraries';

/** The ids a selection can rest on in a pane (group headers are not selectable). */
export function selectableIds(s: SelectInput, pane: ListPane): string[] {
  switch (pane) {
    case 'clients':
      return selectClientRows(s).rows.filter((r) => r.kind === 'client').map((r) => r.id);
    case 'keys':
      return selectHeatRows(s).map((r) => r.id);
    case 'libraries':
      return selectLibraryRows(s).map((r) => r.id);
  }
}

/** Index of the selected id among `ids`; the first row when the selection is gone or unset. */
export function selectedIndex(ids: readonly string[], selected: string | undefined): number {
  if (selected === undefined) return 0;
  const i = ids.indexOf(selected);
  return i < 0 ? 0 : i;
}
