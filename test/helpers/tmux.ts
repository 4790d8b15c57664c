// A private tmux server for end-to-end tests: run the real CLI in a real terminal, type keys, read
// the screen. Each test file gets its own socket, so parallel runs never see each other's panes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

export interface Terminal {
  /** Starts `command` (argv) in a new session of the given size, with `env` merged in. */
  start(command: string[], opts?: { columns?: number; rows?: number; env?: Record<string, string | undefined>; cwd?: string }): void;
  screen(): string;
  keys(...k: string[]): void;
  literal(text: string): void;
  altScreen(): boolean;
  /** True while the session's command still runs. */
  alive(): boolean;
  waitScreen(pred: (s: string) => boolean, what: string, ms?: number): Promise<string>;
  /** Resizes the terminal, as a user dragging the window would. */
  resize(columns: number, rows: number): void;
  kill(): void;
}

export function terminal(name: string): Terminal {
  const socket = `recon-${name}-${process.pid}`;
  const session = 'main';
  const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const t: Terminal = {
    start(command, opts = {}) {
      const env = Object.entries(opts.env ?? {}).flatMap(([k, v]) => (v === undefined ? [] : ['-e', `${k}=${v}`]));
      tmux('new-session', '-d', '-s', session, '-x', String(opts.columns ?? 140), '-y', String(opts.rows ?? 40), ...(opts.cwd ? ['-c', opts.cwd] : []), ...env, ...command);
      // Keep the pane after the command exits, so a test can read what it printed last.
      tmux('set-option', '-t', session, 'remain-on-exit', 'on');
    },
    screen: () => tmux('capture-pane', '-p', '-t', session),
    keys: (...k) => void tmux('send-keys', '-t', session, ...k),
    literal: (text) => void tmux('send-keys', '-t', session, '-l', text),
    altScreen: () => tmux('display-message', '-p', '-t', session, '#{alternate_on}').trim() === '1',
    alive: () => tmux('display-message', '-p', '-t', session, '#{pane_dead}').trim() === '0',
    async waitScreen(pred, what, ms = 8000) {
      const end = Date.now() + ms;
      let last = '';
      for (;;) {
        try {
          last = t.screen();
        } catch {
          /* pane gone */
        }
        if (pred(last)) return last;
        if (Date.now() > end) assert.fail(`timed out waiting for ${what}; screen:\n${last}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    resize(columns, rows) {
      tmux('resize-window', '-t', session, '-x', String(columns), '-y', String(rows));
    },
    kill() {
      try {
        tmux('kill-server');
      } catch {
        /* already gone */
      }
    },
  };
  return t;
}
