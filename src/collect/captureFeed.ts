// Reads a MONITOR capture once, on the main thread (a file, stdin, a FIFO alike), and hands each
// partition's collector only its own lines: chunks go into shared memory, and each partition gets
// the [start, end) offsets of its lines in them. Flow control: at most CHUNKS_AHEAD chunks wait in
// any partition; reading pauses until they are taken, so memory stays bounded whatever the input.
import type { Readable } from 'node:stream';
import { LINE_CHARS_MAX } from '../bounds.ts';
import type { CollectorHost } from './host.ts';
import { splitLines, splitState } from './splitter.ts';

/** Chunks a partition may have waiting before reading pauses. */
export const CHUNKS_AHEAD = 4;

export interface CaptureFeed {
  /** Resolves when the input ended (or failed) and every partition was told. */
  readonly finished: Promise<void>;
  /** One partition took a chunk. */
  taken(partition: number): void;
  /** Lines read so far (all partitions). */
  readonly lines: number;
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

/**
 * Feeds `input` to the partitions' hosts. `listed` are the addresses of a saved CLIENT LIST: each
 * goes to the partition its list entry goes to (`partitionOf`).
 */
export function feedCapture(input: Readable, hosts: readonly CollectorHost[], listed: readonly string[] = []): CaptureFeed {
  const k = hosts.length;
  const waiting = new Array<number>(k).fill(0);
  const state = splitState(k, listed);
  let carry: Buffer = Buffer.alloc(0);
  /** Inside a line already cut at LINE_CHARS_MAX: its rest is dropped up to the next newline. */
  let skipping = false;
  let windowSent = false;
  let stopped = false;
  let lines = 0;

  const send = (buf: Buffer, length: number, final: boolean): number => {
    if (!windowSent) {
      const at = firstTimestamp(buf, length);
      if (at !== undefined || final) {
        windowSent = true;
        if (at !== undefined) for (const h of hosts) h.send({ t: 'window', at });
      }
    }
    const split = splitLines(buf, length, state, final);
    lines += split.lines;
    const view = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    split.offsets.forEach((offsets, p) => {
      if (offsets.length === 0) return;
      waiting[p]!++;
      hosts[p]!.send({ t: 'lines', buf: view, offsets }, [offsets.buffer as ArrayBuffer]);
    });
    return split.rest;
  };

  const onData = (chunk: Buffer): void => {
    if (stopped) return;
    let data = chunk;
    if (skipping) {
      const nl = data.indexOf(10);
      if (nl < 0) return;
      data = data.subarray(nl + 1);
      skipping = false;
    }
    // Carry and chunk into memory the partitions share: they read their lines in place.
    const length = carry.length + data.length;
    const buf = Buffer.from(new SharedArrayBuffer(length));
    carry.copy(buf, 0);
    data.copy(buf, carry.length);
    const rest = send(buf, length, false);
    carry = Buffer.from(buf.subarray(rest, length));
    if (carry.length > LINE_CHARS_MAX) {
      // A file with no newline (not a capture) must not grow memory without end: the line is cut
      // (and counted unparsed by partition 0).
      const cut = Buffer.from(new SharedArrayBuffer(LINE_CHARS_MAX));
      carry.copy(cut, 0, 0, LINE_CHARS_MAX);
      send(cut, LINE_CHARS_MAX, true);
      carry = Buffer.alloc(0);
      skipping = true;
    }
    if (waiting.some((w) => w >= CHUNKS_AHEAD)) input.pause();
  };

  const finished = new Promise<void>((resolve) => {
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      input.off('data', onData);
      if (!stopped && carry.length > 0 && !skipping) {
        const buf = Buffer.from(new SharedArrayBuffer(carry.length));
        carry.copy(buf, 0);
        send(buf, carry.length, true);
      }
      carry = Buffer.alloc(0);
      for (const h of hosts) h.send({ t: 'end' });
      resolve();
    };
    input.on('data', onData);
    input.once('end', end);
    input.once('close', end);
    input.once('error', end);
  });

  return {
    finished,
    get lines() {
      return lines;
    },
    taken(p) {
      waiting[p] = Math.max(0, waiting[p]! - 1);
      if (!stopped && waiting.every((w) => w < CHUNKS_AHEAD)) input.resume();
    },
    stop() {
      stopped = true;
      input.destroy();
    },
  };
}
