// The health gate: whether a server is in a state where MONITOR (or any extra load from us) should
// wait. Pure: it reads a parsed INFO and our own round-trip times. The rules follow what careful
// monitoring tools refuse to capture during (memory pressure, loading, failover, resync) and add our
// own latency probe, so a server that is already struggling is left alone.

/** Memory use at or above this share of maxmemory holds MONITOR off. */
export const MEMORY_PRESSURE = 0.85;
/** Round trips this many times the usual one, and at least LATENCY_FLOOR_MS, mean latency is climbing. */
export const LATENCY_FACTOR = 10;
export const LATENCY_FLOOR_MS = 100;

const num = (info: Readonly<Record<string, string>>, key: string): number | undefined => {
  const v = Object.hasOwn(info, key) ? info[key] : undefined;
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

/**
 * Why the server should be spared MONITOR now, in words; undefined when healthy.
 * `rttMs` is the latest round trip of a PING, `usualRttMs` what it usually takes (see RttTracker).
 */
export function healthProblem(info: Readonly<Record<string, string>>, rttMs?: number, usualRttMs?: number): string | undefined {
  const used = num(info, 'used_memory');
  const max = num(info, 'maxmemory');
  if (used !== undefined && max !== undefined && max > 0 && used / max >= MEMORY_PRESSURE) {
    return `health gate: the server uses ${Math.round((used / max) * 100)}% of its maxmemory`;
  }
  if (num(info, 'loading') === 1) return 'health gate: the server is loading its dataset';
  if (num(info, 'async_loading') === 1) return 'health gate: the server is loading a dataset in the background';
  const failover = info['master_failover_state'];
  if (failover !== undefined && failover !== '' && failover !== 'no-failover') return `health gate: a failover is in progress (${failover})`;
  if (info['role'] === 'slave' || info['role'] === 'replica') {
    if (num(info, 'master_sync_in_progress') === 1) return 'health gate: this replica is resyncing from its primary';
    if (info['master_link_status'] === 'down') return 'health gate: this replica has lost its primary';
  }
  for (const [k, v] of Object.entries(info)) {
    // A primary sending a full copy to a replica (slaveN:…,state=wait_bgsave|send_bulk,…).
    if (/^slave\d+$/.test(k) && /state=(wait_bgsave|send_bulk)/.test(v)) return 'health gate: a replica is resyncing (full sync from this server)';
  }
  if (rttMs !== undefined && usualRttMs !== undefined && rttMs >= LATENCY_FLOOR_MS && rttMs >= usualRttMs * LATENCY_FACTOR) {
    return `health gate: the server answers slowly (PING ${Math.round(rttMs)} ms, usually ${usualRttMs < 1 ? '<1' : Math.round(usualRttMs)} ms)`;
  }
  return undefined;
}

/** What a round trip usually takes: the median of the last few, so one slow answer is not "usual". */
export class RttTracker {
  private readonly samples: number[] = [];
  constructor(private readonly size = 15) {}

  add(ms: number): void {
    this.samples.push(ms);
    if (this.samples.length > this.size) this.samples.shift();
  }

  /** The median of the samples before the latest one, or undefined with fewer than three. */
  get usual(): number | undefined {
    const prior = this.samples.slice(0, -1);
    if (prior.length < 3) return undefined;
    const sorted = [...prior].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }
}
