// Terminal text: what a string costs in columns, and how to make it fit a cell exactly. Everything
// the dashboard draws from the server (names, keys, library strings) passes through `clean` first:
// MONITOR decodes escapes into real bytes, and a key holding ESC or a newline must never reach the
// terminal as a control sequence.
import stringWidth from 'string-width';
import { escapeControls } from '../escape.ts';

/**
 * Control, bidirectional and invisible characters become visible escapes (`\x1b`, `\u202e`): the
 * same function the Markdown and CSV exports use (src/escape.ts).
 */
export const clean = escapeControls;

/** Printable ASCII only: one column per character, no need to ask string-width. */
// eslint-disable-next-line no-control-regex
const PLAIN = /^[\x20-\x7e]*$/;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * Columns the (already cleaned) text takes on screen, as Ink measures it: Ink lays lines out with
 * string-width, so any other table (a hand-written one disagreed on emoji and combining marks)
 * would make cells that Ink wraps or cuts differently from what we padded.
 */
export function displayWidth(text: string): number {
  return PLAIN.test(text) ? text.length : stringWidth(text);
}

/** User-perceived characters (a flag, an emoji with a skin tone, a letter with its marks): the units a cut may not split. */
function clusters(text: string): string[] {
  return Array.from(graphemes.segment(text), (g) => g.segment);
}

/** The longest head of `text` that fits in `width` columns. */
function head(text: string, width: number): string {
  if (PLAIN.test(text)) return text.slice(0, Math.max(0, width));
  let w = 0;
  let end = 0;
  for (const g of clusters(text)) {
    const cw = stringWidth(g);
    if (w + cw > width) break;
    w += cw;
    end += g.length;
  }
  return text.slice(0, end);
}

/** The longest tail of `text` that fits in `width` columns. */
function tail(text: string, width: number): string {
  if (PLAIN.test(text)) return width <= 0 ? '' : text.slice(-width);
  const gs = clusters(text);
  let w = 0;
  let i = gs.length;
  while (i > 0) {
    const cw = stringWidth(gs[i - 1]!);
    if (w + cw > width) break;
    w += cw;
    i--;
  }
  return gs.slice(i).join('');
}

export type Align = 'left' | 'right';
export type Cut = 'end' | 'middle' | 'start';

/**
 * Exactly `width` columns: cleaned, cut with an ellipsis where it does not fit (at the end, in the
 * middle for keys, whose both ends matter, or at the start), and padded.
 */
export function fit(text: string, width: number, align: Align = 'left', cut: Cut = 'end'): string {
  if (width <= 0) return '';
  const t = clean(text);
  let w = displayWidth(t);
  let out = t;
  if (w > width) {
    if (width === 1) out = '…';
    else if (cut === 'middle') {
      const left = Math.ceil((width - 1) / 2);
      const h = head(t, left);
      out = `${h}…${tail(t, width - 1 - displayWidth(h))}`;
    } else if (cut === 'start') out = `…${tail(t, width - 1)}`;
    else out = `${head(t, width - 1)}…`;
    w = displayWidth(out);
  }
  const pad = ' '.repeat(Math.max(0, width - w));
  return align === 'right' ? pad + out : out + pad;
}

/**
 * Word-wrapped lines of at most `width` columns (words longer than a line are cut). A character
 * wider than the whole line (a CJK character or an emoji in one column) cannot be shown: it becomes
 * `…`, so every line still fits and the loop always moves on.
 */
export function wrapText(text: string, width: number): string[] {
  if (width <= 0) return [];
  const lines: string[] = [];
  let cur = '';
  for (const word of clean(text).split(/\s+/).filter(Boolean)) {
    let w = word;
    while (displayWidth(w) > width) {
      if (cur) {
        lines.push(cur);
        cur = '';
      }
      const h = head(w, width);
      if (h === '') {
        lines.push('…');
        w = w.slice(clusters(w)[0]!.length);
        continue;
      }
      lines.push(h);
      w = w.slice(h.length);
    }
    if (w === '') continue;
    if (cur === '') cur = w;
    else if (displayWidth(cur) + 1 + displayWidth(w) <= width) cur += ` ${w}`;
    else {
      lines.push(cur);
      cur = w;
    }
  }
  if (cur) lines.push(cur);
  return lines;
}
