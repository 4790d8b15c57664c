// Whether one key segment (the text between two delimiters) is an id, judged by its shape alone.
//
// A pattern tree (patternTree.ts) writes an id-like segment as `*`, so `user:12345:cart` and
// `user:67890:cart` are one row, `user:*:cart`. Shape is the first of two signals: ids with no
// shape (user names, slugs, tenant names) are caught later by cardinality, when one position has
// seen too many distinct values (see PatternTree's collapse). A shape rule must therefore be
// conservative: a word wrongly read as an id merges rows a person wanted apart, and nothing undoes
// that, while an id wrongly read as a word only lasts until its position collapses.
//
// Hash tags. A segment may carry a Redis Cluster hash tag, `{...}`: the tag's content is judged,
// not the braces, and only the content is replaced: `{u253}` → `{*}`, `cart{u1}` → `cart{*}`. A tag
// that spans a delimiter, `{user:1000}:followers`, is read piece by piece like any other key: the
// segment `{user` keeps `{`, the segment `1000}` keeps `}`, giving `{user:*}:followers`, so every
// pattern still splits at the delimiter like the keys it stands for. The part of a segment that is
// judged (the whole segment, or the content of its tag) is called its core here.
//
// Cost: `idRule` walks the core once to build a profile (counts per character class), and most
// rules decide from the profile; a few re-read a handful of characters. No substring, no regex. It
// runs only when a pattern tree meets a segment it does not know (see patternTree.ts), not per event.

/** Counts per character class over a core, filled by `profile`. */
export interface Profile {
  len: number;
  digits: number;
  /** a-f and A-F (also counted in lower / upper). */
  hexLetters: number;
  lower: number;
  upper: number;
  dash: number;
  underscore: number;
  dot: number;
  colon: number;
  at: number;
  /** `+ / = ~`: base64 and URL-safe token characters. */
  tokenPunct: number;
  /** Any other ASCII character (space, quotes, braces, `#`, `%`, ...). */
  other: number;
  nonAscii: number;
  /** Adjacent letter/digit pairs that switch class (`a1` or `1a`), the mark of random tokens. */
  switches: number;
}

const C_DIGIT = 1;
const C_LOWER = 2;
const C_UPPER = 3;
const C_DASH = 4;
const C_UNDERSCORE = 5;
const C_DOT = 6;
const C_COLON = 7;
const C_AT = 8;
const C_TOKEN = 9;
const C_OTHER = 10;

/** Class of each ASCII code; hex letters get bit 16 on top of their class. */
const CLASS = new Uint8Array(128).fill(C_OTHER);
for (let c = 48; c <= 57; c++) CLASS[c] = C_DIGIT;
for (let c = 97; c <= 122; c++) CLASS[c] = C_LOWER;
for (let c = 65; c <= 90; c++) CLASS[c] = C_UPPER;
for (const c of [97, 98, 99, 100, 101, 102, 65, 66, 67, 68, 69, 70]) CLASS[c]! |= 16;
CLASS[45] = C_DASH;
CLASS[95] = C_UNDERSCORE;
CLASS[46] = C_DOT;
CLASS[58] = C_COLON;
CLASS[64] = C_AT;
for (const ch of '+/=~') CLASS[ch.charCodeAt(0)] = C_TOKEN;

const scratch: Profile = {
  len: 0, digits: 0, hexLetters: 0, lower: 0, upper: 0, dash: 0, underscore: 0, dot: 0, colon: 0,
  at: 0, tokenPunct: 0, other: 0, nonAscii: 0, switches: 0,
};

