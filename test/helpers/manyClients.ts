// Many idle connections (issue 9), shared by its test (test/int-many-clients.test.ts) and its bench
// (bench/idle-connections.ts): a real valkey-server holding `real` idle connections (optionally
// padded to `total` lines of CLIENT LIST by a proxy, where one process may not hold that many
// sockets), the real dashboard in a pty, keys pressed while it polls. Measured: what CLIENT LIST
// costs the server (INFO commandstats) and how far apart the tool spaces its polls, key press to
// frame latency (all presses, and those that fell while a poll was being taken in), and the
// dashboard process's RSS (main thread and collector workers: one process).
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { SORT_KEYS, nextSort, defaultSort, type SortSpec } from '../../src/ui/clients.ts';
import { startServer } from './servers.ts';
import { openIdleClients } from './idleClients.ts';
import { startPaddingProxyThread, type ProxyThread } from './proxyThread.ts';
import { ptyEnv, runInPty } from './pty.ts';

export interface ManyClientsOptions {
  /** Real idle connections on the server. */
  readonly real: number;
  /** Lines of CLIENT LIST the dashboard sees (padded by a proxy beyond `real`). */
  readonly total?: number;
  /** How long PgDn is pressed (moving the selection: what collection costs the screen). */
  readonly pressSeconds: number;
  /** Then how long `s` is pressed (re-sorting the whole table: the table's own cost). */
  readonly sortSeconds?: number;
  /** The checkout whose CLI runs (this one by default). */
  readonly root?: string;
  readonly args?: readonly string[];
  /** Node flags for the dashboard (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  readonly log?: (line: string) => void;
}

export interface Press {
  readonly key: 'PgDn' | 's';
  /** ms after the first full poll reached the screen. */
  readonly at: number;
  readonly latencyMs: number;
  /** A CLIENT LIST ran within the 2 s before the press (its reply was being parsed, merged, drawn). */
  readonly duringPoll: boolean;
}

export interface ManyClientsResult {
  readonly real: number;
  readonly shown: number;
  /** µs per CLIENT LIST on the server, per poll (from INFO commandstats). */
  readonly clientListUsec: number[];
  /** ms between the tool's CLIENT LIST calls, as the server saw them. */
  readonly pollGapsMs: number[];
  /** ms from the dashboard start until every connection was on screen. */
  readonly firstFullScreenMs: number;
  readonly presses: Press[];
  readonly rssMiB: { readonly median: number; readonly peak: number };
  readonly exitCode: number;
}

const DEFAULT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

const median = (xs: readonly number[]): number => percentile(xs, 50);

