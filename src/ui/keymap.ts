// The one keymap. Each entry says which keys, in which mode (and pane), do what, in words; the key
// handler looks keys up here and the help overlay and the footer hints are printed from it, so what
// the help says is what the keys do. Every action is a store action.
import type { ReconActions } from '../store.ts';
import type { PaneId, UiActions } from './uiSlice.ts';

/** Normalised key names: 'tab', 'shift-tab', 'up', 'enter', 'esc', 'ctrl-c', or the character typed. */
export type KeyName = string;

/** Typed text in the prompt (any printable input). */
export const TEXT = '<text>';

/** The shape of Ink's `Key` that we read (kept structural so this module stays free of React). */
export interface KeyLike {
  readonly upArrow?: boolean;
  readonly downArrow?: boolean;
  readonly leftArrow?: boolean;
  readonly rightArrow?: boolean;
  readonly pageUp?: boolean;
  readonly pageDown?: boolean;
  readonly home?: boolean;
  readonly end?: boolean;
  readonly return?: boolean;
  readonly escape?: boolean;
  readonly ctrl?: boolean;
  readonly shift?: boolean;
  readonly tab?: boolean;
  readonly backspace?: boolean;
  readonly delete?: boolean;
  readonly meta?: boolean;
}

/**
 * The key names of one input event. Plain text typed faster than the terminal reports it arrives
 * as one string: it is split into one name per character (the prompt takes it whole instead).
 */
