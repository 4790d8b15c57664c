// One live collector worker started the way the engine starts it (src/engine.ts runCollectors), but
// with test-only tuning (CollectorInit.tuning: a duty cycle of seconds instead of a minute, a small
// backlog bound), its deltas merged into a store exactly as the engine does.
import type { Config } from '../../src/config.ts';
import type { ReconStore } from '../../src/store.ts';
import { STALL_MS } from '../../src/engine.ts';
import { startCollector } from '../../src/collect/host.ts';
import { Merger } from '../../src/collect/merge.ts';
import type { CollectorTuning } from '../../src/collect/protocol.ts';

export interface TunedEngine {
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export function startTunedEngine(config: Config, store: ReconStore, tuning: CollectorTuning): TunedEngine {
  const { actions } = store.getState();
  const merger = new Merger(config.delimiter);
  const host = startCollector(
    {
      spec: { kind: 'live', nodeId: config.endpoint, config },
      delimiter: config.delimiter,
      audit: null,
      record: null,
      stallMs: STALL_MS,
      unguarded: config.monitorUnguarded,
      monitorMaxOmem: config.monitorMaxOmemBytes,
      desired: store.getState().monitor.desired,
      tuning,
    },
    {
      onDelta(nodes) {
        for (const n of nodes) merger.apply(n);
        while (merger.tidy(1000));
        actions.published(merger.view(), merger.statuses());
      },
      onFailure: (message) => actions.notice(message),
    },
  );
  let last = store.getState().monitor;
  const unsubscribe = store.subscribe((s) => {
    if (s.monitor.desired === last.desired && s.monitor.desiredReason === last.desiredReason) return;
    last = s.monitor;
    host.send({ t: 'monitor', desired: s.monitor.desired, ...(s.monitor.desiredReason ? { reason: s.monitor.desiredReason } : {}) });
  });
  return {
    ready: host.ready,
    async stop() {
      unsubscribe();
      await host.stop();
      actions.published(merger.view(), merger.statuses());
    },
  };
}
