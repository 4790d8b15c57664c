// The nodes view (`c`): every node of the cluster with its role, slots, connections, ops/s, MONITOR
// state and reachability, the node or shard the panes are narrowed to marked, then what happened to
// the cluster (failovers, nodes down and back), newest first.
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { selectNodeRows } from '../src/ui/select.ts';
import { likelyNotClusterAware, narrowedKeys, type NodeRow } from '../src/ui/nodes.ts';
import { memoLast } from '../src/ui/select.ts';
import type { ClientView } from '../src/analysis/session.ts';
import { fitColumns, type Column } from '../src/ui/layout.ts';
import { formatCount, formatRate } from '../src/ui/format.ts';
import { clean } from '../src/ui/text.ts';
import { useRecon } from './context.tsx';
import { HeaderLine, Line, type Cell } from './Cells.tsx';
import { Pane } from './Pane.tsx';
import { nodeGlyph } from './StatusBar.tsx';
import { theme } from './theme.ts';

type ColId = 'glyph' | 'node' | 'role' | 'slots' | 'conns' | 'ops' | 'events' | 'monitor' | 'redirects' | 'state';

const COLUMNS: readonly Column<ColId>[] = [
  { id: 'glyph', title: '', width: 1, priority: 0 },
  { id: 'node', title: 'NODE', width: 15, min: 7, max: 40, priority: 0, grow: 1 },
  { id: 'role', title: 'ROLE', width: 22, min: 7, max: 40, priority: 0, grow: 1 },
  { id: 'slots', title: 'SLOTS', width: 11, min: 5, max: 30, priority: 1, grow: 1 },
  { id: 'conns', title: 'CONNS', width: 5, align: 'right', priority: 0 },
  { id: 'ops', title: 'OPS/S', width: 6, align: 'right', priority: 1 },
  { id: 'events', title: 'EV/S', width: 6, align: 'right', priority: 2 },
  { id: 'monitor', title: 'MONITOR', width: 10, min: 7, max: 60, priority: 0, grow: 2 },
  { id: 'redirects', title: 'MOVED/ASK', width: 9, align: 'right', priority: 3 },
  { id: 'state', title: 'STATE', width: 8, min: 4, max: 60, priority: 1, grow: 2 },
];

function cells(r: NodeRow, short: boolean, labels: ReadonlyMap<string, string>): Partial<Record<ColId, Cell | string>> {
  const g = nodeGlyph(r);
  const primary = r.primaryAddr && short ? labels.get(r.primaryAddr) ?? r.primaryAddr : r.primaryAddr;
  const monitor = r.monitor === 'standby' ? 'off (replica)' : r.monitor;
  return {
    glyph: { text: g.glyph, color: g.color },
    node: short ? r.label : r.addr,
    role: r.role === 'replica' && primary ? `replica of ${primary}` : r.role,
    slots: r.slots || '-',
    conns: formatCount(r.connected),
    ops: formatRate(r.opsPerSec),
    events: formatRate(r.eventsPerSec),
    monitor: { text: r.monitorReason && r.monitor !== 'on' && r.monitor !== 'standby' ? `${monitor}: ${clean(r.monitorReason)}` : monitor, color: r.monitor === 'on' ? theme.good : r.monitor === 'error' ? theme.bad : undefined },
    redirects: { text: `${formatCount(r.moved)}/${formatCount(r.ask)}`, color: r.moved + r.ask > 0 ? theme.warn : undefined },
    state: { text: r.why ? `${r.state}: ${clean(r.why)}` : r.state, color: r.state === 'down' ? theme.bad : r.state === 'up' ? undefined : theme.muted },
  };
}

const suspectsMemo = memoLast((clients: readonly ClientView[], rows: readonly NodeRow[]) =>
  likelyNotClusterAware(clients, rows)
    .map((s) => `${s.name} (${s.label}, ${formatCount(s.moved)} MOVED)`)
    .join(', '),
);

export function NodesPane({ width, height }: { readonly width: number; readonly height: number }) {
  const { rows, events, narrowedList, mode, suspects } = useRecon(
    useShallow((s) => {
      const rows = selectNodeRows(s);
      // As text: a fresh array on every call would never compare equal (and render forever).
      return {
        rows,
        events: s.cluster?.events,
        narrowedList: narrowedKeys(s.ui.nodeFilter, rows)?.join('\n'),
        mode: s.cluster?.mode,
        suspects: suspectsMemo(s.view.clients, rows),
      };
    }),
  );
  const narrowed = narrowedList?.split('\n');
  const inner = Math.max(1, width - 2);
  const lines = Math.max(1, height - 3);
  // Narrow terminals show the short labels (`:7001` when every node shares a host).
  const short = inner < 120;
  const labels = new Map(rows.map((r) => [r.addr, r.label]));
  const cols = fitColumns(COLUMNS, inner - 1);
  const tableLines = Math.min(rows.length, Math.max(1, lines - 3));
  const suspectLines = suspects !== '' && lines - tableLines > 2 ? 1 : 0;
  const eventLines = Math.max(0, lines - tableLines - 1 - suspectLines);
  const recent = [...(events ?? [])].reverse().slice(0, eventLines);
  const primaries = rows.filter((r) => r.role === 'primary' && r.state !== 'gone').length;
  const info = [
    `${rows.length} node${rows.length === 1 ? '' : 's'}`,
    primaries > 0 ? `${primaries} primar${primaries === 1 ? 'y' : 'ies'}` : '',
    mode === 'pinned' ? 'only one watched (--single-node)' : '',
    'MOVED/ASK: INFO errorstats, server-wide',
    'n/N narrow · Esc or c closes',
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <Pane title="Nodes" info={info} focused width={width} height={height}>
      <HeaderLine columns={cols} />
      {rows.slice(0, tableLines).map((r) => (
        <Line key={r.key} columns={cols} cells={cells(r, short, labels)} pointer={narrowed?.includes(r.key) ? '›' : ' '} bold={narrowed?.includes(r.key)} dim={r.state === 'gone' || r.state === 'unwatched'} />
      ))}
      <Box flexDirection="column">
        {suspectLines > 0 ? (
          <Text wrap="truncate" color={theme.warn}>
            {' Likely not cluster-aware (on one node, which answered MOVED; an inference): '}
            {clean(suspects)}
          </Text>
        ) : null}
        {recent.length > 0 ? (
          <Text wrap="truncate" bold>
            {' What happened'}
          </Text>
        ) : null}
        {recent.slice(0, Math.max(0, eventLines - 1)).map((e, i) => (
          <Text key={`${e.at}:${i}`} wrap="truncate">
            <Text dimColor> {new Date(e.at).toISOString().slice(11, 19)} </Text>
            <Text color={e.kind === 'down' ? theme.bad : e.kind === 'failover' || e.kind === 'demoted' ? theme.warn : undefined}>{clean(e.text)}</Text>
          </Text>
        ))}
      </Box>
    </Pane>
  );
}
