// One partition of a `redis-cli monitor` capture read at full speed. The capture is read by K
// collectors in parallel, each taking the connections whose address hashes to it, so every
// connection's lines stay in order in one session (scripts, transactions, port reuse and quiet
// expiry all depend on that order) and the partitions merge like the nodes of a cluster. Each
// partition scans every line but parses only its own: finding a line's address costs a few
// `indexOf`s; parsing and aggregating it costs twenty times that.
import { createReadStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { LINE_CHARS_MAX } from '../bounds.ts';
import type { Auditor } from '../analysis/session.ts';
import { parseClientList } from '../parse/clientList.ts';
import { parseMonitorLine } from '../parse/monitorLine.ts';
import { fileErrorText } from '../fileErrors.ts';
import type { ServerIdentity } from '../types.ts';
import { NodeCore } from './nodeCore.ts';
import { MonitorGate } from './monitorGate.ts';
import { Courier } from './courier.ts';
import type { Collector } from './live.ts';
import type { CollectorInit, CollectorSpec, FromCollector, NodeStatus, ToCollector } from './protocol.ts';

const UNKNOWN_SERVER: ServerIdentity = { name: 'redis', version: 'unknown', redisVersion: 'unknown', mode: 'unknown', role: 'unknown' };
const RECORDED_SELF = (name: string): boolean => name.startsWith('redis-recon-');
/** A capture read at full speed shows its progress this often. */
const PUBLISH_EVERY_MS = 200;
/** Chunks the main thread may send ahead of this partition (stdin): its flow control. */
export const CHUNKS_AHEAD = 4;

type CaptureSpec = Extract<CollectorSpec, { kind: 'capture' }>;

/** FNV-1a over `text[from, to)`: which partition a connection's address belongs to. */
export function partitionOf(text: string, from: number, to: number, partitions: number): number {
  if (partitions <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0) % partitions;
}

/**
 * The partition a MONITOR line belongs to: its source's, or the previous line's for a script's own
 * commands (`[0 lua]` follows its EVAL). -1 for lines without a readable source (counted by
 * partition 0, which parses them and counts them unparsed).
 */
export function lineOwner(text: string, from: number, to: number, partitions: number, previous: number): number {
  const open = text.indexOf('[', from);
  if (open < 0 || open >= to) return -1;
  const space = text.indexOf(' ', open);
  if (space < 0 || space >= to) return -1;
  // The source ends at the `] "` before the first argument; an IPv6 source holds a `]` of its own.
  const close = text.indexOf('] "', space);
  if (close < 0 || close >= to) return -1;
  if (close - space - 1 === 3 && text.startsWith('lua', space + 1)) return previous;
  return partitionOf(text, space + 1, close, partitions);
}

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
  let stopping = false;
  let fed: PassThrough | undefined;
  let lines = 0;
  let started = false;

  // The saved CLIENT LIST names this partition's addresses from the capture's first moment on.
  let pendingList = spec.clientList === undefined ? undefined : parseClientList(spec.clientList);
  if (pendingList) {
    const mine = pendingList.clients.filter((c) => {
      const key = c.addrKey;
      const owner = key === '' || key.startsWith('unix:') ? 0 : partitionOf(key, 0, key.length, k);
      return owner === me;
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
    addr: spec.path ?? 'stdin',
    server: UNKNOWN_SERVER,
    poll: { polls: 0, intervalMs: 0 },
    monitor: gate.status({ guard: 'idle' }),
    stream: core.stream,
    commandTable: core.commandTable,
    notices: [...core.notices],
    ...(core.windowStart !== undefined ? { windowStart: core.windowStart } : {}),
    clock: core.clock,
  });

  const publish = (final = false): void => {
    if (final || courier.ready(PUBLISH_EVERY_MS)) courier.deliver([core.delta(status(), final)], final);
  };

  const read = async (input: Readable): Promise<void> => {
    let carry = '';
    let skipping = false;
    let owner = 0;
    let sinceYield = 0;
    for await (const chunk of input) {
      if (stopping) break;
      const buf = chunk as Buffer;
      // MONITOR output is pure ASCII (the server escapes every other byte as \xHH): latin1 is exact and cheapest.
      let text = carry + buf.toString('latin1');
      carry = '';
      let from = 0;
      if (skipping) {
        const nl = text.indexOf('\n');
        if (nl < 0) continue;
        from = nl + 1;
        skipping = false;
      }
      for (let nl = text.indexOf('\n', from); nl >= 0; nl = text.indexOf('\n', from)) {
        const end = nl > from && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        // The saved CLIENT LIST holds from the capture's first line on (whichever partition owns it).
        if (pendingList) {
          const first = parseMonitorLine(text.slice(from, end));
          if (first.ok) applyList(Math.round(first.event.ts * 1000));
        }
        lines++;
        const o = lineOwner(text, from, end, k, owner);
        if (o >= 0) owner = o;
        if (o === me || (o < 0 && me === 0)) core.pushLine(text.slice(from, end));
        from = nl + 1;
      }
      carry = text.slice(from);
      text = '';
      if (carry.length > LINE_CHARS_MAX) {
        // A file with no newline (not a capture) must not grow memory without end.
        lines++;
        if (me === 0) core.pushLine(carry.slice(0, LINE_CHARS_MAX));
        carry = '';
        skipping = true;
      }
      core.flushNow();
      if (core.windowStart !== undefined && !started) {
        started = true;
        gate.connection('on', undefined, core.windowStart);
      }
      if (fed) send({ t: 'chunk-ack' });
      publish();
      // Let acknowledgements and heartbeats in now and then.
      if (++sinceYield >= 4) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
      }
    }
    // A capture cut mid-line still yields its last, partial line: the parser decides what it is.
    if (carry.length > 0) {
      lines++;
      const o = lineOwner(carry, 0, carry.length, k, owner);
      if (o === me || (o < 0 && me === 0)) core.pushLine(carry.endsWith('\r') ? carry.slice(0, -1) : carry);
    }
    core.flushNow();
    applyList(core.windowStart ?? 0);
  };

  const input: Readable = spec.path !== null ? createReadStream(spec.path, { highWaterMark: 1 << 20 }) : (fed = new PassThrough({ highWaterMark: 1 << 22 }));
  const finished = read(input).then(
    () => `end of capture (${lines.toLocaleString('en')} lines)`,
    (err: unknown) => `reading stopped: ${fileErrorText(err)}`,
  );
  void finished.then((summary) => {
    gate.connection('off');
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
        case 'sync':
          courier.deliver([core.delta(status())], false, true);
          break;
        case 'chunk':
          fed?.write(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength));
          break;
        case 'end':
          fed?.end();
          break;
        case 'stop':
          stopping = true;
          if (spec.path !== null) (input as ReturnType<typeof createReadStream>).destroy();
          else fed?.end();
          void finished.then(() => send({ t: 'stopped' }));
          break;
        default:
          break;
      }
    },
  };
}
