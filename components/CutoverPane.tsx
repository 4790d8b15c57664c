// The cutover pane (`T`): per service, its connections and ops/s on the source and on the target,
// when the source last saw it, how it was matched, and its state; then the keys on both sides and
// what the real target refuses. Services writing to both endpoints come first, in red.
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { agoText, countsText, selectCutover } from '../src/ui/cutover.ts';
import type { CutoverState } from '../src/analysis/cutover.ts';
import { fitColumns, type Column } from '../src/ui/layout.ts';
import { formatCount, formatRate, formatMs } from '../src/ui/format.ts';
import { clean } from '../src/ui/text.ts';
import { useRecon } from './context.tsx';
import { useNow } from './hooks.ts';
import { HeaderLine, Line } from './Cells.tsx';
import { Pane } from './Pane.tsx';
import { theme } from './theme.ts';

type ColId = 'service' | 'state' | 'srcConns' | 'srcOps' | 'lastSource' | 'tgtConns' | 'tgtOps' | 'matched';

const COLUMNS: readonly Column<ColId>[] = [
  { id: 'service', title: 'SERVICE', width: 18, min: 8, max: 40, priority: 0, grow: 2 },
  { id: 'state', title: 'STATE', width: 11, priority: 0 },
  { id: 'srcConns', title: 'SRC CONN', width: 8, align: 'right', priority: 0 },
  { id: 'srcOps', title: 'SRC OPS/S', width: 9, align: 'right', priority: 1 },
  { id: 'lastSource', title: 'LAST ON SRC', width: 11, align: 'right', priority: 1 },
  { id: 'tgtConns', title: 'TGT CONN', width: 8, align: 'right', priority: 0 },
  { id: 'tgtOps', title: 'TGT OPS/S', width: 9, align: 'right', priority: 1 },
  { id: 'matched', title: 'MATCHED BY', width: 15, priority: 2 },
];

const STATE_COLOR: Readonly<Record<CutoverState, string | undefined>> = {
  both: theme.bad,
  moving: theme.warn,
  'source only': undefined,
  'target only': theme.focus,
  done: theme.good,
};

export function CutoverPane({ width, height, clock }: { readonly width: number; readonly height: number; readonly clock?: () => number }) {
  const now = useNow(1000, clock);
  const { summary, source, target, error, quietAfterMs } = useRecon(
    useShallow((s) => ({ summary: selectCutover(s), source: s.endpoint, target: s.to?.endpoint ?? '', error: s.to?.error, quietAfterMs: s.quietAfterMs })),
  );
  const inner = Math.max(1, width - 2);
  const lines = Math.max(1, height - 3);
  const cols = fitColumns(COLUMNS, inner - 1);
  const verdictLines = Math.min(summary.verdicts.length, Math.max(0, Math.floor((lines - 3) / 3)));
  const footer = 1 + (verdictLines > 0 ? verdictLines + 1 : 0);
  const fits = Math.max(1, lines - 1 - footer);
  // More services than lines: the last line says how many are left out (the export lists them all).
  const tableLines = summary.rows.length > fits ? Math.max(1, fits - 1) : fits;
  const more = summary.rows.length - tableLines;
  const info = `${clean(source)} → ${clean(target)} · ${countsText(summary.counts)} · done after ${formatMs(quietAfterMs)} quiet · Esc or T closes`;
  return (
    <Pane title="Cutover" info={info} focused width={width} height={height}>
      {error ? (
        <Text wrap="truncate" color={theme.bad}>
          {' ✖ '}
          {clean(error)}
        </Text>
      ) : null}
      <HeaderLine columns={cols} />
      {summary.rows.length === 0 ? (
        <Text dimColor wrap="truncate">
          {' no services seen yet on either side'}
        </Text>
      ) : (
        summary.rows.slice(0, tableLines).map((r) => (
          <Line
            key={r.service}
            columns={cols}
            cells={{
              service: clean(r.service),
              state: { text: r.state, color: STATE_COLOR[r.state], bold: r.state === 'both' },
              srcConns: formatCount(r.source.connections),
              srcOps: r.source.opsLens === 'unknown' ? '?' : formatRate(r.source.opsPerSec),
              lastSource: agoText(r.source.lastSeen, now),
              tgtConns: formatCount(r.target.connections),
              tgtOps: r.target.opsLens === 'unknown' ? '?' : formatRate(r.target.opsPerSec),
              matched: r.matchedBy,
            }}
          />
        ))
      )}
      {more > 0 ? (
        <Text dimColor wrap="truncate">
          {` … ${more} more service${more === 1 ? '' : 's'} (the export lists them all)`}
        </Text>
      ) : null}
      <Box flexDirection="column">
        <Text wrap="truncate" dimColor>
          {' keys: source '}
          {summary.keys.source !== undefined ? formatCount(summary.keys.source) : '?'}
          {' · target '}
          {summary.keys.target !== undefined ? formatCount(summary.keys.target) : '?'}
          {' (INFO keyspace)'}
        </Text>
        {verdictLines > 0 ? (
          <Text wrap="truncate" bold>
            {' What the real target refuses (its own COMMAND LIST, INFO, MODULE LIST)'}
          </Text>
        ) : null}
        {summary.verdicts.slice(0, verdictLines).map((v) => (
          <Text key={`${v.code}:${v.subject}`} wrap="truncate" color={v.severity === 'error' ? theme.bad : v.severity === 'warning' ? theme.warn : undefined}>
            {' '}
            {clean(`${v.subject}: ${v.message}${v.services.length > 0 ? ` (${v.services.join(', ')}; ${v.calls} calls)` : ''}`)}
          </Text>
        ))}
      </Box>
    </Pane>
  );
}
