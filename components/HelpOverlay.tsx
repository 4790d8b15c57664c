// The help overlay, printed from the keymap table (the same table that handles the keys), plus a
// legend of the marks and glyphs, and every notice the run has raised.
import { Box, Text } from 'ink';
import { READ_GLYPH, WRITE_GLYPH } from '../src/ui/bars.ts';
import { helpSections, type Binding } from '../src/ui/keymap.ts';
import { clean, fit } from '../src/ui/text.ts';
import { useRecon } from './context.tsx';
import { Pane } from './Pane.tsx';
import { theme } from './theme.ts';

type HelpLine = { kind: 'section'; text: string } | { kind: 'binding'; b: Binding } | { kind: 'text'; text: string; color?: string };

export function helpLines(notices: readonly string[]): HelpLine[] {
  const out: HelpLine[] = [];
  for (const s of helpSections()) {
    out.push({ kind: 'section', text: s.section === 'Prompt' ? 'Prompt (after / or e)' : s.section === 'Help' ? 'This help' : s.section });
    for (const b of s.bindings) out.push({ kind: 'binding', b });
  }
  out.push({ kind: 'section', text: 'Legend' });
  out.push({ kind: 'text', text: `${READ_GLYPH} reads  ${WRITE_GLYPH} writes: bar length is the rate against the busiest row` });
  out.push({ kind: 'text', text: '! outdated library   ? no lib-name or unknown library', color: theme.warn });
  out.push({ kind: 'text', text: 'dimmed rows with idle "gone": disconnected clients, kept for the record' });
  out.push({ kind: 'text', text: '[n prefix] inactive filter, lit = active; * typed with /' });
  if (notices.length > 0) {
    out.push({ kind: 'section', text: 'Notes' });
    for (const n of notices) out.push({ kind: 'text', text: clean(n), color: theme.warn });
  }
  return out;
}

export function HelpOverlay({ width, height }: { readonly width: number; readonly height: number }) {
  const notices = useRecon((s) => s.notices);
  const lines = helpLines(notices);
  const inner = Math.max(1, width - 2);
  const rows = Math.max(1, height - 2);
  // Two columns when they fit side by side and one column would not fit the height.
  const twoCols = inner >= 100 && lines.length > rows;
  const colW = twoCols ? Math.floor((inner - 2) / 2) : inner;
  const columns = twoCols ? splitAtSection(lines) : [lines];
  return (
    <Pane title="Help" info="keys · Esc or ? closes" focused width={width} height={height}>
      <Box flexDirection="row">
        {columns.map((col, ci) => (
          <Box key={ci} flexDirection="column" width={colW} marginRight={ci === 0 && twoCols ? 2 : 0}>
            {col.slice(0, rows).map((l, i) => (
              <HelpRow key={i} line={l} width={colW} />
            ))}
            {col.length > rows ? <Text dimColor>… (a taller terminal shows the rest)</Text> : null}
          </Box>
        ))}
      </Box>
    </Pane>
  );
}

/** Two columns of about equal length, split where a section starts. */
function splitAtSection(lines: HelpLine[]): [HelpLine[], HelpLine[]] {
  const half = lines.length / 2;
  let best = Math.ceil(half);
  let bestDist = Infinity;
  lines.forEach((l, i) => {
    if (l.kind === 'section' && i > 0 && Math.abs(i - half) < bestDist) {
      best = i;
      bestDist = Math.abs(i - half);
    }
  });
  return [lines.slice(0, best), lines.slice(best)];
}

function HelpRow({ line, width }: { readonly line: HelpLine; readonly width: number }) {
  if (line.kind === 'section') {
    return (
      <Text bold color={theme.focus} wrap="truncate">
        {line.text}
      </Text>
    );
  }
  if (line.kind === 'text') {
    return (
      <Text wrap="truncate" color={line.color} dimColor={!line.color}>
        {'  '}
        {line.text}
      </Text>
    );
  }
  const keyW = 15;
  return (
    <Text wrap="truncate">
      {'  '}
      <Text bold color={theme.key}>
        {fit(line.b.label, keyW)}
      </Text>
      {fit(line.b.help, Math.max(1, width - keyW - 2))}
    </Text>
  );
}
