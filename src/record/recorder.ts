// Writes a live session to a recording as it happens. The gzip stream is sync-flushed every
// second, so a killed process loses at most about a second and the file still decompresses up to
// its last flush. Nothing here blocks the pipeline: writes are queued on the file stream, and when
// the disk falls behind (gzip says so) batches are dropped and counted in a gap record, not queued.
import { createWriteStream, type WriteStream } from 'node:fs';
import { constants, createGzip, type Gzip, type ZlibOptions } from 'node:zlib';
import type { PipelineTap, PollResult } from '../pipeline.ts';
import { IDENTITY_COMMANDS, type IngestEvent } from '../analysis/session.ts';
import type { Classified } from '../types.ts';
import { RECORDING_VERSION, type EventRecord, type RecordingRecord } from './format.ts';
import { TOOL_VERSION } from '../version.ts';
import { fileErrorText } from '../fileErrors.ts';

/**
 * How much uncompressed text may wait for gzip before writes are refused. Well above one flush's
 * batch, so a fast disk never drops; a slow one caps memory here.
 */
const QUEUE_BYTES = 4 << 20;

export interface RecorderOptions {
  readonly path: string;
  readonly endpoint: string;
  readonly delimiter: string;
  readonly values: boolean;
  readonly startedAt: number;
  readonly flushEveryMs?: number;
  /** Told once if the file cannot be written; the dashboard keeps running. */
  readonly onError?: (message: string) => void;
}

export interface Recorder extends PipelineTap {
  close(): Promise<void>;
}

export function startRecorder(opts: RecorderOptions): Recorder {
  const file: WriteStream = createWriteStream(opts.path, { mode: 0o600 });
  const gzipOptions: ZlibOptions & { writableHighWaterMark: number } = { level: 6, writableHighWaterMark: QUEUE_BYTES };
  const gzip: Gzip = createGzip(gzipOptions);
  gzip.pipe(file);
  let failed = false;
  const fail = (err: Error): void => {
    if (failed) return;
    failed = true;
    opts.onError?.(`recording to ${opts.path} stopped: ${fileErrorText(err, 'write')}`);
  };
  file.on('error', fail);
  gzip.on('error', fail);
  /** Set when gzip's queue is full: batches are dropped (and counted) until it drains. */
  let blocked = false;
  let droppedBatches = 0;
  let droppedAt = 0;
  /** The newest poll seen while blocked: CLIENT LIST is a full snapshot, so one is enough. */
  let heldPoll: PollResult | undefined;
  const write = (r: RecordingRecord): void => {
    if (!failed && !gzip.write(`${JSON.stringify(r)}\n`)) blocked = true;
  };
  const writeGap = (): void => {
    if (droppedBatches === 0) return;
    write({ t: 'gap', at: droppedAt, droppedBatches });
    droppedBatches = 0;
  };
  const writePoll = (p: PollResult): void => {
    write({ t: 'poll', at: p.at, startedAt: p.startedAt, server: p.server, clientList: p.rawClientList ?? '' });
  };
  gzip.on('drain', () => {
    blocked = false;
    writeGap();
    if (heldPoll) writePoll(heldPoll);
    heldPoll = undefined;
  });
  write({
    t: 'header',
    v: RECORDING_VERSION,
    tool: 'redis-recon',
    toolVersion: TOOL_VERSION,
    endpoint: opts.endpoint,
    startedAt: opts.startedAt,
    delimiter: opts.delimiter,
    values: opts.values,
  });
  const timer = setInterval(() => {
    if (!failed) gzip.flush(constants.Z_SYNC_FLUSH);
  }, opts.flushEveryMs ?? 1000);
  timer.unref();

  return {
    poll(p) {
      if (blocked) heldPoll = p;
      else writePoll(p);
    },
    batch(at, events, unparsed) {
      if (events.length === 0 && unparsed.length === 0) return;
      if (blocked) {
        droppedBatches++;
        droppedAt = at;
        return;
      }
      // Lines that did not parse may hold values: their text only when values are kept.
      const lines = unparsed.length === 0 ? {} : opts.values ? { unparsed } : { bad: unparsed.length };
      write({ t: 'batch', at, events: events.map((e) => eventRecord(e, e.classified!, opts.values)), ...lines });
    },
    monitor(at, phase, reason) {
      write({ t: 'monitor', at, phase, ...(reason ? { reason } : {}) });
    },
    async close() {
      clearInterval(timer);
      if (failed) return;
      // Still blocked: the last counts go in anyway (a few bytes), so the file says what it lacks.
      writeGap();
      if (heldPoll) writePoll(heldPoll);
      await new Promise<void>((resolve) => {
        file.once('close', () => resolve());
        file.once('error', () => resolve());
        gzip.end();
      });
    },
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
