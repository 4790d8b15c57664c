// `redis-recon` without --headless: the store, the engine, the full-screen dashboard, and a clean
// way out. Connection failures never end the run: the poller keeps retrying and the status bar says
// what failed. Exit codes: 0 after q or Ctrl-C, 128+n after signal n, and an exception is rethrown
// (cli.ts prints it and exits 70) once the terminal is restored.
import type { Config } from '../src/config.ts';
import { createReconStore, type ReconStore } from '../src/store.ts';
import { prepareRun } from '../src/run.ts';
import { exportInventory } from '../src/export/exportFile.ts';
import { exportPlan } from '../src/export/plan.ts';
import type { AuditSpec } from '../src/collect/protocol.ts';
import { pacedStore } from './pacedStore.ts';
import { osc52 } from '../src/ui/copy.ts';
import { countServices, upgradeSummary, upgradeText } from '../src/ui/services.ts';
import { enterScreen, forgetCiForInk } from './terminal.ts';
import { isTerminalGone, listenForStop, signalExitCode, terminalGone } from '../src/signals.ts';
import type { OwnerMap } from '../src/owners/ownerMap.ts';
import { startReverseDns } from '../src/owners/reverseDns.ts';

export interface DashboardOptions {
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WriteStream;
  readonly stderr?: NodeJS.WriteStream;
  /** Ink's frame cap; only bursts of key presses ever reach it (data frames are paced below). */
  readonly maxFps?: number;
  /** Data changes reach the panes at most once per this many ms (about 10 frames/s). */
  readonly paceMs?: number;
  /** Called after every frame Ink draws (the benchmark counts frames with it). */
  readonly onRender?: (renderTimeMs: number) => void;
  /** Gives the caller the store (the benchmark presses keys through it). */
  readonly onStore?: (store: ReconStore) => void;
  /** The migration target and library knowledge base each collector judges clients against (src/audit). */
  readonly audit?: AuditSpec;
  /** The target those findings are for, named in exports. */
  readonly target?: { id: string; title: string };
  /** Owners of client addresses, from the `--hosts` files. */
  readonly owners?: OwnerMap;
}

/**
 * Ink's throttle: a key press waits at most 1000/maxFps ms behind the previous frame. At 30, a key
 * pressed just after a frame waited up to 33 ms more for its own (the slowest tenth of page-down
 * presses at 30,000 connections: 83-89 ms, 46-65 ms at 60). Data frames are paced apart anyway
 * (DEFAULT_PACE_MS), and collection runs on its own thread: only a held key draws this often.
 */
export const DEFAULT_MAX_FPS = 60;
export const DEFAULT_PACE_MS = 100;

/** Error codes that mean the terminal is gone (it hung up, or was closed under us). */
const TERMINAL_GONE = /^(EIO|EPIPE|EBADF|ENXIO)$/;

/** The engine's own stop is bounded (a collector gets 5 s); this is the backstop. */
const STOP_TIMEOUT_MS = 6000;

