// The stalled terminal (issue 9), shared by its test (test/int-stall.test.ts) and its bench
// (bench/stalled-terminal.ts): the real dashboard in a pty that stops being read while a loader
// writes 8 KB values to a real server; a probe samples, every ~100 ms, what the server holds for our
// MONITOR connection (`omem` in CLIENT LIST) and its `used_memory`; then the pty drains and we read
// what the screen said, press a key and quit.
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from 'redis';
import { ptyEnv, runInPty, type PtyProgram } from './pty.ts';

export interface StallOptions {
  readonly url: string;
  /** The checkout whose CLI runs (this one by default; the pre-worker one for a comparison). */
  readonly root?: string;
  readonly stallMs: number;
  /** What the loader writes during the stall, in bytes (8 KB values by default). */
  readonly loadBytes: number;
  readonly valueBytes?: number;
  /** More CLI flags (e.g. --poll-interval). */
  readonly args?: readonly string[];
  readonly log?: (line: string) => void;
}

export interface Sample {
  /** ms since the stall began (negative before). */
  readonly t: number;
  /** Our MONITOR connection's omem, or undefined when none is open. */
  readonly omem: number | undefined;
  readonly usedMemory: number;
}

export interface StallResult {
  readonly samples: readonly Sample[];
  readonly peakOmem: number;
  readonly usedMemoryBefore: number;
  readonly usedMemoryPeak: number;
  readonly written: number;
  readonly loadMs: number;
  /** When (ms after the stall began) the probe saw our MONITOR connection close for good until the drain, if it did. */
  readonly monitorClosedAt: number | undefined;
  /** When it first saw one again after the drain, if it did. */
  readonly monitorBackAt: number | undefined;
  /** When the pty was read again (ms after the stall began). */
  readonly drainAt: number;
  /** What the screen drew once drained (escape sequences stripped), until MONITOR was on again. */
  readonly screenAfterDrain: string;
  /** ms from the drain to the first frame drawn, to the watchdog's words, from a key press to its effect, from the drain to MONITOR on again on screen. */
  readonly firstFrameMs: number | undefined;
  readonly watchdogOnScreenMs: number | undefined;
  readonly keyAnsweredMs: number | undefined;
  readonly onAgainOnScreenMs: number | undefined;
  readonly exitCode: number;
}

