// The dashboard's own state (focus, selections, sort, grouping, drill path, overlays, filters) and
// the actions the keymap calls. It lives in the one store beside the data, so panes never keep
// state another pane depends on, and tests drive the UI by calling the same actions keys call.
import type { SessionView } from '../analysis/session.ts';
import type { NodeStatus } from '../collect/protocol.ts';
import type { ClusterState } from '../collect/cluster.ts';
import type { TargetSide } from '../store.ts';
import { connectedPerNode, nextNodeFilter, nextShardFilter, nodeRows, type NodeFilter } from './nodes.ts';
import { defaultSort, nextGrouping, nextSort, prevSort, type Grouping, type SortSpec } from './clients.ts';
import { addFilter, deactivateAll, presetFilters, removeFilter, toggleFilter, type Filter } from './filters.ts';
import type { Search } from './search.ts';
import { nextWindow, WINDOW_LABEL, type TimeWindow } from './window.ts';
import { parentPrefix } from './heatmap.ts';
import { keysInner, keysSplit, layout } from './layout.ts';
import { clean } from './text.ts';
import { clampHelpScroll, helpLines, helpPageLines } from './helpLines.ts';
import { clampDetailScroll, DETAIL_FIELD_ROWS, detailFindingLines, detailIdWidth } from './detail.ts';
import {
  selectableIds,
  selectClientRows,
  selectedIndex,
  selectHeatRows,
  selectLibraryRows,
  selectTopKeys,
  selectFindingGroups,
  type ListPane,
  type ServiceNarrowing,
  type SelectInput,
} from './select.ts';

export type PaneId = 'clients' | 'keys' | 'libraries' | 'findings' | 'detail';

export interface UiState {
  readonly focus: PaneId;
  /** Selected row id per list pane (client key, prefix, library id). */
  readonly selection: Readonly<Partial<Record<ListPane, string>>>;
  readonly grouping: Grouping;
  readonly sort: SortSpec;
  /** Heatmap drill prefix ('' = top level). */
  readonly drill: string;
  /** Client key whose detail pane is open. */
  readonly detail?: string;
  readonly help: boolean;
  /** Text of the open prompt; undefined when closed. */
  readonly prompt?: string;
  /** What the open prompt asks for: a prefix filter, or the file to export the inventory to. */
  readonly promptKind: PromptKind;
  /** The last export asked for (the inventory, or the extraction plan); the dashboard's edge writes it and answers with `message`. */
  readonly exportRequest?: { readonly path: string; readonly seq: number; readonly kind?: 'inventory' | 'plan' };
  /** The pattern panel (keyspace and services of the heatmap's selected row) is open in place of the libraries. */
  readonly patternPanel: boolean;
  readonly filters: readonly Filter[];
  readonly showSelf: boolean;
  readonly delimiter: string;
  readonly viewport: { readonly columns: number; readonly rows: number };
  /** Set by `q` / Ctrl-C; the app unmounts when it sees it. */
  readonly quit: boolean;
  /** One line of feedback for the last action that could surprise (e.g. too many filters). */
  readonly message?: string;
  /** Every pane narrowed to one node or one shard of a cluster (`n`, `N`); undefined: all nodes. */
  readonly nodeFilter?: NodeFilter;
  /** The nodes view (`c`) is open in place of the panes. */
  readonly nodesView: boolean;
  /** The cutover pane (`T`) is open in place of the panes. */
  readonly cutoverView: boolean;
  /** Every pane narrowed to the services of a finding (Enter in the findings pane); Esc or x clears it. */
  readonly services?: ServiceNarrowing;
  /** First line the help overlay shows (it scrolls). */
  readonly helpScroll: number;
  /** A service's disconnected connections folded into one row (the default; `D` lists them). */
  readonly foldGone: boolean;
  /** First line of the detail pane's client column (findings, then fields): PgUp/PgDn scroll it. */
  readonly detailScroll: number;
  /** `/`: the search of one pane (rows containing the text stay); Esc clears it. */
  readonly search?: Search;
  /** The clients table's counts and rates: since start, or the last 5 or 1 minutes (`w`). */
  readonly window: TimeWindow;
  /** The filters list (`F`) is open, with this row selected. */
  readonly filterList?: number;
  /** The last value `y` copied; the dashboard's edge writes it to the terminal (OSC 52). */
  readonly copyRequest?: { readonly text: string; readonly seq: number };
}

