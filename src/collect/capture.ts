// One partition of a `redis-cli monitor` capture read at full speed. The main thread reads the
// capture once and gives each partition only the lines of its connections (captureFeed.ts), so
// every connection's lines stay in order in one session (scripts, transactions, port reuse and
// quiet expiry all depend on that order), and the partitions merge like the nodes of a cluster.
import { parseClientList } from '../parse/clientList.ts';
import type { Auditor } from '../analysis/session.ts';
import type { ServerIdentity } from '../types.ts';
import { NodeCore } from './nodeCore.ts';
import { MonitorGate } from './monitorGate.ts';
import { Courier } from './courier.ts';
import { partitionOf } from './splitter.ts';
import type { Collector } from './live.ts';
import type { CollectorInit, CollectorSpec, FromCollector, NodeStatus, ToCollector } from './protocol.ts';

export { partitionOf };

const UNKNOWN_SERVER: ServerIdentity = { name: 'redis', version: 'unknown', redisVersion: 'unknown', mode: 'unknown', role: 'unknown' };
const RECORDED_SELF = (name: string): boolean => name.startsWith('redis-recon-');
/**
 * A capture read at full speed shows its progress this often: each delta carries the views of every
 * client that moved, and at 5 a second sending them cost a tenth of the partition's time.
 */
const PUBLISH_EVERY_MS = 1000;

type CaptureSpec = Extract<CollectorSpec, { kind: 'capture' }>;

export function startCaptureCollector(init: CollectorInit, spec: CaptureSpec, auditor: Auditor | undefined, send: (m: FromCollector) => void): Collector {
  const me = spec.partition;
  const k = spec.partitions;
  const core = new NodeCore({
    nodeId: spec.nodeId,
    keyPrefix: `${spec.nodeId}.${me}`,
    delimiter: init.delimiter,
    isSelf: (info) => RECORDED_SELF(info.name),
    auditor,
    now: Date.now,
    eventClock: true,
  });
  const courier = new Courier(send);
  // The capture's own clock: MONITOR was "on" for the capture's span, from its first line.
  const gate = new MonitorGate('on', () => core.clock);
  let lines = 0;
  let started = false;
  let finished = false;

  // The saved CLIENT LIST names this partition's addresses from the capture's first moment on.
  let pendingList = spec.clientList === undefined ? undefined : parseClientList(spec.clientList);
  if (pendingList) {
    const mine = pendingList.clients.filter((c) => {
      // The feed pins each listed address to this same partition (captureFeed.ts).
      return partitionOf(c.addrKey, 0, c.addrKey.length, k) === me;
    });
    pendingList = { clients: mine, unparsed: me === 0 ? pendingList.unparsed : [] };
  }
  const applyList = (at: number): void => {
    if (!pendingList) return;
    core.pushPoll({ startedAt: at, at, clients: pendingList.clients, unparsed: pendingList.unparsed, server: UNKNOWN_SERVER, info: {}, rawClientList: spec.clientList });
    pendingList = undefined;
  };

  const status = (): NodeStatus => ({
    id: spec.nodeId,
    addr: spec.source,
    server: UNKNOWN_SERVER,
    poll: { polls: core.polls, ...(core.lastPollAt !== undefined ? { lastAt: core.lastPollAt } : {}), intervalMs: 0 },
    monitor: gate.status({ guard: 'idle' }),
    stream: core.stream,
    commandTable: core.commandTable,
    notices: [...core.notices],
    ...(core.windowStart !== undefined ? { windowStart: core.windowStart } : {}),
    clock: core.clock,
  });

  const publish = (final = false): void => {
    if (final || courier.ready(init.publishEveryMs ?? PUBLISH_EVERY_MS)) courier.deliver([core.delta(status(), final)], final);
  };

  const take = (buf: Uint8Array, offsets: Int32Array): void => {
    const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0; i < offsets.length; i += 2) {
      // MONITOR output is pure ASCII (the server escapes every other byte as \xHH): latin1 is exact.
      core.pushLine(b.toString('latin1', offsets[i]!, offsets[i + 1]!));
      // A few hundred at a time, so lines and their events die young (see NodeCore's SUB_BATCH).
      if ((i & 511) === 510) core.flushNow();
    }
    lines += offsets.length / 2;
    core.flushNow();
    if (!started && core.windowStart !== undefined) {
      started = true;
      gate.connection('on', undefined, core.windowStart);
    }
    send({ t: 'chunk-ack' });
    publish();
  };

  const finish = (): void => {
    if (finished) return;
    finished = true;
    applyList(core.windowStart ?? 0);
    core.flushNow();
    const summary = `end of capture (${lines.toLocaleString('en')} lines in this partition)`;
    gate.connection('off');
    gate.setDesired('off', summary);
    publish(true);
    send({ t: 'done', summary });
  };

  return {
    onMessage(msg: ToCollector) {
      switch (msg.t) {
        case 'hb':
          courier.heartbeat();
          break;
        case 'ack':
          courier.ack(msg.seq);
          break;
        case 'window':
          applyList(msg.at);
          break;
        case 'lines':
          if (!finished) take(msg.buf, msg.offsets);
          break;
        case 'end':
          finish();
          break;
        case 'sync':
          courier.deliver([core.delta(status())], false, true);
          break;
        case 'stop':
          finish();
          send({ t: 'stopped' });
          break;
        default:
          break;
      }
    },
  };
}
