// The help overlay's lines, printed from the keymap (the table that handles the keys), plus a legend
// and every notice the run raised. Pure, so the overlay draws them and the scroll keys clamp to them.
import { READ_GLYPH, WRITE_GLYPH } from './bars.ts';
import { helpSections, type Binding } from './keymap.ts';
import { BORDER, FOOTER_ROWS, HEADER_ROWS } from './layout.ts';
import { clean } from './text.ts';

export type HelpLine = { kind: 'section'; text: string } | { kind: 'binding'; b: Binding } | { kind: 'text'; text: string; warn?: boolean };

export function helpLines(notices: readonly string[]): HelpLine[] {
  const out: HelpLine[] = [];
  for (const s of helpSections()) {
    out.push({ kind: 'section', text: s.section === 'Prompt' ? 'Prompt (after /, f, e or E)' : s.section === 'Help' ? 'This help' : s.section });
    for (const b of s.bindings) out.push({ kind: 'binding', b });
  }
  out.push({ kind: 'section', text: 'Legend' });
  out.push({ kind: 'text', text: `${READ_GLYPH} reads  ${WRITE_GLYPH} writes: bar length is the rate against the busiest row` });
  out.push({ kind: 'text', text: '! outdated library   ? no lib-name or unknown library   → ≥ the version to upgrade to', warn: true });
  out.push({ kind: 'text', text: 'dimmed rows with idle "gone": disconnected clients, kept for the record' });
  out.push({ kind: 'text', text: '[n prefix] inactive filter, lit = active; * typed with f' });
  if (notices.length > 0) {
    out.push({ kind: 'section', text: 'Notes' });
    for (const n of notices) out.push({ kind: 'text', text: clean(n), warn: true });
  }
  return out;
}

/** Lines of help the overlay shows at once for a terminal of `rows` (its body, minus the border and a scroll line). */
export function helpPageLines(rows: number): number {
  return Math.max(1, rows - 1 - HEADER_ROWS - FOOTER_ROWS - BORDER - 1);
}

/** The first line shown: `scroll` kept within the lines there are. */
export function clampHelpScroll(scroll: number, lines: number, page: number): number {
  return Math.max(0, Math.min(scroll, lines - page));
}
