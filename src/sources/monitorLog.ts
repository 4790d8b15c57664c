// Analyses a `redis-cli monitor` / `valkey-cli monitor` capture (a file or stdin) as fast as it can
// be read, through the same pipeline as a live session. A CLIENT LIST saved beside it names the
// addresses. The engine clock follows the capture's own timestamps, so rates are the capture's.
import type { Readable } from 'node:stream';
import type { Pipeline } from '../pipeline.ts';
import type { ReconStore } from '../store.ts';
import type { IngestEvent } from '../analysis/session.ts';
import type { ClientInfo, ServerIdentity } from '../types.ts';
import { parseMonitorLine } from '../parse/monitorLine.ts';
import { readLines } from './lineReader.ts';

/** How often a capture read at full speed shows its progress. */
const PUBLISH_EVERY_MS = 200;

export interface CaptureOptions {
  readonly clock: { now: number };
  readonly clientList?: { clients: ClientInfo[]; unparsed: string[]; raw: string };
  readonly server: ServerIdentity;
}

export interface CaptureResult {
  readonly lines: number;
  readonly bytes: number;
}

export async function analyzeCapture(
  input: Readable,
  pipeline: Pipeline,
  store: ReconStore,
  opts: CaptureOptions,
  signal: AbortSignal,
): Promise<CaptureResult> {
  let pendingList = opts.clientList;
  let lastPublish = performance.now();
  let batches = 0;
  const stats = await readLines(input, async (lines) => {
    if (signal.aborted) return;
    const events: IngestEvent[] = [];
    const bad: string[] = [];
    for (const line of lines) {
      const r = parseMonitorLine(line);
      if (r.ok) events.push(r.event);
      // redis-cli prints "OK" when MONITOR starts: not a line of the capture.
      else if (line !== 'OK' && line !== '') bad.push(line);
    }
    const last = events[events.length - 1];
    if (last) opts.clock.now = Math.round(last.ts * 1000);
    if (batches === 0 && events[0]) store.getState().actions.windowStarted(Math.round(events[0].ts * 1000));
    if (pendingList) {
      // The saved CLIENT LIST names the addresses from the capture's first moment on.
      const at = events[0] ? Math.round(events[0].ts * 1000) : opts.clock.now;
      pipeline.pushPoll({ startedAt: at, at, clients: pendingList.clients, unparsed: pendingList.unparsed, server: opts.server, info: {}, rawClientList: pendingList.raw });
      pendingList = undefined;
    }
    pipeline.ingestBatch(opts.clock.now, events, bad);
    // Publishing costs a view of every changed client: a few times a second is all a screen needs.
    if (performance.now() - lastPublish >= PUBLISH_EVERY_MS) {
      pipeline.publish(opts.clock.now);
      lastPublish = performance.now();
    }
    // Let a dashboard draw and read keys between batches.
    if (++batches % 8 === 0) await new Promise((r) => setImmediate(r));
  });
  if (pendingList) pipeline.pushPoll({ startedAt: 0, at: 0, clients: pendingList.clients, unparsed: pendingList.unparsed, server: opts.server, info: {}, rawClientList: pendingList.raw });
  pipeline.applyBatch(opts.clock.now, [], []);
  return stats;
}