function profile(s: string, from: number, to: number): Profile {
  // Counted in locals, written once: several times faster than incrementing the profile's fields
  // per character, on the per-id slow path of the pattern tree.
  let digits = 0;
  let lower = 0;
  let upper = 0;
  let dash = 0;
  let underscore = 0;
  let dot = 0;
  let colon = 0;
  let at = 0;
  let tokenPunct = 0;
  let other = 0;
  let nonAscii = 0;
  let hex = 0;
  let switches = 0;
  // 0: not alphanumeric, 1: digit, 2: letter (for `switches`).
  let prev = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) {
      nonAscii++;
      prev = 0;
      continue;
    }
    const k = CLASS[c]!;
    hex += k >> 4;
    let now = 0;
    switch (k & 15) {
      case C_DIGIT: digits++; now = 1; break;
      case C_LOWER: lower++; now = 2; break;
      case C_UPPER: upper++; now = 2; break;
      case C_DASH: dash++; break;
      case C_UNDERSCORE: underscore++; break;
      case C_DOT: dot++; break;
      case C_COLON: colon++; break;
      case C_AT: at++; break;
      case C_TOKEN: tokenPunct++; break;
      default: other++;
    }
    if (now !== prev && now !== 0 && prev !== 0) switches++;
    prev = now;
  }
  const p = scratch;
  p.len = to - from;
  p.digits = digits;
  p.hexLetters = hex;
  p.lower = lower;
  p.upper = upper;
  p.dash = dash;
  p.underscore = underscore;
  p.dot = dot;
  p.colon = colon;
  p.at = at;
  p.tokenPunct = tokenPunct;
  p.other = other;
  p.nonAscii = nonAscii;
  p.switches = switches;
  return p;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isLetter = (c: number): boolean => (c | 32) >= 97 && (c | 32) <= 122;
const isHex = (c: number): boolean => isDigit(c) || ((c | 32) >= 97 && (c | 32) <= 102);

/**
 * Names with three or more digits after a few letters that are names, not ids: hash and signature
 * algorithms, certificate and codec standards. `prefixed-number` would read them as ids otherwise.
 * Compared without case.
 */
export const NAMED_NUMBERS: ReadonlySet<string> = new Set([
  'sha224', 'sha256', 'sha384', 'sha512', 'sha3-256', 'sha3-512', 'blake2b512',
  'hs256', 'hs384', 'hs512', 'rs256', 'rs384', 'rs512', 'es256', 'es384', 'es512', 'ps256', 'ps384', 'ps512',
  'p256', 'p384', 'p521', 'x509', 'x448', 'ed448', 'e164', 'h264', 'h265', 'iso8601', 'iso3166',
  'rfc3339', 'rfc2822', 'rfc822', 'utf16le', 'ucs2', 'win1252', 'cp1252', 'iso88591',
]);

/** NAMED_NUMBERS by length, for comparing in place, and the most digits one has. */
const NAMED_BY_LENGTH: string[][] = [];
let namedMaxDigits = 0;
for (const name of NAMED_NUMBERS) {
  (NAMED_BY_LENGTH[name.length] ??= []).push(name);
  namedMaxDigits = Math.max(namedMaxDigits, name.replace(/[^0-9]/g, '').length);
}

/** Whether [from, to) of `s`, compared without case, is in NAMED_NUMBERS (no substring made). */
function namedNumber(s: string, from: number, to: number): boolean {
  const names = NAMED_BY_LENGTH[to - from];
  if (names === undefined) return false;
  next: for (const name of names) {
    for (let i = 0; i < name.length; i++) {
      const c = s.charCodeAt(from + i);
      if ((c >= 65 && c <= 90 ? c | 32 : c) !== name.charCodeAt(i)) continue next;
    }
    return true;
  }
  return false;
}

export interface IdRule {
  /** Short name, reported by `idRule` (tests and `--explain`-style tooling read it). */
  readonly name: string;
  /** Why the shape means an id. */
  readonly why: string;
  /** Examples it catches (tested). */
  readonly examples: readonly string[];
  /** Whether the core [from, to) of `s`, with profile `p`, has this shape. */
  readonly test: (p: Profile, s: string, from: number, to: number) => boolean;
  /** Only for the content of a hash tag. */
  readonly tagOnly?: boolean;
}

/**
 * The rules, tried in order (the most frequent shapes first); the first that matches names the shape. A core no rule matches is a
 * word. Near misses that must stay words are in the tests next to each rule (`v2`, `p3`, `items`,
 * `daily`, `deadbeef`, `checkout-v2`, `sha256`, `blog/release-notes`, ...).
 */
