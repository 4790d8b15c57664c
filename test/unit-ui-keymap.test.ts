import { nodeStatus } from './helpers/inProcess.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dispatch, footerHints, helpSections, KEYMAP, keyNames, resolve, TEXT, type Mode } from '../src/ui/keymap.ts';
import type { PaneId } from '../src/ui/uiSlice.ts';
import { createReconStore } from '../src/store.ts';
import { pacedStore } from '../components/pacedStore.ts';
import { emptyView } from '../src/analysis/session.ts';

const store = () =>
  createReconStore({ endpoint: 'h:1', monitor: true, monitorMaxOmemBytes: 1 << 20, presets: ['app:', 'orders:'], viewport: { columns: 100, rows: 30 } });

const where = (s: ReturnType<typeof store>) => () => {
  const ui = s.getState().ui;
  return { mode: (ui.prompt !== undefined ? 'prompt' : ui.help ? 'help' : 'normal') as Mode, focus: ui.focus };
};

const press = (s: ReturnType<typeof store>, input: string, key: Parameters<typeof keyNames>[1] = {}) =>
  dispatch(where(s), input, key, { ui: s.getState().ui.actions, recon: s.getState().actions });

test('key names from Ink key events', () => {
  assert.deepEqual(keyNames('', { tab: true }), ['tab']);
  assert.deepEqual(keyNames('', { tab: true, shift: true }), ['shift-tab']);
  assert.deepEqual(keyNames('c', { ctrl: true }), ['ctrl-c']);
  assert.deepEqual(keyNames('', { upArrow: true }), ['up']);
  assert.deepEqual(keyNames('', { delete: true }), ['backspace'], 'DEL (0x7f) is what Backspace sends');
  assert.deepEqual(keyNames('jj', {}), ['j', 'j']);
  assert.deepEqual(keyNames('', { escape: true }), ['esc']);
});

test('no key means two things in the same mode and pane', () => {
  const modes: Mode[] = ['normal', 'prompt', 'help'];
  const panes: PaneId[] = ['clients', 'keys', 'libraries', 'detail'];
  for (const mode of modes) {
    for (const pane of panes) {
      const seen = new Map<string, string>();
      for (const b of KEYMAP) {
        if (!b.modes.includes(mode) || (b.panes && !b.panes.includes(pane))) continue;
        for (const k of b.keys) {
          // Pane-specific bindings come first in the table only when they are meant to win.
          if (seen.has(k)) assert.fail(`${mode}/${pane}: "${k}" is bound to "${seen.get(k)}" and "${b.help}"`);
          seen.set(k, b.help);
        }
      }
    }
  }
});

test('every binding is in the help overlay, with words; the footer is drawn from the same table', () => {
  const listed = helpSections().flatMap((s) => s.bindings);
  assert.equal(listed.length, KEYMAP.length);
  for (const b of KEYMAP) {
    assert.ok(b.help.length > 3 && b.label.length > 0, b.keys.join());
  }
  const issueKeys = ['tab', 'shift-tab', 'up', 'down', 'j', 'k', 'enter', 'esc', '/', 'f', 'F', '<', '>', 'y', 'D', '1', '9', 'x', 's', 'g', 'p', '?', 'q', 'ctrl-c'];
  for (const k of issueKeys) assert.ok(resolve('normal', 'clients', k), `"${k}" is bound`);
  assert.ok(resolve('prompt', 'clients', TEXT));
  assert.ok(footerHints('normal').some((h) => h.hint === 'quit'));
});

