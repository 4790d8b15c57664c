// The filters list (`F`): every filter, past the ninth too, each toggled or removed where it stands,
// so `x` is never the only way back.
import { Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { scrollWindow } from '../src/ui/layout.ts';
import { clean, fit } from '../src/ui/text.ts';
import { useRecon } from './context.tsx';
import { Pane } from './Pane.tsx';
import { theme } from './theme.ts';

export function FilterList({ width, height }: { readonly width: number; readonly height: number }) {
  const { filters, selected } = useRecon(useShallow((s) => ({ filters: s.ui.filters, selected: s.ui.filterList ?? 0 })));
  const lines = Math.max(1, height - 3);
  const start = scrollWindow(0, selected, filters.length, lines);
  const active = filters.filter((f) => f.active).length;
  return (
    <Pane title="Filters" info={`${filters.length} · ${active} active · Space toggles · d removes · f adds · Esc closes`} focused width={width} height={height}>
      {filters.length === 0 ? (
        <Text dimColor wrap="truncate">
          {' '}
          No filters yet: f adds a key prefix or a pattern with *.
        </Text>
      ) : (
        filters.slice(start, start + lines).map((f, i) => {
          const at = start + i;
          const isSel = at === selected;
          return (
            <Text key={`${at}:${f.prefix}`} wrap="truncate" inverse={isSel}>
              {isSel ? '›' : ' '}
              <Text color={f.active ? theme.good : theme.muted} bold={f.active}>
                {f.active ? '[✓]' : '[ ]'}
              </Text>{' '}
              <Text dimColor>{fit(at < 9 ? String(at + 1) : '·', 2)}</Text>
              {clean(f.prefix)}
              <Text dimColor>{f.preset ? '  (--prefix)' : '  (typed)'}</Text>
            </Text>
          );
        })
      )}
      <Text dimColor wrap="truncate">
        {' '}
        {filters.length > lines ? `${start + 1}-${Math.min(filters.length, start + lines)} of ${filters.length} · ` : ''}
        {'keys 1 … 9 reach the first nine; this list reaches them all'}
      </Text>
    </Pane>
  );
}
