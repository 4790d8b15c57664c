// Writes a live session to a recording as it happens. The gzip stream is sync-flushed every
// second, so a killed process loses at most about a second and the file still decompresses up to
// its last flush. Nothing here blocks the pipeline: writes are queued on the file stream, and when
// the disk falls behind (gzip says so) batches are dropped and counted in a gap record, not queued.
import { createWriteStream, type WriteStream } from 'node:fs';
import { constants, createGzip, type Gzip, type ZlibOptions } from 'node:zlib';
import { RECORDING_VERSION, type RecordingRecord } from './format.ts';
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
  /** A cutover session's target endpoint (its records carry `ep: 'target'`). */
  readonly target?: string;
  readonly flushEveryMs?: number;
  /** Told once if the file cannot be written; the dashboard keeps running. */
  readonly onError?: (message: string) => void;
}

export interface Recorder {
  /**
   * Appends records already serialised as JSON lines: one poll, or one collector flush's batches.
   * While the disk is behind, batches are dropped and counted; the newest poll is kept for later.
   */
  write(text: string, kind: 'poll' | 'batch'): void;
  close(): Promise<void>;
  /** Why the recording stopped early (the disk filled, the file went away); undefined while it is whole. */
  readonly error: string | undefined;
}

export function startRecorder(opts: RecorderOptions): Recorder {
  const file: WriteStream = createWriteStream(opts.path, { mode: 0o600 });
  const gzipOptions: ZlibOptions & { writableHighWaterMark: number } = { level: 6, writableHighWaterMark: QUEUE_BYTES };
  const gzip: Gzip = createGzip(gzipOptions);
  gzip.pipe(file);
  let failed = false;
  let error: string | undefined;
  const fail = (err: Error): void => {
    if (failed) return;
    failed = true;
    error = `recording to ${opts.path} stopped: ${fileErrorText(err, 'write')}`;
    opts.onError?.(error);
  };
  file.on('error', fail);
  gzip.on('error', fail);
  /** Set when gzip's queue is full: flushes are dropped (and counted) until it drains. */
  let blocked = false;
  let droppedBatches = 0;
  let droppedAt = 0;
  const writeRecord = (r: RecordingRecord): void => {
    if (!failed && !gzip.write(`${JSON.stringify(r)}\n`)) blocked = true;
  };
  const writeGap = (): void => {
    if (droppedBatches === 0) return;
    writeRecord({ t: 'gap', at: droppedAt, droppedBatches });
    droppedBatches = 0;
  };
  /** The newest poll seen while blocked: CLIENT LIST is a full snapshot, so one is enough. */
  let heldPoll: string | undefined;
  gzip.on('drain', () => {
    blocked = false;
    writeGap();
    if (heldPoll !== undefined && !gzip.write(heldPoll)) blocked = true;
    heldPoll = undefined;
  });
  writeRecord({
    t: 'header',
    v: RECORDING_VERSION,
    tool: 'redis-recon',
    toolVersion: TOOL_VERSION,
    endpoint: opts.endpoint,
    startedAt: opts.startedAt,
    delimiter: opts.delimiter,
    values: opts.values,
    ...(opts.target !== undefined ? { target: opts.target } : {}),
  });
  const timer = setInterval(() => {
    if (!failed) gzip.flush(constants.Z_SYNC_FLUSH);
  }, opts.flushEveryMs ?? 1000);
  timer.unref();

  return {
    get error() {
      return error;
    },
    write(text, kind) {
      if (failed) return;
      if (blocked) {
        if (kind === 'poll') heldPoll = text;
        else {
          droppedBatches++;
          droppedAt = lastAt(text) ?? droppedAt;
        }
        return;
      }
      if (!gzip.write(text)) blocked = true;
    },
    async close() {
      clearInterval(timer);
      if (failed) return;
      // Still blocked: the last counts go in anyway (a few bytes), so the file says what it lacks.
      writeGap();
      if (heldPoll !== undefined) gzip.write(heldPoll);
      await new Promise<void>((resolve) => {
        file.once('close', () => resolve());
        file.once('error', () => resolve());
        gzip.end();
      });
    },
  };
}

/** The engine time of the last record in a chunk (`"at":…`), for the gap record. */
function lastAt(text: string): number | undefined {
  const i = text.lastIndexOf('"at":');
  if (i < 0) return undefined;
  const m = /^"at":(\d+(?:\.\d+)?)/.exec(text.slice(i, i + 40));
  return m ? Number(m[1]) : undefined;
}
