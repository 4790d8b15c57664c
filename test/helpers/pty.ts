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
  waitText(pred: (text: string) => boolean, what: string, ms?: number, from?: number): Promise<string>;
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
  const chunks: Buffer[] = [];
  let raw = Buffer.alloc(0);
  let rawDirty = false;
  let bytes = 0;
  child.stdout!.on('data', (d: Buffer) => {
    chunks.push(d);
    bytes += d.length;
    rawDirty = true;
  });
  const whole = (): Buffer => {
    if (rawDirty) {
      raw = Buffer.concat([raw, ...chunks.splice(0)]);
      rawDirty = false;
    }
    return raw;
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
    text: (from = 0) => stripAnsi(whole().subarray(from).toString('utf8')),
    get length() {
      return bytes;
    },
    stop: () => command('stop', 'stopped'),
    drain: () => command('go', 'draining'),
    keys: (text) => void command(`keys ${Buffer.from(text).toString('hex')}`),
    signal: (sig) => void command(`signal ${sig}`),
    async waitText(pred, what, ms = 10_000, from = 0) {
      const end = Date.now() + ms;
      for (;;) {
        const t = p.text(from);
        if (pred(t)) return t;
        if (Date.now() > end) assert.fail(`timed out waiting for ${what}; last screenful:\n${t.slice(-3000)}\n${errText}`);
        await new Promise((r) => setTimeout(r, 50));
      }
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