export type PromptKind = 'filter' | 'export' | 'plan' | 'search';

export interface UiActions {
  focusNext(): void;
  focusPrev(): void;
  focus(pane: PaneId): void;
  /** Moves the focused pane's selection by `delta` rows (the detail pane moves between clients). */
  move(delta: number): void;
  /** A page of the focused pane down (1) or up (-1). */
  page(dir: 1 | -1): void;
  edge(which: 'first' | 'last'): void;
  select(pane: ListPane, id: string | undefined): void;
  /** Enter: drill into a prefix, open a client's detail, or show a library's clients. */
  enter(): void;
  /** Esc: close the detail pane, or leave the current heatmap prefix. */
  back(): void;
  drillIn(): void;
  drillOut(): void;
  openPrompt(): void;
  /** Opens the prompt on a default export file name; Enter asks for the export. */
  openExport(): void;
  /** The same for the extraction plan of the patterns the active filters select. */
  openPlan(): void;
  /** Opens or closes the pattern panel (the heatmap's selected row: keyspace, types, TTLs, big keys, services). */
  togglePatternPanel(): void;
  /** One line of feedback (an export written or refused). */
  notify(message: string): void;
  typePrompt(text: string): void;
  erasePrompt(): void;
  submitPrompt(): void;
  cancelPrompt(): void;
  addFilter(prefix: string): void;
  toggleFilter(slot: number): void;
  clearFilters(): void;
  cycleSort(): void;
  /** `<`: sort by the previous column. */
  cycleSortBack(): void;
  reverseSort(): void;
  cycleGrouping(): void;
  toggleHelp(): void;
  closeHelp(): void;
  openDetail(clientKey: string): void;
  closeDetail(): void;
  resize(columns: number, rows: number): void;
  quit(): void;
  /** `n`: narrow every pane to the next node (after the last, all nodes again). */
  cycleNode(): void;
  /** `N`: narrow every pane to the next shard. */
  cycleShard(): void;
  /** `c`: open or close the nodes view. */
  toggleNodesView(): void;
  /** `T`: open or close the cutover pane (a session with a target, --to). */
  toggleCutoverView(): void;
  /** Narrow every pane to some services (undefined: all again). */
  narrowServices(n: ServiceNarrowing | undefined): void;
  /** Scroll the help overlay by `delta` lines ('first'/'last': to an end). */
  scrollHelp(delta: number | 'first' | 'last'): void;
  /** `D`: fold disconnected connections into their service, or list them one by one. */
  toggleFoldGone(): void;
  /** `/`: search the focused pane. */
  openSearch(): void;
  /** `w`: the next time window for the clients table's counts and rates. */
  cycleWindow(): void;
  /** The detail pane's client column: a page down (1) or up (-1), or to an end. */
  scrollDetail(dir: 1 | -1 | 'first' | 'last'): void;
  /** `F`: open or close the filters list. */
  toggleFilterList(): void;
  /** Moves the filters list's selection. */
  moveFilterList(delta: number): void;
  /** Toggles or removes the selected filter of the list. */
  toggleListedFilter(): void;
  removeListedFilter(): void;
  /** `y`: copy the selected value of the focused pane (a client's name or address, a prefix, a library, a finding's example). */
  copySelected(): void;
}

export interface UiSlice extends UiState {
  readonly actions: UiActions;
}

export interface UiOptions {
  readonly presets?: readonly string[];
  readonly showSelf?: boolean;
  readonly delimiter?: string;
  readonly viewport?: { columns: number; rows: number };
}

/** The part of the store the slice reads. */
interface Host {
  readonly view: SessionView;
  readonly ui: UiSlice;
  readonly nodes?: readonly NodeStatus[];
  readonly cluster?: ClusterState;
  /** A cutover session's target (only whether there is one is read here). */
  readonly to?: TargetSide;
}

type Get = () => Host;
type Set = (fn: (s: Host) => Partial<Host>) => void;

export function panesInCycle(ui: Pick<UiState, 'detail'> & Partial<Pick<UiState, 'patternPanel'>>): PaneId[] {
  if (ui.detail !== undefined) return ['clients', 'detail'];
  // The pattern panel takes the libraries' place and follows the heatmap's selection; the findings
  // pane takes the whole lower row while it has focus.
  return ui.patternPanel ? ['clients', 'keys', 'findings'] : ['clients', 'keys', 'libraries', 'findings'];
}