export function keyNames(input: string, key: KeyLike): KeyName[] {
  if (key.ctrl && input === 'c') return ['ctrl-c'];
  if (input === '\u0003') return ['ctrl-c'];
  if (key.tab) return [key.shift ? 'shift-tab' : 'tab'];
  if (key.upArrow) return ['up'];
  if (key.downArrow) return ['down'];
  if (key.leftArrow) return ['left'];
  if (key.rightArrow) return ['right'];
  if (key.pageUp) return ['pageup'];
  if (key.pageDown) return ['pagedown'];
  if (key.home) return ['home'];
  if (key.end) return ['end'];
  if (key.return) return ['enter'];
  if (key.escape) return ['esc'];
  if (key.backspace || key.delete) return ['backspace'];
  if (key.ctrl) return input ? [`ctrl-${input}`] : [];
  if (input === '') return [];
  // Keys pressed faster than the terminal is read arrive as one string: backspaces, Enter and Tab
  // among them are still keys, never text.
  // Escape sequences Ink could not split out of such a string are dropped, not typed.
  const plain = input.replace(/\x1b\[[0-9;]*[A-Za-z~]|\x1bO.|\x1b/g, '');
  return Array.from(plain, (ch) => CONTROL_KEYS[ch] ?? ch);
}

const CONTROL_KEYS: Readonly<Record<string, KeyName>> = {
  '\x7f': 'backspace',
  '\b': 'backspace',
  '\r': 'enter',
  '\n': 'enter',
  '\t': 'tab',
};

export type Mode = 'normal' | 'prompt' | 'help' | 'filters';

export interface KeyContext {
  readonly ui: UiActions;
  readonly recon: ReconActions;
  /** The key name that matched (for 1..9), or the text typed (for TEXT). */
  readonly key: KeyName;
}

export type Section = 'Panes' | 'Search' | 'Filters' | 'Filter list' | 'Table' | 'MONITOR' | 'Keyspace' | 'Cluster' | 'Cutover' | 'General' | 'Prompt' | 'Help';

export interface Binding {
  readonly keys: readonly KeyName[];
  /** How the keys read in the help overlay. */
  readonly label: string;
  readonly help: string;
  readonly section: Section;
  readonly modes: readonly Mode[];
  /** Only when one of these panes has focus (normal mode). */
  readonly panes?: readonly PaneId[];
  /** Short word for the footer's key hints; entries without one stay out of the footer. */
  readonly hint?: string;
  readonly run: (ctx: KeyContext) => void;
}

const DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

export const KEYMAP: readonly Binding[] = [
  // Panes and movement.
  { keys: ['tab'], label: 'Tab', help: 'Next pane (clients, keys, libraries, findings)', section: 'Panes', modes: ['normal'], hint: 'pane', run: (c) => c.ui.focusNext() },
  { keys: ['shift-tab'], label: 'Shift-Tab', help: 'Previous pane', section: 'Panes', modes: ['normal'], run: (c) => c.ui.focusPrev() },
  { keys: ['up', 'k'], label: '↑ k', help: 'Move up (detail pane: previous client)', section: 'Panes', modes: ['normal'], hint: 'move', run: (c) => c.ui.move(-1) },
  { keys: ['down', 'j'], label: '↓ j', help: 'Move down (detail pane: next client)', section: 'Panes', modes: ['normal'], run: (c) => c.ui.move(1) },
  { keys: ['pageup'], label: 'PgUp', help: 'Page up (detail pane: scroll its findings and fields)', section: 'Panes', modes: ['normal'], run: (c) => c.ui.page(-1) },
  { keys: ['pagedown'], label: 'PgDn', help: 'Page down', section: 'Panes', modes: ['normal'], run: (c) => c.ui.page(1) },
  { keys: ['home'], label: 'Home', help: 'First row', section: 'Panes', modes: ['normal'], run: (c) => c.ui.edge('first') },
  { keys: ['end'], label: 'End', help: 'Last row', section: 'Panes', modes: ['normal'], run: (c) => c.ui.edge('last') },
  { keys: ['enter'], label: 'Enter', help: 'Drill into a prefix (a leaf pattern: open its panel) / open a client / list a library\'s connections / narrow the clients to a finding\'s services', section: 'Panes', modes: ['normal'], hint: 'open', run: (c) => c.ui.enter() },
  { keys: ['right', 'l'], label: '→ l', help: 'Drill into the selected prefix', section: 'Panes', modes: ['normal'], panes: ['keys'], run: (c) => c.ui.drillIn() },
  { keys: ['left', 'h', 'backspace'], label: '← h Backspace', help: 'Back out to the parent prefix', section: 'Panes', modes: ['normal'], panes: ['keys'], run: (c) => c.ui.drillOut() },
  { keys: ['esc'], label: 'Esc', help: 'Close the detail pane, the pattern panel or the nodes view, back out of a prefix, or show every service again', section: 'Panes', modes: ['normal'], hint: 'back', run: (c) => c.ui.back() },

  // Filters.
  { keys: ['/'], label: '/', help: 'Search the focused pane: names, addresses, libraries, prefixes (Esc clears it)', section: 'Search', modes: ['normal'], hint: 'search', run: (c) => c.ui.openSearch() },
  { keys: ['f'], label: 'f', help: 'Type a key prefix (or a pattern with *); Enter adds it as an active filter', section: 'Filters', modes: ['normal'], hint: 'filter', run: (c) => c.ui.openPrompt() },
  { keys: ['F'], label: 'F', help: 'The filters list: toggle or remove any filter, past the ninth too', section: 'Filters', modes: ['normal', 'filters'], hint: 'filters', run: (c) => c.ui.toggleFilterList() },
  { keys: DIGITS, label: '1 … 9', help: 'Toggle filter N (presets first, then typed ones; F lists them all)', section: 'Filters', modes: ['normal'], hint: 'toggle', run: (c) => c.ui.toggleFilter(Number(c.key)) },
  { keys: ['x'], label: 'x', help: 'Turn every filter off (show everything; F turns them back on one by one)', section: 'Filters', modes: ['normal'], hint: 'all off', run: (c) => c.ui.clearFilters() },

  // The filters list (F).
  { keys: ['up', 'k'], label: '↑ k', help: 'Previous filter', section: 'Filter list', modes: ['filters'], run: (c) => c.ui.moveFilterList(-1) },
  { keys: ['down', 'j'], label: '↓ j', help: 'Next filter', section: 'Filter list', modes: ['filters'], run: (c) => c.ui.moveFilterList(1) },
  { keys: [' ', 'enter'], label: 'Space Enter', help: 'Turn the selected filter on or off', section: 'Filter list', modes: ['filters'], hint: 'toggle', run: (c) => c.ui.toggleListedFilter() },
  { keys: ['d', 'backspace'], label: 'd Backspace', help: 'Remove the selected filter', section: 'Filter list', modes: ['filters'], hint: 'remove', run: (c) => c.ui.removeListedFilter() },
  { keys: ['f'], label: 'f', help: 'Add a filter', section: 'Filter list', modes: ['filters'], hint: 'add', run: (c) => c.ui.openPrompt() },
  { keys: ['x'], label: 'x', help: 'Turn every filter off', section: 'Filter list', modes: ['filters'], run: (c) => c.ui.clearFilters() },
  { keys: ['esc'], label: 'Esc', help: 'Close the filters list', section: 'Filter list', modes: ['filters'], hint: 'close', run: (c) => c.ui.toggleFilterList() },

  // The clients table.
  { keys: ['>', 's'], label: '> s', help: 'Sort the clients by the next column (the header marks it)', section: 'Table', modes: ['normal'], hint: 'sort', run: (c) => c.ui.cycleSort() },
  { keys: ['<'], label: '<', help: 'Sort the clients by the previous column', section: 'Table', modes: ['normal'], run: (c) => c.ui.cycleSortBack() },
  { keys: ['S'], label: 'S', help: 'Reverse the sort order', section: 'Table', modes: ['normal'], run: (c) => c.ui.reverseSort() },
  { keys: ['w'], label: 'w', help: 'Clients\' counts and rates: since start, last 5 min, last 1 min (the keys, libraries and findings count since start)', section: 'Table', modes: ['normal'], hint: 'window', run: (c) => c.ui.cycleWindow() },
  { keys: ['D'], label: 'D', help: 'Fold a service\'s disconnected connections into one row (the default), or list each', section: 'Table', modes: ['normal'], run: (c) => c.ui.toggleFoldGone() },
  { keys: ['g'], label: 'g', help: 'Group clients: service name, owner, IP, library, none', section: 'Table', modes: ['normal'], hint: 'group', run: (c) => c.ui.cycleGrouping() },

  { keys: ['y'], label: 'y', help: 'Copy the selected value (client name and address, prefix, library, a finding\'s example) to the clipboard (OSC 52)', section: 'General', modes: ['normal'], run: (c) => c.ui.copySelected() },

  // The inventory.
  { keys: ['e'], label: 'e', help: 'Export the inventory: edit the file name (.json, .csv or .md), Enter writes it', section: 'General', modes: ['normal'], hint: 'export', run: (c) => c.ui.openExport() },

  // MONITOR.
  { keys: ['p'], label: 'p', help: 'Pause or resume MONITOR (paused costs the server nothing)', section: 'MONITOR', modes: ['normal'], hint: 'pause', run: (c) => c.recon.toggleMonitor() },

  { keys: ['r'], label: 'r', help: 'Replay the recording again from the start (once it has ended)', section: 'MONITOR', modes: ['normal'], run: (c) => c.recon.restart() },

  // The keyspace sampler and what it found.
  { keys: ['K'], label: 'K', help: 'Start or stop the keyspace sampler (SCAN + TYPE, MEMORY USAGE, PTTL per key, rate-limited): keys and bytes per pattern', section: 'Keyspace', modes: ['normal'], hint: 'keyspace', run: (c) => c.recon.toggleKeyspace() },
  { keys: ['i'], label: 'i', help: 'Open or close the pattern panel: keys, bytes, types, TTLs, big keys, readers and writers of the selected pattern (Enter on a leaf opens it too)', section: 'Keyspace', modes: ['normal'], run: (c) => c.ui.togglePatternPanel() },
  { keys: ['E'], label: 'E', help: 'Export the extraction plan for the patterns the filters select (.md, .json or .toml): keys, bytes, services, RedisShake and RIOT key filters', section: 'Keyspace', modes: ['normal'], run: (c) => c.ui.openPlan() },
  // A cluster's nodes.
  { keys: ['n'], label: 'n', help: 'Narrow every pane to the next node of the cluster (after the last: all nodes)', section: 'Cluster', modes: ['normal'], run: (c) => c.ui.cycleNode() },
  { keys: ['N'], label: 'N', help: 'Narrow every pane to the next shard (a primary and its replicas)', section: 'Cluster', modes: ['normal'], run: (c) => c.ui.cycleShard() },
  { keys: ['c'], label: 'c', help: 'Show or hide the nodes: role, slots, connections, ops/s, MONITOR, what happened', section: 'Cluster', modes: ['normal'], run: (c) => c.ui.toggleNodesView() },
  // The cutover (--to).
  { keys: ['T'], label: 'T', help: 'Show or hide the cutover (--to): each service on the source and the target, its state (source only, moving, both, target only, done), keys on both sides, what the real target refuses', section: 'Cutover', modes: ['normal'], run: (c) => c.ui.toggleCutoverView() },

  // General.
  { keys: ['?'], label: '?', help: 'Show or hide this help', section: 'General', modes: ['normal', 'help', 'filters'], hint: 'help', run: (c) => c.ui.toggleHelp() },
  { keys: ['esc'], label: 'Esc', help: 'Close the help', section: 'Help', modes: ['help'], run: (c) => c.ui.closeHelp() },
  { keys: ['up', 'k'], label: '↑ k', help: 'Scroll the help up', section: 'Help', modes: ['help'], run: (c) => c.ui.scrollHelp(-1) },
  { keys: ['down', 'j'], label: '↓ j', help: 'Scroll the help down', section: 'Help', modes: ['help'], run: (c) => c.ui.scrollHelp(1) },
  { keys: ['pageup'], label: 'PgUp', help: 'A page of help up', section: 'Help', modes: ['help'], run: (c) => c.ui.scrollHelp(-2) },
  { keys: ['pagedown', ' '], label: 'PgDn Space', help: 'A page of help down', section: 'Help', modes: ['help'], run: (c) => c.ui.scrollHelp(2) },
  { keys: ['home'], label: 'Home', help: 'Top of the help', section: 'Help', modes: ['help'], run: (c) => c.ui.scrollHelp('first') },
  { keys: ['end'], label: 'End', help: 'End of the help', section: 'Help', modes: ['help'], run: (c) => c.ui.scrollHelp('last') },
  { keys: ['q'], label: 'q', help: 'Quit', section: 'General', modes: ['normal', 'help', 'filters'], hint: 'quit', run: (c) => c.ui.quit() },
  { keys: ['ctrl-c'], label: 'Ctrl-C', help: 'Quit (anywhere, also while typing)', section: 'General', modes: ['normal', 'help', 'prompt', 'filters'], run: (c) => c.ui.quit() },

  // The prefix prompt.
  { keys: [TEXT], label: 'text', help: 'Type the search, the prefix, or the export or plan file name', section: 'Prompt', modes: ['prompt'], run: (c) => c.ui.typePrompt(c.key) },
  { keys: ['backspace'], label: 'Backspace', help: 'Erase a character', section: 'Prompt', modes: ['prompt'], run: (c) => c.ui.erasePrompt() },
  { keys: ['enter'], label: 'Enter', help: 'Add the prefix as an active filter (or write the export)', section: 'Prompt', modes: ['prompt'], hint: 'ok', run: (c) => c.ui.submitPrompt() },
  { keys: ['esc'], label: 'Esc', help: 'Cancel (a search: clear it)', section: 'Prompt', modes: ['prompt'], hint: 'cancel', run: (c) => c.ui.cancelPrompt() },
];

/** The binding for a key in a mode and pane, or undefined. */
export function resolve(mode: Mode, focus: PaneId, key: KeyName, map: readonly Binding[] = KEYMAP): Binding | undefined {
  for (const b of map) {
    if (!b.modes.includes(mode)) continue;
    if (b.panes && !b.panes.includes(focus)) continue;
    if (b.keys.includes(key)) return b;
  }
  return undefined;
}

/** Whether a key name is text for the prompt (one printable character or a pasted string). */
const isText = (k: KeyName): boolean =>
  k.length > 0 && !/^(ctrl-|shift-tab$|tab$|up$|down$|left$|right$|pageup$|pagedown$|home$|end$|enter$|esc$|backspace$)/.test(k) && !/[\u0000-\u001f\u007f]/.test(k);

/**
 * Runs what one input event means. The prompt takes printable input whole (a paste stays one
 * string); elsewhere each character is a key of its own, and the mode is read again after each, so
 * `/app:` arriving in one read opens the prompt and types `app:` into it. Returns whether anything ran.
 */
export function dispatch(
  where: () => { mode: Mode; focus: PaneId },
  input: string,
  key: KeyLike,
  actions: { ui: UiActions; recon: ReconActions },
  map: readonly Binding[] = KEYMAP,
): boolean {
  const names = keyNames(input, key);
  let ran = false;
  for (let i = 0; i < names.length; i++) {
    const { mode, focus } = where();
    if (mode === 'prompt' && isText(names[i]!)) {
      let j = i;
      while (j < names.length && isText(names[j]!)) j++;
      const b = resolve('prompt', focus, TEXT, map);
      b?.run({ ...actions, key: names.slice(i, j).join('') });
      ran ||= b !== undefined;
      i = j - 1;
      continue;
    }
    const b = resolve(mode, focus, names[i]!, map);
    if (b) {
      b.run({ ...actions, key: names[i]! });
      ran = true;
    }
  }
  return ran;
}

export const SECTION_ORDER: readonly Section[] = ['Panes', 'Search', 'Filters', 'Filter list', 'Table', 'MONITOR', 'Keyspace', 'Cluster', 'Cutover', 'General', 'Help', 'Prompt'];

/** The help overlay's content: sections in order, each with its bindings. */
export function helpSections(map: readonly Binding[] = KEYMAP): { section: Section; bindings: Binding[] }[] {
  return SECTION_ORDER.map((section) => ({ section, bindings: map.filter((b) => b.section === section) })).filter(
    (s) => s.bindings.length > 0,
  );
}

/** Footer key hints for a mode: `Tab pane  ↑ k move  …`. */
export function footerHints(mode: Mode, map: readonly Binding[] = KEYMAP): { keys: string; hint: string }[] {
  return map.filter((b) => b.hint && b.modes.includes(mode)).map((b) => ({ keys: b.label, hint: b.hint! }));
}

/** Hints the footer never drops, whatever the width: how to get help and how to leave. */
const ESSENTIAL = new Set(['?', 'q']);

/** Display width of hints laid out as the footer does: `keys hint` joined by two spaces. */
const hintsWidth = (hints: readonly { keys: string; hint: string }[]): number =>
  hints.reduce((w, h, i) => w + (i > 0 ? 2 : 0) + Array.from(h.keys).length + 1 + Array.from(h.hint).length, 0);

/**
 * The footer's hints for `width` columns: as many of the others as fit, in keymap order, and always
 * `? help` and `q quit` (last, where people look for them).
 */
export function fitFooterHints(hints: readonly { keys: string; hint: string }[], width: number): { keys: string; hint: string }[] {
  const essential = hints.filter((h) => ESSENTIAL.has(h.keys));
  const others = hints.filter((h) => !ESSENTIAL.has(h.keys));
  const out: { keys: string; hint: string }[] = [];
  for (const h of others) {
    if (hintsWidth([...out, h, ...essential]) > width) break;
    out.push(h);
  }
  return [...out, ...essential];
}
