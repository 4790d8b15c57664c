// The filters, always visible: each with the number that toggles it, active ones lit.
import { Text } from 'ink';
import { useRecon } from './context.tsx';
import { clean } from '../src/ui/text.ts';
import { theme } from './theme.ts';

export function FilterBar() {
  const filters = useRecon((s) => s.ui.filters);
  const anyActive = filters.some((f) => f.active);
  if (filters.length === 0) {
    return (
      <Text wrap="truncate">
        <Text bold>Filters</Text>
        <Text dimColor> none · showing every key · / adds a prefix filter</Text>
      </Text>
    );
  }
  return (
    <Text wrap="truncate">
      <Text bold>Filters</Text>
      {filters.map((f, i) => (
        <Text key={`${i}:${f.prefix}`}>
          {' '}
          {f.active ? (
            <Text color={theme.good} bold inverse>
              {` ${i < 9 ? i + 1 : '-'} ${clean(f.prefix)} ✓ `}
            </Text>
          ) : (
            <Text dimColor>{`[${i < 9 ? i + 1 : '-'} ${clean(f.prefix)}${f.preset ? '' : '*'}]`}</Text>
          )}
        </Text>
      ))}
      <Text dimColor>{anyActive ? '  · only keys under the lit prefixes · x turns all off' : '  · none active: showing every key'}</Text>
    </Text>
  );
}