test('dispatch: each binding reaches its store action', () => {
  const s = store();
  press(s, '', { tab: true });
  assert.equal(s.getState().ui.focus, 'keys');
  press(s, '', { tab: true, shift: true });
  assert.equal(s.getState().ui.focus, 'clients');
  press(s, '2');
  assert.deepEqual(s.getState().ui.filters.map((f) => f.active), [false, true]);
  press(s, 'x');
  assert.deepEqual(s.getState().ui.filters.map((f) => f.active), [false, false]);
  press(s, 's');
  assert.equal(s.getState().ui.sort.column, 'reads');
  press(s, 'S');
  assert.equal(s.getState().ui.sort.desc, false);
  press(s, 'g');
  assert.equal(s.getState().ui.grouping, 'service');
  press(s, 'p');
  assert.equal(s.getState().monitor.desired, 'paused');
  press(s, 'p');
  assert.equal(s.getState().monitor.desired, 'on');
  press(s, '?');
  assert.equal(s.getState().ui.help, true);
  press(s, 'j');
  assert.equal(s.getState().ui.help, true, 'help swallows other keys');
  press(s, '', { escape: true });
  assert.equal(s.getState().ui.help, false);
  press(s, 'q');
  assert.equal(s.getState().ui.quit, true);
});

test('dispatch: "fapp:" in one read opens the prompt and types into it; q and p are text there', () => {
  const s = store();
  press(s, 'fapp:');
  assert.equal(s.getState().ui.prompt, 'app:');
  press(s, 'pq');
  assert.equal(s.getState().ui.prompt, 'app:pq');
  assert.equal(s.getState().monitor.desired, 'on');
  assert.equal(s.getState().ui.quit, false);
  press(s, '', { delete: true });
  press(s, '', { delete: true });
  press(s, '', { return: true });
  assert.equal(s.getState().ui.prompt, undefined);
  assert.deepEqual(s.getState().ui.filters[0], { prefix: 'app:', active: true, preset: true });
  assert.equal(s.getState().ui.filters.length, 2, 'an existing prefix is re-activated, not duplicated');
  press(s, 'f');
  press(s, '', { escape: true });
  assert.equal(s.getState().ui.prompt, undefined);
  press(s, '/');
  press(s, 'c', { ctrl: true });
  assert.equal(s.getState().ui.quit, true, 'Ctrl-C quits even while typing');
});

test('the paced mirror passes data at most once per interval, and UI changes at once', async () => {
  const s = store();
  let t = 0;
  const paced = pacedStore(s, 100, () => t);
  const seen: number[] = [];
  paced.store.subscribe((st) => seen.push(st.view.version));
  const publish = (v: number) => s.getState().actions.published({ ...emptyView(), version: v }, [nodeStatus({ stream: { lines: v, unparsed: 0, unparsedReasons: {}, eventsPerSec: 0, dropped: 0 } })]);
  publish(1); // first change: passed on at once (nothing was shown for 100 ms)
  t = 10;
  publish(2);
  t = 20;
  publish(3);
  assert.deepEqual(seen, [1]);
  s.getState().ui.actions.cycleSort(); // a key press: shown at once, with the newest data
  assert.deepEqual(seen, [1, 3]);
  assert.equal(paced.store.getState().ui.sort.column, 'reads');
  t = 30;
  publish(4);
  await new Promise((r) => setTimeout(r, 130));
  assert.deepEqual(seen, [1, 3, 4]);
  paced.dispose();
});

test('keys that arrive in one read stay keys: held Backspace erases, Enter submits, escape sequences vanish', () => {
  assert.deepEqual(keyNames('ab\x7f\x7f\rq', {}), ['a', 'b', 'backspace', 'backspace', 'enter', 'q']);
  assert.deepEqual(keyNames('\x1b[A\x1b[Bj', {}), ['j']);
  const s = store();
  press(s, 'e');
  assert.equal(s.getState().ui.promptKind, 'export');
  const name = s.getState().ui.prompt!;
  press(s, '\x7f\x7f\x7fcsv');
  assert.equal(s.getState().ui.prompt, `${name.slice(0, -3)}csv`, 'the held Backspace erased, not typed');
  press(s, '\r');
  assert.equal(s.getState().ui.prompt, undefined);
  assert.equal(s.getState().ui.exportRequest?.path, `${name.slice(0, -3)}csv`);
  assert.equal(s.getState().ui.exportRequest?.seq, 1);
});
