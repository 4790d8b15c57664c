// Splits a MONITOR capture into lines, once, and says which partition each line belongs to, so
// K collector workers each get only their own lines: no worker scans the others' (with two
// partitions that scan was a fifth of each worker's time). Pure and byte-level: the capture stays
// in the buffers it was read into (shared with the workers, never copied per line), and a line is
// described by its [start, end) offsets in its chunk.
//
// Ownership: a line belongs to the partition its source address hashes to (FNV-1a over the
// address's bytes, the same hash `partitionOf` computes over a string's char codes, so a saved
// CLIENT LIST partitions alike); a script's own command (`[0 lua]`) follows the line before it (its
// EVAL); a line without a readable source goes to partition 0, which parses it and counts it.

/** FNV-1a of `text[from, to)` over char codes, modulo `partitions` (0 with one partition). */
export function partitionOf(text: string, from: number, to: number, partitions: number): number {
  if (partitions <= 1) return 0;
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0) % partitions;
}

const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const OPEN = 91; // [
const CLOSE = 93; // ]

/**
 * The partition of the line `buf[from, to)`: its source's (`[db source] "`), or `previous` for a
 * script's own line, or -1 when the line has no readable source.
 */
export function lineOwnerBytes(buf: Uint8Array, from: number, to: number, partitions: number, previous: number): number {
  let i = from;
  while (i < to && buf[i] !== OPEN) i++;
  while (i < to && buf[i] !== SPACE) i++;
  const start = i + 1;
  // The source ends at the `] "` before the first argument; an IPv6 source holds a `]` of its own.
  let close = -1;
  for (let j = start; j + 2 < to; j++) {
    if (buf[j] === CLOSE && buf[j + 1] === SPACE && buf[j + 2] === QUOTE) {
      close = j;
      break;
    }
  }
  if (close < 0) return -1;
  if (close - start === 3 && buf[start] === 108 && buf[start + 1] === 117 && buf[start + 2] === 97) return previous; // lua
  if (partitions <= 1) return 0;
  let h = 0x811c9dc5;
  for (let j = start; j < close; j++) h = Math.imul(h ^ buf[j]!, 0x01000193);
  return (h >>> 0) % partitions;
}

/** One chunk's lines, per partition, as [start, end) pairs into the chunk. */
export interface SplitChunk {
  /** Offsets per partition: start0, end0, start1, end1, … (empty when the partition has none). */
  readonly offsets: Int32Array[];
  /** Lines in the chunk, all partitions together. */
  readonly lines: number;
  /** Where the incomplete last line begins (the caller carries buf[rest, end) into the next chunk). */
  readonly rest: number;
}

/**
 * Splits the complete lines of `buf[0, length)` (CRLF or LF). `final` takes the last line even
 * without a newline (the end of the capture). `previous` is the owner of the line before this
 * chunk (a script's lines follow it), updated in place.
 */
export function splitLines(buf: Uint8Array, length: number, partitions: number, state: { previous: number }, final: boolean): SplitChunk {
  const parts: number[][] = Array.from({ length: partitions }, () => []);
  let from = 0;
  let lines = 0;
  let previous = state.previous;
  for (;;) {
    let nl = buf.indexOf(LF, from);
    if (nl < 0 || nl >= length) {
      if (!final || from >= length) break;
      nl = length;
    }
    const end = nl > from && buf[nl - 1] === CR ? nl - 1 : nl;
    const owner = lineOwnerBytes(buf, from, end, partitions, previous);
    if (owner >= 0) previous = owner;
    const list = parts[owner < 0 ? 0 : owner]!;
    list.push(from, end);
    lines++;
    from = nl + 1;
    if (from > length) break;
  }
  state.previous = previous;
  return { offsets: parts.map((p) => Int32Array.from(p)), lines, rest: Math.min(from, length) };
}
