// Every client library and version seen, rolled up by service: `cleanup-cron ×57 · node-redis 1.6.0
// → ≥ 5.0.0`, the upgrade target never cut off. Enter lists the connections of a row; under the
// table, the findings by kind and how many services each concerns (Tab reaches the findings pane).
import { useRef } from 'react';
import { Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { libraryLine } from '../src/ui/libraries.ts';
import { scrollWindow } from '../src/ui/layout.ts';
import { selectFindingGroups, selectLibraryRows } from '../src/ui/select.ts';
import { servicesCount } from '../src/ui/services.ts';
import { useRecon } from './context.tsx';
import { Pane } from './Pane.tsx';
import { theme, verdictMark } from './theme.ts';

export function LibrariesPane({ width, height, focused }: { readonly width: number; readonly height: number; readonly focused: boolean }) {
  const { rows, findings, selected } = useRecon(
    useShallow((s) => ({ rows: selectLibraryRows(s), findings: selectFindingGroups(s), selected: s.ui.selection.libraries })),
  );
  const start = useRef(0);
  const inner = Math.max(1, height - 2);
  // The findings summary goes under the table when both fit; the table keeps at least 3 lines.
  const errors = findings.filter((f) => f.severity !== 'info');
  const shownFindings = Math.min(errors.length, 3);
  const findingLines = shownFindings > 0 && inner - (shownFindings + 1) >= Math.min(3, rows.length) ? shownFindings + 1 : 0;
  const lines = Math.max(1, inner - findingLines);
  const lineW = Math.max(4, width - 2 - 3);
  let sel = rows.findIndex((r) => r.id === selected);
  if (sel < 0) sel = 0;
  start.current = scrollWindow(start.current, sel, rows.length, lines);
  const flagged = rows.filter((r) => r.audit && ['outdated', 'missing'].includes(r.audit.verdict));
  const flaggedServices = new Set(flagged.flatMap((r) => r.services.map((s) => s.service))).size;
  const info = [`${rows.length}`, flagged.length > 0 ? `${flagged.length} to upgrade in ${flaggedServices} service${flaggedServices === 1 ? '' : 's'}` : '', 'Enter: connections'].filter(Boolean).join(' · ');

  return (
    <Pane title="Libraries" info={info} focused={focused} width={width} height={height}>
      {rows.length === 0 ? (
        <Text dimColor wrap="truncate">
          {' '}
          No clients to list.
        </Text>
      ) : (
        rows.slice(start.current, start.current + lines).map((r) => {
          const v = verdictMark(r.audit?.verdict);
          const isSel = r.id === rows[sel]?.id;
          const l = libraryLine(r, lineW);
          return (
            <Text key={r.id} wrap="truncate" inverse={isSel && focused} bold={isSel && !focused} dimColor={r.connected === 0}>
              {isSel ? '›' : ' '}
              <Text color={v.color} bold>
                {v.mark || ' '}
              </Text>{' '}
              <Text dimColor={!isSel}>{l.services}</Text>
              <Text color={v.mark ? v.color : undefined}>{l.library}</Text>
              <Text color={v.color} bold>
                {l.target}
              </Text>
            </Text>
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
            Migration findings <Text dimColor>(Tab: the findings pane)</Text>
          </Text>
          {errors.slice(0, shownFindings).map((f) => (
            <Text key={f.id} wrap="truncate">
              <Text color={f.severity === 'error' ? theme.bad : theme.warn} bold>
                {' '}
                {f.severity === 'error' ? '✖' : '!'}
              </Text>
              <Text>
                {' '}
                {f.label}
                {f.detail ? ` ${f.detail}` : ''}
              </Text>
              <Text dimColor> · {servicesCount(f.services.length, f.connections)}</Text>
            </Text>
          ))}
        </>
      ) : null}
    </Pane>
  );
}
