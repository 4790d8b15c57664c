// The bottom line: the prefix prompt while it is open, a message after an action that needs one,
// or the key hints, printed from the keymap.
import { Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { fitFooterHints, footerHints } from '../src/ui/keymap.ts';
import { clean, displayWidth, fit } from '../src/ui/text.ts';
import { useRecon } from './context.tsx';
import { theme } from './theme.ts';

export function Footer({ keysAvailable }: { readonly keysAvailable: boolean }) {
  const { prompt, promptKind, message, help, columns, filterList, searchPane } = useRecon(
    useShallow((s) => ({ prompt: s.ui.prompt, promptKind: s.ui.promptKind, message: s.ui.message, help: s.ui.help, columns: s.ui.viewport.columns, filterList: s.ui.filterList !== undefined, searchPane: s.ui.search?.pane })),
  );
  if (!keysAvailable) {
    return (
      <Text wrap="truncate" color={theme.warn}>
        Keyboard unavailable (stdin is not a terminal): stop with Ctrl-C or SIGTERM.
      </Text>
    );
  }
  if (prompt !== undefined) {
    return (
      <Text wrap="truncate">
        <Text bold color={theme.focus}>
          {promptKind === 'search'
            ? `Search ${searchPane ?? 'the pane'}:`
            : promptKind === 'export'
            ? 'Export inventory to (.json, .csv or .md):'
            : promptKind === 'plan'
              ? 'Export the extraction plan to (.md, .json or .toml):'
              : 'Filter keys by prefix:'}{' '}
        </Text>
        <Text>{clean(prompt)}</Text>
        <Text inverse> </Text>
        <Text dimColor>
          {'   '}
          {footerHints('prompt')
            .map((h) => `${h.keys} ${h.hint}`)
            .join(' · ')}
        </Text>
      </Text>
    );
  }
  const tail = '  ? help  q quit';
  if (message) {
    // The message gives way before the way out does.
    const text = clean(message);
    const room = Math.max(1, columns - 1 - tail.length);
    return (
      <Text wrap="truncate">
        <Text color={theme.warn}>{displayWidth(text) > room ? fit(text, room) : text}</Text>
        <Text bold color={theme.key}>
          {'  ?'}
        </Text>
        <Text dimColor> help</Text>
        <Text bold color={theme.key}>
          {'  q'}
        </Text>
        <Text dimColor> quit</Text>
      </Text>
    );
  }
  const hints = fitFooterHints(footerHints(help ? 'help' : filterList ? 'filters' : 'normal'), Math.max(1, columns - 1));
  return (
    <Text wrap="truncate">
      {hints.map((h, i) => (
        <Text key={h.keys}>
          {i > 0 ? '  ' : ''}
          <Text bold color={theme.key}>
            {h.keys}
          </Text>
          <Text dimColor> {h.hint}</Text>
        </Text>
      ))}
    </Text>
  );
}
