// Mounting the dashboard on a fixture for ink-testing-library tests: keys, frames, resizes.
import assert from 'node:assert/strict';
import { render as renderTest } from 'ink-testing-library';
import { StoreContext } from '../../components/context.tsx';
import { Dashboard } from '../../components/App.tsx';
import { makeFixture, T0, type Fixture } from '../ui-fixtures.ts';
import type { ReconStore } from '../../src/store.ts';

export const KEY = {
  tab: '\t',
  shiftTab: '\u001b[Z',
  up: '\u001b[A',
  down: '\u001b[B',
  left: '\u001b[D',
  right: '\u001b[C',
  enter: '\r',
  esc: '\u001b',
  backspace: '\u007f',
  ctrlC: '\u0003',
};


export async function until(frame: () => string | undefined, pred: (f: string) => boolean, what: string, ms = 2000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const f = frame() ?? '';
    if (pred(f)) return f;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; last frame:\n${f}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export interface Mounted {
  readonly fx: Fixture;
  frame(): string;
  press(...keys: string[]): Promise<void>;
  waitFor(pred: (f: string) => boolean, what: string): Promise<string>;
  resize(columns: number, rows: number): void;
}

/**
 * The dashboard on `store`, at a size, once its first frame shows (`ready`, default: the clients
 * pane) and the store knows the size. Keys go in one by one, a lone Esc held a tick longer.
 */
export async function mountStore(
  store: ReconStore,
  opts: { columns?: number; rows?: number; ready?: (f: string) => boolean; clock?: () => number } = {},
): Promise<Omit<Mounted, 'fx'>> {
  const columns = opts.columns ?? 140;
  const rows = opts.rows ?? 36;
  const r = renderTest(
    <StoreContext.Provider value={{ live: store, shown: store }}>
      <Dashboard clock={opts.clock ?? (() => T0 + 3000)} />
    </StoreContext.Provider>,
  );
  const resize = (c: number, h: number): void => {
    Object.defineProperty(r.stdout, 'columns', { value: c, configurable: true });
    Object.defineProperty(r.stdout, 'rows', { value: h, configurable: true });
    r.stdout.emit('resize');
  };
  resize(columns, rows);
  const frame = (): string => r.lastFrame() ?? '';
  await until(frame, opts.ready ?? ((f) => f.includes('Clients')), 'the first frame');
  await until(
    () => {
      const v = store.getState().ui.viewport;
      return `${v.columns}x${v.rows}`;
    },
    (v) => v === `${columns}x${rows}`,
    'the size in the store',
  );
  // Let useInput attach its listener before the first key.
  await new Promise((res) => setImmediate(res));
  return {
    frame,
    async press(...keys) {
      for (const k of keys) {
        r.stdin.write(k);
        // A lone ESC is held one tick by Ink's input parser (it may start a sequence).
        await new Promise((res) => setTimeout(res, k === KEY.esc ? 20 : 2));
      }
    },
    waitFor: (pred, what) => until(frame, pred, what),
    resize,
  };
}

export async function mount(opts: Parameters<typeof makeFixture>[0] & { columns?: number; rows?: number } = {}): Promise<Mounted> {
  const fx = makeFixture(opts);
  return { fx, ...(await mountStore(fx.store, opts)) };
}

/** The first line of a frame holding `text`. */
export const lineWith = (f: string, text: string): string => f.split('\n').find((l) => l.includes(text)) ?? '';
