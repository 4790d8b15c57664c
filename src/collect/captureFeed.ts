// Reads a MONITOR capture once, on the main thread (a file, stdin, a FIFO alike), and hands each
// partition's collector only its own lines: chunks go into shared memory, and each partition gets
// the [start, end) offsets of its lines in them. Flow control: at most CHUNKS_AHEAD chunks wait in
// any partition; reading pauses until they are taken, so memory stays bounded whatever the input.
//
// A regular file is read straight into shared buffers that are used again once every partition has
// taken its lines from them; any other input (stdin, a FIFO, a device) arrives as a stream and is
// copied in. (For a 172 MB capture the stream's buffers and the copies cost the main thread 0.2 s
// of CPU and its garbage collector a fresh megabyte per chunk; pooled reads, under 0.1 s.)
import type { Readable } from 'node:stream';
import { open, type FileHandle } from 'node:fs/promises';
import { LINE_CHARS_MAX } from '../bounds.ts';
import type { CollectorHost } from './host.ts';
import { splitLines, splitState } from './splitter.ts';
import { fileErrorText } from '../fileErrors.ts';

/** Chunks a partition may have waiting before reading pauses. */
export const CHUNKS_AHEAD = 4;
/** Bytes read at a time. */
const CHUNK_BYTES = 1 << 20;
/** Room kept before a pooled chunk for the incomplete line carried from the previous one. */
const CARRY_ROOM = 64 * 1024;

/** A capture to read: a regular file by its path, or a stream. */
export type CaptureInput = { readonly file: string } | Readable;

export interface CaptureFeed {
  /** Resolves when the input ended (or failed) and every partition was told. */
  readonly finished: Promise<void>;
  /** One partition took a chunk. */
  taken(partition: number): void;
  /** Lines read so far (all partitions). */
  readonly lines: number;
  /** Why reading stopped before the end of the input, in words (a read error). */
  readonly failure: string | undefined;
  stop(): void;
}

