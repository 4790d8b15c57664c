// IP addresses and CIDR ranges as owner maps and CLIENT LIST write them, through ipaddr.js (no bit
// math of our own). One canonical text per address, so `10.0.0.5`, `::ffff:10.0.0.5` (a dual-stack
// listener's view of an IPv4 client) and `fd00::0:5` vs `fd00::5` meet in one map key.
import ipaddr from 'ipaddr.js';

export type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** An IPv4 or IPv6 address; IPv4-mapped IPv6 becomes IPv4, a zone id (`fe80::1%eth0`) is dropped. */
export function parseIp(text: string): Address | undefined {
  const t = text.trim().replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  if (t === '' || !ipaddr.isValid(t)) return undefined;
  // isValid accepts shorthand IPv4 ("10", "10.1"); an owner map means dotted quads.
  if (ipaddr.IPv4.isValid(t) && !ipaddr.IPv4.isValidFourPartDecimal(t)) return undefined;
  try {
    return ipaddr.process(t);
  } catch {
    return undefined;
  }
}

/** The canonical text of an address (the map key), or undefined when it is not one. */
export function canonicalIp(text: string): string | undefined {
  return parseIp(text)?.toString();
}

export interface Range {
  /** The network address, canonical. */
  readonly network: string;
  readonly bits: number;
  readonly kind: 'ipv4' | 'ipv6';
  /** A single address: /32 or /128, or no prefix length at all. */
  readonly single: boolean;
  /** As the user would read it: `10.0.0.0/16`, or the address alone for a single one. */
  readonly text: string;
}

/** `10.0.0.0/16`, `fd00::/8`, or a bare address; host bits in a range are cleared (`10.0.0.5/16` → `10.0.0.0/16`). */
export function parseRange(text: string): Range | undefined {
  const t = text.trim();
  const slash = t.indexOf('/');
  if (slash < 0) {
    const a = parseIp(t);
    if (!a) return undefined;
    const bits = a.kind() === 'ipv4' ? 32 : 128;
    return { network: a.toString(), bits, kind: a.kind(), single: true, text: a.toString() };
  }
  const addrText = t.slice(0, slash);
  const bitsText = t.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return undefined;
  const a = parseIp(addrText);
  if (!a) return undefined;
  const bits = Number(bitsText);
  const max = a.kind() === 'ipv4' ? 32 : 128;
  if (bits > max) return undefined;
  const network = networkOf(a, bits);
  const single = bits === max;
  return { network, bits, kind: a.kind(), single, text: single ? network : `${network}/${bits}` };
}

/** The network address of `a` under a prefix of `bits` bits, canonical. */
export function networkOf(a: Address, bits: number): string {
  const cidr = `${a.toString()}/${bits}`;
  return a.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr).toString() : ipaddr.IPv6.networkAddressFromCIDR(cidr).toString();
}
