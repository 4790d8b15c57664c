// The filters, always visible: each with the number that toggles it, active ones lit; in a cluster,
// first the node or shard every pane is narrowed to (n, N), lit like an active filter.
import { Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { useRecon } from './context.tsx';
import { clean } from '../src/ui/text.ts';
import { selectNodeRows } from '../src/ui/select.ts';
import { describeNodeFilter } from '../src/ui/nodes.ts';
import { serviceLabel } from '../src/ui/services.ts';
import { theme } from './theme.ts';

function NodeNarrowing() {
  const { text, multi } = useRecon(
    useShallow((s) => {
      const multi = s.nodes.length > 1;
      return { multi, text: multi && s.ui.nodeFilter ? describeNodeFilter(s.ui.nodeFilter, selectNodeRows(s)) : undefined };
    }),
  );
  if (!multi) return null;
  return text ? (
    <Text>
      <Text color={theme.good} bold inverse>{` ${clean(text)} ✓ `}</Text>
      <Text dimColor> n/N next · </Text>
    </Text>
  ) : (
    <Text dimColor>All nodes (n node, N shard) · </Text>
  );
}

/** The focused pane's search (`/`), until Esc clears it. */
function SearchShown() {
  const search = useRecon((s) => (s.ui.prompt === undefined ? s.ui.search : undefined));
  if (!search || search.text === '') return null;
  return (
    <Text>
      <Text color={theme.focus} bold inverse>{` /${clean(search.text)} `}</Text>
      <Text dimColor> in {search.pane} · Esc clears · </Text>
    </Text>
  );
}

/** The clients narrowed to a finding's services (Enter in the findings pane), lit like a filter. */
function ServiceNarrowing() {
  const services = useRecon((s) => s.ui.services);
  if (!services) return null;
  return (
    <Text>
      <Text color={theme.good} bold inverse>{` ${clean(services.services.map(serviceLabel).join(', '))} ✓ `}</Text>
      <Text dimColor> ({clean(services.label)}) Esc shows all · </Text>
    </Text>
  );
}

export function FilterBar() {
  const filters = useRecon((s) => s.ui.filters);
  const anyActive = filters.some((f) => f.active);
  if (filters.length === 0) {
    return (
      <Text wrap="truncate">
        <NodeNarrowing />
      <SearchShown />
      <ServiceNarrowing />
        <Text bold>Filters</Text>
        <Text dimColor> none · showing every key · f adds a prefix filter</Text>
      </Text>
    );
  }
  return (
    <Text wrap="truncate">
      <NodeNarrowing />
      <SearchShown />
      <ServiceNarrowing />
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
      <Text dimColor>{anyActive ? '  · only keys under the lit prefixes · x all off · F list' : '  · none active: showing every key · F list'}</Text>
    </Text>
  );
}