export async function runDashboard(config: Config, opts: DashboardOptions = {}): Promise<number> {
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const prepared = prepareRun(config);
  if (!prepared.ok) {
    stderr.write(`redis-recon: ${prepared.error}\n`);
    return 2;
  }
  const source = prepared.run;
  forgetCiForInk();
  const [{ render }, React, { Dashboard }, { StoreContext }] = await Promise.all([
    import('ink'),
    import('react'),
    import('./App.tsx'),
    import('./context.tsx'),
  ]);

  const store = createReconStore({
    endpoint: source.endpoint,
    now: source.now,
    monitor: config.monitor,
    // Sampled applies to a live server; a recording or capture is what it is.
    ...(source.kind === 'live' ? { monitorMode: config.monitorMode } : {}),
    monitorBudgetMs: config.monitorBudgetMs,
    monitorMaxOmemBytes: config.monitorMaxOmemBytes,
    presets: config.prefixes,
    showSelf: config.showSelf,
    delimiter: config.delimiter,
    viewport: { columns: stdout.columns || 80, rows: stdout.rows || 24 },
    keyspace: source.kind !== 'live' ? 'unavailable' : config.keyspace ? 'on' : 'off',
    ...(opts.target ? { target: opts.target } : {}),
    ...(source.to !== undefined ? { to: source.to } : {}),
    quietAfterMs: config.quietAfterMs,
    owners: opts.owners ?? null,
  });
  opts.onStore?.(store);
  let { engine } = source.start(store, { audit: opts.audit ?? null });
  // A recording or capture read to its end says so; a recording can be replayed again with `r`.
  const watchEnd = (e: typeof engine): void => {
    e.done?.then((summary) => {
      if (e === engine) store.getState().actions.sourceEnded(summary, source.kind === 'replay');
    }).catch(() => {});
  };
  watchEnd(engine);
  const dns = config.resolve ? startReverseDns(store) : undefined;
  // `y`: the copied value goes to the terminal's clipboard (OSC 52), escaped (src/ui/copy.ts).
  let copySeq = 0;
  const stopCopies = store.subscribe((s) => {
    const c = s.ui.copyRequest;
    if (!c || c.seq === copySeq) return;
    copySeq = c.seq;
    stdout.write(osc52(c.text, Boolean(process.env.TMUX)));
  });
  let restartSeq = 0;
  const stopRestarts = store.subscribe((s) => {
    if (s.restartRequest === undefined || s.restartRequest === restartSeq) return;
    restartSeq = s.restartRequest;
    const old = engine;
    void old.stop().then(() => {
      store.getState().actions.resetData();
      engine = source.start(store, { audit: opts.audit ?? null }).engine;
      engine.ready.catch(() => {});
      watchEnd(engine);
      store.getState().ui.actions.notify('replaying from the start');
    });
  });
  // The export key asks through the store; the file is written here, at the edge.
  let exportSeq = 0;
  /** The export being written: quitting waits for it, so it is never cut off half written. */
  let exporting: Promise<void> = Promise.resolve();
  const stopExports = store.subscribe((s) => {
    const request = s.ui.exportRequest;
    if (!request || request.seq === exportSeq) return;
    exportSeq = request.seq;
    const notify = (message: string): void => store.getState().ui.actions.notify(message);
    // Wait for the flush round under way, so the export never mixes a half-applied batch.
    if (request.kind === 'plan') {
      exporting = engine
        .sync()
        .then(() => exportPlan(store.getState(), request.path, { includeSelf: config.showSelf, now: source.now }))
        .then((r) => {
          const n = r.plan.patterns.length;
          notify(r.ok ? `wrote the extraction plan to ${r.path}: ${n} pattern${n === 1 ? '' : 's'}, ${new Set([...r.plan.services.readers, ...r.plan.services.writers]).size} services to repoint` : r.error);
        })
        .catch((err: unknown) => notify(`plan export failed: ${(err as Error).message}`));
      return;
    }
    exporting = engine
      .sync()
      .then(() => exportInventory(store.getState(), request.path, { includeSelf: config.showSelf, target: opts.target, now: source.now }))
      .then((r) => {
        const { summary } = r.inventory;
        // Counted as people count: services and library versions, not connections.
        const services = countServices(r.inventory.clients).length;
        notify(r.ok ? `wrote ${r.path}: ${services} service${services === 1 ? '' : 's'} (${summary.clients} connections), ${upgradeText(upgradeSummary(r.inventory.clients))}` : r.error);
      })
      .catch((err: unknown) => notify(`export failed: ${(err as Error).message}`));
  });
  // A failed first connect is already in the store (poll.lastError); the dashboard shows it and the
  // poller keeps retrying.
  engine.ready.catch(() => {});

  const screen = enterScreen(stdout, stdin);
  const paced = pacedStore(store, opts.paceMs ?? DEFAULT_PACE_MS);
  let exitCode = 0;
  // A signal quits like q does (SIGHUP: the terminal is gone, so nothing more is drawn); a second
  // one ends the process at once (src/signals.ts).
  const signals = listenForStop((sig) => {
    exitCode = signalExitCode(sig);
    store.getState().ui.actions.quit();
  });
  // The terminal can fail before its SIGHUP arrives (a read or write gets EIO): the same hangup.
  const hungUp = (): void => {
    terminalGone();
    if (exitCode === 0) exitCode = signalExitCode('SIGHUP');
    store.getState().ui.actions.quit();
  };
  const onTerminalError = (err: NodeJS.ErrnoException): void => {
    if (TERMINAL_GONE.test(err?.code ?? '')) hungUp();
  };
  stdin.on('error', onTerminalError);
  stdout.on('error', onTerminalError);
  // A crash anywhere (engine, a socket callback) must not leave the terminal in raw mode on the
  // alternate screen: restore it, say what happened, and exit.
  const onFatal = (err: unknown): void => {
    // The terminal hung up: reads and writes fail from now on, and that is no internal error.
    if (TERMINAL_GONE.test(String((err as NodeJS.ErrnoException)?.code ?? ''))) {
      hungUp();
      return;
    }
    screen.restore();
    stderr.write(`redis-recon: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    if (process.env.RECON_DEBUG) stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    process.exit(70);
  };
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);

  let failure: unknown;
  let instance: ReturnType<typeof render> | undefined;
  try {
    instance = render(
      React.createElement(
        StoreContext.Provider,
        { value: { live: store, shown: paced.store } },
        // Ages and elapsed times read the source's clock: the recorded time during a replay.
        React.createElement(Dashboard, { clock: source.now }),
      ),
      {
        stdin,
        stdout,
        stderr,
        exitOnCtrlC: false,
        patchConsole: false,
        maxFps: opts.maxFps ?? DEFAULT_MAX_FPS,
        onRender: opts.onRender ? (m) => opts.onRender!(m.renderTime) : undefined,
      },
    );
    await instance.waitUntilExit();
  } catch (err) {
    failure = err;
  } finally {
    try {
      instance?.unmount();
    } catch {
      /* already unmounted */
    }
    paced.dispose();
    if (!isTerminalGone()) screen.restore();
  }
  // The terminal is the user's again; now finish an export under way and close our connections and
  // the recording (bounded: a dead server must not hold the shell).
  dns?.stop();
  await Promise.race([
    exporting.then(() => engine.stop()).catch(() => {}),
    new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS).unref()),
  ]);
  signals.dispose();
  stdin.off('error', onTerminalError);
  stdout.off('error', onTerminalError);
  if (config.planFile) {
    const r = await exportPlan(store.getState(), config.planFile, { includeSelf: config.showSelf, now: source.now }).catch((err: unknown) => ({ ok: false as const, error: (err as Error).message }));
    if (!r.ok) stderr.write(`redis-recon: ${r.error}\n`);
  }
  stopExports();
  stopRestarts();
  stopCopies();
  process.off('uncaughtException', onFatal);
  process.off('unhandledRejection', onFatal);
  if (failure !== undefined) throw failure;
  return exitCode;
}
