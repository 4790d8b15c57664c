// The one store. Sources publish into it once per flush; the UI and keyboard read and act on it.
// Intent (what the user wants MONITOR to do) is kept apart from fact (what MONITOR is doing), so a
// key press never touches a socket: the monitor source watches `monitor.desired` and reconciles.
import { createStore, type StoreApi } from 'zustand/vanilla';
import bytes from 'bytes';
import { BOUNDS } from './bounds.ts';
import type { ServerIdentity } from './types.ts';
import type { SessionView } from './analysis/session.ts';
import { emptyView } from './analysis/session.ts';
import { createUiSlice, type UiSlice } from './ui/uiSlice.ts';

export type MonitorDesire = 'on' | 'paused' | 'off';
export type MonitorPhase = 'off' | 'connecting' | 'on' | 'reconnecting' | 'paused' | 'stopped' | 'error';

export interface MonitorStatus {
  readonly desired: MonitorDesire;
  readonly phase: MonitorPhase;
  /** Why MONITOR is paused, stopped or failing, in words for the status bar. */
  readonly reason?: string;
  /** Wall time when the current 'on' period began. */
  readonly onSince?: number;
  /** Time spent with MONITOR on in earlier periods. */
  readonly onBeforeMs: number;
  readonly budgetMs?: number;
  /** The server's output buffer for our MONITOR connection at the last poll (bytes). */
  readonly omem?: number;
  readonly maxOmem: number;
}

export interface StreamCounts {
  readonly lines: number;
  readonly unparsed: number;
  /** Why a few lines could not be read (the parser's reasons; never the lines, which may hold values). */
  readonly unparsedSamples: readonly string[];
  /** Lines dropped because the engine fell behind (the pending buffer was full). */
  readonly dropped: number;
  readonly eventsPerSec: number;
}

export interface PollStatus {
  readonly lastAt?: number;
  readonly polls: number;
  readonly lastError?: string;
  readonly lastErrorAt?: number;
  /** The poller gave up (bad password, missing permission, TLS refused): retrying cannot help. */
  readonly gaveUp?: boolean;
}

export interface ReconState {
  readonly endpoint: string;
  readonly startedAt: number;
  readonly server?: ServerIdentity;
  readonly poll: PollStatus;
  readonly monitor: MonitorStatus;
  readonly stream: StreamCounts;
  readonly commandTable: { readonly source: 'pending' | 'server' | 'fallback'; readonly warning?: string };
  readonly view: SessionView;
  /** Messages worth saying once (e.g. that the server predates lib-name). */
  readonly notices: readonly string[];
  readonly actions: ReconActions;
  /** The dashboard's own state and the actions its keymap calls (see src/ui/uiSlice.ts). */
  readonly ui: UiSlice;
}

export interface ReconActions {
  /** Pause a running MONITOR or resume a paused/stopped one (the `p` key). */
  toggleMonitor(): void;
  pauseMonitor(reason?: string): void;
  resumeMonitor(): void;
  /** Budget spent, buffer guard tripped, or the run is ending. */
  stopMonitor(reason: string): void;
  // Reports from the sources.
  monitorPhase(phase: MonitorPhase, reason?: string): void;
  monitorOmem(omem: number | undefined): void;
  pollSucceeded(at: number, server: ServerIdentity): void;
  pollFailed(at: number, message: string, gaveUp?: boolean): void;
  commandTableLoaded(source: 'server' | 'fallback', warning?: string): void;
  published(view: SessionView, stream: StreamCounts): void;
  notice(message: string): void;
  /** A capture's window begins at its first line's time, not when reading began. */
  windowStarted(at: number): void;
}

export interface StoreOptions {
  endpoint: string;
  monitor: boolean;
  monitorBudgetMs?: number;
  monitorMaxOmemBytes: number;
  now?: () => number;
  /** Preset key-prefix filters (--prefix / RECON_PREFIXES); they start inactive. */
  presets?: readonly string[];
  /** Show redis-recon's own connections in the dashboard. */
  showSelf?: boolean;
  /** Key prefix delimiter, for drilling out of a heatmap prefix. */
  delimiter?: string;
  /** Terminal size at start (the dashboard updates it on resize). */
  viewport?: { columns: number; rows: number };
}

export type ReconStore = StoreApi<ReconState>;

