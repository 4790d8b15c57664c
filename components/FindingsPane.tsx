// What will fail on the target, one row per finding kind and command (or library version): the
// services it concerns, an example (the keys, the cross-slot call), how severe. Enter narrows the
// clients to those services; under the table, the selected finding's explanation, once.
import { useRef } from 'react';
import { Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { fitColumns, scrollWindow, type Column } from '../src/ui/layout.ts';
import { selectFindingGroups } from '../src/ui/select.ts';
import { servicesText } from '../src/ui/services.ts';
import { formatCount } from '../src/ui/format.ts';
import { clean, wrapText } from '../src/ui/text.ts';
import { useRecon } from './context.tsx';
import { HeaderLine, Line } from './Cells.tsx';
import { Pane } from './Pane.tsx';
import { theme } from './theme.ts';

type ColId = 'sev' | 'finding' | 'services' | 'count' | 'example';

const COLUMNS: readonly Column<ColId>[] = [
  { id: 'sev', title: '', width: 1, priority: 0 },
  { id: 'finding', title: 'FINDING', width: 30, min: 20, max: 48, priority: 0, grow: 1 },
  { id: 'services', title: 'SERVICES', width: 24, min: 14, priority: 0, grow: 2 },
  { id: 'count', title: 'COUNT', width: 6, align: 'right', priority: 1 },
  { id: 'example', title: 'EXAMPLE', width: 24, min: 12, priority: 1, grow: 3 },
];

export const severityMark = (s: 'error' | 'warning' | 'info'): { mark: string; color?: string } =>
  s === 'error' ? { mark: '✖', color: theme.bad } : s === 'warning' ? { mark: '!', color: theme.warn } : { mark: 'i', color: theme.muted };

export function FindingsPane({ width, height, focused }: { readonly width: number; readonly height: number; readonly focused: boolean }) {
  const { rows, selected, target } = useRecon(
    useShallow((s) => ({ rows: selectFindingGroups(s), selected: s.ui.selection.findings, target: s.target })),
  );
  const start = useRef(0);
  const inner = Math.max(1, height - 3);
  let sel = rows.findIndex((r) => r.id === selected);
  if (sel < 0) sel = 0;
  const current = rows[sel];
  const explainW = Math.max(10, width - 4);
  // The count leading a message is the first connection's; the COUNT column has the total.
  const explanation = current ? wrapText(clean(current.message.replace(/^\d+ /, '')), explainW) : [];
  // The explanation takes up to 3 lines under the table when the table keeps at least 3.
  const explainLines = Math.min(explanation.length, Math.max(0, inner - 4));
  const lines = Math.max(1, inner - (explainLines > 0 ? explainLines : 0));
  const cols = fitColumns(COLUMNS, Math.max(1, width - 3));
  start.current = scrollWindow(start.current, sel, rows.length, lines);
  const services = new Set(rows.filter((r) => r.severity === 'error').flatMap((r) => r.services.map((x) => x.service))).size;
  const info = [
    target ? `on ${target.title}` : '',
    `${rows.length} kind${rows.length === 1 ? '' : 's'}`,
    services > 0 ? `${services} service${services === 1 ? '' : 's'} with errors` : '',
    'Enter: its services',
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <Pane title="Findings" info={info} focused={focused} width={width} height={height}>
      <HeaderLine columns={cols} />
      {rows.length === 0 ? (
        <Text dimColor wrap="truncate">
          {' '}
          Nothing found that would fail{target ? ` on ${target.title}` : ''} (so far).
        </Text>
      ) : (
        rows.slice(start.current, start.current + lines).map((r) => {
          const m = severityMark(r.severity);
          const isSel = r.id === current?.id;
          return (
            <Line
              key={r.id}
              columns={cols}
              pointer={isSel ? '›' : ' '}
              inverse={isSel && focused}
              bold={isSel && !focused}
              cells={{
                sev: { text: m.mark, color: m.color, bold: true },
                finding: { text: `${r.label}${r.detail ? ` ${r.detail}` : ''}`, color: m.color },
                services: servicesText(r.services),
                count: formatCount(r.count),
                example: { text: r.example ?? '', dim: true, cut: 'end' },
              }}
            />
          );
        })
      )}
      {Array.from({ length: Math.max(0, lines - Math.max(rows.length === 0 ? 1 : 0, Math.min(lines, rows.length - start.current))) }, (_, i) => (
        <Text key={`pad${i}`}> </Text>
      ))}
      {explanation.slice(0, explainLines).map((l, i) => (
        <Text key={`why${i}`} dimColor wrap="truncate">
          {'  '}
          {l}
        </Text>
      ))}
    </Pane>
  );
}
