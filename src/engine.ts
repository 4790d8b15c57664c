// The engine on the main thread: starts one collector (a worker thread) per node or per capture
// partition, merges what they report into the store, forwards the user's MONITOR intent to each,
// keeps MONITOR's time budget, and writes the recording. It does no work proportional to traffic:
// parsing and aggregation happen in the collectors, where the bytes arrive.
import type { Config } from './config.ts';
import type { ReconStore } from './store.ts';
import { monitorElapsedMs } from './store.ts';
import { startCollector, type CollectorHost } from './collect/host.ts';
import { Merger } from './collect/merge.ts';
import { feedCapture, type CaptureFeed, type CaptureInput } from './collect/captureFeed.ts';
import { parseClientList } from './parse/clientList.ts';
import type { AuditSpec, CollectorInit, CollectorSpec } from './collect/protocol.ts';
import { ClusterFollower } from './collect/cluster.ts';
import type { Recorder } from './record/recorder.ts';
import { endpointConfig } from './config.ts';

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
  /** A capture, read here once and split to the partitions (a file, stdin, a FIFO). */
  readonly feed?: CaptureInput;
  /**
   * A cutover's target endpoint: its collectors publish to the store's target side (never the
   * source's view, nodes, cluster or counts), and the recording, shared, is closed by the caller.
   */
  readonly side?: 'target';
  /** Joined to another engine (a cutover): the end of this one's finite source does not stop MONITOR for both. */
  readonly joined?: boolean;
}

/** The main thread's heartbeats may stop this long before a collector closes MONITOR. */
export const STALL_MS = 3000;

/**
 * A live engine for the endpoint the user gave: a standalone server is watched alone; a cluster
 * node makes the engine watch every node of its cluster (unless --single-node pins it).
 */
export function startEngine(config: Config, store: ReconStore, opts: EngineOptions = {}): Engine {
  const cluster = { mode: config.singleNode ? ('pinned' as const) : ('seed' as const), monitorReplicas: config.monitorReplicas };
  // A cutover session's source nodes say which side they are on (and report their facts).
  const endpoint = config.to ? { endpoint: 'source' as const } : {};
  return runCollectors([{ kind: 'live', nodeId: config.endpoint, config, cluster, ...endpoint }], store, config, opts);
}

/**
 * The cutover's target (--to), watched as one node (a cluster target is watched at the node --to
 * names). Its connect failing is said on the target side; the source goes on regardless.
 */
export function startTargetEngine(config: Config, store: ReconStore, opts: EngineOptions = {}): Engine {
  const to = config.to!;
  const targetConfig = endpointConfig(config, to);
  const engine = runCollectors([{ kind: 'live', nodeId: to.endpoint, config: targetConfig, endpoint: 'target' }], store, targetConfig, { ...opts, side: 'target' });
  const { actions } = store.getState();
  engine.ready.then(
    () => actions.targetError(undefined),
    (err: unknown) => {
      // What the target's poller said (refused, wrong password) says more than the collector's end.
      const message = store.getState().to?.error ?? `target ${to.endpoint}: ${(err as Error).message} (the source is still watched)`;
      actions.targetError(message);
      actions.notice(message);
    },
  );
  return engine;
}

/** The source's engine and the target's as one: ready when the source is, stopped together. */
export function joinEngines(source: Engine, target: Engine, store: ReconStore, recorder?: Recorder): Engine {
  const done =
    source.done && target.done
      ? Promise.all([source.done, target.done]).then(([s]) => {
          store.getState().actions.stopMonitor(s);
          return s;
        })
      : source.done;
  return {
    ready: source.ready,
    ...(done ? { done } : {}),
    async sync() {
      await Promise.all([source.sync(), target.sync()]);
    },
    async stop() {
      await Promise.all([source.stop(), target.stop()]);
      await recorder?.close();
    },
  };
}

