// Key-press-to-frame latency and frame rate of the real dashboard (real collector worker, real
// MONITOR, real Ink) while a `redis-benchmark -P 16 -c 20` storm runs against a loopback valkey-server.
//
//   node --import tsx bench/ui-latency.ts [--seconds 12] [--presses 40] [--max-omem 256MB] [--calm]
//
// Keys are pressed at random moments (150-350 ms apart, so they land anywhere between data
// commits); a press's latency runs from the moment it was due (so time the main thread spent busy
// before it could even read the key counts too) to the first frame written to the terminal that
// shows its effect. The terminal is an in-process TTY stand-in that records every write.
// Since issue 9 the sockets, parsing and aggregation run in a collector worker: this process's main
// thread only merges the worker's deltas and draws, so "event loop blocked" and "main thread busy"
// below are the screen's own cost. The MONITOR holds of the run are listed: a collector that fell
// behind the storm closes MONITOR (fails closed), and the figures then cover less traffic.
// Everything runs on 127.0.0.1 and stops by itself.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay, performance as perf } from 'node:perf_hooks';
import { resolveConfig } from '../src/config.ts';
import type { ReconStore } from '../src/store.ts';
import { SORT_KEYS } from '../src/ui/clients.ts';
import { runDashboard } from '../components/runDashboard.tsx';
import { FakeStdin, FakeStdout } from '../test/ui-fixtures.ts';
import { startServer } from '../test/helpers/servers.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '12' },
    presses: { type: 'string', default: '40' },
    'max-omem': { type: 'string', default: '256MB' },
    /** Light traffic instead of the storm: what the UI costs on its own. */
    calm: { type: 'boolean', default: false },
  },
});
const PRESSES = Number(values.presses);
const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const BENCH = has('redis-benchmark') ? 'redis-benchmark' : 'valkey-benchmark';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

interface RunResult {
  label: string;
  latencies: number[];
  idleFps: number;
  keyFps: number;
  eventsPerSec: number;
  /** How long the main thread's event loop was blocked (p50/p99/max ms): merging deltas and drawing. */
  loopDelay: [number, number, number];
  /** Share of the time the main thread was busy while keys were pressed. */
  mainBusy: number;
  monitor: string;
  holds: string[];
  renderMs: number[];
}

async function run(label: string, port: number, opts: { maxFps: number; paceMs: number }): Promise<RunResult> {
  const resolved = resolveConfig(['--url', `redis://127.0.0.1:${port}`, '--monitor-max-omem', values['max-omem']!], {});
  if (!resolved.ok) throw new Error(resolved.error);
  const stdout = new FakeStdout(140, 40);
  const stdin = new FakeStdin();
  const writes: { at: number; text: string }[] = [];
  const origWrite = stdout.write;
  stdout.write = (chunk: string, cb?: () => void) => {
    writes.push({ at: performance.now(), text: String(chunk) });
    return origWrite(chunk, cb);
  };
  const renderMs: number[] = [];
  let store: ReconStore | undefined;
  const done = runDashboard(resolved.config, {
    stdin: stdin as never,
    stdout: stdout as never,
    stderr: process.stderr,
    maxFps: opts.maxFps,
    paceMs: opts.paceMs,
    onRender: (ms) => renderMs.push(ms),
    onStore: (s) => (store = s),
  });
  // Wait for MONITOR to carry the storm.
  const t0 = Date.now();
  while (Date.now() - t0 < 15_000 && !((store?.getState().stream.eventsPerSec ?? 0) > 1000)) await sleep(100);
  const ingest: number[] = [];
  const sampler = setInterval(() => ingest.push(store!.getState().stream.eventsPerSec), 250);
  await sleep(1500);

  // Frames with no key pressed: data alone.
  const idleFrom = writes.length;
  const idleStart = performance.now();
  await sleep(3000);
  const idleFrames = writes.slice(idleFrom).filter((w) => w.text.length > 200).length;
  const idleFps = idleFrames / ((performance.now() - idleStart) / 1000);

  // Key presses at random moments; each waits for the frame that shows its effect.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const elu0 = perf.eventLoopUtilization();
  const latencies: number[] = [];
  const keyFrom = writes.length;
  const keyStart = performance.now();
  for (let i = 0; i < PRESSES; i++) {
    const delay = 150 + Math.random() * 200;
    const due = performance.now() + delay;
    const seen = await new Promise<number>((resolve) => {
      setTimeout(() => {
        const from = writes.length;
        stdin.press('s');
        const sort = store!.getState().ui.sort;
        const want = `sort ${SORT_KEYS[sort.column].title} ${sort.desc ? '↓' : '↑'}`;
        const check = (): void => {
          const hit = writes.slice(from).find((w) => w.text.includes(want));
          if (hit) resolve(hit.at);
          else setTimeout(check, 1);
        };
        check();
      }, delay);
    });
    latencies.push(seen - due);
  }
  const keyFps = writes.slice(keyFrom).filter((w) => w.text.length > 200).length / ((performance.now() - keyStart) / 1000);
  clearInterval(sampler);
  const mainBusy = perf.eventLoopUtilization(elu0).utilization;
  loop.disable();
  const loopDelay: [number, number, number] = [loop.percentile(50) / 1e6, loop.percentile(99) / 1e6, loop.max / 1e6];
  const eventsPerSec = ingest.reduce((a, b) => a + b, 0) / Math.max(1, ingest.length);
  const m = store!.getState().monitor;
  const monitor = `${m.desired}/${m.phase}${m.reason ? ` (${m.reason})` : ''}`;
  const holds = m.offPeriods.map((p) => `${Math.round(((p.to ?? Date.now()) - p.from) / 100) / 10}s: ${p.why}`);
  store!.getState().ui.actions.quit();
  await done;
  return { label, latencies, idleFps, keyFps, eventsPerSec, loopDelay, mainBusy, monitor, holds, renderMs };
}

