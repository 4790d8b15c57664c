// The collector's core, run in-process for unit tests: the same NodeCore a worker runs, its delta
// merged and published into a store exactly as the engine does, without a worker or a socket.
import type { ReconStore } from '../../src/store.ts';
import type { Auditor } from '../../src/analysis/session.ts';
import type { ClientInfo, PollResult } from '../../src/types.ts';
import { NodeCore } from '../../src/collect/nodeCore.ts';
import { Merger } from '../../src/collect/merge.ts';
import type { NodeStatus } from '../../src/collect/protocol.ts';

export interface InProcessOptions {
  readonly delimiter: string;
  readonly isSelf: (info: ClientInfo) => boolean;
  readonly auditor?: Auditor;
  readonly now?: () => number;
  readonly nodeId?: string;
}

export interface InProcessPipeline {
  readonly core: NodeCore;
  pushPoll(poll: PollResult): void;
  pushLine(line: string): void;
  /** Applies what was pushed and publishes one merged view into the store. */
  flush(): Promise<void>;
}

/** A node status as a collector would report it, for tests that set the scene by hand. */
export function nodeStatus(over: Partial<NodeStatus> = {}): NodeStatus {
  return {
    id: 'test',
    addr: '127.0.0.1:6379',
    poll: { polls: 1, intervalMs: 2000 },
    monitor: { phase: 'on', onMs: 0, offPeriods: [], guard: 'watching' },
    stream: { lines: 0, unparsed: 0, unparsedReasons: {}, dropped: 0, eventsPerSec: 0 },
    commandTable: { source: 'fallback' },
    notices: [],
    clock: 0,
    ...over,
  };
}

export function inProcessPipeline(store: ReconStore, opts: InProcessOptions): InProcessPipeline {
  const now = opts.now ?? Date.now;
  const nodeId = opts.nodeId ?? 'test';
  const core = new NodeCore({ nodeId, delimiter: opts.delimiter, isSelf: opts.isSelf, auditor: opts.auditor, now });
  const merger = new Merger();
  return {
    core,
    pushPoll: (p) => core.pushPoll(p),
    pushLine: (l) => void core.pushLine(l),
    async flush() {
      await core.flush();
      const status = nodeStatus({
        id: nodeId,
        ...(core.server ? { server: core.server } : {}),
        poll: { polls: 1, lastAt: now(), intervalMs: 2000 },
        commandTable: core.commandTable,
        notices: [...core.notices],
        clock: now(),
      });
      // A copy, as a worker's message is: the merger takes what it receives as its own.
      merger.apply(structuredClone(core.delta(status)));
      while (merger.tidy(1000));
      store.getState().actions.published(merger.view(), merger.statuses());
    },
  };
}