export const ID_RULES: readonly IdRule[] = [
  {
    name: 'number',
    why:
      'Decimal numbers are row ids, epoch timestamps, counters and shard numbers: never names. Even ' +
      'small ones (`shard:3`) read better as `shard:*` once there are many, and one-digit names are ' +
      'rare enough that the collapse of a few rows costs nothing. A sign and one decimal point are allowed (scores, prices).',
    examples: ['12345', '0', '1700000000123', '-42', '3.14'],
    test: (p, s, from, to) => {
      if (p.len === 0) return false;
      const signed = s.charCodeAt(from) === 45 ? 1 : 0;
      if (p.digits === p.len - signed && p.len > signed) return true;
      // One interior dot: 3.14.
      return p.dot === 1 && p.digits === p.len - 1 - signed && isDigit(s.charCodeAt(from + signed)) && isDigit(s.charCodeAt(to - 1));
    },
  },
  {
    name: 'prefixed-number',
    why:
      'A short letter prefix and three digits or more (`u253`, `id1024`, `order_98765`, `sku-1001`, `user1234`) ' +
      'is an id with its type written in: a person writes `stock:*`, not one row per SKU. Three digits, ' +
      'so that versions and small ordinals (`v2`, `p3`, `ipv6`, `x86`, `h2`) stay words; algorithm and ' +
      'standard names (`sha256`, `x509`, `rs256`: see NAMED_NUMBERS) are words too. Shorter ids (`u17`) ' +
      'are left to the cardinality collapse.',
    examples: ['u253', 'id1024', 'order_98765', 'sku-1001', 'user1234', 'INV-20417'],
    test: (p, s, from, to) => {
      const letters = p.lower + p.upper;
      const separators = p.dash + p.underscore;
      if (p.digits < 3 || letters < 1 || letters > 8 || separators > 1 || p.digits + letters + separators !== p.len) return false;
      // Letters first, digits last, and one change of class between: adjacent (one letter/digit
      // switch) or across the one separator (no switch). No character loop needed.
      if (!isLetter(s.charCodeAt(from)) || !isDigit(s.charCodeAt(to - 1))) return false;
      if (separators === 0 ? p.switches !== 1 : p.switches !== 0) return false;
      return p.digits > namedMaxDigits || !namedNumber(s, from, to);
    },
  },
  {
    name: 'uuid',
    why:
      'UUIDs (8-4-4-4-12 hex digits) are generated ids by definition. Read as 36 characters of hex ' +
      'and dashes with dashes at 8, 13, 18 and 23, the test the pattern tree can make on its hot path.',
    examples: ['4f1c2d3e-9a8b-4c7d-8e6f-0123456789ab', '{4F1C2D3E-9A8B-4C7D-8E6F-0123456789AB}'],
    test: (p, s, from) =>
      p.len === 36 && p.digits + p.hexLetters + p.dash === 36 &&
      s.charCodeAt(from + 8) === 45 && s.charCodeAt(from + 13) === 45 && s.charCodeAt(from + 18) === 45 && s.charCodeAt(from + 23) === 45,
  },
  {
    name: 'hex',
    why:
      'Hex strings of 8 characters or more are digests (md5, sha1, sha256), ObjectIds (24), trace and ' +
      'request ids, dashless UUIDs (32). At least one digit and 8 characters, so that words spelt with ' +
      'a-f (`cafe`, `facade`, `deadbeef`, `feedface`) stay words.',
    examples: ['4f1c9e0a', '5f8d0d55b54764421b7156c3', 'd41d8cd98f00b204e9800998ecf8427e'],
    test: (p) => p.len >= 8 && p.digits >= 1 && p.digits + p.hexLetters === p.len,
  },
  {
    name: 'ipv4',
    why: 'Addresses key per-client state (rate limits, sessions by IP); there are as many as clients.',
    examples: ['203.0.113.12', '10.0.0.1'],
    test: (p, s, from, to) => {
      if (p.dot !== 3 || p.digits !== p.len - 3 || p.len < 7 || p.len > 15) return false;
      let run = 0;
      for (let i = from; i < to; i++) {
        if (s.charCodeAt(i) === 46) {
          if (run === 0 || run > 3) return false;
          run = 0;
        } else run++;
      }
      return run > 0 && run <= 3;
    },
  },
  {
    name: 'ipv6',
    why: 'Same as ipv4; only seen whole when the delimiter is not `:` (`::1`, `2001:db8::7`).',
    examples: ['2001:db8::7'],
    test: (p, s, from, to) => {
      if (p.colon < 2 || p.digits + p.hexLetters + p.colon + p.dot !== p.len || p.digits === 0) return false;
      if (p.colon >= 7) return true;
      for (let i = from + 1; i < to; i++) if (s.charCodeAt(i) === 58 && s.charCodeAt(i - 1) === 58) return true;
      return false;
    },
  },
  {
    name: 'date-time',
    why:
      'Dates and times (`2026-11-25`, `2026/11/25`, `25.11.2026`, `2026-11-25T10`, `20261125T1030Z`) make ' +
      'one key per day or hour: daily reports, per-day hit counters. Digits with date separators, ' +
      '`T` and `Z`, starting with a digit, four digits at least.',
    examples: ['2026-11-25', '2026/11/25', '25.11.2026', '2026-11-25T10', '2026-W48', '20261125T1030Z'],
    test: (p, s, from, to) => {
      if (p.digits < 4 || p.lower > 0 || p.upper > 2 || p.other > 0 || p.nonAscii > 0 || !isDigit(s.charCodeAt(from))) return false;
      let separators = 0;
      for (let i = from; i < to; i++) {
        const c = s.charCodeAt(i);
        if (isDigit(c)) continue;
        // - / . : + _ T W Z
        if (c === 45 || c === 47 || c === 46 || c === 58 || c === 43 || c === 95) separators++;
        else if (c !== 84 && c !== 87 && c !== 90) return false;
      }
      // Plain digits are `number`; digits and a separator or a T/Z are a date or a time.
      return separators > 0 || p.upper > 0;
    },
  },
  {
    name: 'email',
    why: 'Accounts keyed by address (`user:alice@example.com`): one key per person.',
    examples: ['alice@example.com', 'user400@example.com'],
    test: (p, s, from, to) => {
      if (p.at !== 1 || p.dot === 0 || p.other > 0) return false;
      const at = s.indexOf('@', from);
      if (at <= from || at >= to - 3) return false;
      const dot = s.lastIndexOf('.', to - 1);
      return dot > at + 1 && dot < to - 1;
    },
  },
  {
    name: 'tag-content',
    tagOnly: true,
    why:
      'A hash tag makes the keys of one entity share a cluster slot, so its content is that ' +
      'entity\'s id: any content with a digit (`{u1}`, `{cart7}`, `{tenant-42}`). Tags without a digit ' +
      '(`{orders}`, `{queue}`) pin a whole key family to one slot on purpose: they are names.',
    examples: ['{u1}', 'cart{u7}', '{cart7}', '{tenant-42}'],
    test: (p) => p.digits >= 1 && p.other === 0 && p.nonAscii === 0 && p.at === 0,
  },
  {
    name: 'ulid',
    why: 'ULIDs: 26 characters of Crockford base32 (no I, L, O, U), time-ordered generated ids.',
    examples: ['01ARZ3NDEKTSV4RRFFQ69G5FAV', '01hzx3ndektsv4rrffq69g5fav'],
    test: (p, s, from, to) => {
      if (p.len !== 26 || p.digits + p.lower + p.upper !== 26 || p.digits < 2 || (p.lower > 0 && p.upper > 0)) return false;
      const first = s.charCodeAt(from);
      if (first < 48 || first > 55) return false; // the timestamp part starts with 0-7
      for (let i = from; i < to; i++) {
        const c = s.charCodeAt(i) | 32;
        if (c === 105 || c === 108 || c === 111 || c === 117) return false; // i l o u
      }
      return true;
    },
  },
  {
    name: 'jwt',
    why: 'JSON Web Tokens (`eyJ...` header, dot-separated base64url parts) used as session keys.',
    examples: ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'],
    test: (p, s, from) =>
      p.len >= 20 && p.dot >= 1 && p.other === 0 && s.charCodeAt(from) === 101 && s.charCodeAt(from + 1) === 121 && s.charCodeAt(from + 2) === 74,
  },
  {
    name: 'token',
    why:
      'Random tokens (session ids, nanoids, base62/base64 keys, API keys): 16 characters or more of ' +
      'letters, digits and `-_+/=~.`, with letters and digits switching at least 3 times between ' +
      'adjacent characters. Words and slugs with a version or a year switch once or twice ' +
      '(`checkout-v2-experiment`, `migration-2024-q1-batch`, `ProductDetailsV2`), random text several times.',
    examples: ['V1StGXR8_Z5jdHi6B-myT', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'q3Zx9Lk2M0pT7wBv1YcR8g=='],
    test: (p) =>
      p.len >= 16 && p.other === 0 && p.nonAscii === 0 && p.at === 0 && p.colon === 0 &&
      p.digits >= 1 && p.lower + p.upper >= 1 && p.switches >= 3,
  },
  {
    name: 'long',
    why:
      'Segments of 48 characters or more are payloads, URLs, serialized parameters or ids of an ' +
      'unknown shape: names people give are shorter.',
    examples: ['https//example.com/some/very/long/path?with=query&and=more&parts=1'],
    test: (p) => p.len >= 48,
  },
];

