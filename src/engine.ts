// The engine on the main thread: starts one collector (a worker thread) per node or per capture
// partition, merges what they report into the store, forwards the user's MONITOR intent to each,
// keeps MONITOR's time budget, and writes the recording. It does no work proportional to traffic:
// parsing and aggregation happen in the collectors, where the bytes arrive.
import type { Readable } from 'node:stream';
import type { Config } from './config.ts';
import type { ReconStore } from './store.ts';
import { monitorElapsedMs } from './store.ts';
import { startCollector, type CollectorHost } from './collect/host.ts';
import { Merger } from './collect/merge.ts';
import { CHUNKS_AHEAD } from './collect/capture.ts';
import type { AuditSpec, CollectorInit, CollectorSpec } from './collect/protocol.ts';
import type { Recorder } from './record/recorder.ts';

export interface Engine {
  /** Settles when every node's poll connection is up; rejects with a sentence if the first connect fails. */
  readonly ready: Promise<void>;
  /** Finite sources (recording, capture): resolves with a summary once read to the end. */
  readonly done?: Promise<string>;
  /** Resolves once every collector's newest state is in the store (before an export). */
  sync(): Promise<void>;
  /** Closes MONITOR, takes one last CLIENT LIST, applies the collectors' last deltas, closes everything. */
  stop(): Promise<void>;
}

export interface EngineOptions {
  readonly audit?: AuditSpec | null;
  /** Writes the recording (live). */
  readonly recorder?: Recorder;
  /** The main thread's view of the source's clock, kept up to date from the collectors (replay, capture). */
  readonly clock?: { now: number };
  /** A capture fed through the main thread (stdin), split to every partition. */
  readonly feed?: Readable;
}

/** The main thread's heartbeats may stop this long before a collector closes MONITOR. */
export const STALL_MS = 3000;

/** A live engine for one standalone endpoint. */
export function startEngine(config: Config, store: ReconStore, opts: EngineOptions = {}): Engine {
  return runCollectors([{ kind: 'live', nodeId: config.endpoint, config }], store, config, opts);
}

/** Runs collectors for the given specs and joins them into the store. */
export function runCollectors(specs: readonly CollectorSpec[], store: ReconStore, config: Config, opts: EngineOptions = {}): Engine {
  const { actions } = store.getState();
  const merger = new Merger(config.delimiter);
  let commitQueued = false;
  let stopped = false;

  const commit = (): void => {
    commitQueued = false;
    const nodes = merger.statuses();
    if (opts.clock) {
      const clocks = nodes.map((n) => n.clock).filter((c) => c > 0);
      if (clocks.length > 0) opts.clock.now = Math.max(...clocks);
    }
    actions.published(merger.view(), nodes);
    checkBudget();
  };
  /** Several collectors' deltas arriving together make one store commit. */
  const queueCommit = (): void => {
    if (commitQueued) return;
    commitQueued = true;
    setImmediate(commit);
  };

  const initFor = (spec: CollectorSpec): CollectorInit => ({
    spec,
    delimiter: spec.kind === 'replay' ? spec.header.delimiter : config.delimiter,
    audit: opts.audit ?? null,
    record: opts.recorder ? { values: config.recordValues } : null,
    stallMs: STALL_MS,
    unguarded: config.monitorUnguarded,
    monitorMaxOmem: config.monitorMaxOmemBytes,
    desired: store.getState().monitor.desired,
    ...(config.monitorMode === 'sampled' ? { sample: config.monitorSample } : {}),
  });

  let outstanding = 0;
  const hosts: CollectorHost[] = specs.map((spec) =>
    startCollector(initFor(spec), {
      onDelta(nodes) {
        const part = spec.kind === 'capture' ? spec.partition : 0;
        for (const n of nodes) merger.apply(n, part);
        queueCommit();
      },
      onTap: (text, kind) => opts.recorder?.write(text, kind),
      onChunkAck() {
        outstanding--;
        if (outstanding < CHUNKS_AHEAD * hosts.length) opts.feed?.resume();
      },
      onFailure: (message) => actions.notice(message),
    }),
  );

  // The user's intent goes to every collector; each reports what it did.
  let lastDesired = store.getState().monitor;
  const unsubscribe = store.subscribe((s) => {
    const m = s.monitor;
    if (m.desired === lastDesired.desired && m.desiredReason === lastDesired.desiredReason) return;
    lastDesired = m;
    for (const h of hosts) h.send({ t: 'monitor', desired: m.desired, ...(m.desiredReason ? { reason: m.desiredReason } : {}) });
  });

  // MONITOR's time budget counts only time it was on.
  const checkBudget = (): void => {
    const m = store.getState().monitor;
    if (m.budgetMs === undefined || m.desired !== 'on') return;
    if (monitorElapsedMs(m, Date.now()) >= m.budgetMs) {
      actions.stopMonitor(`budget of ${Math.round(m.budgetMs / 1000)}s used up; press p for another`);
    }
  };
  const budgetTimer = setInterval(checkBudget, 250);
  budgetTimer.unref();

  // A capture on stdin: every partition sees every chunk (each keeps its own connections).
  if (opts.feed) {
    const feed = opts.feed;
    feed.on('data', (chunk: Buffer) => {
      for (const h of hosts) h.send({ t: 'chunk', data: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength) });
      outstanding += hosts.length;
      if (outstanding >= CHUNKS_AHEAD * hosts.length) feed.pause();
    });
    feed.on('end', () => {
      for (const h of hosts) h.send({ t: 'end' });
    });
    feed.on('error', () => {
      for (const h of hosts) h.send({ t: 'end' });
    });
  }

  const finite = specs.some((s) => s.kind !== 'live');
  const done = finite
    ? Promise.all(hosts.map((h) => h.done)).then(async (summaries) => {
        await Promise.all(hosts.map((h) => h.sync()));
        commit();
        // Partitions of one capture each say how much they read; the first speaks for all.
        const summary = summaries[0] ?? 'done';
        actions.stopMonitor(summary);
        return summary;
      })
    : undefined;

  const ready = Promise.all(hosts.map((h) => h.ready)).then(() => undefined);
  // Callers that never await it (the dashboard keeps running) must not see an unhandled rejection.
  ready.catch(() => {});
  return {
    ready,
    ...(done ? { done } : {}),
    async sync() {
      await Promise.all(hosts.map((h) => h.sync()));
      commit();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(budgetTimer);
      unsubscribe();
      opts.feed?.destroy();
      await Promise.all(hosts.map((h) => h.stop()));
      commit();
      await opts.recorder?.close();
    },
  };
}