async function main(): Promise<void> {
  const server = await startServer('valkey');
  const { port } = server;
  let storm: ChildProcess | undefined;
  try {
    const seconds = Number(values.seconds);
    const stormArgs = ['-h', '127.0.0.1', '-p', String(port), '-P', '16', '-c', '20', '-t', 'set,get', '-r', '100000', '-n', '2000000000', '-q'];
    console.error(`storm: ${BENCH} ${stormArgs.join(' ')} (stopped after the runs, at most ${seconds * 6}s)`);
    if (values.calm) {
      // A gentle load: -c 2, no pipelining, throttled by redis-benchmark's own pacing.
      stormArgs.splice(stormArgs.indexOf('-P'), 4, '-P', '1', '-c', '2');
    }
    storm = spawn(BENCH, stormArgs, { stdio: 'ignore' });
    const guard = setTimeout(() => storm?.kill('SIGKILL'), seconds * 6 * 1000);
    guard.unref();

    const results: RunResult[] = [];
    results.push(await run('maxFps 30, data paced at 100 ms (default)', port, { maxFps: 30, paceMs: 100 }));
    results.push(await run('maxFps 10, no pacing of its own', port, { maxFps: 10, paceMs: 0 }));
    for (const r of results) {
      const l = r.latencies;
      console.log(
        [
          `${r.label}:`,
          `  key press → frame (ms, n=${l.length}): p50 ${pct(l, 50).toFixed(1)}  p95 ${pct(l, 95).toFixed(1)}  p99 ${pct(l, 99).toFixed(1)}  max ${Math.max(...l).toFixed(1)}`,
          `  frames/s: ${r.idleFps.toFixed(1)} with data only, ${r.keyFps.toFixed(1)} while pressing a key every ~250 ms`,
          `  Ink render per frame (ms): p50 ${pct(r.renderMs, 50).toFixed(2)}  p99 ${pct(r.renderMs, 99).toFixed(2)}`,
          `  main thread: event loop blocked (ms) p50 ${r.loopDelay[0].toFixed(1)}  p99 ${r.loopDelay[1].toFixed(1)}  max ${r.loopDelay[2].toFixed(1)}; busy ${(r.mainBusy * 100).toFixed(0)}% of the time`,
          `  MONITOR ${r.monitor}; the collector ingesting ${Math.round(r.eventsPerSec)} MONITOR events/s on average`,
          `  MONITOR held off during the run: ${r.holds.length === 0 ? 'never' : r.holds.join(' | ')}`,
        ].join('\n'),
      );
    }
  } finally {
    storm?.kill('SIGKILL');
    await server.stop();
  }
  process.exit(0);
}

void main();