export function createReconStore(opts: StoreOptions): ReconStore {
  const now = opts.now ?? Date.now;
  return createStore<ReconState>()((set, get) => {
    const setMonitor = (patch: Partial<MonitorStatus>): void => set((s) => ({ monitor: { ...s.monitor, ...patch } }));
    /** Banks the current on-period so elapsed time survives pauses. */
    const bankOnTime = (m: MonitorStatus): Partial<MonitorStatus> =>
      m.onSince === undefined ? {} : { onSince: undefined, onBeforeMs: m.onBeforeMs + (now() - m.onSince) };

    const actions: ReconActions = {
      toggleMonitor() {
        const m = get().monitor;
        if (m.desired === 'on') actions.pauseMonitor('paused by you');
        else actions.resumeMonitor();
      },
      pauseMonitor(reason = 'paused by you') {
        const m = get().monitor;
        if (m.desired !== 'on') return;
        setMonitor({ desired: 'paused', reason, ...bankOnTime(m) });
      },
      resumeMonitor() {
        const m = get().monitor;
        if (m.desired === 'on') return;
        const spent = m.budgetMs !== undefined && m.onBeforeMs >= m.budgetMs;
        // Resuming after the budget ran out starts a fresh budget: the user asked for more, knowingly.
        setMonitor({ desired: 'on', reason: undefined, ...(spent ? { onBeforeMs: 0 } : {}) });
      },
      stopMonitor(reason) {
        const m = get().monitor;
        if (m.desired === 'off' && m.phase === 'stopped') return;
        setMonitor({ desired: 'off', reason, ...bankOnTime(m) });
      },
      monitorPhase(phase, reason) {
        const m = get().monitor;
        setMonitor({
          phase,
          ...(phase === 'on' ? (m.onSince === undefined ? { onSince: now() } : {}) : bankOnTime(m)),
          ...(reason !== undefined || phase === 'on' ? { reason } : {}),
        });
      },
      monitorOmem(omem) {
        // Most polls change nothing here: keep the object, so the status bar does not redraw.
        if (get().monitor.omem !== omem) setMonitor({ omem });
        const m = get().monitor;
        if (omem !== undefined && omem > m.maxOmem && m.desired === 'on') {
          actions.pauseMonitor(
            `buffer guard: the server held ${mb(omem)} for our MONITOR connection (limit ${mb(m.maxOmem)}); press p to resume`,
          );
        }
      },
      pollSucceeded(at, server) {
        set((s) => ({ server, poll: { ...s.poll, lastAt: at, polls: s.poll.polls + 1, lastError: undefined, gaveUp: false } }));
      },
      pollFailed(at, message, gaveUp = false) {
        set((s) => ({ poll: { ...s.poll, lastError: message, lastErrorAt: at, gaveUp } }));
      },
      commandTableLoaded(source, warning) {
        set({ commandTable: { source, warning } });
      },
      published(view, stream) {
        set({ view, stream });
      },
      windowStarted(at) {
        set({ startedAt: at });
      },
      notice(message) {
        if (!get().notices.includes(message)) set((s) => ({ notices: [...s.notices, message].slice(-BOUNDS.notices) }));
      },
    };

    return {
      endpoint: opts.endpoint,
      startedAt: now(),
      poll: { polls: 0 },
      monitor: {
        desired: opts.monitor ? 'on' : 'off',
        phase: 'off',
        reason: opts.monitor ? undefined : 'off (--no-monitor)',
        onBeforeMs: 0,
        budgetMs: opts.monitorBudgetMs,
        maxOmem: opts.monitorMaxOmemBytes,
      },
      stream: { lines: 0, unparsed: 0, unparsedSamples: [], eventsPerSec: 0, dropped: 0 },
      commandTable: { source: 'pending' },
      view: emptyView(),
      notices: [],
      actions,
      ui: createUiSlice(set, get, {
        presets: opts.presets,
        showSelf: opts.showSelf,
        delimiter: opts.delimiter,
        viewport: opts.viewport,
      }),
    };
  });
}

/** Time MONITOR has been on, over all its periods. */
export const monitorElapsedMs = (m: MonitorStatus, nowMs: number): number =>
  m.onBeforeMs + (m.onSince === undefined ? 0 : nowMs - m.onSince);

const mb = (n: number): string => bytes.format(n, { unitSeparator: ' ' }) ?? `${n} B`;