/** Lines one page of a pane shows, from the same layout the panes draw with. */
export function pageLines(s: SelectInput & Host, pane: ListPane): number {
  const l = layout(s.ui.viewport.columns, s.ui.viewport.rows);
  if (pane === 'clients') return l.clientLines;
  if (pane === 'libraries') return l.libraryLines;
  if (pane === 'findings') return Math.max(1, l.detail.height - 3);
  return keysSplit(keysInner(l), selectHeatRows(s).length, selectTopKeys(s).length).prefixLines;
}

export function createUiSlice(set: Set, get: Get, opts: UiOptions = {}): UiSlice {
  const patch = (p: Partial<UiState>): void => set((s) => ({ ui: { ...s.ui, ...p } }));
  const input = (): SelectInput & Host => get() as SelectInput & Host;

  const listPane = (): ListPane | undefined => {
    const f = get().ui.focus;
    return f === 'detail' ? undefined : f;
  };

  const moveTo = (pane: ListPane, index: (cur: number, n: number) => number): void => {
    const s = input();
    const ids = selectableIds(s, pane);
    if (ids.length === 0) return;
    const cur = selectedIndex(ids, s.ui.selection[pane]);
    const next = Math.max(0, Math.min(ids.length - 1, index(cur, ids.length)));
    const id = ids[next]!;
    if (pane === 'clients' && s.ui.detail !== undefined) patch({ selection: { ...s.ui.selection, clients: id }, detail: id, detailScroll: 0 });
    else patch({ selection: { ...s.ui.selection, [pane]: id } });
  };

  const focusedList = (): ListPane | undefined => listPane() ?? (get().ui.detail !== undefined ? 'clients' : undefined);

  const actions: UiActions = {
    focusNext() {
      const ui = get().ui;
      const cycle = panesInCycle(ui);
      patch({ focus: cycle[(cycle.indexOf(ui.focus) + 1) % cycle.length]! });
    },
    focusPrev() {
      const ui = get().ui;
      const cycle = panesInCycle(ui);
      patch({ focus: cycle[(cycle.indexOf(ui.focus) - 1 + cycle.length) % cycle.length]! });
    },
    focus(pane) {
      if (panesInCycle(get().ui).includes(pane)) patch({ focus: pane });
    },
    move(delta) {
      const pane = focusedList();
      if (pane) moveTo(pane, (cur) => cur + delta);
    },
    page(dir) {
      if (get().ui.focus === 'detail') {
        actions.scrollDetail(dir);
        return;
      }
      const pane = focusedList();
      if (pane) moveTo(pane, (cur) => cur + dir * Math.max(1, pageLines(input(), pane) - 1));
    },
    edge(which) {
      if (get().ui.focus === 'detail') {
        actions.scrollDetail(which);
        return;
      }
      const pane = focusedList();
      if (pane) moveTo(pane, (_cur, n) => (which === 'first' ? 0 : n - 1));
    },
    select(pane, id) {
      patch({ selection: { ...get().ui.selection, [pane]: id } });
    },
    enter() {
      const f = get().ui.focus;
      if (f === 'keys') {
        // A prefix drills in; a leaf (the key's whole pattern) opens its panel.
        const s = input();
        const rows = selectHeatRows(s);
        const row = rows[selectedIndex(rows.map((r) => r.id), s.ui.selection.keys)];
        if (row && !row.hasChildren) {
          if (!s.ui.patternPanel) actions.togglePatternPanel();
        } else actions.drillIn();
      }
      else if (f === 'clients') {
        const s = input();
        const ids = selectableIds(s, 'clients');
        const id = ids[selectedIndex(ids, s.ui.selection.clients)];
        if (id !== undefined) actions.openDetail(id);
      } else if (f === 'libraries') {
        const s = input();
        const libs = selectLibraryRows(s);
        const lib = libs[selectedIndex(libs.map((r) => r.id), s.ui.selection.libraries)];
        if (!lib) return;
        // Show that library's clients: group by library and select its first client.
        set((st) => ({ ui: { ...st.ui, grouping: 'library', focus: 'clients' } }));
        const rows = selectClientRows(input()).rows;
        const first = rows.find(
          (r) => r.kind === 'client' && r.client.libName === lib.name && (r.client.libVer ?? '') === lib.version,
        );
        if (first) actions.select('clients', first.id);
      } else if (f === 'findings') {
        // The connections of the services a finding concerns, in the clients pane.
        const s = input();
        const groups = selectFindingGroups(s);
        const g = groups[selectedIndex(groups.map((r) => r.id), s.ui.selection.findings)];
        if (!g) return;
        actions.narrowServices({ label: `${g.label}${g.detail ? ` ${g.detail}` : ''}`, services: g.services.map((x) => x.service) });
        patch({ focus: 'clients', grouping: s.ui.grouping === 'none' ? 'service' : s.ui.grouping });
      }
    },
    back() {
      const ui = get().ui;
      if (ui.cutoverView) patch({ cutoverView: false });
      else if (ui.nodesView) patch({ nodesView: false });
      else if (ui.detail !== undefined) actions.closeDetail();
      else if (ui.patternPanel) actions.togglePatternPanel();
      else if (ui.search) patch({ search: undefined });
      else if (ui.focus === 'keys' && ui.drill !== '') actions.drillOut();
      else if (ui.services) actions.narrowServices(undefined);
    },
    drillIn() {
      const s = input();
      const rows = selectHeatRows(s);
      const row = rows[selectedIndex(rows.map((r) => r.id), s.ui.selection.keys)];
      // Only a prefix pattern has rows below it; a leaf is the key's whole pattern.
      if (!row || row.segment === '' || !row.hasChildren) return;
      patch({ drill: row.prefix, selection: { ...s.ui.selection, keys: undefined } });
    },
    drillOut() {
      const ui = get().ui;
      if (ui.drill === '') return;
      patch({ drill: parentPrefix(ui.drill, ui.delimiter), selection: { ...ui.selection, keys: ui.drill } });
    },
    openPrompt() {
      patch({ prompt: '', promptKind: 'filter', help: false, filterList: undefined, message: undefined });
    },
    scrollDetail(dir) {
      const s = get();
      const client = s.view.clients.find((c) => c.key === s.ui.detail);
      if (!client) return;
      const l = layout(s.ui.viewport.columns, s.ui.viewport.rows);
      const page = Math.max(1, l.detail.height - 3);
      const total = 1 + detailFindingLines(client, detailIdWidth(Math.max(1, l.detail.width - 2))).length + DETAIL_FIELD_ROWS;
      const cur = s.ui.detailScroll;
      const next = dir === 'first' ? 0 : dir === 'last' ? total : cur + dir * Math.max(1, page - 1);
      patch({ detailScroll: clampDetailScroll(next, total, page) });
    },
    cycleWindow() {
      const w = nextWindow(get().ui.window);
      patch({ window: w, message: w === 'all' ? 'counts and rates since the start' : `clients: counts and rates over the ${WINDOW_LABEL[w]}; the keys, libraries and findings count since the start` });
    },
    openSearch() {
      const ui = get().ui;
      const pane = ui.focus === 'detail' ? 'clients' : ui.focus;
      const text = ui.search?.pane === pane ? ui.search.text : '';
      patch({ prompt: text, promptKind: 'search', search: { pane, text }, help: false, message: undefined });
    },
    toggleFilterList() {
      const ui = get().ui;
      patch({ filterList: ui.filterList === undefined ? 0 : undefined, help: false, message: undefined });
    },
    moveFilterList(delta) {
      const ui = get().ui;
      if (ui.filterList === undefined || ui.filters.length === 0) return;
      patch({ filterList: Math.max(0, Math.min(ui.filters.length - 1, ui.filterList + delta)) });
    },
    toggleListedFilter() {
      const ui = get().ui;
      if (ui.filterList === undefined) return;
      patch({ filters: toggleFilter(ui.filters, ui.filterList + 1) });
    },
    removeListedFilter() {
      const ui = get().ui;
      if (ui.filterList === undefined) return;
      const filters = removeFilter(ui.filters, ui.filterList);
      patch({ filters, filterList: Math.max(0, Math.min(ui.filterList, filters.length - 1)) });
    },
    openExport() {
      patch({ prompt: defaultExportName(new Date()), promptKind: 'export', help: false, message: undefined });
    },
    openPlan() {
      patch({ prompt: defaultPlanName(new Date()), promptKind: 'plan', help: false, message: undefined });
    },
    togglePatternPanel() {
      const ui = get().ui;
      const open = !ui.patternPanel;
      patch({ patternPanel: open, ...(open && ui.focus === 'libraries' ? { focus: 'keys' as const } : {}) });
    },
    notify(message) {
      patch({ message });
    },
    typePrompt(text) {
      const ui = get().ui;
      if (ui.prompt === undefined) return;
      // Pasted text arrives whole; a newline in it would end up inside the prefix.
      const t = text.replace(/[\r\n]/g, '');
      const prompt = (ui.prompt + clean(t)).slice(0, 512);
      patch({ prompt, ...(ui.promptKind === 'search' && ui.search ? { search: { ...ui.search, text: prompt } } : {}) });
    },
    erasePrompt() {
      const p = get().ui.prompt;
      if (p === undefined || p === '') return;
      const prompt = Array.from(p).slice(0, -1).join('');
      const ui = get().ui;
      patch({ prompt, ...(ui.promptKind === 'search' && ui.search ? { search: { ...ui.search, text: prompt } } : {}) });
    },
    submitPrompt() {
      const ui = get().ui;
      const p = ui.prompt?.trim();
      patch({ prompt: undefined });
      if (ui.promptKind === 'search') {
        // Enter keeps the search (an empty one clears it); Esc clears it later.
        if (!p) patch({ search: undefined });
        return;
      }
      if (!p) return;
      if (ui.promptKind === 'export' || ui.promptKind === 'plan') {
        const kind = ui.promptKind === 'plan' ? 'plan' : 'inventory';
        patch({ exportRequest: { path: p, seq: (ui.exportRequest?.seq ?? 0) + 1, kind }, message: `exporting ${kind === 'plan' ? 'the extraction plan ' : ''}to ${p}…` });
      } else actions.addFilter(p);
    },
    cancelPrompt() {
      const ui = get().ui;
      patch({ prompt: undefined, ...(ui.promptKind === 'search' ? { search: undefined } : {}) });
    },
    addFilter(prefix) {
      const { filters, slot } = addFilter(get().ui.filters, prefix);
      patch({
        filters,
        message: slot === 0 ? `no room for more filters (${filters.length}); x turns them all off` : undefined,
      });
    },
    toggleFilter(slot) {
      patch({ filters: toggleFilter(get().ui.filters, slot), message: undefined });
    },
    clearFilters() {
      patch({ filters: deactivateAll(get().ui.filters), services: undefined, message: undefined });
    },
    cycleSort() {
      patch({ sort: nextSort(get().ui.sort) });
    },
    cycleSortBack() {
      patch({ sort: prevSort(get().ui.sort) });
    },
    reverseSort() {
      const s = get().ui.sort;
      patch({ sort: { ...s, desc: !s.desc } });
    },
    cycleGrouping() {
      patch({ grouping: nextGrouping(get().ui.grouping) });
    },
    toggleHelp() {
      patch({ help: !get().ui.help, helpScroll: 0 });
    },
    closeHelp() {
      patch({ help: false });
    },
    openDetail(clientKey) {
      const ui = get().ui;
      patch({ detail: clientKey, focus: 'detail', detailScroll: 0, selection: { ...ui.selection, clients: clientKey } });
    },
    closeDetail() {
      const ui = get().ui;
      if (ui.detail === undefined) return;
      patch({ detail: undefined, focus: 'clients' });
    },
    resize(columns, rows) {
      const v = get().ui.viewport;
      if (v.columns !== columns || v.rows !== rows) patch({ viewport: { columns, rows } });
    },
    quit() {
      patch({ quit: true });
    },
    cycleNode() {
      const s = get();
      const rows = nodeRows(s.nodes ?? [], s.cluster, connectedPerNode([], false));
      const next = nextNodeFilter(s.ui.nodeFilter, rows);
      patch({ nodeFilter: next, message: rows.length < 2 ? 'one node only: nothing to narrow to' : undefined });
    },
    cycleShard() {
      const s = get();
      const rows = nodeRows(s.nodes ?? [], s.cluster, connectedPerNode([], false));
      const next = nextShardFilter(s.ui.nodeFilter, rows);
      patch({ nodeFilter: next, message: new Set(rows.map((r) => r.slots).filter(Boolean)).size < 2 ? 'not a cluster of several shards: nothing to narrow to' : undefined });
    },
    toggleNodesView() {
      patch({ nodesView: !get().ui.nodesView, cutoverView: false, help: false });
    },
    toggleCutoverView() {
      if (!get().to) {
        patch({ message: 'no target: start with --to URL (its password in TO_REDIS_PASSWORD) to follow the cutover' });
        return;
      }
      patch({ cutoverView: !get().ui.cutoverView, nodesView: false, help: false });
    },
    copySelected() {
      const text = selectedValue(input());
      if (text === undefined || text === '') {
        patch({ message: 'nothing selected to copy' });
        return;
      }
      const seq = (get().ui.copyRequest?.seq ?? 0) + 1;
      patch({ copyRequest: { text, seq }, message: `copied ${clean(text).slice(0, 60)}${text.length > 60 ? '…' : ''} (OSC 52: the terminal must allow clipboard writes)` });
    },
    toggleFoldGone() {
      const fold = !get().ui.foldGone;
      patch({ foldGone: fold, message: fold ? 'disconnected connections folded into their service (D lists them)' : 'every disconnected connection listed (D folds them)' });
    },
    narrowServices(n) {
      const ui = get().ui;
      patch({ services: n, selection: { ...ui.selection, clients: undefined } });
    },
    scrollHelp(delta) {
      const s = get() as Host & { notices?: readonly string[] };
      const lines = helpLines(s.notices ?? []).length;
      const page = helpPageLines(s.ui.viewport.rows);
      const cur = s.ui.helpScroll;
      const step = (n: number): number => (Math.abs(n) === 1 ? n : Math.sign(n) * Math.max(1, page - 1));
      const next = delta === 'first' ? 0 : delta === 'last' ? lines : cur + step(delta);
      patch({ helpScroll: clampHelpScroll(next, lines, page) });
    },
  };

  return {
    focus: 'clients',
    selection: {},
    grouping: 'none',
    sort: defaultSort(),
    drill: '',
    patternPanel: false,
    help: false,
    promptKind: 'filter',
    filters: presetFilters(opts.presets ?? []),
    showSelf: opts.showSelf ?? false,
    delimiter: opts.delimiter ?? ':',
    viewport: opts.viewport ?? { columns: 100, rows: 30 },
    quit: false,
    nodesView: false,
    cutoverView: false,
    helpScroll: 0,
    detailScroll: 0,
    window: 'all',
    foldGone: true,
    actions,
  };
}

