// The main thread's handle on one collector worker: starts it, sends it heartbeats (its watchdog
// closes MONITOR when they stop), acknowledges its deltas once applied (its flow control), and
// relays intents. A worker that dies is reported, never silently forgotten.
import { Worker } from 'node:worker_threads';
import type { CollectorInit, FromCollector, NodeDelta, ToCollector, TopologyReport } from './protocol.ts';

/** The main thread's heartbeat period; a collector's watchdog allows several missed ones. */
export const HEARTBEAT_MS = 200;
/** How long `stop` waits for a collector's last delta before terminating it. */
const STOP_TIMEOUT_MS = 5000;

/** In the built package the worker is the .js beside this file; in a checkout, the .ts source under tsx. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(FROM_SOURCE ? './worker.ts' : './worker.js', import.meta.url);

/**
 * A worker does not inherit tsx's loader hooks, so from a checkout it registers them itself before
 * importing the TypeScript source (tsx is a development dependency: the package runs the .js).
 */
function spawnWorker(init: CollectorInit): Worker {
  const options = { workerData: init } as const;
  if (!FROM_SOURCE) return new Worker(WORKER_URL, options);
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}

export interface HostHandlers {
  /** A delta arrived; the host acknowledges it after this returns. */
  onDelta(nodes: readonly NodeDelta[], final: boolean): void;
  onTap?(text: string, kind: 'poll' | 'batch'): void;
  /** A cluster node's view of its cluster changed. */
  onTopology?(report: TopologyReport): void;
  onChunkAck?(): void;
  /** The worker failed (a bug, or it ran out of memory): in words. */
  onFailure(message: string): void;
}

export interface CollectorHost {
  /** Live: settles when the node's poll connection is up (rejects with a sentence if it fails). */
  readonly ready: Promise<void>;
  /** Finite sources: resolves with a summary once read to the end. */
  readonly done: Promise<string>;
  /** Posts a message; `transfer` moves buffers instead of copying them. */
  send(msg: ToCollector, transfer?: readonly ArrayBuffer[]): void;
  /** Resolves once the collector's newest state has been applied (an export waits for this). */
  sync(): Promise<void>;
  /** Ends the collector: its last delta (final poll, flush) is applied before this resolves. */
  stop(): Promise<void>;
}

export function startCollector(init: CollectorInit, handlers: HostHandlers): CollectorHost {
  // Its stdout and stderr are not piped (a piped stream would hold the process open): the worker
  // silences them itself, since the dashboard draws on ours.
  const worker = spawnWorker(init);
  let exited = false;
  let resolveReady!: () => void;
  let rejectReady!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res;
    rejectReady = rej;
  });
  ready.catch(() => {});
  // Only a live collector has a connection to wait for.
  if (init.spec.kind !== 'live') resolveReady();
  let resolveDone!: (s: string) => void;
  const done = new Promise<string>((res) => (resolveDone = res));
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((res) => (resolveStopped = res));
  const syncs: Array<() => void> = [];

  // A finite source read to its end holds the process no longer than a finished file read did;
  // while a sync or a stop is awaited, it does (the answer must arrive).
  let finished = false;
  let awaited = 0;
  const holdOpen = (): void => {
    if (exited) return;
    if (finished && awaited === 0) worker.unref();
    else worker.ref();
  };
  const awaiting = async <T>(p: Promise<T>): Promise<T> => {
    awaited++;
    holdOpen();
    try {
      return await p;
    } finally {
      awaited--;
      holdOpen();
    }
  };
  const post = (msg: ToCollector, transfer?: readonly ArrayBuffer[]): void => {
    if (!exited) worker.postMessage(msg, transfer as ArrayBuffer[] | undefined);
  };
  const heartbeat = setInterval(() => post({ t: 'hb' }), HEARTBEAT_MS);
  heartbeat.unref();

  worker.on('message', (msg: FromCollector) => {
    switch (msg.t) {
      case 'delta':
        try {
          handlers.onDelta(msg.nodes, msg.final === true);
        } finally {
          post({ t: 'ack', seq: msg.seq });
        }
        if (msg.synced) for (const s of syncs.splice(0)) s();
        break;
      case 'ready':
        resolveReady();
        break;
      case 'connect-failed':
        rejectReady(new Error(msg.message));
        break;
      case 'tap':
        handlers.onTap?.(msg.text, msg.kind);
        break;
      case 'topology':
        handlers.onTopology?.(msg.report);
        break;
      case 'chunk-ack':
        handlers.onChunkAck?.();
        break;
      case 'done':
        finished = true;
        holdOpen();
        resolveDone(msg.summary);
        break;
      case 'stopped':
        resolveStopped();
        break;
      case 'fatal':
        handlers.onFailure(`internal error in a collector: ${msg.message}`);
        break;
    }
  });
  worker.on('error', (err) => handlers.onFailure(`a collector stopped: ${err.message}`));
  worker.on('exit', () => {
    exited = true;
    clearInterval(heartbeat);
    rejectReady(new Error('the collector stopped before connecting'));
    resolveDone('the collector stopped');
    resolveStopped();
    for (const s of syncs.splice(0)) s();
  });

  return {
    ready,
    done,
    send: post,
    sync() {
      if (exited) return Promise.resolve();
      return awaiting(
        new Promise<void>((res) => {
          syncs.push(res);
          post({ t: 'sync' });
        }),
      );
    },
    async stop() {
      if (exited) return;
      post({ t: 'stop' });
      await awaiting(Promise.race([stopped, new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS).unref())]));
      clearInterval(heartbeat);
      // Held open until the worker is gone: a finished source's worker is unref'd, and the process
      // would otherwise end here, its exit code 0, before the caller could export and exit 128+n.
      await awaiting(worker.terminate());
    },
  };
}