/**
 * The rule that reads the core [from, to) of `s` as an id, or undefined for a word. `tagged`: the
 * core is the content of a hash tag.
 */
export function idRuleAt(s: string, from: number, to: number, tagged = false): IdRule | undefined {
  if (to <= from) return undefined;
  const p = profile(s, from, to);
  // Without a digit only `email` (an @), `jwt` (20+) and `long` (48+) can match: most words stop
  // here instead of trying every rule.
  if (p.digits === 0 && p.at === 0 && p.len < 20) return undefined;
  for (let i = 0; i < ID_RULES.length; i++) {
    const r = ID_RULES[i]!;
    if ((tagged || r.tagOnly !== true) && r.test(p, s, from, to)) return r;
  }
  return undefined;
}

/**
 * Where the core of segment [from, to) of `s` lies: inside its hash tag if it has one (`{...}`, or
 * an unclosed `{...` / unopened `...}` when the tag spans a delimiter), else the whole segment.
 * Written to `coreSpan` as [coreFrom, coreTo). An empty tag `{}` has an empty core (never an id).
 */
export const coreSpan = new Int32Array(2);
export function findCore(s: string, from: number, to: number): void {
  let open = -1;
  let close = -1;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 123 /* { */ && open < 0) open = i;
    else if (c === 125 /* } */ && close < 0 && (open < 0 || i > open)) {
      close = i;
      if (open >= 0) break;
    }
  }
  if (open >= 0 && close > open) {
    coreSpan[0] = open + 1;
    coreSpan[1] = close;
  } else if (open >= 0) {
    coreSpan[0] = open + 1;
    coreSpan[1] = to;
  } else if (close >= 0) {
    coreSpan[0] = from;
    coreSpan[1] = close;
  } else {
    coreSpan[0] = from;
    coreSpan[1] = to;
  }
}

