// A realistic session for the dashboard tests: CLIENT LIST lines as a server prints them and MONITOR
// events, run through the real Session (with the shipped command table) into a real store.
import { EventEmitter } from 'node:events';
import { nodeStatus } from './helpers/inProcess.ts';
import type { NodeStatus } from '../src/collect/protocol.ts';
import { Session, type Auditor } from '../src/analysis/session.ts';
import { loadFallbackCommandTable } from '../src/commands/commandTable.ts';
import { parseClientLine } from '../src/parse/clientList.ts';
import { createReconStore, type ReconStore } from '../src/store.ts';
import type { ClientInfo, MonitorEvent } from '../src/types.ts';
import type { Finding } from '../src/audit/findings.ts';

export const T0 = 1_700_000_000_000;

const line = (f: Record<string, string | number>): ClientInfo => {
  const text = Object.entries({ laddr: '127.0.0.1:6379', fd: 8, flags: 'N', db: 0, sub: 0, psub: 0, multi: -1, omem: 0, ...f })
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const info = parseClientLine(text);
  if (!info) throw new Error(`fixture line did not parse: ${text}`);
  return info;
};

export const CLIENTS = {
  checkoutOld: line({ id: 11, addr: '10.0.0.1:5001', name: 'checkout-7f9c8d6b5-x2x7q', age: 3700, idle: 1, cmd: 'get', user: 'default', 'lib-name': 'go-redis(,go1.24.13)', 'lib-ver': '9.17.2' }),
  checkoutNew: line({ id: 12, addr: '10.0.0.1:5002', name: 'checkout-7f9c8d6b5-k2x9z', age: 600, idle: 0, cmd: 'hgetall', user: 'default', 'lib-name': 'go-redis(,go1.24.13)', 'lib-ver': '9.18.0' }),
  orders: line({ id: 13, addr: '10.0.0.2:6000', name: 'orders-writer', age: 90, idle: 0, cmd: 'set', user: 'orders', 'lib-name': 'node-redis', 'lib-ver': '5.0.0' }),
  anon: line({ id: 14, addr: '10.0.0.3:7000', name: '', age: 45, idle: 3, cmd: 'get', user: 'default', 'lib-name': '', 'lib-ver': '' }),
  batch: line({ id: 15, addr: '10.0.0.4:8000', name: 'batch-job', age: 20, idle: 0, cmd: 'set', user: 'default', 'lib-name': 'redis-py', 'lib-ver': '5.0.1' }),
  self: line({ id: 16, addr: '127.0.0.1:9000', name: 'redis-recon-poll-test', age: 5, idle: 0, cmd: 'client|list', user: 'default', 'lib-name': 'node-redis(redis-recon)', 'lib-ver': '6.3.1' }),
};

const ev = (source: string, ...args: string[]): MonitorEvent => ({ ts: T0 / 1000, db: 0, source, args });

/** Verdicts as the audit would give them: go-redis below 9.18 is outdated, an empty lib-name missing. */
export const testAuditor: Auditor = (input) => {
  // Transactions across slots, as the cluster-mode audit words them (src/audit/findings.ts).
  const tx = input.crossSlotTransactions;
  const findings: Finding[] =
    tx && tx.count > 0
      ? [{ code: 'cross-slot-transaction', severity: 'error', message: `${tx.count} transaction(s) (MULTI … EXEC) touch keys in different hash slots; answers CROSSSLOT.`, count: tx.count, example: `MULTI ${tx.commands.join(' ')} EXEC: ${tx.example.join(' ')}` }]
      : [];
  if (input.libName === '') return { library: { verdict: 'missing', reason: 'the client sent no lib-name' }, findings };
  if (input.libName?.startsWith('go-redis') && input.libVer === '9.17.2') {
    return {
      library: { verdict: 'outdated', reason: 'go-redis 9.17.2 is older than 9.18.0', latest: '9.18.0', minimum: '9.18.0' },
      findings: [...findings, { code: 'library-outdated', severity: 'warning', message: 'upgrade go-redis to 9.18.0', count: 1, example: `${input.libName} ${input.libVer}` }],
    };
  }
  return { library: { verdict: 'ok', reason: 'supported' }, findings };
};

export interface Fixture {
  readonly store: ReconStore;
  readonly session: Session;
  /** Publishes the session's view into the store, as the engine's flush does. */
  publish(at: number): void;
  /** Changes what the node reports (a failed poll, say) and publishes it. */
  setNode(patch: Partial<NodeStatus>, at?: number): void;
}

