// A bordered pane with its title set into the top border (k9s style). The focused pane's border is
// coloured and heavy (┏━┓), so focus shows on a monochrome terminal too. Content is clipped to the
// pane: it never pushes the layout.
import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import { fit, displayWidth, clean } from '../src/ui/text.ts';
import { theme } from './theme.ts';

export interface PaneProps {
  readonly title: string;
  /** Dimmer text after the title (counts, sort, drill path). */
  readonly info?: string;
  readonly focused: boolean;
  readonly width: number;
  readonly height: number;
  readonly children?: ReactNode;
}

export function Pane({ title, info, focused, width, height, children }: PaneProps) {
  const color = focused ? theme.focus : theme.border;
  const inner = Math.max(0, width - 2);
  // ╭─ Title · info ───────╮
  const head = ` ${title} `;
  const room = Math.max(0, inner - 1 - displayWidth(head));
  const infoText = info && room > 3 ? fit(clean(` ${info} `), Math.min(room, displayWidth(clean(info)) + 2)) : '';
  const dashes = Math.max(0, inner - 1 - displayWidth(head) - displayWidth(infoText));
  return (
    <Box flexDirection="column" width={width} height={height} flexShrink={0}>
      <Text wrap="truncate">
        <Text color={color}>{focused ? '┏━' : '╭─'}</Text>
        <Text color={focused ? theme.focus : theme.title} bold={focused}>
          {fit(head, Math.min(displayWidth(head), inner - 1))}
        </Text>
        <Text dimColor>{infoText}</Text>
        <Text color={color}>{focused ? `${'━'.repeat(dashes)}┓` : `${'─'.repeat(dashes)}╮`}</Text>
      </Text>
      {/* Keyed by focus: Ink re-applies all borders when borderStyle changes on an update and
          forgets borderTop={false}, which would open a blank line inside the pane. */}
      <Box
        key={focused ? 'focused' : 'plain'}
        borderStyle={focused ? 'bold' : 'round'}
        borderTop={false}
        borderColor={color}
        flexDirection="column"
        width={width}
        height={Math.max(1, height - 1)}
        overflow="hidden"
      >
        {children}
      </Box>
    </Box>
  );
}
