// Every client library and version seen, with how many clients use it and the audit's verdict.
import { useRef } from 'react';
import { Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { libraryLabel } from '../src/ui/libraries.ts';
import { fitColumns, scrollWindow, type Column } from '../src/ui/layout.ts';
import { selectFindingRows, selectLibraryRows } from '../src/ui/select.ts';
import { useRecon } from './context.tsx';
import { HeaderLine, Line } from './Cells.tsx';
import { Pane } from './Pane.tsx';
import { theme, verdictMark } from './theme.ts';

type ColId = 'flag' | 'name' | 'version' | 'clients' | 'verdict';

const COLUMNS: readonly Column<ColId>[] = [
  { id: 'flag', title: '', width: 1, priority: 0 },
  { id: 'name', title: 'LIBRARY', width: 16, min: 10, max: 40, priority: 0, grow: 2 },
  { id: 'version', title: 'VERSION', width: 9, min: 7, priority: 0 },
  { id: 'clients', title: 'CLIENTS', width: 7, align: 'right', priority: 0 },
  { id: 'verdict', title: 'AUDIT', width: 12, min: 8, priority: 1, grow: 3 },
];

export function LibrariesPane({ width, height, focused }: { readonly width: number; readonly height: number; readonly focused: boolean }) {
  const { rows, findings, selected } = useRecon(
    useShallow((s) => ({ rows: selectLibraryRows(s), findings: selectFindingRows(s), selected: s.ui.selection.libraries })),
  );
  const start = useRef(0);
  const inner = Math.max(1, height - 3);
  // The findings summary goes under the table when both fit; the table keeps at least 3 lines.
  const findingLines = findings.length > 0 && inner - (findings.length + 1) >= Math.min(3, rows.length) ? findings.length + 1 : 0;
  const lines = Math.max(1, inner - findingLines);
  const cols = fitColumns(COLUMNS, Math.max(1, width - 3));
  let sel = rows.findIndex((r) => r.id === selected);
  if (sel < 0) sel = 0;
  start.current = scrollWindow(start.current, sel, rows.length, lines);
  const flagged = rows.filter((r) => r.audit && ['outdated', 'missing', 'unknown'].includes(r.audit.verdict)).length;
  const info = [`${rows.length}`, flagged > 0 ? `${flagged} flagged` : ''].filter(Boolean).join(' · ');

  return (
    <Pane title="Libraries" info={info} focused={focused} width={width} height={height}>
      <HeaderLine columns={cols} />
      {rows.length === 0 ? (
        <Text dimColor wrap="truncate">
          {' '}
          No clients to list.
        </Text>
      ) : (
        rows.slice(start.current, start.current + lines).map((r) => {
          const v = verdictMark(r.audit?.verdict);
          const isSel = r.id === rows[sel]?.id;
          // 'ok' needs no reason here (the detail pane has it); flags carry theirs.
          const verdict = r.audit ? (v.mark ? `${v.word}: ${r.audit.reason}` : v.word) : '';
          return (
            <Line
              key={r.id}
              columns={cols}
              pointer={isSel ? '›' : ' '}
              inverse={isSel && focused}
              bold={isSel && !focused}
              dim={r.connected === 0}
              cells={{
                flag: { text: v.mark, color: v.color, bold: true },
                name: { text: libraryLabel(r.name), color: v.mark ? v.color : undefined, dim: r.name === undefined || r.name === '' },
                version: r.version || '-',
                clients: r.connected < r.clients ? `${r.connected}/${r.clients}` : String(r.clients),
                verdict: { text: verdict, color: v.color ?? theme.muted },
              }}
            />
          );
        })
      )}
      {findingLines > 0 ? (
        <>
          {Array.from({ length: Math.max(0, lines - Math.max(1, rows.length - start.current)) }, (_, i) => (
            <Text key={`pad${i}`}> </Text>
          ))}
          <Text bold wrap="truncate">
            {' '}
            Migration findings (clients)
          </Text>
          {findings.map((f) => (
            <Text key={f.code} wrap="truncate">
              <Text color={f.severity === 'error' ? theme.bad : f.severity === 'warning' ? theme.warn : theme.muted} bold>
                {' '}
                {f.severity === 'error' ? '✖' : f.severity === 'warning' ? '!' : 'i'} {String(f.clients).padStart(4)}
              </Text>
              <Text> {f.label}</Text>
              <Text dimColor> ({f.code})</Text>
            </Text>
          ))}
        </>
      ) : null}
    </Pane>
  );
}
