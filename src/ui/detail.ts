// The detail pane's findings as lines: what will fail first, each message once (the library's
// verdict is not repeated when a finding already says it), wrapped to the column. Pure, so the pane
// draws them and the scroll keys know how far there is to go.
import type { ClientView } from '../analysis/session.ts';
import { wrapText } from './text.ts';
import { BOUNDS } from '../bounds.ts';

export interface DetailLine {
  readonly text: string;
  readonly severity?: 'error' | 'warning' | 'info';
}

const MARK = { error: '✖', warning: '!', info: '·' } as const;

export function detailFindingLines(c: Pick<ClientView, 'findings' | 'library'>, width: number): DetailLine[] {
  const out: DetailLine[] = [];
  const seen = new Set<string>();
  for (const f of c.findings ?? []) {
    if (seen.has(f.message)) continue;
    seen.add(f.message);
    for (const l of wrapText(`${MARK[f.severity]} ${f.message}${f.count > 1 ? ` (×${f.count})` : ''}`, width)) out.push({ text: l, severity: f.severity });
  }
  // The library's verdict, unless a finding already said it.
  const lib = c.library;
  if (lib && lib.reason && !seen.has(lib.reason) && lib.verdict !== 'ok' && lib.verdict !== 'unavailable') {
    const mark = lib.verdict === 'outdated' ? '!' : '?';
    const word = lib.verdict === 'missing' ? 'no lib-name' : lib.verdict;
    for (const l of wrapText(`${mark} ${word}: ${lib.reason}`, width)) out.push({ text: l, severity: lib.verdict === 'unknown' ? 'info' : 'warning' });
  }
  return out;
}

/** The most field rows the identity column has (name, address, library, lenses…, and the last commands' heading and rows), for the scroll's end. */
export const DETAIL_FIELD_ROWS = 14 + 1 + BOUNDS.recentCommandsPerClient;

/** The identity column's width for a pane of `inner` columns (the pane draws with the same). */
export const detailIdWidth = (inner: number): number => Math.min(46, Math.max(30, Math.floor(inner * 0.36)));

/** The first line shown: within what there is to show. */
export function clampDetailScroll(scroll: number, lines: number, page: number): number {
  return Math.max(0, Math.min(scroll, lines - page));
}
