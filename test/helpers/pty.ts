// A program in a pseudo-terminal that the test controls (test/helpers/pty-driver.py): it can stop
// reading the terminal for a while, as an SSH session that stalls or a laptop lid that closes, and
// then drain it. Everything the program drew is kept, so a test can read what the screen said.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const DRIVER = fileURLToPath(new URL('./pty-driver.py', import.meta.url));

export interface PtyProgram {
  /** The program's pid (once started). */
  readonly pid: Promise<number>;
  /** Everything drawn so far, escape sequences stripped. */
  text(from?: number): string;
  /** Bytes drawn so far (an offset for `text(from)`). */
  readonly length: number;
  /** Stops reading the terminal: the program's writes block once the pty's buffer fills. */
  stop(): Promise<void>;
  /** Reads the terminal again. */
  drain(): Promise<void>;
  /** Types raw bytes (e.g. 's', '\x1b' for Esc, 'q'). */
  keys(text: string): void;
  signal(sig: number): void;
  /** Waits until the text drawn since `from` satisfies `pred`. */
  waitText(pred: (text: string) => boolean, what: string, ms?: number, from?: number | (() => number)): Promise<string>;
  /** Resolves with the exit code (128+n after signal n). */
  readonly exited: Promise<number>;
  kill(): void;
}

/** Escape sequences out, so a test can look for words (Ink colours and moves the cursor between them). */
export const stripAnsi = (s: string): string =>
  // CSI (colours, cursor moves, modes), OSC, and two-byte escapes.
  // eslint-disable-next-line no-control-regex
  s.replace(/\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g, '');

/** The environment for a dashboard in a pty: a real terminal type, no CI variables (Ink would draw only its last frame), no ./.env. */
export function ptyEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', RECON_ENV_FILE: '/nonexistent', ...extra };
  for (const k of Object.keys(env)) if (k === 'CI' || k === 'CONTINUOUS_INTEGRATION' || k.startsWith('CI_')) delete env[k];
  return env;
}

export function runInPty(argv: readonly string[], opts: { columns?: number; rows?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {}): PtyProgram {
  const child: ChildProcess = spawn('python3', [DRIVER, String(opts.columns ?? 140), String(opts.rows ?? 40), '--', ...argv], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: opts.env ?? process.env,
    cwd: opts.cwd,
  });
  // Every chunk drawn, with where it starts: text(from) joins only the chunks from there on.
  const chunks: Buffer[] = [];
  const starts: number[] = [];
  let bytes = 0;
  child.stdout!.on('data', (d: Buffer) => {
    chunks.push(d);
    starts.push(bytes);
    bytes += d.length;
  });
  const tail = (from: number): Buffer => {
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= from) lo = mid;
      else hi = mid - 1;
    }
    if (chunks.length === 0) return Buffer.alloc(0);
    const parts = chunks.slice(lo);
    parts[0] = parts[0]!.subarray(Math.max(0, from - starts[lo]!));
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  };
  const waiters: Array<{ word: string; resolve: () => void }> = [];
  let resolvePid!: (pid: number) => void;
  const pid = new Promise<number>((r) => (resolvePid = r));
  let resolveExit!: (code: number) => void;
  const exited = new Promise<number>((r) => (resolveExit = r));
  let errText = '';
  let errLine = '';
  child.stderr!.on('data', (d: Buffer) => {
    errLine += d.toString();
    let i: number;
    while ((i = errLine.indexOf('\n')) >= 0) {
      const line = errLine.slice(0, i);
      errLine = errLine.slice(i + 1);
      const [word, arg] = line.split(' ');
      if (word === 'started') resolvePid(Number(arg));
      else if (word === 'exit') resolveExit(Number(arg));
      else if (word !== 'stopped' && word !== 'draining') errText += `${line}\n`;
      for (const w of waiters.splice(0)) {
        if (w.word === word) w.resolve();
        else waiters.push(w);
      }
    }
  });
  child.once('exit', () => resolveExit(-1));
  const command = (line: string, ack?: string): Promise<void> => {
    const acked = ack ? new Promise<void>((resolve) => waiters.push({ word: ack, resolve })) : Promise.resolve();
    child.stdin!.write(`${line}\n`);
    return acked;
  };

  const p: PtyProgram = {
    pid,
    text: (from = 0) => stripAnsi(tail(from).toString('utf8')),
    get length() {
      return bytes;
    },
    stop: () => command('stop', 'stopped'),
    drain: () => command('go', 'draining'),
    keys: (text) => void command(`keys ${Buffer.from(text).toString('hex')}`),
    signal: (sig) => void command(`signal ${sig}`),
    waitText(pred, what, ms = 10_000, from = 0) {
      // Checked as each chunk arrives, so a latency measured with it is the moment the text came.
      return new Promise<string>((resolve, reject) => {
        const start = (): number => (typeof from === 'function' ? from() : from);
        const check = (): boolean => {
          const t = p.text(start());
          if (!pred(t)) return false;
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve(t);
          return true;
        };
        const onData = (): void => void check();
        const timer = setTimeout(() => {
          child.stdout!.off('data', onData);
          try {
            assert.fail(`timed out waiting for ${what}; last screenful:\n${p.text(start()).slice(-3000)}\n${errText}`);
          } catch (e) {
            reject(e);
          }
        }, ms);
        child.stdout!.on('data', onData);
        // A program that exits will draw nothing more: say so at once.
        void exited.then((code) =>
          setTimeout(() => {
            if (check()) return;
            clearTimeout(timer);
            child.stdout!.off('data', onData);
            reject(new Error(`the program exited (${code}) while waiting for ${what}; last screenful:\n${p.text(start()).slice(-3000)}\n${errText}`));
          }, 200),
        );
        check();
      });
    },
    exited,
    kill() {
      try {
        child.stdin!.end();
      } catch {
        /* gone */
      }
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    },
  };
  return p;
}
