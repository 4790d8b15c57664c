// How a run ends on a signal, the same way headless and in the dashboard: SIGINT, SIGTERM and SIGHUP
// each stop the run, which still finishes its recording and writes its export, then exits 128+n
// (130, 143, 129), as a shell reports a process the signal ended. A second signal while that is
// under way ends the process at once, leaving no temporary file behind. SIGHUP means the terminal is
// gone: nothing may be written to it any more (a write fails with EIO), and Node's own exit would
// trip on restoring its modes (an assertion, exit 139), so the dead terminal is let go first.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { isatty } from 'node:tty';
import { removePendingTemps } from './export/writeAtomic.ts';

export const STOP_SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

/** The exit code for a run a signal ended: 128 + its number. */
export const signalExitCode = (sig: StopSignal): number => 128 + STOP_SIGNALS[sig];

export interface StopSignals {
  /** Resolves with the first stop signal. */
  readonly first: Promise<StopSignal>;
  /** The first signal, once one arrived. */
  readonly received: StopSignal | undefined;
  dispose(): void;
}

/**
 * Listens for SIGINT, SIGTERM and SIGHUP. The first calls `onFirst` (the run stops and exports);
 * a second one removes any export half written and exits at once with its code.
 */
export function listenForStop(onFirst?: (sig: StopSignal) => void): StopSignals {
  let received: StopSignal | undefined;
  let resolveFirst!: (s: StopSignal) => void;
  const first = new Promise<StopSignal>((r) => (resolveFirst = r));
  const handlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((sig) => {
    const h = (): void => {
      if (sig === 'SIGHUP') terminalGone();
      if (received !== undefined) {
        removePendingTemps();
        if (received === 'SIGHUP' || sig === 'SIGHUP') releaseTerminal();
        process.exit(signalExitCode(sig));
      }
      received = sig;
      resolveFirst(sig);
      onFirst?.(sig);
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  return {
    first,
    get received() {
      return received;
    },
    dispose() {
      for (const [sig, h] of handlers) process.off(sig, h);
    },
  };
}

let gone = false;

/**
 * The terminal hung up: every later write to it fails (EIO). Those failures are expected now and
 * must not surface as an "internal error".
 */
export function terminalGone(): void {
  if (gone) return;
  gone = true;
  for (const s of [process.stdin, process.stdout, process.stderr]) s.on('error', () => {});
}

export const isTerminalGone = (): boolean => gone;

/**
 * Points standard input, output and error that are terminals at /dev/null, just before exiting
 * after a hangup. Node restores a terminal's modes on exit and aborts when that fails, which it does
 * on a terminal that hung up; a descriptor that no longer refers to the terminal is left alone.
 */
export function releaseTerminal(): void {
  for (const fd of [0, 1, 2]) {
    try {
      // isatty() is already false for a terminal that hung up (its modes cannot be read), so any
      // character device counts; files and pipes stay as they are.
      if (!isatty(fd) && !fstatSync(fd).isCharacterDevice()) continue;
      closeSync(fd);
      // The lowest free descriptor is the one just closed.
      openSync('/dev/null', fd === 0 ? 'r' : 'w');
    } catch {
      /* nothing more to do */
    }
  }
}