/** `redis-recon-plan-20261125-014200.md`: the extraction plan, Markdown (with its TOML and RIOT lines inside). */
export function defaultPlanName(d: Date): string {
  return defaultExportName(d).replace(/^redis-recon-/, 'redis-recon-plan-');
}

/** `redis-recon-20261125-0142.md`: sortable, and Markdown, the summary people read first. */
export function defaultExportName(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `redis-recon-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}.md`;
}

/** The value `y` copies from the focused pane. */
export function selectedValue(s: SelectInput & Host): string | undefined {
  const ui = s.ui;
  const pick = <T extends { id: string }>(rows: readonly T[], id: string | undefined): T | undefined => rows[selectedIndex(rows.map((r) => r.id), id)];
  switch (ui.focus) {
    case 'clients':
    case 'detail': {
      const key = ui.focus === 'detail' ? ui.detail : ui.selection.clients;
      const rows = selectClientRows(s).rows.filter((r) => r.kind === 'client');
      const row = key !== undefined ? rows.find((r) => r.id === key) : rows[0];
      if (!row || row.kind !== 'client') return undefined;
      return row.client.name !== '' ? `${row.client.name} ${row.client.addr}` : row.client.addr;
    }
    case 'keys':
      return pick(selectHeatRows(s), ui.selection.keys)?.prefix;
    case 'libraries': {
      const r = pick(selectLibraryRows(s), ui.selection.libraries);
      return r ? [r.name, r.version].filter(Boolean).join(' ') : undefined;
    }
    case 'findings': {
      const g = pick(selectFindingGroups(s), ui.selection.findings);
      return g ? (g.example ?? `${g.label}${g.detail ? ` ${g.detail}` : ''}`) : undefined;
    }
  }
  return undefined;
}
