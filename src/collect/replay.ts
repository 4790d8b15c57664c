// Replays a recording in a collector: at recorded pace, N times faster, or as fast as possible.
// Pausing (the `p` key) holds the replay clock. The recording's own times drive every rate; a
// cluster recording's records carry their node, and each node gets its own NodeCore, exactly as
// its collector had live. A malformed record is skipped and counted; the rest still replays.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Auditor, IngestEvent } from '../analysis/session.ts';
import type { EventRecord } from '../record/format.ts';
import { parseRecord, recordingStream } from '../record/reader.ts';
import { readLines } from '../sources/lineReader.ts';
import { parseClientList } from '../parse/clientList.ts';
import { NodeCore } from './nodeCore.ts';
import { MonitorGate } from './monitorGate.ts';
import { Courier } from './courier.ts';
import type { Collector } from './live.ts';
import type { CollectorInit, CollectorSpec, FromCollector, MonitorDesire, NodeStatus, ToCollector } from './protocol.ts';
import { errorCount, Growth } from './clusterWatch.ts';
import { keyspaceKeys } from '../parse/endpointFacts.ts';

type ReplaySpec = Extract<CollectorSpec, { kind: 'replay' }>;

const RECORDED_SELF = (name: string): boolean => name.startsWith('redis-recon-');
/** The node of a standalone recording's records. */
export const RECORDED_NODE = 'recorded';
/** Stands in for an unparsed line recorded without values: only the count was kept. */
const NOT_RECORDED = 'not recorded';
const PUBLISH_EVERY_MS = 100;

