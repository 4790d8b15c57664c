// One MONITOR line -> MonitorEvent. Pure, total (never throws), and on the hot path of the whole tool.
//
// Server format (`replicationFeedMonitors`, redis/valkey src/replication.c):
//   [+]<sec>.<usec> [<db> <source>] "<arg0>" "<arg1>" ...[\r\n]
// source: `ip:port`, `[v6]:port`, `unix:/path`, `lua`, or '' (`[0 ]`).
// Arguments are written by `sdscatrepr`: `\\` `\"` `\n` `\r` `\t` `\a` `\b` and `\xHH` for every other
// byte outside 0x20..0x7E (so UTF-8 arrives as `\xHH` bytes). We undo the escapes into bytes and decode
// them as UTF-8 (Buffer semantics for invalid sequences).
//
// Speed: an argument with no backslash is one `indexOf('"')` plus one `slice`; the position of the next
// backslash is looked up once and reused across arguments. Only arguments with escapes go through the
// (reused) byte buffer. Failure results are shared constants, so bad lines allocate nothing.
// (Measured: a charCode scan instead of indexOf was slower. The source comes from a small cache, which
// costs the parser ~70 ns a line and saves the ledger's map lookup more: see `sourceText`.)
//
// Leniency: raw characters the server never writes inside quotes (control chars, non-ASCII) are kept
// as they are; upper-case `\xHH` is accepted; one trailing space after the last argument is accepted.
//
// Note for callers that keep strings for long: `slice` may return a V8 sliced string that keeps the
// whole line alive. Copy anything retained in long-lived structures if lines can be large.

import type { MonitorEvent, MonitorParse } from '../types.ts';

type Failure = Extract<MonitorParse, { ok: false }>;

const failure = (reason: string): Failure => Object.freeze({ ok: false as const, reason });

const EMPTY = failure('empty line');
const NOT_STRING = failure('not a string');
const BAD_TS = failure('bad timestamp');
const NO_BRACKET = failure("missing '[' after timestamp");
const BAD_DB = failure('bad db number');
const NO_CLOSE = failure("missing '] \"' after source");
const UNTERMINATED = failure('unterminated argument');
const BAD_ESCAPE = failure('bad escape');
const BAD_HEX = failure('bad \\x escape');
const JUNK = failure('junk between arguments');
const INTERNAL = failure('internal error');

const MAX_EXACT = 9007199254740991; // 2^53 - 1
const MAX_SECONDS = 253402300799; // 9999-12-31T23:59:59Z
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

// ---- scratch byte buffer for arguments with escapes -------------------------------------------------

const SCRATCH_DEFAULT = 4096;
/** Above this size the scratch buffer is dropped after use, so one huge argument is not kept forever. */
const SCRATCH_KEEP = 1 << 20;
let scratch: Buffer = Buffer.allocUnsafe(SCRATCH_DEFAULT);

function grow(used: number, need: number): void {
  let size = scratch.length * 2;
  while (size < used + need) size *= 2;
  const next = Buffer.allocUnsafe(size);
  scratch.copy(next, 0, 0, used);
  scratch = next;
}

// Results of `slowArg`, passed back through module state to avoid allocating a tuple per argument.
let slowValue = '';
let slowFail: Failure | null = null;

/** Hex digit values by char code (upper case too; the server writes lower case), -1 elsewhere. */
const HEX = new Int8Array(128).fill(-1);
for (let d = 0; d < 10; d++) HEX[48 + d] = d;
for (let d = 0; d < 6; d++) HEX[97 + d] = HEX[65 + d] = 10 + d;

function hexVal(c: number): number {
  return c < 128 ? (HEX[c] as number) : -1;
}

/**
 * Decode the quoted argument whose first content char is at `s`, knowing it holds a backslash.
 * Sets `slowValue` (or `slowFail`) and returns the index of the closing quote (or -1).
 */
