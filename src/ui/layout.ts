// Where everything goes for a terminal size. Pure, so the panes (to draw) and the keyboard actions
// (to know a page) agree on how many rows each list shows.

/** Below this the dashboard says so instead of drawing. */
export const MIN_COLUMNS = 60;
export const MIN_ROWS = 15;

/** Status (2 lines) and the filter line above the panes; key hints or the prompt below. */
export const HEADER_ROWS = 3;
export const FOOTER_ROWS = 1;
/** A bordered pane spends two rows and two columns on its border. */
export const BORDER = 2;

export interface Box {
  readonly width: number;
  readonly height: number;
}

export interface Layout {
  readonly columns: number;
  readonly rows: number;
  readonly tooSmall: boolean;
  /** The root's height: one less than the terminal, or Ink clears the screen on every frame. */
  readonly height: number;
  readonly clients: Box;
  /** The lower row: keys and libraries side by side, or the detail pane in their place. */
  readonly keys: Box;
  readonly libraries: Box;
  readonly detail: Box;
  /** Table rows inside the clients pane (after its header line). */
  readonly clientLines: number;
  readonly libraryLines: number;
}

export function layout(columns: number, rows: number): Layout {
  const tooSmall = columns < MIN_COLUMNS || rows < MIN_ROWS;
  const height = Math.max(1, rows - 1);
  const body = Math.max(0, height - HEADER_ROWS - FOOTER_ROWS);
  const clientsH = Math.max(BORDER + 2, Math.ceil(body * 0.5));
  const lowerH = Math.max(BORDER + 2, body - clientsH);
  const keysW = Math.max(20, Math.round(columns * 0.6));
  return {
    columns,
    rows,
    tooSmall,
    height,
    clients: { width: columns, height: clientsH },
    keys: { width: keysW, height: lowerH },
    libraries: { width: Math.max(10, columns - keysW), height: lowerH },
    detail: { width: columns, height: lowerH },
    clientLines: Math.max(1, clientsH - BORDER - 1),
    libraryLines: Math.max(1, lowerH - BORDER - 1),
  };
}

/** How the keys pane splits its inner lines between prefix rows and the top-keys list. */
export function keysSplit(inner: number, prefixRows: number, topKeys: number): { prefixLines: number; topLines: number } {
  if (topKeys === 0) return { prefixLines: Math.max(1, inner), topLines: 0 };
  // The prefix list gets at least ~55% (or all it needs); the top keys get a heading and the rest.
  const wanted = Math.max(1, Math.min(Math.max(prefixRows, 1), Math.max(Math.ceil(inner * 0.55), inner - 1 - topKeys)));
  const prefixLines = Math.min(wanted, Math.max(1, inner - 2));
  return { prefixLines, topLines: Math.max(0, inner - prefixLines - 1) };
}

/** Lines of the keys pane's prefix list (inner height minus its header line). */
export function keysInner(l: Layout): number {
  return Math.max(1, l.keys.height - BORDER - 1);
}

/**
 * The first visible row so that `selected` shows, moving the window as little as possible from
 * `start` (htop-style), and never leaving blank lines at the bottom when rows could fill them.
 */
export function scrollWindow(start: number, selected: number, count: number, lines: number): number {
  if (count <= lines || lines <= 0) return 0;
  let s = Math.min(Math.max(0, start), count - lines);
  if (selected < s) s = selected;
  else if (selected >= s + lines) s = selected - lines + 1;
  return Math.max(0, Math.min(s, count - lines));
}

export interface Column<Id extends string = string> {
  readonly id: Id;
  readonly title: string;
  /** Preferred width; flexible columns may grow past it up to `max`. */
  readonly width: number;
  readonly min?: number;
  readonly max?: number;
  readonly align?: 'left' | 'right';
  /** 0 = always shown; higher numbers are dropped first when space runs out. */
  readonly priority: number;
  /** Share of the spare width this column takes. */
  readonly grow?: number;
}

export interface PlacedColumn<Id extends string = string> extends Column<Id> {
  readonly at: number;
  readonly w: number;
}

/**
 * Picks the columns that fit `width` (one space between columns), dropping the least important
 * first, shrinking flexible ones to their minimum, then sharing what is left among growers.
 */
export function fitColumns<Id extends string>(cols: readonly Column<Id>[], width: number): PlacedColumn<Id>[] {
  let shown = [...cols];
  const need = (list: readonly Column<Id>[], pick: (c: Column<Id>) => number): number =>
    list.reduce((s, c) => s + pick(c), 0) + Math.max(0, list.length - 1);
  const preferred = (c: Column<Id>): number => c.width;
  const minimum = (c: Column<Id>): number => c.min ?? c.width;
  const dropWhile = (tooWide: () => boolean, floor: number): void => {
    while (shown.length > 1 && tooWide()) {
      const worst = shown.reduce((w, c) => (c.priority > w.priority ? c : w), shown[0]!);
      if (worst.priority < floor) break;
      shown = shown.filter((c) => c !== worst);
    }
  };
  // Minor columns (priority 2+) go before the main ones have to shrink below their preferred
  // width; then anything but the essentials goes before a column is cut below its minimum.
  dropWhile(() => need(shown, preferred) > width, 2);
  dropWhile(() => need(shown, minimum) > width, 1);
  const widths = shown.map((c) => c.min ?? c.width);
  let spare = width - need(shown, minimum);
  // Then every column towards its preferred width, most important first; columns of equal
  // importance grow together, one cell at a time, so none starves the others.
  const priorities = [...new Set(shown.map((c) => c.priority))].sort((a, b) => a - b);
  for (const p of priorities) {
    let grew = true;
    while (spare > 0 && grew) {
      grew = false;
      for (let i = 0; i < shown.length && spare > 0; i++) {
        if (shown[i]!.priority !== p || widths[i]! >= shown[i]!.width) continue;
        widths[i] = widths[i]! + 1;
        spare--;
        grew = true;
      }
    }
  }
  const growers = shown.map((c, i) => ({ c, i })).filter(({ c }) => (c.grow ?? 0) > 0);
  while (spare > 0 && growers.length > 0) {
    const total = growers.reduce((s, g) => s + g.c.grow!, 0);
    let given = 0;
    for (const g of growers) {
      const cap = (g.c.max ?? Infinity) - widths[g.i]!;
      const add = Math.min(cap, Math.max(1, Math.floor((spare * g.c.grow!) / total)), spare - given);
      if (add > 0) {
        widths[g.i] = widths[g.i]! + add;
        given += add;
      }
    }
    spare -= given;
    if (given === 0) break;
  }
  let at = 0;
  return shown.map((c, i) => {
    const placed = { ...c, at, w: Math.max(0, widths[i]!) };
    at += placed.w + 1;
    return placed;
  });
}
