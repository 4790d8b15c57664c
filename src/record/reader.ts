// Reads a recording back. A file cut mid-write (a killed recorder, a full disk) replays up to where
// it stops: gunzip is told the end may be missing, and a torn last line is counted, not fatal.
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import { RECORDING_VERSION, type HeaderRecord, type RecordingRecord } from './format.ts';

export type OpenResult = { ok: true; header: HeaderRecord } | { ok: false; error: string };

/** Reads just the header, to set up the store before the replay starts. */
export function readHeader(path: string): OpenResult {
  let head: Buffer;
  try {
    const fd = openSync(path, 'r');
    try {
      const buf = Buffer.alloc(64 * 1024);
      head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    return { ok: false, error: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  let text: string;
  try {
    text = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  } catch {
    return { ok: false, error: `${path} is not a redis-recon recording (not gzip); for a redis-cli monitor capture use --monitor-log` };
  }
  const first = text.split('\n', 1)[0] ?? '';
  try {
    const header = JSON.parse(first) as HeaderRecord;
    if (header.t !== 'header' || header.tool !== 'redis-recon') throw new Error('no header');
    if (header.v > RECORDING_VERSION) {
      return { ok: false, error: `${path} was recorded by a newer redis-recon (format ${header.v}); this one reads format ${RECORDING_VERSION}` };
    }
    return { ok: true, header };
  } catch {
    return { ok: false, error: `${path} is not a redis-recon recording (no header)` };
  }
}

/** The decompressed byte stream of a recording, tolerant of a missing end. */
export function recordingStream(path: string): Readable {
  const gunzip = createGunzip({ finishFlush: constants.Z_SYNC_FLUSH });
  return createReadStream(path).pipe(gunzip);
}

/** One line to one record, or undefined for a torn or foreign line. */
export function parseRecord(line: string): RecordingRecord | undefined {
  if (line === '') return undefined;
  try {
    const r = JSON.parse(line) as RecordingRecord;
    return typeof r === 'object' && r !== null && typeof r.t === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}