function slowArg(line: string, s: number, end: number): number {
  // Escapes and printable ASCII write at most one byte per char: size for that once. Only raw
  // non-ASCII chars (never written by a server) can need more, and they check for themselves.
  if (scratch.length < end - s) grow(0, end - s);
  let buf = scratch;
  let n = 0;
  let i = s;
  while (i < end) {
    const c = line.charCodeAt(i);
    if (c === 34 /* " */) {
      slowValue = buf.toString('utf8', 0, n);
      if (buf.length > SCRATCH_KEEP) scratch = Buffer.allocUnsafe(SCRATCH_DEFAULT);
      return i;
    }
    if (c === 92 /* \ */) {
      if (i + 1 >= end) break;
      const e = line.charCodeAt(i + 1);
      let b: number;
      switch (e) {
        case 92: b = 92; break; // \\
        case 34: b = 34; break; // \"
        case 110: b = 10; break; // \n
        case 114: b = 13; break; // \r
        case 116: b = 9; break; // \t
        case 97: b = 7; break; // \a
        case 98: b = 8; break; // \b
        case 120: { // \xHH
          const hi = i + 2 < end ? hexVal(line.charCodeAt(i + 2)) : -1;
          const lo = i + 3 < end ? hexVal(line.charCodeAt(i + 3)) : -1;
          if (hi < 0 || lo < 0) { slowFail = BAD_HEX; return -1; }
          b = (hi << 4) | lo;
          i += 2;
          break;
        }
        default:
          slowFail = BAD_ESCAPE;
          return -1;
      }
      buf[n++] = b;
      i += 2;
      continue;
    }
    if (c < 0x80) {
      buf[n++] = c;
      i++;
      continue;
    }
    // A raw non-ASCII char. The server never writes one (it escapes every byte >= 0x80); a capture that
    // went through some other tool might. Keep it as the character it is: write its UTF-8 bytes.
    if (n + 4 > buf.length) {
      grow(n, 4);
      buf = scratch;
    }
    if (c < 0x800) {
      buf[n++] = 0xc0 | (c >> 6);
      buf[n++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < end && (line.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (line.charCodeAt(i + 1) - 0xdc00);
      buf[n++] = 0xf0 | (cp >> 18);
      buf[n++] = 0x80 | ((cp >> 12) & 0x3f);
      buf[n++] = 0x80 | ((cp >> 6) & 0x3f);
      buf[n++] = 0x80 | (cp & 0x3f);
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      // A lone surrogate: U+FFFD, as Buffer.from(string) would write it.
      buf[n++] = 0xef;
      buf[n++] = 0xbf;
      buf[n++] = 0xbd;
    } else {
      buf[n++] = 0xe0 | (c >> 12);
      buf[n++] = 0x80 | ((c >> 6) & 0x3f);
      buf[n++] = 0x80 | (c & 0x3f);
    }
    i++;
  }
  slowFail = UNTERMINATED;
  return -1;
}

// ---- sources, one string each ----------------------------------------------------------------------

/**
 * The same source text comes back as the same string object, from a small direct-mapped cache keyed
 * by its hash: every consumer looks connections up by source (a Map keyed by address), and a string
 * seen before carries its hash and compares by identity, where a fresh slice is hashed and compared
 * character by character on every lookup (more than a tenth of a capture's aggregation time).
 */
const SOURCES = 4096;
const sourceHashes = new Int32Array(SOURCES);
const sourceTexts: string[] = new Array<string>(SOURCES).fill('');

function sourceText(line: string, from: number, to: number): string {
  // Keyed by the length and the last characters (a port, mostly: what tells connections apart),
  // then compared from the end.
  const n = to - from;
  const h = n > 2 ? n * 1_000_003 + line.charCodeAt(to - 1) * 10_007 + line.charCodeAt(to - 2) * 101 + line.charCodeAt(to - 3) : n;
  const slot = (h ^ (h >>> 12)) & (SOURCES - 1);
  const known = sourceTexts[slot]!;
  if (sourceHashes[slot] === h && known.length === n) {
    let j = n - 1;
    while (j >= 0 && known.charCodeAt(j) === line.charCodeAt(from + j)) j--;
    if (j < 0) return known;
  }
  // A copy, not a slice: a kept slice would keep its whole line alive.
  const text = flat(line.slice(from, to));
  sourceHashes[slot] = h;
  sourceTexts[slot] = text;
  return text;
}

/** A string of its own (V8 may otherwise return a view into a longer one). */
function flat(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}

// ---- the parser ----------------------------------------------------------------------------------------

/**
 * Parse one MONITOR line (with or without the RESP `+`, with or without trailing CR/LF).
 * Never throws: anything it cannot read comes back as `{ ok: false, reason }`.
 */
export function parseMonitorLine(line: string): MonitorParse {
  try {
    return parse(line);
  } catch {
    return INTERNAL;
  }
}

function parse(line: string): MonitorParse {
  if (typeof line !== 'string') return NOT_STRING;
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c !== 10 && c !== 13) break;
    end--;
  }
  let i = 0;
  if (end > 0 && line.charCodeAt(0) === 43 /* + */) i = 1;
  if (i >= end) return EMPTY;

  // Timestamp: <sec>[.<frac>]
  const tsStart = i;
  let sec = 0;
  let c = 0;
  while (i < end && (c = line.charCodeAt(i)) >= 48 && c <= 57) {
    sec = sec * 10 + (c - 48);
    i++;
  }
  const secDigits = i - tsStart;
  // Seconds since 1970 beyond year 9999 are not a server's clock: a damaged line, not a date.
  if (secDigits === 0 || sec > MAX_SECONDS) return BAD_TS;
  let ts = 0;
  if (i < end && line.charCodeAt(i) === 46 /* . */) {
    i++;
    const fracStart = i;
    let frac = 0;
    while (i < end && (c = line.charCodeAt(i)) >= 48 && c <= 57) {
      frac = frac * 10 + (c - 48);
      i++;
    }
    const fracDigits = i - fracStart;
    if (fracDigits === 0) return BAD_TS;
    // Integer arithmetic then one division is exact (correctly rounded, like parseFloat) as long as
    // sec * 10^k + frac stays below 2^53; `%ld.%06ld` timestamps do until the year 2255.
    let exact = false;
    if (secDigits <= 15 && fracDigits <= 15) {
      const p = POW10[fracDigits] as number;
      const whole = sec * p + frac;
      if (whole <= MAX_EXACT) {
        ts = whole / p;
        exact = true;
      }
    }
    if (!exact) ts = Number(line.slice(tsStart, i));
  } else {
    ts = secDigits <= 15 ? sec : Number(line.slice(tsStart, i));
  }

  // ` [<db> `
  if (i + 1 >= end || line.charCodeAt(i) !== 32 || line.charCodeAt(i + 1) !== 91 /* [ */) return NO_BRACKET;
  i += 2;
  const dbStart = i;
  let db = 0;
  while (i < end && (c = line.charCodeAt(i)) >= 48 && c <= 57) {
    db = db * 10 + (c - 48);
    i++;
  }
  if (i === dbStart || i - dbStart > 10 || i >= end || line.charCodeAt(i) !== 32) return BAD_DB;
  i++;

  // `<source>] "`: the source never holds `] "` (an IPv6 source holds `]:`), so the first one ends it.
  const close = line.indexOf('] "', i);
  if (close < 0 || close + 3 > end) return NO_CLOSE;
  const source = i === close ? '' : sourceText(line, i, close);

  // Arguments: `"..."` separated by single spaces.
  const args: string[] = [];
  let p = close + 2; // at the opening quote
  let bs = line.indexOf('\\', p); // next backslash at or after p, -1 if none
  for (;;) {
    const s = p + 1;
    const q = line.indexOf('"', s);
    if (q < 0 || q >= end) return UNTERMINATED;
    if (bs < 0 || bs > q) {
      args.push(q === s ? '' : line.slice(s, q));
      p = q + 1;
    } else {
      const qq = slowArg(line, s, end);
      if (qq < 0) {
        const f = slowFail ?? INTERNAL;
        slowFail = null;
        if (scratch.length > SCRATCH_KEEP) scratch = Buffer.allocUnsafe(SCRATCH_DEFAULT);
        return f;
      }
      args.push(slowValue);
      slowValue = '';
      p = qq + 1;
      bs = p < end ? line.indexOf('\\', p) : -1;
    }
    if (p >= end) break;
    if (line.charCodeAt(p) !== 32) return JUNK;
    p++;
    if (p >= end) break; // tolerate one trailing space
    if (line.charCodeAt(p) !== 34) return JUNK;
  }

  const event: MonitorEvent = { ts, db, source, args };
  return { ok: true, event };
}
