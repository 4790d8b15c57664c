// The recording's records, made where the session applies them (in the collector) and handed on as
// JSON-lines text: the main thread only appends text to the gzip stream, so a cluster's collectors
// all write into one file, each record tagged with its node.
import { IDENTITY_COMMANDS, type IngestEvent } from '../analysis/session.ts';
import type { Classified } from '../types.ts';
import { isRecordedKeyspace, RECORDED_INFO, type EventRecord, type RecordedNode, type RecordingRecord } from '../record/format.ts';
import type { PollResult } from './nodeCore.ts';

export interface RecordTap {
  /** `cluster`: the node's place in its cluster when the poll was taken (cluster sessions). */
  poll(poll: PollResult, cluster?: RecordedNode): void;
  /** One flush's events, each classified (the pipeline classifies when a tap is set). */
  batch(at: number, events: readonly IngestEvent[]): void;
  /** A line that did not parse (its text is kept only with values: it may hold them). */
  unparsed(line: string): void;
  monitor(at: number, phase: string, reason?: string): void;
}

export type TapKind = 'poll' | 'batch';

/**
 * A tap that serialises records and hands them to `sink`: each poll at once (a recorder that falls
 * behind keeps the newest poll, a full snapshot, and drops batches), batches in one chunk per flush.
 * `node` tags every record when the session has several nodes.
 */
export function recordTap(opts: { values: boolean; node?: string; endpoint?: 'source' | 'target'; sink: (text: string, kind: TapKind) => void }): RecordTap & { drain(): void } {
  let out: string[] = [];
  let unparsed: string[] = [];
  let bad = 0;
  // A cutover's target records say so; the source's stay as they always were.
  const node = { ...(opts.node !== undefined ? { node: opts.node } : {}), ...(opts.endpoint === 'target' ? { ep: 'target' as const } : {}) };
  const write = (r: RecordingRecord): void => {
    out.push(JSON.stringify(r));
  };
  const drain = (): void => {
    if (out.length === 0) return;
    const text = `${out.join('\n')}\n`;
    out = [];
    opts.sink(text, 'batch');
  };
  return {
    poll(p, cluster) {
      // Batches already queued go first: the recording keeps the order the session applied.
      drain();
      // The INFO fields the ledger needs to tell a server restart and place events in time.
      const info = Object.fromEntries(RECORDED_INFO.filter((k) => p.info[k] !== undefined).map((k) => [k, p.info[k]!]));
      // A cutover session keeps each side's key counts, so a replay shows a stalled copy too.
      if (opts.endpoint) for (const [k, v] of Object.entries(p.info)) if (isRecordedKeyspace(k)) info[k] = v;
      const r: RecordingRecord = {
        t: 'poll',
        at: p.at,
        startedAt: p.startedAt,
        server: p.server,
        clientList: p.rawClientList ?? '',
        ...(Object.keys(info).length > 0 ? { info } : {}),
        ...(cluster ? { cluster } : {}),
        ...node,
      };
      opts.sink(`${JSON.stringify(r)}\n`, 'poll');
    },
    batch(at, events) {
      if (events.length === 0 && bad === 0) return;
      const lines = bad === 0 ? {} : opts.values ? { unparsed } : { bad };
      write({ t: 'batch', at, events: events.map((e) => eventRecord(e, e.classified!, opts.values)), ...lines, ...node });
      unparsed = [];
      bad = 0;
    },
    unparsed(line) {
      bad++;
      if (opts.values) unparsed.push(line);
    },
    monitor(at, phase, reason) {
      write({ t: 'monitor', at, phase, ...(reason ? { reason } : {}), ...node });
    },
    drain,
  };
}

function eventRecord(e: IngestEvent, c: Classified, values: boolean): EventRecord {
  return {
    ts: e.ts,
    db: e.db,
    src: e.source,
    c: c.command,
    a: c.access,
    k: c.keys.map((k) => k.key),
    w: c.keys.map((k) => k.write),
    ...(c.script ? { s: true as const } : {}),
    // Identity commands carry names, not data: kept so a replay names short-lived connections too.
    ...(values || IDENTITY_COMMANDS.has(c.command) ? { args: e.args } : {}),
  };
}