/** The capture's first event time (ms), from the first line that starts with a timestamp. */
function firstTimestamp(buf: Buffer, length: number): number | undefined {
  let from = 0;
  while (from < length) {
    let nl = buf.indexOf(10, from);
    if (nl < 0 || nl > length) nl = length;
    const head = buf.toString('latin1', from, Math.min(nl, from + 32));
    const m = /^\+?(\d{9,11}\.\d{1,6}) \[/.exec(head);
    if (m) return Math.round(Number(m[1]) * 1000);
    from = nl + 1;
  }
  return undefined;
}

const shared = (bytes: number): Buffer => Buffer.from(new SharedArrayBuffer(bytes));

/**
 * Sends chunks' lines to the partitions and keeps the books: which chunks each partition still
 * holds (a pooled buffer is used again only when none does), the carry of an incomplete line, the
 * cut of a line past LINE_CHARS_MAX.
 */
class Dispatcher {
  readonly waiting: number[];
  lines = 0;
  private readonly state;
  private windowSent = false;
  /** Per partition, the chunks sent and not yet taken, oldest first. */
  private readonly held: Array<Array<{ buf: Buffer; holders: number }>>;
  /** Pooled buffers free to read into. */
  readonly pool: Buffer[] = [];

  constructor(
    private readonly hosts: readonly CollectorHost[],
    listed: readonly string[],
  ) {
    this.waiting = new Array<number>(hosts.length).fill(0);
    this.held = hosts.map(() => []);
    this.state = splitState(hosts.length, listed);
  }

  /** Whether a partition has as many chunks waiting as it may. */
  get full(): boolean {
    return this.waiting.some((w) => w >= CHUNKS_AHEAD);
  }

  /**
   * Sends the complete lines of buf[0, length) (all of it when `final`); returns where the
   * incomplete last line begins. `pooled`, the pool's buffer `buf` lies in, goes back to the pool
   * once no partition holds it.
   */
  send(buf: Buffer, length: number, final: boolean, pooled?: Buffer): number {
    if (!this.windowSent) {
      const at = firstTimestamp(buf, length);
      if (at !== undefined || final) {
        this.windowSent = true;
        if (at !== undefined) for (const h of this.hosts) h.send({ t: 'window', at });
      }
    }
    const split = splitLines(buf, length, this.state, final);
    this.lines += split.lines;
    const view = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    const chunk = pooled ? { buf: pooled, holders: 0 } : undefined;
    split.offsets.forEach((offsets, p) => {
      if (offsets.length === 0) return;
      this.waiting[p]!++;
      if (chunk) {
        chunk.holders++;
        this.held[p]!.push(chunk);
      }
      this.hosts[p]!.send({ t: 'lines', buf: view, offsets }, [offsets.buffer as ArrayBuffer]);
    });
    if (chunk && chunk.holders === 0) this.pool.push(chunk.buf);
    return split.rest;
  }

  /** Partition `p` took its oldest chunk. */
  taken(p: number): void {
    this.waiting[p] = Math.max(0, this.waiting[p]! - 1);
    const chunk = this.held[p]!.shift();
    if (chunk && --chunk.holders === 0) this.pool.push(chunk.buf);
  }

  /**
   * An incomplete line past LINE_CHARS_MAX: a file with no newline (not a capture) must not grow
   * memory without end, so its first LINE_CHARS_MAX bytes go as one line (counted unparsed) and the
   * caller drops the rest up to the next newline. Says whether it cut.
   */
  cutIfTooLong(carry: Buffer): boolean {
    if (carry.length <= LINE_CHARS_MAX) return false;
    const cut = shared(LINE_CHARS_MAX);
    carry.copy(cut, 0, 0, LINE_CHARS_MAX);
    this.send(cut, LINE_CHARS_MAX, true);
    return true;
  }

  end(): void {
    for (const h of this.hosts) h.send({ t: 'end' });
  }
}

/**
 * Feeds `input` to the partitions' hosts. `listed` are the addresses of a saved CLIENT LIST: each
 * goes to the partition its list entry goes to (`partitionOf`).
 */
export function feedCapture(input: CaptureInput, hosts: readonly CollectorHost[], listed: readonly string[] = []): CaptureFeed {
  const d = new Dispatcher(hosts, listed);
  const control = { stopped: false, failure: undefined as string | undefined, resume: (): void => {} };
  const reader = 'file' in input ? readFile(input.file, d, control) : readStream(input, d, control);
  const finished = reader.finished.then(() => d.end());
  return {
    finished,
    get lines() {
      return d.lines;
    },
    get failure() {
      return control.failure;
    },
    taken(p) {
      d.taken(p);
      if (!control.stopped && !d.full) control.resume();
    },
    stop() {
      control.stopped = true;
      reader.stop();
    },
  };
}

interface Control {
  stopped: boolean;
  failure: string | undefined;
  /** Called when no partition is full any more. */
  resume: () => void;
}

/** A regular file, read in order into pooled shared buffers. */
function readFile(path: string, d: Dispatcher, control: Control): { finished: Promise<void>; stop(): void } {
  let handle: FileHandle | undefined;
  const room = (): Promise<void> =>
    d.full
      ? new Promise((resolve) => {
          control.resume = () => {
            control.resume = () => {};
            resolve();
          };
        })
      : Promise.resolve();
  const run = async (): Promise<void> => {
    handle = await open(path, 'r');
    /** The incomplete last line of the previous chunk (a copy: that chunk may be reused). */
    let carry: Buffer = Buffer.alloc(0);
    /** Inside a line already cut at LINE_CHARS_MAX: its rest is dropped up to the next newline. */
    let skipping = false;
    for (;;) {
      await room();
      if (control.stopped) return;
      const pooled = carry.length <= CARRY_ROOM ? (d.pool.pop() ?? shared(CARRY_ROOM + CHUNK_BYTES)) : undefined;
      const buf = pooled ?? shared(carry.length + CHUNK_BYTES);
      carry.copy(buf, 0);
      const { bytesRead } = await handle.read(buf, carry.length, CHUNK_BYTES, null);
      if (control.stopped) return;
      if (bytesRead === 0) {
        if (carry.length > 0 && !skipping) d.send(buf, carry.length, true, pooled);
        else if (pooled) d.pool.push(pooled);
        return;
      }
      let from = 0;
      let length = carry.length + bytesRead;
      if (skipping) {
        const nl = buf.indexOf(10);
        if (nl < 0 || nl >= length) {
          if (pooled) d.pool.push(pooled);
          carry = Buffer.alloc(0);
          continue;
        }
        from = nl + 1;
        skipping = false;
      }
      const part = from === 0 ? buf : buf.subarray(from, length);
      length -= from;
      const rest = d.send(part, length, false, pooled);
      carry = Buffer.from(part.subarray(rest, length));
      if (d.cutIfTooLong(carry)) {
        carry = Buffer.alloc(0);
        skipping = true;
      }
    }
  };
  const finished = run()
    .catch((err: unknown) => {
      control.failure = `reading the capture failed: ${fileErrorText(err)}`;
    })
    .finally(() => handle?.close().catch(() => {}));
  return {
    finished,
    stop() {
      control.resume();
    },
  };
}

/** Any other input: its chunks copied into shared memory as they come. */
function readStream(input: Readable, d: Dispatcher, control: Control): { finished: Promise<void>; stop(): void } {
  let carry: Buffer = Buffer.alloc(0);
  let skipping = false;
  control.resume = () => input.resume();

  const onData = (chunk: Buffer): void => {
    if (control.stopped) return;
    let data = chunk;
    if (skipping) {
      const nl = data.indexOf(10);
      if (nl < 0) return;
      data = data.subarray(nl + 1);
      skipping = false;
    }
    // Carry and chunk into memory the partitions share: they read their lines in place.
    const length = carry.length + data.length;
    const buf = shared(length);
    carry.copy(buf, 0);
    data.copy(buf, carry.length);
    const rest = d.send(buf, length, false);
    carry = Buffer.from(buf.subarray(rest, length));
    if (d.cutIfTooLong(carry)) {
      carry = Buffer.alloc(0);
      skipping = true;
    }
    if (d.full) input.pause();
  };

  const finished = new Promise<void>((resolve) => {
    let ended = false;
    const end = (err?: unknown): void => {
      if (ended) return;
      ended = true;
      input.off('data', onData);
      if (err !== undefined && !control.stopped) control.failure = `reading the capture failed: ${fileErrorText(err)}`;
      if (!control.stopped && carry.length > 0 && !skipping) {
        const buf = shared(carry.length);
        carry.copy(buf, 0);
        d.send(buf, carry.length, true);
      }
      carry = Buffer.alloc(0);
      resolve();
    };
    input.on('data', onData);
    input.once('end', () => end());
    input.once('close', () => end());
    input.once('error', (err) => end(err));
  });
  return {
    finished,
    stop() {
      input.destroy();
    },
  };
}
