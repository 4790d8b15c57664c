// Runs the engine without a screen for a fixed time, then writes the inventory and one summary
// line to stderr. Exit codes: 0 done, 2 could not connect or authenticate, 3 could not write the export.
import type { Config } from './config.ts';
import type { AuditSpec } from './collect/protocol.ts';
import { createReconStore, type ReconStore } from './store.ts';
import { prepareRun } from './run.ts';
import type { Inventory } from './export/inventory.ts';
import { exportInventory, inventoryOf } from './export/exportFile.ts';

export interface HeadlessIo {
  /** The migration target and library knowledge base each collector judges clients against. */
  readonly audit?: AuditSpec;
  /** The migration target the findings were judged against, for the export. */
  readonly target?: { id: string; title: string };
  readonly stderr: (line: string) => void;
  /** Resolves when the user asks to stop early (SIGINT/SIGTERM): the run still exports. */
  readonly interrupted?: Promise<void>;
  readonly now?: () => number;
}

export async function runHeadless(config: Config, io: HeadlessIo): Promise<number> {
  const prepared = prepareRun(config);
  if (!prepared.ok) {
    io.stderr(`redis-recon: ${prepared.error}`);
    return 2;
  }
  const source = prepared.run;
  const now = io.now ?? source.now;
  const store = createReconStore({
    endpoint: source.endpoint,
    monitor: config.monitor,
    // Sampled applies to a live server; a recording or capture is what it is.
    ...(source.kind === 'live' ? { monitorMode: config.monitorMode } : {}),
    monitorBudgetMs: config.monitorBudgetMs,
    monitorMaxOmemBytes: config.monitorMaxOmemBytes,
    now,
  });
  const { engine, done } = source.start(store, { audit: io.audit ?? null });

  if (source.kind === 'live') {
    const failed = await firstConnect(engine.ready, store, config.connectTimeoutMs);
    if (failed !== undefined) {
      await engine.stop().catch(() => {});
      io.stderr(`redis-recon: ${failed}`);
      return 2;
    }
  }

  const never = new Promise<never>(() => {});
  await Promise.race([
    done ?? never,
    config.durationMs !== undefined ? sleep(config.durationMs) : never,
    io.interrupted ?? never,
  ]);
  await engine.stop();
  const state = store.getState();
  const ctx = { includeSelf: config.showSelf, target: io.target, now };
  let inventory = inventoryOf(state, ctx);
  let wrote = '';
  if (config.exportFile) {
    const result = await exportInventory(state, config.exportFile, ctx);
    inventory = result.inventory;
    if (!result.ok) {
      io.stderr(`redis-recon: ${result.error}`);
      io.stderr(summary(inventory, store, ''));
      return 3;
    }
    wrote = `; wrote ${result.path}`;
  }
  for (const n of state.notices) io.stderr(`redis-recon: note: ${n}`);
  if (state.stream.unparsed > 0) io.stderr(unparsedNote(state.stream.unparsed, state.stream.unparsedReasons));
  if (source.kind === 'live' && state.poll.polls === 0) {
    // Connected, but never read CLIENT LIST: the inventory would be empty and the guard was blind.
    io.stderr(`redis-recon: no CLIENT LIST could be read: ${state.poll.lastError ?? 'no answer'}`);
    return 2;
  }
  if (state.poll.lastError) io.stderr(`redis-recon: note: the last poll failed: ${state.poll.lastError}`);
  io.stderr(summary(inventory, store, wrote));
  return 0;
}

/**
 * Resolves undefined once the first CLIENT LIST arrived; a sentence if connecting or that first
 * poll fails (a user without +client|list must hear it now, not after the whole run).
 */
async function firstConnect(ready: Promise<void>, store: ReconStore, timeoutMs: number): Promise<string | undefined> {
  let unsubscribe = (): void => {};
  const firstPoll = new Promise<string | undefined>((resolve) => {
    const check = (s: ReturnType<ReconStore['getState']>): void => {
      if (s.poll.polls > 0) resolve(undefined);
      else if (s.poll.lastError) resolve(s.poll.lastError);
    };
    unsubscribe = store.subscribe(check);
    check(store.getState());
  });
  try {
    return await Promise.race([
      ready.then(() => firstPoll),
      firstPoll,
      sleep(timeoutMs + 2000).then(() => `no answer from ${store.getState().endpoint} within ${Math.round(timeoutMs / 1000)}s`),
    ]);
  } catch (err) {
    return (err as Error).message;
  } finally {
    unsubscribe();
  }
}

/**
 * How many MONITOR lines could not be read and why, never what they held: a line may carry values
 * (passwords, tokens, personal data), and stderr ends up in CI logs and terminals.
 */
/** The note on unreadable lines: how many, and why (the commonest reasons first), never their text. */
export function unparsedNote(count: number, reasons: Readonly<Record<string, number>>): string {
  const why = Object.entries(reasons)
    .sort((a, b) => b[1] - a[1])
    .map(([r, n]) => (n > 1 ? `${r} ×${n}` : r));
  return (
    `redis-recon: note: ${count} MONITOR line(s) could not be read` +
    `${why.length > 0 ? ` (${why.join('; ')})` : ''}; their text is left out, as it may hold values`
  );
}

function summary(inv: Inventory, store: ReconStore, wrote: string): string {
  const s = store.getState();
  const where = inv.server ? `${inv.server.name} ${inv.server.version} at ${inv.endpoint}` : inv.endpoint;
  const unnamed = inv.clients.filter((c) => c.name === '').length;
  const m = s.monitor;
  const monitorNote = m.reason && m.desired !== 'on' ? ` (MONITOR: ${m.reason})` : m.phase === 'error' ? ` (MONITOR failed: ${m.reason})` : '';
  return (
    `redis-recon: ${where}: ${inv.clients.length} clients (${unnamed} unnamed), ` +
    `${inv.window.monitorEvents} MONITOR events, ${inv.window.unparsedLines} unparsed, ${inv.prefixes.length} prefixes, ` +
    `${inv.summary.libraries.outdated + inv.summary.libraries.missing} libraries to upgrade` +
    `${monitorNote}${wrote}`
  );
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
