// `/` searches the focused pane, k9s/htop style: rows whose names, addresses, libraries, prefixes or
// examples contain the typed text (any case) stay; the other panes are left alone. Pure.
import type { ClientView } from '../analysis/session.ts';
import type { HeatRow } from './heatmap.ts';
import type { LibraryRow } from './libraries.ts';
import type { FindingGroup } from './findingGroups.ts';
import { serviceLabel } from './services.ts';

export type SearchPane = 'clients' | 'keys' | 'libraries' | 'findings';

export interface Search {
  readonly pane: SearchPane;
  readonly text: string;
}

const has = (q: string, fields: readonly (string | undefined)[]): boolean => fields.some((f) => f !== undefined && f.toLowerCase().includes(q));

/** The search text for `pane`, lowercased; '' when that pane has none. */
export function searchFor(search: Search | undefined, pane: SearchPane): string {
  return search && search.pane === pane ? search.text.trim().toLowerCase() : '';
}

export function clientMatches(c: ClientView, q: string): boolean {
  return q === '' || has(q, [c.name, c.addr, c.libName, c.libVer, c.user, c.lastCommand, ...c.prefixes.map((p) => p.prefix)]);
}

export const heatMatches = (r: HeatRow, q: string): boolean => q === '' || has(q, [r.prefix]);

export const libraryMatches = (r: LibraryRow, q: string): boolean =>
  q === '' || has(q, [r.name, r.version, ...r.services.map((s) => serviceLabel(s.service))]);

export const findingMatches = (g: FindingGroup, q: string): boolean =>
  q === '' || has(q, [g.label, g.detail, g.code, g.example, ...g.services.map((s) => serviceLabel(s.service))]);