/** Runs collectors for the given specs and joins them into the store. */
export function runCollectors(specs: readonly CollectorSpec[], store: ReconStore, config: Config, opts: EngineOptions = {}): Engine {
  const { actions } = store.getState();
  const merger = new Merger(config.delimiter);
  let commitQueued = false;
  let stopped = false;

  const target = opts.side === 'target';
  const commit = (): void => {
    commitQueued = false;
    const nodes = merger.statuses();
    if (target) {
      // The target's clock never moves the shared clock back (a replay's two sides advance apart).
      const clocks = nodes.map((n) => n.clock).filter((c) => c > 0);
      if (opts.clock && clocks.length > 0) opts.clock.now = Math.max(opts.clock.now, ...clocks);
      actions.publishedTarget(merger.view(), nodes);
      return;
    }
    // A recording of a cluster session: its nodes' roles and events follow as they were recorded.
    if (!follower && nodes.some((n) => n.cluster)) follower = makeFollower('replay', '');
    follower?.observe(nodes);
    if (opts.clock) {
      const clocks = nodes.map((n) => n.clock).filter((c) => c > 0);
      if (clocks.length > 0) opts.clock.now = Math.max(...clocks);
    }
    actions.published(merger.view(), nodes, (ids) => merger.narrowed(ids));
    checkBudget();
  };
  /** Several collectors' deltas arriving together make one store commit. */
  const queueCommit = (): void => {
    queueTidy();
    if (commitQueued) return;
    commitQueued = true;
    setImmediate(commit);
  };

  // The merger shares repeated parts of the views it received, 1,000 at a time (a few ms), between
  // key presses and frames.
  let tidyQueued = false;
  const tidy = (): void => {
    if (merger.tidy(1000)) setImmediate(tidy);
    else tidyQueued = false;
  };
  const queueTidy = (): void => {
    if (tidyQueued) return;
    tidyQueued = true;
    setImmediate(tidy);
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
    ...(spec.kind === 'live'
      ? { keyspace: { rate: config.keyspaceRate, sample: config.keyspaceSample, run: store.getState().keyspace.desired === 'on' } }
      : {}),
    ...(config.monitorMode === 'sampled' ? { sample: config.monitorSample } : {}),
    ...(config.headless && spec.kind === 'capture' ? { publishEveryMs: Number.POSITIVE_INFINITY } : {}),
  });

  let feed: CaptureFeed | undefined;
  // Collectors come and go with a cluster's topology; each is known by its node key (captures: by
  // partition). `ignored`: a retired seed whose last deltas must not land.
  const hosts = new Map<string, CollectorHost>();
  const ignored = new Set<string>();
  const retiring: Promise<void>[] = [];
  let follower: ClusterFollower | undefined;
  const keyOf = (spec: CollectorSpec): string =>
    spec.kind === 'capture' ? `${spec.nodeId}#${spec.partition}` : spec.kind === 'live' ? spec.nodeId : `replay:${spec.path}`;
  const startOne = (spec: CollectorSpec): CollectorHost => {
    const key = keyOf(spec);
    const host = startCollector(initFor(spec), {
      onDelta(nodes) {
        if (ignored.has(key)) return;
        const part = spec.kind === 'capture' ? spec.partition : 0;
        for (const n of nodes) merger.apply(n, part);
        queueCommit();
      },
      onTap: (text, kind) => {
        if (!ignored.has(key)) opts.recorder?.write(text, kind);
      },
      onTopology: (report) => {
        if (!ignored.has(key)) follower?.onReport(report);
      },
      onChunkAck: () => feed?.taken(spec.kind === 'capture' ? spec.partition : 0),
      onFailure: (message) => actions.notice(target ? `target: ${message}` : message),
    });
    hosts.set(key, host);
    return host;
  };
  const initial = specs.map(startOne);

  // A live seed may turn out to be a cluster node: the follower then starts a collector per node.
  const seed = specs.length === 1 && specs[0]!.kind === 'live' ? specs[0] : undefined;
  const makeFollower = (mode: 'fan-out' | 'pinned' | 'replay', seedKey: string): ClusterFollower =>
    new ClusterFollower({
      mode,
      config,
      seedKey,
      monitorReplicas: config.monitorReplicas,
      // A replay's events happen at the recording's time.
      now: opts.clock ? () => opts.clock!.now : Date.now,
      hooks: {
        start: (spec) => {
          if (!stopped) startOne(spec);
        },
        retire: (key, why, forget) => {
          const h = hosts.get(key);
          hosts.delete(key);
          if (forget) {
            ignored.add(key);
            merger.forget(key);
          } else merger.markGone(key, why);
          if (h) retiring.push(h.stop().catch(() => {}));
          queueCommit();
        },
        pollAll: () => {
          for (const h of hosts.values()) h.send({ t: 'poll' });
        },
        changed: (state) => actions.clusterChanged(state),
        event: (e) => actions.notice(e.text),
      },
    });
  if (seed && seed.kind === 'live' && seed.cluster) follower = makeFollower(seed.cluster.mode === 'pinned' ? 'pinned' : 'fan-out', seed.nodeId);

  // The user's intent goes to every collector; each reports what it did.
  let lastDesired = store.getState().monitor;
  let lastKeyspace = store.getState().keyspace;
  const unsubscribe = store.subscribe((s) => {
    if (s.keyspace !== lastKeyspace) {
      const run = s.keyspace.desired === 'on';
      if (run !== (lastKeyspace.desired === 'on')) {
        for (const h of hosts.values()) h.send({ t: 'keyspace', run, ...(s.keyspace.reason ? { reason: s.keyspace.reason } : {}) });
      }
      lastKeyspace = s.keyspace;
    }
    const m = s.monitor;
    if (m.desired === lastDesired.desired && m.desiredReason === lastDesired.desiredReason) return;
    lastDesired = m;
    for (const h of hosts.values()) h.send({ t: 'monitor', desired: m.desired, ...(m.desiredReason ? { reason: m.desiredReason } : {}) });
  });

  // MONITOR's time budget counts only time it was on.
  const checkBudget = (): void => {
    const m = store.getState().monitor;
    if (m.budgetMs === undefined || m.desired !== 'on') return;
    if (monitorElapsedMs(m, Date.now()) >= m.budgetMs) {
      actions.stopMonitor(`budget of ${Math.round(m.budgetMs / 1000)}s used up`);
    }
  };
  const budgetTimer = setInterval(checkBudget, 250);
  budgetTimer.unref();

  // A capture: read once here, each partition given its own lines (in partition order).
  if (opts.feed) {
    const parts = specs.flatMap((s) => (s.kind === 'capture' ? [hosts.get(keyOf(s))!] : []));
    const list = specs.find((s) => s.kind === 'capture')?.clientList;
    feed = feedCapture(opts.feed, parts, list === undefined ? [] : parseClientList(list).clients.map((c) => c.addrKey));
  }

  const finite = specs.some((s) => s.kind !== 'live');
  const done = finite
    ? Promise.all(initial.map((h) => h.done)).then(async (summaries) => {
        await Promise.all(initial.map((h) => h.sync()));
        commit();
        // The partitions of a capture each say what they took; the feed says what the capture held.
        const summary = feed ? `end of capture (${feed.lines.toLocaleString('en')} lines)${feed.failure ? `: ${feed.failure}` : ''}` : (summaries[0] ?? 'done');
        // A replay's other endpoint may still be reading: joinEngines stops MONITOR once both ended.
        if (!target && !opts.joined) actions.stopMonitor(summary);
        return summary;
      })
    : undefined;

  const ready = Promise.all(initial.map((h) => h.ready)).then(() => undefined);
  // Callers that never await it (the dashboard keeps running) must not see an unhandled rejection.
  ready.catch(() => {});
  return {
    ready,
    ...(done ? { done } : {}),
    async sync() {
      await Promise.all([...hosts.values()].map((h) => h.sync()));
      commit();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(budgetTimer);
      unsubscribe();
      feed?.stop();
      await Promise.all([...[...hosts.values()].map((h) => h.stop()), ...retiring]);
      commit();
      // A cutover's two engines share the recording: joinEngines closes it once both stopped.
      if (!target && !config.to) await opts.recorder?.close();
    },
  };
}