/** The profile of a whole string (a copy), for tests. */
export function profileOf(segment: string): Readonly<Profile> {
  return { ...profile(segment, 0, segment.length) };
}

/** The rule that reads one segment's core as an id (`idRule('{u253}')` is prefixed-number), if any. */
export function idRule(segment: string): IdRule | undefined {
  findCore(segment, 0, segment.length);
  const from = coreSpan[0]!;
  const to = coreSpan[1]!;
  return idRuleAt(segment, from, to, from !== 0 || to !== segment.length);
}

/** The segment with its core replaced by `*`: `u253` → `*`, `{u253}` → `{*}`, `cart{x}` → `cart{*}`. */
export function wildForm(segment: string): string {
  findCore(segment, 0, segment.length);
  return segment.slice(0, coreSpan[0]) + '*' + segment.slice(coreSpan[1]);
}

/** The pattern of one segment by shape alone: its wild form when its core is an id, else itself. */
export function segmentPattern(segment: string): string {
  findCore(segment, 0, segment.length);
  const from = coreSpan[0]!;
  const to = coreSpan[1]!;
  const tagged = from !== 0 || to !== segment.length;
  return idRuleAt(segment, from, to, tagged) === undefined ? segment : segment.slice(0, from) + '*' + segment.slice(to);
}
