// Cluster hash slots: which of the 16,384 slots a key lives in, as the server computes it. The
// session uses it to find multi-key calls, transactions and script runs a cluster would refuse
// (CROSSSLOT); it is a fact about keys, not about a target, so it lives apart from the audit rules.

/** CRC16/XMODEM (poly 0x1021, init 0), the checksum Redis and Valkey hash keys with. */
const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}

/**
 * The hash slot a key maps to (0..16383), as the server's keyHashSlot computes it: if the key has a
 * `{` and a `}` after the first `{`, with something between them, only that part is hashed; otherwise
 * (no tag, or an empty first tag `{}`) the whole key is. Strings are hashed as their UTF-8 bytes (as
 * Buffer.from encodes them); pass the raw bytes when you have them.
 *
 * Not delegated to cluster-key-slot: its 1.1.2 keeps scanning past an empty first tag, so `{}{a}`,
 * `{}}` or `x{}y{z}` get a slot the server does not use (checked against valkey-server 8.0.1).
 */
export function slotOf(key: string | Uint8Array): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const len = bytes.length;
  let s = 0;
  while (s < len && bytes[s] !== 0x7b) s++;
  if (s === len) return crc16(bytes, 0, len) & 0x3fff;
  let e = s + 1;
  while (e < len && bytes[e] !== 0x7d) e++;
  if (e === len || e === s + 1) return crc16(bytes, 0, len) & 0x3fff;
  return crc16(bytes, s + 1, e) & 0x3fff;
}

/** True when the keys don't all hash to one slot (a cluster would answer CROSSSLOT). */
export function isCrossSlot(keys: ReadonlyArray<string | Uint8Array>): boolean {
  if (keys.length < 2) return false;
  const first = slotOf(keys[0]!);
  for (let i = 1; i < keys.length; i++) if (slotOf(keys[i]!) !== first) return true;
  return false;
}
