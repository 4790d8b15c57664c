// The dashboard's root: follows the terminal size, reads keys through the keymap, lays out the panes,
// and unmounts when the store says quit. Its height is one row less than the terminal's: a root as
// tall as the terminal makes Ink clear the screen on every frame.
import { useEffect } from 'react';
import { Box, Text, useApp, useInput, useStdin } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { dispatch, type Mode } from '../src/ui/keymap.ts';
import { FOOTER_ROWS, HEADER_ROWS, MIN_COLUMNS, MIN_ROWS, layout } from '../src/ui/layout.ts';
import type { ReconState } from '../src/store.ts';
import { useRecon, useStoreApi } from './context.tsx';
import { useTerminalSize } from './hooks.ts';
import { StatusBar } from './StatusBar.tsx';
import { FilterBar } from './FilterBar.tsx';
import { Footer } from './Footer.tsx';
import { ClientsPane } from './ClientsPane.tsx';
import { HeatmapPane } from './HeatmapPane.tsx';
import { LibrariesPane } from './LibrariesPane.tsx';
import { DetailPane } from './DetailPane.tsx';
import { PatternPane } from './PatternPane.tsx';
import { FindingsPane } from './FindingsPane.tsx';
import { FilterList } from './FilterList.tsx';
import { HelpOverlay } from './HelpOverlay.tsx';
import { NodesPane } from './NodesPane.tsx';
import { CutoverPane } from './CutoverPane.tsx';
import { theme } from './theme.ts';

export const modeOf = (s: ReconState): Mode =>
  s.ui.prompt !== undefined ? 'prompt' : s.ui.help ? 'help' : s.ui.filterList !== undefined ? 'filters' : 'normal';

export interface DashboardProps {
  /** Clock for ages in the status bar (tests pass a fixed one). */
  readonly clock?: () => number;
}

export function Dashboard({ clock }: DashboardProps) {
  const live = useStoreApi();
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const size = useTerminalSize();
  const { focus, help, detail, quit, patternPanel, nodesView, filterList, cutoverView } = useRecon(
    useShallow((s) => ({ focus: s.ui.focus, help: s.ui.help, detail: s.ui.detail, quit: s.ui.quit, patternPanel: s.ui.patternPanel, nodesView: s.ui.nodesView, filterList: s.ui.filterList !== undefined, cutoverView: s.ui.cutoverView })),
  );

  useEffect(() => {
    live.getState().ui.actions.resize(size.columns, size.rows);
  }, [live, size.columns, size.rows]);

  useEffect(() => {
    if (quit) exit();
  }, [quit, exit]);

  useInput(
    (input, key) => {
      const s = live.getState();
      dispatch(
        () => {
          const now = live.getState();
          return { mode: modeOf(now), focus: now.ui.focus };
        },
        input,
        key,
        { ui: s.ui.actions, recon: s.actions },
      );
    },
    { isActive: isRawModeSupported === true },
  );

  const l = layout(size.columns, size.rows);
  if (l.tooSmall) {
    return (
      <Box flexDirection="column" width={size.columns} height={Math.min(l.height, 4)}>
        <Text color={theme.warn} wrap="wrap">
          Terminal too small: {size.columns}×{size.rows}. redis-recon needs at least {MIN_COLUMNS}×{MIN_ROWS}. Enlarge it, or press q to quit.
        </Text>
      </Box>
    );
  }
  const bodyH = l.height - HEADER_ROWS - FOOTER_ROWS;
  return (
    <Box flexDirection="column" width={size.columns} height={l.height} overflow="hidden">
      <StatusBar clock={clock} />
      <FilterBar />
      {help ? (
        <HelpOverlay width={size.columns} height={bodyH} />
      ) : cutoverView ? (
        <CutoverPane width={size.columns} height={bodyH} clock={clock} />
      ) : filterList ? (
        <FilterList width={size.columns} height={bodyH} />
      ) : nodesView ? (
        <NodesPane width={size.columns} height={bodyH} />
      ) : (
        <Box flexDirection="column" height={bodyH}>
          <ClientsPane width={l.clients.width} height={l.clients.height} focused={focus === 'clients'} clock={clock} />
          <Box flexDirection="row" height={l.keys.height}>
            {detail !== undefined ? (
              <DetailPane width={l.detail.width} height={l.detail.height} focused={focus === 'detail'} clock={clock} />
            ) : focus === 'findings' ? (
              <FindingsPane width={l.detail.width} height={l.detail.height} focused />
            ) : (
              <>
                <HeatmapPane width={l.keys.width} height={l.keys.height} focused={focus === 'keys'} />
                {patternPanel ? (
                  <PatternPane width={l.libraries.width} height={l.libraries.height} clock={clock} />
                ) : (
                  <LibrariesPane width={l.libraries.width} height={l.libraries.height} focused={focus === 'libraries'} />
                )}
              </>
            )}
          </Box>
        </Box>
      )}
      <Footer keysAvailable={isRawModeSupported === true} />
    </Box>
  );
}
