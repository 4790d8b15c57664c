// Splits a MONITOR capture into lines, once, and says which partition each line belongs to, so
// K collector workers each get only their own lines: no worker scans the others' (with two
// partitions that scan was a fifth of each worker's time). Byte-level: the capture stays in the
// buffers it was read into (shared with the workers, never copied per line), and a line is
// described by its [start, end) offsets in its chunk.
//
// Ownership: a connection's lines all go to one partition, in order (scripts, transactions and
// port reuse depend on it). A source address gets a partition when first seen, the next one in
// turn: connections arrive in bursts (a pool, a benchmark's clients), and turns split a burst
// evenly. (Hashing addresses left 54% of a realistic capture's lines on one of two partitions, and
// "the partition with the fewest lines so far" sent whole bursts to one; turns left 51%.)
// Addresses of a saved CLIENT LIST are pinned beforehand to `partitionOf`, the partition their
// list entry goes to. A script's own command (`[0 lua]`) follows the line before it (its EVAL); a
// line without a readable source goes to partition 0, which parses it and counts it.

/** FNV-1a of `text[from, to)` over char codes, modulo `partitions` (0 with one partition). */
export function partitionOf(text: string, from: number, to: number, partitions: number): number {
  if (partitions <= 1) return 0;
  return (fnv(text, from, to) >>> 0) % partitions;
}

function fnv(text: string, from: number, to: number): number {
  let h = FNV_BASIS;
  for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

const FNV_BASIS = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const DOT = 46;
const OPEN = 91; // [
const CLOSE = 93; // ]
/** The line has no readable source (it goes to partition 0). */
const NO_SOURCE = -1;
/** The source is `lua`: the line follows the one before it. */
const SCRIPT = -2;
/** Addresses remembered at most (slots are twice this): past it, a new address is hashed instead. */
const ADDRESSES_MAX = 1 << 20;

/**
 * Which partition each source address goes to, remembered by the address's 32-bit FNV-1a hash
 * (two addresses sharing a hash share a partition: harmless, they only need to be consistent).
 */
export class Assignment {
  private keys = new Int32Array(1024);
  /** Partition + 1 per slot; 0 marks a free slot. */
  private owners = new Int32Array(1024);
  private size = 0;
  /** The partition the next new address goes to. */
  private turn = 0;

  constructor(readonly partitions: number) {}

  /** Gives the address `text` the partition `partitionOf` gives it (a saved CLIENT LIST's address). */
  pin(text: string): void {
    const h = fnv(text, 0, text.length);
    if (this.find(h) < 0) this.insert(h, this.partitions <= 1 ? 0 : (h >>> 0) % this.partitions);
  }

  /** The partition of the address hashing to `h`, assigning one if it is new. */
  ownerOf(h: number): number {
    const found = this.find(h);
    if (found >= 0) return found;
    if (this.size >= ADDRESSES_MAX) return (h >>> 0) % this.partitions;
    const owner = this.turn;
    this.turn = (owner + 1) % this.partitions;
    this.insert(h, owner);
    return owner;
  }

  private find(h: number): number {
    const mask = this.keys.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const o = this.owners[i]!;
      if (o === 0) return -1;
      if (this.keys[i] === h) return o - 1;
    }
  }

  private insert(h: number, owner: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const mask = this.keys.length - 1;
    let i = h & mask;
    while (this.owners[i] !== 0) i = (i + 1) & mask;
    this.keys[i] = h;
    this.owners[i] = owner + 1;
    this.size++;
  }

  private grow(): void {
    const { keys, owners } = this;
    this.keys = new Int32Array(keys.length * 2);
    this.owners = new Int32Array(keys.length * 2);
    this.size = 0;
    for (let i = 0; i < keys.length; i++) if (owners[i] !== 0) this.insert(keys[i]!, owners[i]! - 1);
  }
}

/** What carries over from one chunk to the next. */
export interface SplitState {
  /** The owner of the last line (a script's lines follow it). */
  previous: number;
  readonly assignment: Assignment;
}

export function splitState(partitions: number, listed: readonly string[] = []): SplitState {
  const assignment = new Assignment(partitions);
  for (const addr of listed) assignment.pin(addr);
  return { previous: 0, assignment };
}

/**
 * The source of the line `buf[from, to)`: its FNV-1a hash (`[db source] "`), or SCRIPT for `lua`,
 * or NO_SOURCE. Well-formed lines (`%ld.%06ld [`) skip the timestamp without reading it.
 */
export function sourceHash(buf: Uint8Array, from: number, to: number): number {
  let i: number;
  if (buf[from + 10] === DOT && buf[from + 17] === SPACE && buf[from + 18] === OPEN) i = from + 19;
  else {
    i = from;
    while (i < to && buf[i] !== OPEN) i++;
  }
  while (i < to && buf[i] !== SPACE) i++;
  const start = ++i;
  // The source ends at the `] "` before the first argument; an IPv6 source holds a `]` of its own.
  let h = FNV_BASIS;
  for (; i + 2 < to; i++) {
    const c = buf[i]!;
    if (c === CLOSE && buf[i + 1] === SPACE && buf[i + 2] === QUOTE) {
      if (i - start === 3 && buf[start] === 108 && buf[start + 1] === 117 && buf[start + 2] === 97) return SCRIPT; // lua
      return h;
    }
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return NO_SOURCE;
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
 * without a newline (the end of the capture). The state carries the owner of the line before this
 * chunk and the addresses' partitions, updated in place.
 */
export function splitLines(buf: Uint8Array, length: number, state: SplitState, final: boolean): SplitChunk {
  const { assignment } = state;
  const k = assignment.partitions;
  // Room for a line every 64 bytes at first (a capture's lines are longer); grown when needed.
  const parts: Int32Array[] = [];
  const used = new Int32Array(k);
  for (let p = 0; p < k; p++) parts.push(new Int32Array(Math.max(64, (length >> 6) & ~1)));
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
    let owner = 0;
    if (k > 1) {
      const h = sourceHash(buf, from, end);
      owner = h === SCRIPT ? previous : h === NO_SOURCE ? 0 : assignment.ownerOf(h);
      if (h !== NO_SOURCE) previous = owner;
    }
    let list = parts[owner]!;
    const n = used[owner]!;
    if (n + 2 > list.length) {
      const bigger = new Int32Array(list.length * 2);
      bigger.set(list);
      parts[owner] = list = bigger;
    }
    list[n] = from;
    list[n + 1] = end;
    used[owner] = n + 2;
    lines++;
    from = nl + 1;
    if (from > length) break;
  }
  state.previous = previous;
  return { offsets: parts.map((list, p) => list.slice(0, used[p]!)), lines, rest: Math.min(from, length) };
}
