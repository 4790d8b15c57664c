// Heat bars. A bar's length is its share of the busiest row; inside it, reads and writes keep their
// own glyphs (not only colours) so the split reads on a monochrome terminal too.

export const READ_GLYPH = '█';
export const WRITE_GLYPH = '▒';
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** Cells of a bar for `value` out of `max`, at least one for any non-zero value. */
export function barCells(value: number, max: number, width: number): number {
  if (!(value > 0) || !(max > 0) || width <= 0) return 0;
  return Math.max(1, Math.min(width, Math.round((value / max) * width)));
}

/** A smooth single-colour bar, exactly `width` columns (eighth blocks for the fraction). */
export function heatBar(value: number, max: number, width: number): string {
  if (width <= 0) return '';
  if (!(value > 0) || !(max > 0)) return ' '.repeat(width);
  const eighths = Math.max(1, Math.min(width * 8, Math.round((value / max) * width * 8)));
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8]!;
  return (READ_GLYPH.repeat(full) + part).padEnd(width, ' ');
}

export interface SplitBar {
  readonly read: string;
  readonly write: string;
  readonly rest: string;
}

/** A bar split into its read part and its write part, padded to `width`. */
export function splitBar(value: number, max: number, reads: number, writes: number, width: number): SplitBar {
  const cells = barCells(value, max, width);
  const rw = reads + writes;
  let w = rw > 0 ? Math.round((cells * writes) / rw) : 0;
  // A side with traffic keeps at least one cell when the bar has room for both.
  if (writes > 0 && w === 0 && cells > 1) w = 1;
  if (reads > 0 && w === cells && cells > 1) w = cells - 1;
  const r = cells - w;
  return { read: READ_GLYPH.repeat(r), write: WRITE_GLYPH.repeat(w), rest: ' '.repeat(Math.max(0, width - cells)) };
}
