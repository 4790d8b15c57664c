// Colours in one place. Meaning never rests on colour alone: bars use two glyphs, flags use marks,
// disconnected clients also say "gone".
import type { LibraryVerdictKind } from '../src/analysis/session.ts';

export const theme = {
  focus: 'cyan',
  border: 'gray',
  title: 'white',
  read: 'cyan',
  write: 'magenta',
  good: 'green',
  warn: 'yellow',
  bad: 'red',
  muted: 'gray',
  key: 'cyan',
  group: 'blue',
} as const;

/** The mark and colour for a library verdict ('' when it earns none). */
export function verdictMark(v: LibraryVerdictKind | undefined): { mark: string; color?: string; word: string } {
  switch (v) {
    case 'outdated':
      return { mark: '!', color: theme.bad, word: 'outdated' };
    case 'missing':
      return { mark: '?', color: theme.warn, word: 'no lib-name' };
    case 'unknown':
      return { mark: '?', color: theme.warn, word: 'unknown' };
    case 'ok':
      return { mark: '', color: theme.good, word: 'ok' };
    case 'unavailable':
      return { mark: '', color: theme.muted, word: 'not checked' };
    default:
      return { mark: '', word: '' };
  }
}
