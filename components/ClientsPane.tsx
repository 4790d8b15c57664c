// The clients table, after the field notes' table (client, name, lib, lib ver, user) plus age, idle,
// last command, ops/s, net/s (bytes in and out), reads and writes. Flagged libraries get a mark; departed clients
// stay, dimmed. Ops/s and bytes/s come from CLIENT LIST's counters where the server prints them
// (the bytes column shows only then); reads and writes from MONITOR. The pane's title line says
// which lens each comes from, and `~` marks an estimate (MONITOR sampled).
import { useRef } from 'react';
import { Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { ageSeconds, idleSeconds, type ClientView } from '../src/analysis/session.ts';
import type { FilteredClient } from '../src/ui/passing.ts';
import { GROUPING_LABEL, SORT_KEYS, attributionText, bytesOf, isFlagged, type ClientRow } from '../src/ui/clients.ts';
import type { ClientAttribution } from '../src/owners/attribute.ts';
import { formatCount, formatDuration, formatRate } from '../src/ui/format.ts';
import { fitColumns, scrollWindow, type Column, type PlacedColumn } from '../src/ui/layout.ts';
import { memoLast, selectAttribution, selectClientRows, selectNodeRows, selectWindowStart } from '../src/ui/select.ts';
import { WINDOW_LABEL, WINDOW_MS, windowCovers, type CountSnapshot, type TimeWindow } from '../src/ui/window.ts';
import type { NodeRow } from '../src/ui/nodes.ts';
import { clean } from '../src/ui/text.ts';
import { useRecon } from './context.tsx';
import { useNow } from './hooks.ts';
import { HeaderLine, Line, type Cell } from './Cells.tsx';
import { Pane } from './Pane.tsx';
import { theme, verdictMark } from './theme.ts';

type ColId = 'flag' | 'addr' | 'node' | 'name' | 'lib' | 'libVer' | 'user' | 'age' | 'idle' | 'cmd' | 'ops' | 'net' | 'reads' | 'writes';

const COLUMNS: readonly Column<ColId>[] = [
  { id: 'flag', title: '', width: 1, priority: 0 },
  { id: 'addr', title: 'CLIENT', width: 17, min: 13, priority: 0 },
  { id: 'name', title: 'NAME', width: 16, min: 8, max: 40, priority: 0, grow: 3 },
  { id: 'lib', title: 'LIB', width: 14, min: 8, max: 32, priority: 1, grow: 2 },
  { id: 'libVer', title: 'LIB VER', width: 8, min: 7, priority: 1 },
  { id: 'user', title: 'USER', width: 8, min: 6, max: 16, priority: 3, grow: 1 },
  { id: 'age', title: 'AGE', width: 6, align: 'right', priority: 4 },
  { id: 'idle', title: 'IDLE', width: 6, align: 'right', priority: 2 },
  { id: 'cmd', title: 'LAST CMD', width: 9, min: 8, max: 20, priority: 5, grow: 1 },
  { id: 'ops', title: 'OPS/S', width: 6, align: 'right', priority: 0 },
  // Bytes in + out per second. Shown only where the server prints the counters; at 80 columns it
  // stays with ops/s. Values are at most 4 characters (1.6k, 123M).
  { id: 'net', title: 'NET/S', width: 5, align: 'right', priority: 1 },
  { id: 'reads', title: 'READS', width: 6, align: 'right', priority: 2 },
  { id: 'writes', title: 'WRITES', width: 6, align: 'right', priority: 2 },
];

/** A cluster adds the node each connection is to; it goes first when the terminal is narrow. */
const NODE_COLUMN: Column<ColId> = { id: 'node', title: 'NODE', width: 7, min: 6, max: 22, priority: 4 };
const CLUSTER_COLUMNS: readonly Column<ColId>[] = [...COLUMNS.slice(0, 2), NODE_COLUMN, ...COLUMNS.slice(2)];

/**
 * The cells of one client's row; age and idle at `now` (views carry times, not ages). `sampled`:
 * MONITOR runs in a duty cycle, so its rate is an estimate (marked `~`); counters never are. An
 * unnamed connection's NAME says, dimmed, who is likely behind it (`attribution`): its owner,
 * `likely <service> (score)`, its unknown service, a reverse-DNS hint; never as if it were a name.
 */
export function clientCells(
  c: ClientView,
  now: number,
  opts: { readonly sampled?: boolean; readonly attribution?: ClientAttribution | undefined } = {},
): Partial<Record<ColId, Cell | string>> {
  const attribution = opts.attribution;
  const v = verdictMark(c.library?.verdict);
  const flagged = isFlagged(c);
  const age = ageSeconds(c, now);
  const idle = idleSeconds(c, now);
  const passing = (c as FilteredClient).passing;
  return {
    flag: { text: v.mark, color: v.color, bold: true },
    addr: c.addr || c.ip,
    name: c.sharedBy
      ? { text: `(${c.sharedBy} connections share this address)`, dim: true }
      : c.name === ''
        ? { text: attributionText(attribution) || '-', dim: true }
        : c.name,
    lib: flagged ? { text: c.libName || '(none)', color: v.color } : (c.libName ?? ''),
    libVer: flagged ? { text: c.libVer ?? '', color: v.color } : (c.libVer ?? ''),
    user: c.user ?? '',
    age: age !== undefined ? formatDuration(age) : '-',
    idle: !c.connected ? { text: 'gone', color: theme.muted } : idle !== undefined ? formatDuration(idle) : '-',
    cmd: c.lastCommand ?? '',
    // Filters active: ops/s is MONITOR's rate times the passing share (an estimate, marked ~);
    // CLIENT LIST's counters know nothing of keys.
    ops: c.counterRates && !passing
      ? { text: formatRate(c.counterRates.commands), bold: c.counterRates.commands > 0 }
      : { text: `${(opts.sampled || passing) && c.opsPerSec > 0 ? '~' : ''}${formatRate(c.opsPerSec)}`, bold: c.opsPerSec > 0 },
    net: bytesOf(c) !== undefined ? formatCount(bytesOf(c)!) : '-',
    reads: { text: `${passing?.atMost ? '≤' : passing?.estimate ? '~' : ''}${formatCount(c.reads)}`, color: c.reads > 0 ? theme.read : undefined },
    writes: { text: `${passing?.atMost ? '≤' : passing?.estimate ? '~' : ''}${formatCount(c.writes)}`, color: c.writes > 0 ? theme.write : undefined },
  };
}

/** The window in the pane's title: what it is, and how much of it the run covers so far. */
function windowInfo(w: TimeWindow, start: CountSnapshot | undefined, at: number | undefined): string {
  if (w === 'all') return '';
  const covers = at !== undefined ? windowCovers(start, at) : 0;
  return covers + 5000 < WINDOW_MS[w] ? `${WINDOW_LABEL[w]} (only ${formatDuration(Math.round(covers / 1000))} so far)` : WINDOW_LABEL[w];
}

/** Node key → its short label, remembered per rows array. */
const labelsMemo = memoLast((rows: readonly NodeRow[]) => new Map(rows.map((r) => [r.key, r.label])));

export function ClientsPane({
  width,
  height,
  focused,
  clock,
}: {
  readonly width: number;
  readonly height: number;
  readonly focused: boolean;
  readonly clock?: () => number;
}) {
  const now = useNow(1000, clock);
  const { rows, shown, total, connected, sort, grouping, selected, detail, anyFilter, nodeLabels, counters, sampled, window, attribution } = useRecon(
    useShallow((s) => {
      const r = selectClientRows(s);
      return {
        attribution: selectAttribution(s).byKey,
        nodeLabels: s.nodes.length > 1 ? labelsMemo(selectNodeRows(s)) : undefined,
        counters: s.nodes.some((n) => n.lenses?.counters === 'on'),
        sampled: s.monitor.mode === 'sampled',
        rows: r.rows,
        shown: r.shown,
        total: r.total,
        connected: r.connected,
        sort: s.ui.sort,
        grouping: s.ui.grouping,
        selected: s.ui.selection.clients,
        detail: s.ui.detail,
        anyFilter: s.ui.filters.some((f) => f.active),
        window: windowInfo(s.ui.window, selectWindowStart(s), s.viewAt),
      };
    }),
  );
  const start = useRef(0);
  const inner = Math.max(1, width - 2);
  const lines = Math.max(1, height - 3);
  const cols = fitColumns((nodeLabels ? CLUSTER_COLUMNS : COLUMNS).filter((c) => counters || c.id !== 'net'), inner - 1);

  let sel = rows.findIndex((r) => r.kind === 'client' && r.id === selected);
  if (sel < 0) sel = rows.findIndex((r) => r.kind === 'client');
  start.current = scrollWindow(start.current, Math.max(0, sel), rows.length, lines);
  // Keep a group's header in view when its first client reaches the top of the window.
  if (sel > 0 && sel === start.current && rows[sel - 1]?.kind === 'group') start.current = sel - 1;
  const visible = rows.slice(start.current, start.current + lines);

  const info = [
    anyFilter ? `${shown} of ${total} (filtered)` : `${shown}`,
    anyFilter ? 'R/W on passing keys, ops ~ their share' : '',
    window,
    `${connected} connected`,
    `sort ${SORT_KEYS[sort.column].title} ${sort.desc ? '↓' : '↑'}`,
    grouping !== 'none' ? `by ${GROUPING_LABEL[grouping]}` : '',
    // Which lens each figure comes from.
    counters ? 'ops/s net/s: CLIENT LIST counters' : sampled ? 'ops/s ~ sampled MONITOR, estimated' : '',
    sampled ? 'R/W: seen in MONITOR samples' : '',
    rows.length > lines ? `${start.current + 1}-${Math.min(rows.length, start.current + lines)}/${rows.length} rows` : '',
  ]
    .filter(Boolean)
    .join(' · ');

  return (
    <Pane title="Clients" info={info} focused={focused} width={width} height={height}>
      <HeaderLine columns={cols} sorted={{ id: sort.column as ColId, desc: sort.desc }} />
      {rows.length === 0 ? (
        <Text dimColor wrap="truncate">
          {anyFilter
            ? ' No client touched a key under the active filters (x turns them off).'
            : ' No clients yet: waiting for the first CLIENT LIST.'}
        </Text>
      ) : (
        visible.map((r) => (
          <ClientLine
            key={r.id}
            row={r}
            cols={cols}
            selected={r.id === rows[sel]?.id}
            focused={focused}
            open={r.id === detail}
            now={now}
            sampled={sampled}
            nodeLabels={nodeLabels}
            attribution={r.kind === 'client' ? attribution.get(r.id) : undefined}
          />
        ))
      )}
    </Pane>
  );
}

function ClientLine({
  row,
  cols,
  selected,
  focused,
  open,
  now,
  nodeLabels,
  sampled,
  attribution,
}: {
  readonly nodeLabels?: ReadonlyMap<string, string>;
  readonly row: ClientRow;
  readonly attribution?: ClientAttribution;
  readonly now: number;
  readonly sampled: boolean;
  readonly cols: readonly PlacedColumn<ColId>[];
  readonly selected: boolean;
  readonly focused: boolean;
  readonly open: boolean;
}) {
  if (row.kind === 'folded') {
    return (
      <Text wrap="truncate" dimColor>
        {'   ⋯ '}
        {clean(row.service === '' ? '(unnamed)' : row.service)}: {row.clients} disconnected connections{row.flagged > 0 ? `, ${row.flagged} flagged` : ''} (D lists them)
      </Text>
    );
  }
  if (row.kind === 'group') {
    const parts = [
      `${row.clients} client${row.clients === 1 ? '' : 's'}${row.nodes > 1 ? ` on ${row.nodes} nodes` : ''}`,
      row.connected < row.clients ? `${row.connected} connected` : '',
      `${formatRate(row.opsPerSec)} ops/s`,
      row.flagged > 0 ? `${row.flagged} flagged` : '',
    ].filter(Boolean);
    return (
      <Text wrap="truncate">
        <Text color={theme.group} bold>
          {' ▾ '}
          {clean(row.label)}
        </Text>
        <Text dimColor> {parts.join(' · ')}</Text>
        {row.flagged > 0 ? <Text color={theme.bad}> !</Text> : null}
      </Text>
    );
  }
  const c = row.client;
  return (
    <Line
      columns={cols}
      cells={nodeLabels ? { ...clientCells(c, now, { sampled, attribution }), node: nodeLabels.get((c as ClientView & { node?: string }).node ?? '') ?? '' } : clientCells(c, now, { sampled, attribution })}
      pointer={selected ? (open ? '▶' : '›') : ' '}
      inverse={selected && focused}
      bold={selected && !focused}
      dim={!c.connected}
    />
  );
}