export function startReplayCollector(init: CollectorInit, spec: ReplaySpec, auditor: Auditor | undefined, send: (m: FromCollector) => void): Collector {
  const clock = { now: spec.header.startedAt };
  const courier = new Courier(send);
  const gate = new MonitorGate(init.desired === 'off' ? 'on' : init.desired, () => clock.now);
  const cores = new Map<string, NodeCore>();
  /** A recorded cluster node's MOVED and ASK replies, from the errorstats its polls kept. */
  const redirects = new Map<string, { moved: Growth; ask: Growth }>();
  let stopping = false;
  /** Stopping ends any wait at once (pacing or pause). */
  const stopped = new AbortController();
  let desireChanged: (() => void) | undefined;
  let records = 0;
  let damaged = 0;
  let droppedBatches = 0;

  /** A recorded cutover: this collector takes only its own endpoint's records. */
  const side = spec.endpoint ?? (spec.header.target !== undefined ? 'source' : undefined);
  const mine = (ep: 'target' | undefined): boolean => (ep === 'target') === (side === 'target');
  /** Keys per node from the recorded INFO keyspace (cutover recordings keep it). */
  const keysOf = new Map<string, ReturnType<typeof keyspaceKeys>>();

  const coreFor = (node: string): NodeCore => {
    let c = cores.get(node);
    if (!c) {
      c = new NodeCore({ nodeId: node, delimiter: spec.header.delimiter, isSelf: (i) => RECORDED_SELF(i.name), auditor, now: () => clock.now });
      cores.set(node, c);
    }
    return c;
  };
  coreFor(RECORDED_NODE);

  const status = (node: string, core: NodeCore): NodeStatus => ({
    id: node,
    // A cluster node's polls say where it was; a standalone recording is of the endpoint.
    addr: core.cluster?.addr ?? spec.header.endpoint,
    ...(core.server ? { server: core.server } : {}),
    poll: { polls: core.polls, ...(core.lastPollAt !== undefined ? { lastAt: core.lastPollAt } : {}), intervalMs: 0 },
    // A recorded cluster node without a MONITOR line (a replica, by default) had MONITOR off.
    monitor: core.cluster && core.stream.lines === 0 ? { phase: 'off', reason: 'no MONITOR lines were recorded for this node', onMs: 0, offPeriods: [], guard: 'idle' } : gate.status({ guard: 'idle' }),
    stream: core.stream,
    commandTable: core.commandTable,
    notices: [...core.notices],
    clock: clock.now,
    ...(side ? { endpoint: side, facts: keysOf.get(node) ?? {} } : {}),
    ...(core.cluster
      ? {
          cluster: {
            id: core.cluster.id,
            role: core.cluster.role,
            ...(core.cluster.primaryId ? { primaryId: core.cluster.primaryId } : {}),
            slots: core.cluster.slots,
            ...(redirects.has(node) ? { redirects: { moved: redirects.get(node)!.moved.total, ask: redirects.get(node)!.ask.total } } : {}),
          },
        }
      : {}),
  });

  const deltas = (force: boolean) =>
    [...cores]
      .filter(([node, c]) => node !== RECORDED_NODE || cores.size === 1 || c.stream.lines > 0 || c.server)
      .map(([node, c]) => c.delta(status(node, c), force));
  const publish = (final = false): void => {
    if (!final && !courier.ready(PUBLISH_EVERY_MS)) return;
    courier.deliver(deltas(final), final);
  };

  /** Waits while paused; returns the wall time spent waiting, to shift the pacing. */
  const gateOpen = async (): Promise<number> => {
    if (gate.wanted === 'on') return 0;
    const t0 = performance.now();
    gate.connection('paused');
    // Shown at once, whatever the credit: the user just pressed a key.
    courier.deliver(deltas(false));
    await new Promise<void>((resolve) => {
      desireChanged = () => {
        if (gate.wanted === 'on' || stopping) resolve();
      };
    });
    desireChanged = undefined;
    gate.connection('on');
    return performance.now() - t0;
  };

  const run = async (): Promise<string> => {
    let wallStart = performance.now();
    let recordedStart = spec.header.startedAt;
    let sinceYield = 0;
    gate.connection('on');
    const pace = async (at: number): Promise<void> => {
      wallStart += await gateOpen();
      if (spec.speed === 'max') {
        if (++sinceYield >= 64) {
          sinceYield = 0;
          await new Promise((r) => setImmediate(r));
          publish();
        }
        return;
      }
      // Wait in short slices, showing what was applied so far and noticing a pause or a stop.
      for (;;) {
        publish();
        if (stopping) return;
        if (gate.wanted !== 'on') wallStart += await gateOpen();
        const wait = wallStart + (at - recordedStart) / spec.speed - performance.now();
        if (wait <= 1) return;
        await sleep(Math.min(wait, PUBLISH_EVERY_MS), undefined, { signal: stopped.signal }).catch(() => {});
      }
    };
    const stream = recordingStream(spec.path);
    stream.on('error', () => {}); // a truncated end: readLines sees the stream end
    try {
      await readLines(stream, async (lines) => {
        for (const line of lines) {
          if (stopping) {
            stream.destroy();
            return;
          }
          const r = parseRecord(line);
          if (r === undefined) {
            if (line !== '') damaged++;
            continue;
          }
          if ('at' in r) {
            // A time no real recording holds (a damaged or forged file: before its start, centuries
            // ahead, not a number) would stall the pacing for ever and make durations absurd: the
            // record is skipped and counted. Time that steps back (a wall clock corrected) holds still.
            if (!plausibleTime(r.at, spec.header.startedAt)) {
              damaged++;
              continue;
            }
            clock.now = Math.max(clock.now, r.at);
          }
          records++;
          if ((r.t === 'poll' || r.t === 'batch' || r.t === 'monitor') && !mine(r.ep)) continue;
          if (r.t === 'header') recordedStart = r.startedAt;
          else if (r.t === 'poll') {
            if (side && r.info) keysOf.set(r.node ?? RECORDED_NODE, keyspaceKeys(r.info));
            const { clients, unparsed } = parseClientList(r.clientList);
            const node = r.node ?? RECORDED_NODE;
            if (r.cluster) {
              coreFor(node).cluster = r.cluster;
              let g = redirects.get(node);
              if (!g) redirects.set(node, (g = { moved: new Growth(), ask: new Growth() }));
              g.moved.see(errorCount(r.info ?? {}, 'MOVED'));
              g.ask.see(errorCount(r.info ?? {}, 'ASK'));
            }
            coreFor(node).pushPoll({ startedAt: r.startedAt, at: r.at, clients, unparsed, server: r.server, info: { ...r.info }, rawClientList: r.clientList });
          } else if (r.t === 'batch') {
            const at = clock.now;
            await pace(at);
            if (stopping) return;
            clock.now = at;
            const reasons = r.unparsed ?? new Array<string>(r.bad ?? 0).fill(NOT_RECORDED);
            coreFor(r.node ?? RECORDED_NODE).applyEvents(at, r.events.map(toEvent), reasons.map(() => NOT_RECORDED));
          } else if (r.t === 'gap') {
            droppedBatches += r.droppedBatches;
            coreFor(RECORDED_NODE).notice("the recording has gaps: the recorder's disk fell behind and some batches were never written");
          }
        }
      });
    } catch {
      if (!stopping) damaged++;
    }
    // The last poll may not have been followed by a batch.
    for (const c of cores.values()) c.applyEvents(clock.now, [], []);
    const gaps = droppedBatches ? `, ${droppedBatches} batches never written` : '';
    return `end of recording (${records} records${damaged ? `, ${damaged} damaged or cut short` : ''}${gaps})`;
  };

  const finished = run().catch((err: unknown) => `reading stopped: ${(err as Error).message}`);
  void finished.then((summary) => {
    gate.setDesired('off', summary);
    publish(true);
    send({ t: 'done', summary });
  });

  return {
    onMessage(msg: ToCollector) {
      switch (msg.t) {
        case 'hb':
          courier.heartbeat();
          break;
        case 'ack':
          courier.ack(msg.seq);
          break;
        case 'monitor': {
          const d: MonitorDesire = msg.desired;
          gate.setDesired(d, msg.reason);
          desireChanged?.();
          break;
        }
        case 'sync':
          courier.deliver(deltas(false), false, true);
          break;
        case 'stop':
          stopping = true;
          stopped.abort();
          desireChanged?.();
          void finished.then(() => send({ t: 'stopped' }));
          break;
        default:
          break;
      }
    },
  };
}

/** A recording spans at most this long (a year and a month); its records start no earlier than a minute before its header. */
const RECORDING_SPAN_MAX_MS = 400 * 24 * 3600_000;

/** Whether a record's time can belong to a recording that started at `startedAt`. */
export function plausibleTime(at: number, startedAt: number): boolean {
  return Number.isFinite(at) && at >= startedAt - 60_000 && at <= startedAt + RECORDING_SPAN_MAX_MS;
}

function toEvent(r: EventRecord): IngestEvent {
  return {
    ts: r.ts,
    db: r.db,
    source: r.src,
    args: r.args ? [...r.args] : [r.c],
    classified: { command: r.c, access: r.a, keys: r.k.map((key, i) => ({ key, write: r.w[i] === true })), script: r.s === true },
  };
}
