// The key heatmap: the key patterns under the current drill pattern (`cart:{*}:`, and leaves such as
// `cart:{*}:items`), busiest first, each with a heat bar (its rate against the busiest sibling) split
// into reads and writes; below, the top keys there. Once the keyspace sampler ran, each row also
// says how many keys and bytes lie under it (`~` when estimated), and a row nobody read or wrote
// while MONITOR ran is marked ○ (cleanup rather than migration).
import { useRef } from 'react';
import { Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { OTHER_PREFIX } from '../src/bounds.ts';
import { READ_GLYPH, WRITE_GLYPH, splitBar, heatBar } from '../src/ui/bars.ts';
import { formatCount, formatPercent, formatRate } from '../src/ui/format.ts';
import type { HeatRow } from '../src/ui/heatmap.ts';
import { fitColumns, keysSplit, scrollWindow, type Column, type PlacedColumn } from '../src/ui/layout.ts';
import { selectActive, selectHeatRows, selectTopKeys } from '../src/ui/select.ts';
import { keyspaceBadge, shortBytes, shortKeys } from '../src/ui/keyspace.ts';
import type { KeyspaceRow } from '../src/analysis/keyspaceEstimate.ts';
import { fit } from '../src/ui/text.ts';
import { useRecon } from './context.tsx';
import { HeaderLine, Line } from './Cells.tsx';
import { Pane } from './Pane.tsx';
import { theme } from './theme.ts';

type ColId = 'prefix' | 'heat' | 'rate' | 'share' | 'reads' | 'writes' | 'keys' | 'size' | 'more';

/** Marks a row with keys but no reader or writer seen while MONITOR ran. */
export const UNTOUCHED_MARK = '○';

const COLUMNS: readonly Column<ColId>[] = [
  { id: 'prefix', title: 'PATTERN', width: 16, min: 8, max: 48, priority: 0, grow: 2 },
  { id: 'heat', title: `HEAT ${READ_GLYPH}read ${WRITE_GLYPH}write`, width: 18, min: 8, max: 40, priority: 0, grow: 3 },
  { id: 'rate', title: '/s', width: 6, align: 'right', priority: 0 },
  { id: 'share', title: 'SHARE', width: 5, align: 'right', priority: 2 },
  { id: 'reads', title: 'READS', width: 6, align: 'right', priority: 1 },
  { id: 'writes', title: 'WRITES', width: 6, align: 'right', priority: 1 },
  { id: 'more', title: '', width: 1, priority: 0 },
];

/** With the keyspace sampled: keys and bytes per row, the first columns to go when space is short. */
const KEYSPACE_COLUMNS: readonly Column<ColId>[] = [
  ...COLUMNS.slice(0, -1),
  { id: 'keys', title: 'KEYS', width: 6, align: 'right', priority: 3 },
  { id: 'size', title: 'SIZE', width: 7, align: 'right', priority: 3 },
  COLUMNS[COLUMNS.length - 1]!,
];

export function HeatmapPane({ width, height, focused }: { readonly width: number; readonly height: number; readonly focused: boolean }) {
  const { rows, top, drill, selected, filtered, delimiter, sampled, keyspace, monitorRan } = useRecon(
    useShallow((s) => ({
      // Every figure here is MONITOR's: sampled, they are what its windows saw.
      sampled: s.monitor.mode === 'sampled',
      delimiter: s.ui.delimiter,
      rows: selectHeatRows(s),
      top: selectTopKeys(s),
      drill: s.ui.drill,
      selected: s.ui.selection.keys,
      filtered: selectActive(s).length > 0,
      keyspace: s.view.keyspace,
      monitorRan: s.monitor.onBeforeMs > 0 || s.monitor.onSince !== undefined,
    })),
  );
  const start = useRef(0);
  const inner = Math.max(1, width - 2);
  const innerLines = Math.max(1, height - 3);
  const { prefixLines, topLines } = keysSplit(innerLines, rows.length, top.length);
  const cols = fitColumns(keyspace ? KEYSPACE_COLUMNS : COLUMNS, inner - 1).map((c) =>
    c.id === 'heat' && c.w < c.title.length ? { ...c, title: c.w >= 9 ? `${READ_GLYPH}r ${WRITE_GLYPH}w` : 'HEAT' } : c,
  );

  let sel = rows.findIndex((r) => r.id === selected);
  if (sel < 0) sel = 0;
  start.current = scrollWindow(start.current, sel, rows.length, prefixLines);
  const visible = rows.slice(start.current, start.current + prefixLines);

  // Bars compare rates; when nothing is moving (MONITOR paused), they compare counts instead.
  const maxRate = rows.reduce((m, r) => Math.max(m, r.rate), 0);
  const byRate = maxRate > 0;
  const max = byRate ? maxRate : rows.reduce((m, r) => Math.max(m, r.count), 0);
  const totalCount = rows.reduce((s, r) => s + r.count, 0);

  const info = [
    drill === '' ? 'all keys' : drill,
    filtered ? 'filtered' : '',
    keyspaceBadge(keyspace?.summary),
    rows.length > prefixLines ? `${start.current + 1}-${Math.min(rows.length, start.current + prefixLines)}/${rows.length}` : `${rows.length} pattern${rows.length === 1 ? '' : 's'}`,
    sampled ? 'MONITOR samples: counts seen' : '',
  ]
    .filter(Boolean)
    .join(' · ');

  // '  key count bar' within the pane's inner width.
  const countW = 7;
  const barW = Math.max(0, Math.min(16, Math.floor(inner / 5)));
  const keyW = Math.max(4, inner - 2 - countW - barW - 2);
  const topMax = top[0]?.count ?? 0;

  return (
    <Pane title="Keys" info={info} focused={focused} width={width} height={height}>
      <HeaderLine columns={cols} />
      {rows.length === 0 ? (
        <Text dimColor wrap="truncate">
          {drill === '' ? (filtered ? ' No traffic on keys under the active filters yet.' : ' No keyed traffic yet.') : ' No deeper patterns here.'}
          {drill !== '' ? ' Esc goes back.' : ''}
        </Text>
      ) : (
        visible.map((r) => (
          <HeatLine
            key={r.id}
            row={r}
            cols={cols}
            max={max}
            byRate={byRate}
            total={totalCount}
            delimiter={delimiter}
            selected={r.id === rows[sel]?.id}
            focused={focused}
            keyspace={keyspace?.rows.get(r.pattern)}
            monitorRan={monitorRan}
          />
        ))
      )}
      {topLines > 0 ? (
        <Text wrap="truncate" bold>
          {' '}
          Top keys{drill ? ` under ${drill}` : ''}
          <Text dimColor> (all time, server-wide sketch)</Text>
        </Text>
      ) : null}
      {top.slice(0, topLines).map((k) => (
        <Text key={k.key} wrap="truncate">
          {'  '}
          {fit(k.key, keyW, 'left', 'middle')} <Text bold>{fit(formatCount(k.count), countW, 'right')}</Text>{' '}
          <Text color={theme.read}>{heatBar(k.count, topMax, barW)}</Text>
        </Text>
      ))}
    </Pane>
  );
}

function HeatLine({
  row,
  cols,
  max,
  byRate,
  total,
  delimiter,
  selected,
  focused,
  keyspace,
  monitorRan,
}: {
  readonly delimiter: string;
  readonly keyspace: KeyspaceRow | undefined;
  readonly monitorRan: boolean;
  readonly row: HeatRow;
  readonly cols: readonly PlacedColumn<ColId>[];
  readonly max: number;
  readonly byRate: boolean;
  readonly total: number;
  readonly selected: boolean;
  readonly focused: boolean;
}) {
  const heat = cols.find((c) => c.id === 'heat');
  const bar = splitBar(byRate ? row.rate : row.count, max, row.reads, row.writes, heat?.w ?? 0);
  // A prefix row ends with the delimiter (`{*}:`), a leaf is the whole key's last segment (`items`).
  const name = row.kind === 'other' ? `${OTHER_PREFIX} (other names)` : row.kind === 'prefix' ? row.segment + delimiter : row.segment;
  // Keys there, and nobody read or wrote them while MONITOR ran.
  const untouched = keyspace !== undefined && monitorRan && row.reads + row.writes === 0;
  const label = untouched ? `${UNTOUCHED_MARK} ${name}` : name;
  // Counts of rows a filter finer than the patterns cuts into are upper bounds.
  const le = row.upperBound ? '≤' : '';
  return (
    <Text wrap="truncate" inverse={selected && focused} bold={selected && !focused}>
      <Line
        columns={cols.filter((c) => c.at < (heat?.at ?? Infinity))}
        cells={{ prefix: { text: label, cut: 'middle' } }}
        pointer={selected ? '›' : ' '}
      />
      {heat ? (
        <Text>
          {' '}
          <Text color={theme.read} dimColor={!byRate}>
            {bar.read}
          </Text>
          <Text color={theme.write} dimColor={!byRate}>
            {bar.write}
          </Text>
          {bar.rest}
          {' '}
        </Text>
      ) : null}
      <Line
        columns={cols.filter((c) => c.at > (heat?.at ?? Infinity)).map((c, i, a) => ({ ...c, at: c.at - (a[0]?.at ?? 0) }))}
        cells={{
          rate: { text: le + formatRate(row.rate), bold: row.rate > 0 },
          share: formatPercent(row.count, total),
          reads: { text: le + formatCount(row.reads), color: row.reads > 0 ? theme.read : undefined },
          writes: { text: le + formatCount(row.writes), color: row.writes > 0 ? theme.write : undefined },
          keys: { text: keyspace ? shortKeys(keyspace.keys) : '', dim: keyspace !== undefined && !keyspace.keys.exact },
          size: { text: keyspace ? shortBytes(keyspace.bytes) : '', dim: keyspace !== undefined && !(keyspace.bytes?.exact ?? false) },
          more: { text: row.hasChildren ? '▸' : '', color: theme.muted },
        }}
        pointer=""
      />
    </Text>
  );
}