export function makeFixture(opts: { presets?: string[]; showSelf?: boolean; columns?: number; rows?: number; transactions?: boolean; shortLived?: number; target?: { id: string; title: string } } = {}): Fixture {
  const store = createReconStore({
    endpoint: '127.0.0.1:6379',
    monitor: true,
    monitorBudgetMs: 600_000,
    monitorMaxOmemBytes: 32 * 1024 * 1024,
    now: () => T0,
    presets: opts.presets ?? ['app:', 'orders:'],
    showSelf: opts.showSelf ?? false,
    delimiter: ':',
    viewport: { columns: opts.columns ?? 100, rows: opts.rows ?? 24 },
    ...(opts.target ? { target: opts.target } : {}),
  });
  const session = new Session({
    delimiter: ':',
    classifier: loadFallbackCommandTable(),
    isSelf: (info) => info.name.startsWith('redis-recon-'),
    audit: testAuditor,
  });
  // One node, as its collector reports it: polled at T0 + 2 s, MONITOR on since T0.
  let node = nodeStatus({
    server: { name: 'valkey', version: '8.0.1', redisVersion: '7.2.4', mode: 'standalone', role: 'master', connectedClients: 5, opsPerSec: 1234 },
    poll: { polls: 2, lastAt: T0 + 2000, intervalMs: 2000 },
    monitor: { phase: 'on', onMs: 0, onSince: T0, offPeriods: [], guard: 'watching' },
    clock: T0 + 2000,
  });
  const publish = (at: number): void => {
    session.tick(at);
    const view = session.view();
    store.getState().actions.published(view, [node]);
  };

  // Short-lived connections of a cron job: listed once, gone by the next poll.
  const cron = Array.from({ length: opts.shortLived ?? 0 }, (_, i) =>
    line({ id: 100 + i, addr: `10.0.0.9:${9000 + i}`, name: `cleanup-cron-${'bcdfg'[i % 5]}${'hjklm'[Math.floor(i / 5) % 5]}x7q`, age: 1, idle: 0, cmd: 'scan', user: 'default', 'lib-name': 'node-redis', 'lib-ver': '1.6.0' }),
  );
  const all = [...Object.values(CLIENTS), ...cron];
  session.applyPoll({ startedAt: T0, at: T0, clients: all });
  session.tick(T0);
  const events: MonitorEvent[] = [];
  for (let i = 0; i < 40; i++) events.push(ev('10.0.0.1:5001', 'GET', `app:user:${i % 10}`));
  for (let i = 0; i < 20; i++) events.push(ev('10.0.0.1:5002', 'HGETALL', `app:user:${i % 5}:profile`));
  for (let i = 0; i < 30; i++) events.push(ev('10.0.0.2:6000', 'SET', `orders:eu:${i % 6}`, 'x'));
  for (let i = 0; i < 10; i++) events.push(ev('10.0.0.3:7000', 'GET', `cache:page:${i % 3}`));
  for (let i = 0; i < 5; i++) events.push(ev('10.0.0.4:8000', 'SET', `jobs:${i}`, 'x'));
  for (let i = 0; i < 3; i++) events.push(ev('127.0.0.1:9000', 'GET', 'app:user:0'));
  if (opts.transactions) {
    // checkout writes an order and empties the cart in one MULTI … EXEC: two hash slots.
    for (const src of ['10.0.0.1:5001', '10.0.0.1:5002']) {
      events.push(ev(src, 'MULTI'), ev(src, 'HSET', 'order:1', 'total', '5'), ev(src, 'DEL', 'cart:{u1}:items'), ev(src, 'EXEC'));
    }
  }
  session.ingest(events, T0 + 1000);
  // The batch job has gone by the second poll: it stays, marked disconnected.
  session.applyPoll({ startedAt: T0 + 2000, at: T0 + 2000, clients: Object.values(CLIENTS).filter((c) => c !== CLIENTS.batch) });
  publish(T0 + 2000);
  /** Changes what the node reports (a failed poll, say) and publishes it. */
  const setNode = (patch: Partial<typeof node>, at = T0 + 2000): void => {
    node = { ...node, ...patch };
    publish(at);
  };
  return { store, session, publish, setNode };
}

/** Terminal-like streams for Ink's own render (the e2e and benchmark use real ones). */
export class FakeStdout extends EventEmitter {
  isTTY = true;
  frames: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (chunk: string, cb?: () => void): boolean => {
    this.frames.push(String(chunk));
    if (typeof cb === 'function') cb();
    return true;
  };
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

export class FakeStdin extends EventEmitter {
  isTTY = true;
  isRaw = false;
  private data: string | null = null;
  setRawMode(on: boolean): void {
    this.isRaw = on;
  }
  setEncoding(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  press(data: string): void {
    this.data = data;
    this.emit('readable');
  }
}
