// Watches, from the server's side, whether redis-recon's MONITOR connection is open and what the
// server holds for it: CLIENT LIST every `everyMs` on a connection of its own. It runs in a worker
// thread, so it keeps sampling while the test's own main thread is blocked (the watchdog test).
import { Worker } from 'node:worker_threads';

export interface ProbeSample {
  /** Wall time (ms). */
  readonly at: number;
  /** Our MONITOR connection's omem, undefined when none is open. */
  readonly omem: number | undefined;
  /** MONITOR connections (flags=O) of any client. */
  readonly monitors: number;
}

export interface MonitorProbe {
  /** Stops sampling and returns every sample. */
  stop(): Promise<ProbeSample[]>;
}

const CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const { port, everyMs } = workerData;
const samples = [];
let buf = Buffer.alloc(0);
let waiting;
let stopped = false;
const sock = net.createConnection({ host: '127.0.0.1', port });
sock.on('data', (d) => {
  buf = Buffer.concat([buf, d]);
  const eol = buf.indexOf('\\r\\n');
  if (eol < 0) return;
  const len = Number(buf.subarray(1, eol).toString());
  if (buf.length < eol + 2 + len + 2) return;
  const text = buf.subarray(eol + 2, eol + 2 + len).toString();
  buf = buf.subarray(eol + 2 + len + 2);
  const w = waiting; waiting = undefined; w(text);
});
const clientList = () => new Promise((resolve) => { waiting = resolve; sock.write('*2\\r\\n$6\\r\\nCLIENT\\r\\n$4\\r\\nLIST\\r\\n'); });
parentPort.on('message', () => { stopped = true; });
sock.once('connect', async () => {
  while (!stopped) {
    const lines = (await clientList()).split('\\n');
    const mon = lines.filter((l) => / flags=O /.test(l));
    const ours = mon.find((l) => / name=redis-recon-monitor-/.test(l));
    samples.push({ at: Date.now(), omem: ours === undefined ? undefined : Number(/ omem=(\\d+)/.exec(ours)[1]), monitors: mon.length });
    await new Promise((r) => setTimeout(r, everyMs));
  }
  sock.destroy();
  parentPort.postMessage(samples);
});
`;

export function startMonitorProbe(port: number, everyMs = 100): MonitorProbe {
  const worker = new Worker(CODE, { eval: true, workerData: { port, everyMs } });
  const result = new Promise<ProbeSample[]>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const samples = await result;
      await worker.terminate();
      return samples;
    },
  };
}

/** The periods (wall times) in which our MONITOR connection was open, from consecutive samples. */
export function openPeriods(samples: readonly ProbeSample[]): Array<{ from: number; to: number }> {
  const periods: Array<{ from: number; to: number }> = [];
  let open: { from: number; to: number } | undefined;
  for (const s of samples) {
    if (s.omem !== undefined) {
      if (!open) open = { from: s.at, to: s.at };
      else open.to = s.at;
    } else if (open) {
      periods.push(open);
      open = undefined;
    }
  }
  if (open) periods.push(open);
  return periods;
}
