// The help overlay, printed from the keymap table (the same table that handles the keys), plus a
// legend of the marks and glyphs, and every notice the run has raised.
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { clampHelpScroll, helpLines, type HelpLine } from '../src/ui/helpLines.ts';
import { fit } from '../src/ui/text.ts';
import { useRecon } from './context.tsx';
import { Pane } from './Pane.tsx';
import { theme } from './theme.ts';

export function HelpOverlay({ width, height }: { readonly width: number; readonly height: number }) {
  const { notices, scroll } = useRecon(useShallow((s) => ({ notices: s.notices, scroll: s.ui.helpScroll })));
  const lines = helpLines(notices);
  const inner = Math.max(1, width - 2);
  const rows = Math.max(1, height - 2);
  // Two columns when the help fits in them and not in one; otherwise one column that scrolls.
  const halves = splitAtSection(lines);
  const twoCols = inner >= 100 && lines.length > rows && Math.max(halves[0].length, halves[1].length) <= rows;
  const colW = twoCols ? Math.floor((inner - 2) / 2) : inner;
  if (twoCols) {
    return (
      <Pane title="Help" info="keys · Esc or ? closes" focused width={width} height={height}>
        <Box flexDirection="row">
          {halves.map((col, ci) => (
            <Box key={ci} flexDirection="column" width={colW} marginRight={ci === 0 ? 2 : 0}>
              {col.map((l, i) => (
                <HelpRow key={i} line={l} width={colW} />
              ))}
            </Box>
          ))}
        </Box>
      </Pane>
    );
  }
  const fits = lines.length <= rows;
  const page = fits ? rows : Math.max(1, rows - 1);
  const first = fits ? 0 : clampHelpScroll(scroll, lines.length, page);
  return (
    <Pane title="Help" info="keys · Esc or ? closes" focused width={width} height={height}>
      {lines.slice(first, first + page).map((l, i) => (
        <HelpRow key={first + i} line={l} width={colW} />
      ))}
      {fits ? null : (
        <Text dimColor wrap="truncate">
          {`lines ${first + 1}–${Math.min(lines.length, first + page)} of ${lines.length} · ↑↓ PgUp PgDn Home End scroll`}
        </Text>
      )}
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
      <Text wrap="truncate" color={line.warn ? theme.warn : undefined} dimColor={!line.warn}>
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
