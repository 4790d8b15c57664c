// Paces what the panes see. The engine commits once per flush, but a short --flush-interval (or a
// storm of polls and notices) could still ask for more frames than a terminal needs; this mirror of
// the store passes data changes (`view`, `stream`) on at most once per `intervalMs`, and everything
// else at once: a key press changes `ui` (or `monitor`, for `p`) and is drawn on the next frame,
// carrying the newest data with it. Ink's own `maxFps` then only bounds bursts of key presses.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ReconState, ReconStore } from '../src/store.ts';

export interface PacedStore {
  readonly store: StoreApi<ReconState>;
  /** Data commits passed on (frames caused by data), for the benchmark. */
  readonly dataCommits: () => number;
  dispose(): void;
}

/**
 * Fields whose changes wait for the next paced slot: what the collectors report. Every other change
 * (the UI's own state, the MONITOR intent a key press sets) is passed on at once.
 */
const PACED: ReadonlyArray<keyof ReconState> = ['view', 'stream', 'nodes', 'poll', 'server', 'commandTable', 'notices', 'startedAt', 'owners'];

/** A change of `monitor` is data unless the intent changed (the `p` key). */
const dataOnly = (s: ReconState, prev: ReconState, k: keyof ReconState): boolean =>
  s[k] === prev[k] || PACED.includes(k) || (k === 'monitor' && s.monitor.desired === prev.monitor.desired && s.monitor.desiredReason === prev.monitor.desiredReason);

export function pacedStore(source: ReconStore, intervalMs: number, now: () => number = Date.now): PacedStore {
  if (intervalMs <= 0) return { store: source, dataCommits: () => 0, dispose: () => {} };
  const mirror = createStore<ReconState>()(() => source.getState());
  let timer: NodeJS.Timeout | undefined;
  let last = -Infinity;
  let commits = 0;

  const push = (): void => {
    clearTimeout(timer);
    timer = undefined;
    last = now();
    const s = source.getState();
    if (mirror.getState() !== s) {
      if (mirror.getState().view !== s.view) commits++;
      mirror.setState(s, true);
    }
  };

  const unsubscribe = source.subscribe((s, prev) => {
    const onlyData = (Object.keys(s) as (keyof ReconState)[]).every((k) => dataOnly(s, prev, k));
    if (!onlyData) return push();
    if (timer !== undefined) return;
    const wait = last + intervalMs - now();
    if (wait <= 0) push();
    else {
      timer = setTimeout(push, wait);
      timer.unref?.();
    }
  });

  return {
    store: mirror,
    dataCommits: () => commits,
    dispose() {
      unsubscribe();
      clearTimeout(timer);
    },
  };
}