export async function manyClients(o: ManyClientsOptions): Promise<ManyClientsResult> {
  const log = o.log ?? (() => {});
  const total = Math.max(o.real, o.total ?? o.real);
  const server = await startServer('valkey', ['--maxclients', String(o.real + 100)]);
  const stats = createClient({ url: server.url, RESP: 2 });
  let proxy: ProxyThread | undefined;
  let idle: Awaited<ReturnType<typeof openIdleClients>> | undefined;
  const pty = { current: undefined as ReturnType<typeof runInPty> | undefined };
  let watching = false;
  let watcher: Promise<void> | undefined;
  try {
    await stats.connect();
    const t0 = Date.now();
    idle = await openIdleClients(server.port, o.real);
    log(`${idle.opened} idle connections open in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    if (total > o.real) proxy = await startPaddingProxyThread(server.port, total);
    const url = proxy?.url ?? server.url;

    // What CLIENT LIST costs, and when the tool runs it, seen from the server.
    const polls: Array<{ at: number; usec: number }> = [];
    let last: { calls: number; usec: number } | undefined;
    watching = true;
    watcher = (async () => {
      while (watching) {
        const reply = await stats.sendCommand(['INFO', 'commandstats']).catch(() => '');
        const m = /cmdstat_client\|list:calls=(\d+),usec=(\d+)/.exec(String(reply));
        if (m) {
          const cur = { calls: Number(m[1]), usec: Number(m[2]) };
          if (last && cur.calls > last.calls) polls.push({ at: performance.now(), usec: (cur.usec - last.usec) / (cur.calls - last.calls) });
          last = cur;
        }
        await sleep(100);
      }
    })();

    const root = o.root ?? DEFAULT_ROOT;
    const started = performance.now();
    const p = runInPty([process.execPath, ...(o.nodeArgs ?? []), '--import', 'tsx', 'src/cli.ts', '--url', url, ...(o.args ?? [])], { env: ptyEnv(), cwd: root, columns: 140, rows: 40 });
    pty.current = p;
    const pid = await p.pid;
    const rss: number[] = [];
    let peak = 0;
    const rssTimer = setInterval(() => {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
        peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
        if (kb > 0) rss.push(kb / 1024);
      } catch {
        /* exited */
      }
    }, 500);

    const want = Math.floor(total * 0.99);
    let shown = 0;
    // Look at what is new each time (the output grows by megabytes).
    let scanFrom = 0;
    await p.waitText(
      (t) => {
        // The clients pane's title: "Clients  30000 · …" (the same in the pre-worker dashboard).
        for (const m of t.matchAll(/Clients {2}(\d+) · /g)) shown = Math.max(shown, Number(m[1]));
        scanFrom = Math.max(0, p.length - 4096);
        return shown >= want;
      },
      `${want} clients on screen`,
      120_000,
      () => scanFrom,
    );
    const firstFullScreenMs = performance.now() - started;
    log(`${shown} clients on screen after ${(firstFullScreenMs / 1000).toFixed(1)}s`);

    const presses: Press[] = [];
    const pressFrom = performance.now();
    const press = async (key: Press['key'], bytes: string, effect: (text: string) => boolean, what: string): Promise<void> => {
      await sleep(150 + Math.random() * 200);
      const from = p.length;
      const at = performance.now();
      p.keys(bytes);
      await p.waitText(effect, what, 20_000, from);
      const latencyMs = performance.now() - at;
      const duringPoll = polls.some((x) => x.at <= at + latencyMs && at - x.at <= 2000);
      presses.push({ key, at: Math.round(at - pressFrom), latencyMs, duringPoll });
    };
    // PgDn moves the selection a page down the clients table (its own work is one lookup): what it
    // waits for is what collection costs the screen. The selected row's address says it happened.
    const selected = (text: string): string | undefined => [...text.matchAll(/┃›.\s(\S+)/g)].at(-1)?.[1];
    let current = selected(p.text(Math.max(0, p.length - 20_000)));
    while (performance.now() - pressFrom < o.pressSeconds * 1000) {
      const before = current;
      await press('PgDn', '\u001b[6~', (t) => {
        const now = selected(t);
        if (now === undefined || now === before) return false;
        current = now;
        return true;
      }, 'the selection to move a page down');
    }
    // `s` sorts the whole table by the next column: its own cost grows with the table.
    let sort: SortSpec = defaultSort();
    const sortFrom = performance.now();
    while (performance.now() - sortFrom < (o.sortSeconds ?? 0) * 1000) {
      sort = nextSort(sort);
      const k = SORT_KEYS[sort.column];
      const text = `sort ${k.title} ${sort.desc ? '↓' : '↑'}`;
      await press('s', 's', (t) => t.includes(text), `the sort by ${k.title} after s`);
    }
    clearInterval(rssTimer);
    watching = false;
    await watcher;
    p.keys('q');
    const exitCode = await Promise.race([p.exited, sleep(15_000, -1, { ref: false })]);
    const gaps = polls.slice(1).map((x, i) => Math.round(x.at - polls[i]!.at));
    return {
      real: idle.opened,
      shown,
      clientListUsec: polls.map((x) => Math.round(x.usec)),
      pollGapsMs: gaps,
      firstFullScreenMs: Math.round(firstFullScreenMs),
      presses,
      rssMiB: { median: Math.round(median(rss)), peak: Math.round(peak / 1024) },
      exitCode,
    };
  } finally {
    watching = false;
    await watcher;
    pty.current?.kill();
    await stats.close().catch(() => {});
    await proxy?.close();
    await idle?.close();
    await server.stop();
  }
}
