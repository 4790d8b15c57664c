// Reverse DNS for addresses no owner file names (`--resolve`, off by default: it sends a PTR query
// per address to the user's resolver). Bounded everywhere: a few queries at a time, each with a
// timeout, a queue that drops rather than grows, a cache of answers (a "no name" is an answer too).
// What comes back is a hint (`≈ ip-10-0-1-23.ec2.internal`), never a client name: PTR records
// name the address's host or node, not the service that connected from it.
import { Resolver } from 'node:dns/promises';
import type { ReconStore } from '../store.ts';
import { parseIp } from './addresses.ts';

export type DnsHint = { readonly name: string } | { readonly none: string };

export interface ReverseDnsOptions {
  /** Each query's limit. */
  readonly timeoutMs?: number;
  /** Queries in flight at once. */
  readonly concurrency?: number;
  /** Answers remembered; the oldest go first. */
  readonly cacheSize?: number;
  /** Addresses waiting; past it new ones are dropped until there is room (asked again later). */
  readonly queueMax?: number;
  /** The lookup (tests pass their own); the default asks the system's resolver for PTR records. */
  readonly lookup?: (ip: string, timeoutMs: number) => Promise<string[]>;
}

export const DNS_DEFAULTS = { timeoutMs: 1500, concurrency: 4, cacheSize: 4096, queueMax: 1024 } as const;

/** PTR names for an address, from the resolvers in /etc/resolv.conf, within the timeout. */
export async function reverseLookup(ip: string, timeoutMs: number): Promise<string[]> {
  // A resolver per query, so a timeout cancels this query only.
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      resolver.reverse(ip),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          resolver.cancel();
          reject(Object.assign(new Error('timed out'), { code: 'ETIMEOUT' }));
        }, timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A failed lookup in words. */
export function dnsFailure(err: unknown, timeoutMs: number): string {
  const code = (err as { code?: string })?.code;
  switch (code) {
    case 'ENOTFOUND':
    case 'ENODATA':
    case 'ENONAME':
      return 'no name';
    case 'ETIMEOUT':
    case 'ECANCELLED':
      return `no answer within ${timeoutMs} ms`;
    case 'ECONNREFUSED':
      return 'the resolver refused the query';
    case 'ESERVFAIL':
      return 'the resolver failed';
    default:
      return `lookup failed${code ? ` (${code})` : ''}`;
  }
}

export class ReverseDns {
  private readonly opts: Required<Omit<ReverseDnsOptions, 'lookup'>> & Pick<ReverseDnsOptions, 'lookup'>;
  private readonly cache = new Map<string, DnsHint>();
  private readonly queue: string[] = [];
  private readonly pending = new Set<string>();
  private inFlight = 0;
  private stopped = false;
  private idle: Array<() => void> = [];

  constructor(
    private readonly onResult: (ip: string, hint: DnsHint) => void,
    opts: ReverseDnsOptions = {},
  ) {
    this.opts = { ...DNS_DEFAULTS, ...opts };
  }

  /** The answer if known; otherwise queues the address (once) and returns undefined. */
  request(ip: string): DnsHint | undefined {
    const known = this.cache.get(ip);
    if (known || this.stopped || this.pending.has(ip)) return known;
    if (!parseIp(ip)) return undefined;
    if (this.queue.length >= this.opts.queueMax) return undefined;
    this.pending.add(ip);
    this.queue.push(ip);
    this.pump();
    return undefined;
  }

  /** Resolves when nothing is queued or in flight (each query is bounded by the timeout). */
  settle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const ip of this.queue.splice(0)) this.pending.delete(ip);
    this.checkIdle();
  }

  get size(): number {
    return this.cache.size;
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < this.opts.concurrency && this.queue.length > 0) {
      const ip = this.queue.shift()!;
      this.inFlight++;
      const timeoutMs = this.opts.timeoutMs;
      (this.opts.lookup ?? reverseLookup)(ip, timeoutMs)
        .then(
          (names): DnsHint => (names.length > 0 && names[0] ? { name: names[0] } : { none: 'no name' }),
          (err: unknown): DnsHint => ({ none: dnsFailure(err, timeoutMs) }),
        )
        .then((hint) => {
          this.inFlight--;
          this.pending.delete(ip);
          if (this.cache.size >= this.opts.cacheSize) this.cache.delete(this.cache.keys().next().value!);
          this.cache.set(ip, hint);
          if (!this.stopped) this.onResult(ip, hint);
          this.pump();
          this.checkIdle();
        });
    }
  }

  private checkIdle(): void {
    if (this.pending.size > 0) return;
    for (const f of this.idle.splice(0)) f();
  }
}

/** How often new clients are looked at, and results handed to the store (one commit per batch). */
const SCAN_MS = 1000;
const BATCH_MS = 250;

/**
 * Reverse DNS wired to the store: every client address no owner file names is asked once, and the
 * answers reach the store in batches (`owners.dns`), which the attribution reads.
 */
export function startReverseDns(store: ReconStore, opts: ReverseDnsOptions = {}): { stop(): void; settle(): Promise<void> } {
  let batch: Array<[string, DnsHint]> = [];
  let flushTimer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    flushTimer = undefined;
    if (batch.length === 0) return;
    const b = batch;
    batch = [];
    store.getState().actions.dnsResolved(b);
  };
  const dns = new ReverseDns((ip, hint) => {
    batch.push([ip, hint]);
    flushTimer ??= setTimeout(flush, BATCH_MS);
  }, opts);
  let seen: unknown;
  const scan = (): void => {
    const s = store.getState();
    if (s.view.clients === seen) return;
    seen = s.view.clients;
    for (const c of s.view.clients) {
      if (c.self || s.owners.dns.has(c.ip)) continue;
      if (s.owners.map?.lookup(c.ip)) continue;
      dns.request(c.ip);
    }
  };
  scan();
  const timer = setInterval(scan, SCAN_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      dns.stop();
      if (flushTimer) clearTimeout(flushTimer);
      flush();
    },
    async settle() {
      scan();
      await dns.settle();
      if (flushTimer) clearTimeout(flushTimer);
      flush();
    },
  };
}
