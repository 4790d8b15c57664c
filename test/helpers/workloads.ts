// Client sessions built the way the engine builds them, for the fingerprint and owner tests: CLIENT
// LIST lines and MONITOR events of a few workloads (the traffic generator's habits) through the real
// Session, so key patterns are inferred as in production.
import { Session, type ClientView } from '../../src/analysis/session.ts';
import { loadFallbackCommandTable } from '../../src/commands/commandTable.ts';
import { parseClientLine } from '../../src/parse/clientList.ts';
import type { ClientInfo, MonitorEvent } from '../../src/types.ts';

export const T0 = 1_700_000_000_000;
const classifier = loadFallbackCommandTable();

export interface Conn {
  readonly port: number;
  readonly name?: string;
  readonly lib?: string;
  readonly ver?: string;
  readonly ip?: string;
  readonly age?: number;
}

const info = (c: Conn, id: number): ClientInfo => {
  const f: Record<string, string | number> = {
    id, addr: `${c.ip ?? '10.0.1.23'}:${c.port}`, laddr: '10.0.0.1:6379', fd: 8, name: c.name ?? '', age: c.age ?? 600, idle: 0,
    flags: 'N', db: 0, sub: 0, psub: 0, multi: -1, omem: 0, cmd: 'get', user: 'default', 'lib-name': c.lib ?? 'node-redis', 'lib-ver': c.ver ?? '5.8.2',
  };
  const parsed = parseClientLine(Object.entries(f).map(([k, v]) => `${k}=${v}`).join(' '));
  if (!parsed) throw new Error('fixture did not parse');
  return parsed;
};

export type Workload = (i: number) => string[][];
const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;

/** checkout-api's habits (scripts/traffic/checkout.ts): sessions, carts, now and then an order. */
export const checkout: Workload = (i) => {
  const u = `u${(i * 7919) % 400}`;
  const out = [['GET', `session:${u}`], ['HINCRBY', `cart:{${u}}:items`, pick(['sku-1001', 'sku-2040'], i), '1'], ['HGETALL', `cart:{${u}}:items`], ['EXPIRE', `cart:{${u}}:items`, '3600']];
  if (i % 3 === 0) out.push(['SET', `session:${u}`, '{}', 'EX', '1800']);
  return out;
};
/** legacy-billing's: a customer read, an invoice written. */
export const billing: Workload = (i) => [['HGETALL', `customer:${(i * 31) % 200}`], ['HSET', `invoice:${10_000 + i}`, 'amount', '10'], ['EXPIRE', `invoice:${10_000 + i}`, '3600']];
/** A catalog indexer's: product hashes and rankings. */
export const catalog: Workload = (i) => [['HSET', `product:${i % 500}`, 'title', 'x'], ['ZADD', pick(['rank:bestsellers', 'rank:new'], i), '5', `product:${i % 500}`], ['ZRANGE', 'rank:new', '0', '9']];
/** A rate limiter's: INCR and EXPIRE on per-address counters. */
export const limiter: Workload = (i) => [['INCR', `ratelimit:203.0.113.${i % 40}`], ['EXPIRE', `ratelimit:203.0.113.${i % 40}`, '60']];
/** A cleanup job on checkout's keys, with other commands. */
export const sweeper: Workload = (i) => [['TTL', `session:u${i % 400}`], ['DEL', `session:u${(i + 1) % 400}`], ['SCAN', String(i), 'MATCH', 'session:*']];

export class Scene {
  readonly session = new Session({ delimiter: ':', classifier, isSelf: (c) => c.name.startsWith('redis-recon-') });
  private readonly conns: Array<Conn & { id: number }> = [];
  private t = T0;
  add(c: Conn): Conn {
    this.conns.push({ ...c, id: this.conns.length + 1 });
    return c;
  }
  /** Runs `rounds` of each connection's workload through MONITOR. */
  run(work: ReadonlyArray<readonly [Conn, Workload, number]>): void {
    this.session.applyPoll({ startedAt: T0, at: this.t, clients: this.conns.map((c) => info(c, c.id)) });
    const events: MonitorEvent[] = [];
    for (const [c, w, rounds] of work) {
      for (let i = 0; i < rounds; i++) {
        for (const args of w(i)) events.push({ ts: this.t / 1000, db: 0, source: `${c.ip ?? '10.0.1.23'}:${c.port}`, args });
      }
    }
    this.t += 1000;
    this.session.ingest(events, this.t);
    this.session.tick(this.t);
  }
  clients(): readonly ClientView[] {
    return this.session.view().clients;
  }
  at(c: Conn): ClientView {
    return this.clients().find((v) => v.addr.endsWith(`:${c.port}`))!;
  }
}