const DEFAULT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function stalledTerminal(o: StallOptions): Promise<StallResult> {
  const root = o.root ?? DEFAULT_ROOT;
  const log = o.log ?? (() => {});
  const valueBytes = o.valueBytes ?? 8192;
  const env = ptyEnv();
  // MONITOR continuously (sampled is the default): a checkout from before `--monitor` ran it so anyway.
  const continuous = o.root === undefined || existsSync(join(root, 'src/analysis/lenses.ts')) ? ['--monitor', 'on'] : [];
  const argv = [process.execPath, '--import', 'tsx', 'src/cli.ts', '--url', o.url, ...continuous, ...(o.args ?? [])];
  const probe = createClient({ url: o.url, RESP: 2 });
  const loader = createClient({ url: o.url, RESP: 2 });
  await Promise.all([probe.connect(), loader.connect()]);
  let pty: PtyProgram | undefined;
  try {
    pty = runInPty(argv, { env, cwd: root, columns: 140, rows: 40 });
    await pty.waitText((t) => /MONITOR on/.test(t), 'the dashboard to show MONITOR on', 30_000);

    const ours = async (): Promise<number | undefined> => {
      const lines = String(await probe.sendCommand(['CLIENT', 'LIST'])).split('\n');
      const l = lines.find((x) => / name=redis-recon-monitor-/.test(x) && / flags=O /.test(x));
      return l === undefined ? undefined : Number(/ omem=(\d+)/.exec(l)?.[1] ?? 0);
    };
    const usedMemory = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(String(await probe.sendCommand(['INFO', 'memory'])))?.[1] ?? 0);
    const waitOurs = async (): Promise<void> => {
      const end = Date.now() + 15_000;
      while ((await ours()) === undefined) {
        if (Date.now() > end) throw new Error('our MONITOR connection never showed in CLIENT LIST');
        await sleep(50);
      }
    };
    await waitOurs();
    // Warm the keys so the dataset itself does not grow during the stall: only buffers can.
    const value = 'v'.repeat(valueBytes);
    const KEYS = 64;
    for (let i = 0; i < KEYS; i++) await loader.set(`stall:${i}`, value);
    await sleep(500);
    const usedMemoryBefore = await usedMemory();

    const raw: Array<{ at: number; omem: number | undefined; usedMemory: number }> = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const [omem, used] = await Promise.all([ours(), usedMemory()]);
        raw.push({ at: performance.now(), omem, usedMemory: used });
        await sleep(100);
      }
    })();
    await sleep(1000);

    // The stall: the terminal stops being read while the loader writes at a steady pace.
    log(`stall: the pty stops being read for ${o.stallMs / 1000}s while the loader writes ${(o.loadBytes / 1e6).toFixed(0)} MB of ${valueBytes}-byte values`);
    await pty.stop();
    const t0 = performance.now();
    const loadMs = o.stallMs - 500;
    const total = Math.ceil(o.loadBytes / valueBytes);
    const TICK = 50;
    const ticks = Math.max(1, Math.floor(loadMs / TICK));
    let written = 0;
    for (let k = 0; k < ticks && written < total; k++) {
      const due = t0 + (k + 1) * TICK;
      const n = Math.min(total - written, Math.ceil(((k + 1) * total) / ticks) - written);
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < n; i++) batch.push(loader.set(`stall:${(written + i) % KEYS}`, value));
      written += n;
      await Promise.all(batch);
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const loadDone = performance.now() - t0;
    const rest = o.stallMs - (performance.now() - t0);
    if (rest > 0) await sleep(rest);

    // Drain: what does the screen say, does a key get answered, does MONITOR come back by itself?
    const from = pty.length;
    const drainAt = performance.now();
    await pty.drain();
    log('drain: the pty is read again');
    let firstFrameMs: number | undefined;
    let watchdogOnScreenMs: number | undefined;
    let keyAnsweredMs: number | undefined;
    let onAgainOnScreenMs: number | undefined;
    await pty.waitText((t) => t.length > 200, 'a frame after the drain', 20_000, from).then(() => (firstFrameMs = performance.now() - drainAt));
    // The first frames out may be old ones the pty held; then the screen catches up and says why
    // MONITOR is off (the watchdog closed it) until heartbeats have been steady for a while.
    let afterWatchdog = from;
    await pty
      .waitText((t) => /held off by the watchdog/.test(t), 'the watchdog on screen', 10_000, from)
      .then(() => {
        watchdogOnScreenMs = performance.now() - drainAt;
        afterWatchdog = pty!.length;
      })
      .catch((e: Error) => log(e.message.split('\n')[0]!));
    // The help overlay answers `?`; Esc closes it.
    const keyFrom = pty.length;
    const keyAt = performance.now();
    pty.keys('?');
    await pty
      .waitText((t) => /Sort the clients by the next column/.test(t), 'the help overlay after ?', 20_000, keyFrom)
      .then(() => (keyAnsweredMs = performance.now() - keyAt))
      .catch((e: Error) => log(e.message.split('\n')[0]!));
    pty.keys('\u001b');
    await pty
      .waitText((t) => /MONITOR on/.test(t), 'MONITOR on again on screen', 30_000, afterWatchdog)
      .then(() => (onAgainOnScreenMs = performance.now() - drainAt))
      .catch((e: Error) => log(e.message.split('\n')[0]!));
    const screenAfterDrain = pty.text(from);
    // Let the probe see the connection come back (the screen says "on" when it is).
    const end = Date.now() + 15_000;
    while (Date.now() < end && !raw.some((s) => s.at > drainAt && s.omem !== undefined)) await sleep(100);
    await sleep(500);
    sampling = false;
    await sampler;

    pty.keys('q');
    const exitCode = await Promise.race([pty.exited, sleep(10_000, -1, { ref: false })]);

    const samples: Sample[] = raw.map((s) => ({ t: Math.round(s.at - t0), omem: s.omem, usedMemory: s.usedMemory }));
    const drainT = drainAt - t0;
    // The closure that lasted until the drain (another hold, the health gate on a busy machine, may
    // have closed and reopened MONITOR before it), and the first sight of MONITOR after the drain.
    const stall = samples.filter((s) => s.t >= 0 && s.t < drainT);
    const lastOpen = stall.filter((s) => s.omem !== undefined).at(-1);
    const closed = stall.find((s) => s.omem === undefined && (lastOpen === undefined || s.t > lastOpen.t));
    const back = samples.find((s) => s.t >= drainT && s.omem !== undefined);
    return {
      samples,
      peakOmem: Math.max(0, ...samples.map((s) => s.omem ?? 0)),
      usedMemoryBefore,
      usedMemoryPeak: Math.max(...samples.map((s) => s.usedMemory)),
      written: written * valueBytes,
      loadMs: Math.round(loadDone),
      monitorClosedAt: closed?.t,
      monitorBackAt: back?.t,
      drainAt: Math.round(drainT),
      screenAfterDrain,
      firstFrameMs,
      watchdogOnScreenMs,
      keyAnsweredMs,
      onAgainOnScreenMs,
      exitCode,
    };
  } finally {
    pty?.kill();
    await Promise.all([probe.close(), loader.close()].map((p) => p.catch(() => {})));
  }
}
