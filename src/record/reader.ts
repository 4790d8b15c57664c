// Reads a recording back. A file cut mid-write (a killed recorder, a full disk) replays up to where
// it stops: gunzip is told the end may be missing, and a torn last line is counted, not fatal.
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { constants, createGunzip, gunzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import { PENDING_LINES_MAX } from '../bounds.ts';
import { RECORDING_VERSION, type HeaderRecord, type RecordingRecord } from './format.ts';
import { fileErrorText } from '../fileErrors.ts';

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
    return { ok: false, error: `cannot read ${path}: ${fileErrorText(err)}` };
  }
  let text: string;
  try {
    text = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
  } catch {
    return { ok: false, error: `${path} is not a redis-recon recording (not gzip); for a redis-cli monitor capture use --monitor-log` };
  }
  const first = text.split('\n', 1)[0] ?? '';
  let header: HeaderRecord;
  try {
    header = JSON.parse(first) as HeaderRecord;
  } catch {
    return { ok: false, error: `${path} is not a redis-recon recording (no header)` };
  }
  if (!isObject(header) || header.t !== 'header' || header.tool !== 'redis-recon') {
    return { ok: false, error: `${path} is not a redis-recon recording (no header)` };
  }
  if (typeof header.v === 'number' && header.v > RECORDING_VERSION) {
    return { ok: false, error: `${path} was recorded by a newer redis-recon (format ${header.v}); this one reads format ${RECORDING_VERSION}` };
  }
  const problem = headerProblem(header);
  if (problem) return { ok: false, error: `${path} has a damaged header: ${problem}` };
  return { ok: true, header };
}

/** What is wrong with a header record's fields, in words; undefined when it can be replayed. */
function headerProblem(h: Record<string, unknown>): string | undefined {
  if (typeof h.v !== 'number') return 'no format version';
  if (typeof h.endpoint !== 'string') return 'no endpoint';
  if (typeof h.delimiter !== 'string' || h.delimiter === '') return 'no key delimiter';
  if (!isNumber(h.startedAt)) return 'no start time';
  if (h.target !== undefined && typeof h.target !== 'string') return 'a target endpoint that is not text';
  // A time a Date cannot hold (or before 1970) makes every age and duration in the replay absurd.
  if (h.startedAt < 0 || Number.isNaN(new Date(h.startedAt).getTime())) return 'a start time no clock can show';
  return undefined;
}

/** The decompressed byte stream of a recording, tolerant of a missing end. */
export function recordingStream(path: string): Readable {
  const gunzip = createGunzip({ finishFlush: constants.Z_SYNC_FLUSH });
  return createReadStream(path).pipe(gunzip);
}

/** One line to one record, or undefined for a torn, foreign or malformed line. */
export function parseRecord(line: string): RecordingRecord | undefined {
  if (line === '') return undefined;
  let r: unknown;
  try {
    r = JSON.parse(line);
  } catch {
    return undefined;
  }
  return validRecord(r) ? r : undefined;
}

/** True when every field the replay reads has the type it expects. */
export function validRecord(r: unknown): r is RecordingRecord {
  if (!isObject(r) || !validNode(r)) return false;
  switch (r.t) {
    case 'header':
      return r.tool === 'redis-recon' && headerProblem(r) === undefined;
    case 'batch':
      return (
        isNumber(r.at) &&
        Array.isArray(r.events) &&
        r.events.every(validEvent) &&
        (r.unparsed === undefined || isStrings(r.unparsed)) &&
        // One live flush never holds more lines than the pipeline queues.
        (r.bad === undefined || (isCount(r.bad) && r.bad <= PENDING_LINES_MAX))
      );
    case 'poll':
      return (
        isNumber(r.at) &&
        isNumber(r.startedAt) &&
        isObject(r.server) &&
        typeof r.server.name === 'string' &&
        typeof r.server.version === 'string' &&
        typeof r.clientList === 'string' &&
        (r.info === undefined || (isObject(r.info) && Object.values(r.info).every((v) => typeof v === 'string'))) &&
        (r.cluster === undefined || validCluster(r.cluster))
      );
    case 'monitor':
      return isNumber(r.at) && typeof r.phase === 'string';
    case 'gap':
      return isNumber(r.at) && isCount(r.droppedBatches);
    default:
      return false;
  }
}

function validEvent(e: unknown): boolean {
  return (
    isObject(e) &&
    isNumber(e.ts) &&
    isNumber(e.db) &&
    typeof e.src === 'string' &&
    typeof e.c === 'string' &&
    (e.a === 'read' || e.a === 'write' || e.a === 'other') &&
    isStrings(e.k) &&
    Array.isArray(e.w) &&
    e.w.length === e.k.length &&
    e.w.every((w) => typeof w === 'boolean') &&
    (e.s === undefined || e.s === true) &&
    (e.args === undefined || isStrings(e.args))
  );
}

const validCluster = (c: unknown): boolean =>
  isObject(c) &&
  typeof c.id === 'string' &&
  typeof c.addr === 'string' &&
  (c.role === 'primary' || c.role === 'replica') &&
  (c.primaryId === undefined || typeof c.primaryId === 'string') &&
  typeof c.slots === 'string';

const validNode = (r: Record<string, unknown>): boolean =>
  (r.node === undefined || typeof r.node === 'string') && (r.ep === undefined || r.ep === 'target') && (r.target === undefined || typeof r.target === 'string');

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function isCount(x: unknown): x is number {
  return Number.isInteger(x) && (x as number) >= 0;
}

function isStrings(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === 'string');
}
