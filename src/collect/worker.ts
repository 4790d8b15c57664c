// The worker thread of one collector: reads its start-up data, builds the collector it names, and
// relays messages. Nothing here writes to stdout or stderr: the main thread owns the terminal.
import { parentPort, workerData } from 'node:worker_threads';
import { setupAudit } from '../audit/auditor.ts';
import type { Auditor } from '../analysis/session.ts';
import type { Collector } from './live.ts';
import type { CollectorInit, FromCollector, ToCollector } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('collector worker started outside a worker thread');

// The main thread owns the terminal: anything written here would land in the middle of the
// dashboard. Node's own warnings (deprecations) go too; failures reach the main thread as messages.
process.stdout.write = () => true;
process.stderr.write = () => true;
process.removeAllListeners('warning');

const send = (m: FromCollector): void => port.postMessage(m);
const fatal = (err: unknown): void => {
  send({ t: 'fatal', message: (err as Error)?.message ?? String(err) });
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

const init = workerData as CollectorInit;
let auditor: Auditor | undefined;
if (init.audit) {
  const a = setupAudit(init.audit.target, init.audit.librariesFile);
  if (a.ok) auditor = a.auditor;
}

// Messages that arrive while the collector's modules load wait here, in order.
const early: ToCollector[] = [];
let collector: Collector | undefined;
port.on('message', (msg: ToCollector) => {
  if (collector) collector.onMessage(msg);
  else early.push(msg);
});

// Only the kind of collector asked for is loaded: a capture or a replay never loads the Redis
// client library (most of a live collector's start-up time).
const spec = init.spec;
if (spec.kind === 'live') {
  const { startLiveCollector } = await import('./live.ts');
  collector = startLiveCollector(init, spec.config, spec.nodeId, auditor, send);
} else if (spec.kind === 'capture') {
  const { startCaptureCollector } = await import('./capture.ts');
  collector = startCaptureCollector(init, spec, auditor, send);
} else {
  const { startReplayCollector } = await import('./replay.ts');
  collector = startReplayCollector(init, spec, auditor, send);
}
for (const msg of early.splice(0)) collector.onMessage(msg);
