// The terminal around the dashboard: the alternate screen going in, and everything put back coming
// out, whichever way the run ends (q, Ctrl-C, a signal, an exception, process exit). `restore` is
// idempotent and synchronous, so every exit path can simply call it.

export const ENTER = '\u001b[?1049h\u001b[2J\u001b[H\u001b[?25l';
/** Cursor back on, line wrap on, main screen back. */
export const LEAVE = '\u001b[?25h\u001b[?7h\u001b[?1049l';

export interface Screen {
  restore(): void;
}

export function enterScreen(stdout: NodeJS.WriteStream, stdin?: NodeJS.ReadStream): Screen {
  let done = false;
  const restore = (): void => {
    if (done) return;
    done = true;
    process.off('exit', restore);
    try {
      if (stdin?.isTTY && stdin.isRaw) stdin.setRawMode(false);
    } catch {
      /* stdin already gone */
    }
    try {
      // TTY writes are synchronous on POSIX, so this lands even from an 'exit' handler.
      if (!stdout.destroyed) stdout.write(LEAVE);
    } catch {
      /* stdout already gone */
    }
  };
  stdout.write(ENTER);
  process.on('exit', restore);
  return { restore };
}

/**
 * Ink draws only the final frame when it believes it runs under CI (CI, CONTINUOUS_INTEGRATION or
 * any CI_* variable set), which would leave a real terminal blank for the whole run. The dashboard
 * only starts on a TTY, so those variables are dropped from this process before Ink is loaded.
 * Returns the names removed.
 */
export function forgetCiForInk(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.CI === '0' || env.CI === 'false') return [];
  const names = Object.keys(env).filter((k) => k === 'CI' || k === 'CONTINUOUS_INTEGRATION' || k.startsWith('CI_'));
  for (const k of names) delete env[k];
  return names;
}
