// Runs the engine without a screen for a fixed time, then writes the inventory and one summary
// line to stderr. Exit codes: 0 done, 2 could not connect or authenticate, 3 could not write the
// export or the recording, 4 done but incomplete (MONITOR was off for part of the window, or lines were dropped: the
// export says when and why), 128+n stopped early by signal n (the export is still written).
import type { Config } from './config.ts';
import type { AuditSpec } from './collect/protocol.ts';
import { createReconStore, type ReconStore } from './store.ts';
import { CUTOVER_STATES } from './analysis/cutover.ts';
import { prepareRun } from './run.ts';
import type { Inventory } from './export/inventory.ts';
import { exportInventory, inventoryOf } from './export/exportFile.ts';
import { signalExitCode, type StopSignal } from './signals.ts';
import { escapeControls as clean } from './escape.ts';
import type { OwnerMap } from './owners/ownerMap.ts';
import { startReverseDns } from './owners/reverseDns.ts';

/**
 * The run finished, but its counts are short: MONITOR was off for part of the window although it
 * was wanted (held off by a safety check, its connection down), or lines were dropped. A script must
 * not take such an inventory for a complete one without being told: the export says how long and
 * why, stderr says so, and the exit code differs from a complete run's 0.
 */
export const EXIT_INCOMPLETE = 4;
import { exportPlan } from './export/plan.ts';
import { countText } from './export/keyspace.ts';
import { upgradeSummary, upgradeText } from './ui/services.ts';

export interface HeadlessIo {
  /** The migration target and library knowledge base each collector judges clients against. */
  readonly audit?: AuditSpec;
  /** The migration target the findings were judged against, for the export. */
  readonly target?: { id: string; title: string };
  readonly stderr: (line: string) => void;
  /** Resolves with the signal when the user asks to stop early: the run still exports, then exits 128+n. */
  readonly interrupted?: Promise<StopSignal>;
  readonly now?: () => number;
  /** Owners of client addresses, from the `--hosts` files. */
  readonly owners?: OwnerMap;
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
    keyspace: source.kind !== 'live' ? 'unavailable' : config.keyspace ? 'on' : 'off',
    ...(source.to !== undefined ? { to: source.to } : {}),
    quietAfterMs: config.quietAfterMs,
    owners: io.owners ?? null,
  });
  const { engine, done, recorder } = source.start(store, { audit: io.audit ?? null });
  const dns = config.resolve ? startReverseDns(store) : undefined;

  if (source.kind === 'live') {
    const failed = await firstConnect(engine.ready, store, config.connectTimeoutMs, config.tls.enabled);
    if (failed !== undefined) {
      dns?.stop();
      await engine.stop().catch(() => {});
      io.stderr(`redis-recon: ${failed}`);
      return 2;
    }
  }

  const never = new Promise<never>(() => {});
  // --keyspace without --duration: the run lasts as long as the scan.
  const scanned = source.kind === 'live' && config.keyspace && config.durationMs === undefined ? scanEnded(store) : never;
  // A signal counts whenever it came: the replay's own end can settle in the same turn as the signal
  // that stopped it, and the race below would then call a stopped run complete.
  let stoppedBy: StopSignal | undefined;
  void io.interrupted?.then((sig) => (stoppedBy = sig));
  const signal = await Promise.race([
    (done ?? never).then(() => undefined),
    config.durationMs !== undefined ? sleep(config.durationMs).then(() => undefined) : never,
    scanned.then(() => undefined),
    io.interrupted ?? never,
  ]);
  store.getState().actions.stopKeyspace('the run ended');
  await engine.stop();
  // Lookups under way finish (each within its timeout), so the export has their answers.
  if (dns) {
    await dns.settle();
    dns.stop();
  }
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
  if (config.planFile) {
    const result = await exportPlan(store.getState(), config.planFile, { includeSelf: config.showSelf, now });
    if (!result.ok) {
      io.stderr(`redis-recon: ${result.error}`);
      io.stderr(summary(inventory, store, wrote));
      return 3;
    }
    wrote += `; wrote the plan to ${result.path}`;
  }
  // The recording is an output too: one cut short (a full disk) is a file that could not be written.
  const recordError = recorder?.error;
  for (const n of state.notices) if (n !== recordError) io.stderr(`redis-recon: note: ${n}`);
  if (state.to?.error && !state.notices.includes(state.to.error)) io.stderr(`redis-recon: note: ${state.to.error}`);
  if (state.stream.unparsed > 0) io.stderr(unparsedNote(state.stream.unparsed, state.stream.unparsedReasons));
  if (source.kind === 'live' && state.poll.polls === 0) {
    // Connected, but never read CLIENT LIST: the inventory would be empty and the guard was blind.
    io.stderr(`redis-recon: no CLIENT LIST could be read: ${state.poll.lastError ?? 'no answer'}`);
    return 2;
  }
  if (state.poll.lastError) io.stderr(`redis-recon: note: the last poll failed: ${state.poll.lastError}`);
  const incomplete = incompleteNotes(inventory);
  for (const n of incomplete) io.stderr(n);
  io.stderr(summary(inventory, store, wrote));
  if (recordError) {
    io.stderr(`redis-recon: ${recordError}`);
    return 3;
  }
  const by = signal ?? stoppedBy;
  if (by !== undefined) return signalExitCode(by);
  return incomplete.length > 0 ? EXIT_INCOMPLETE : 0;
}

/** Off periods the notes list one by one (the export has them all). */
const OFF_NOTES_MAX = 5;

/** Notes that say the counts are short, how much and why; none for a complete run. */
export function incompleteNotes(inv: Inventory): string[] {
  const w = inv.window;
  const notes: string[] = [];
  if (w.monitorOff.length > 0) {
    notes.push(
      w.monitorOffSeconds > 0
        ? `redis-recon: note: incomplete: MONITOR was off for ${w.monitorOffSeconds}s of the ${windowSeconds(inv)}s window; commands run then are not counted`
        : 'redis-recon: note: incomplete: the server did not show MONITOR every command',
    );
    for (const p of w.monitorOff.slice(0, OFF_NOTES_MAX)) notes.push(`redis-recon: note:   ${offLine(p)}`);
    if (w.monitorOff.length > OFF_NOTES_MAX) notes.push(`redis-recon: note:   and ${w.monitorOff.length - OFF_NOTES_MAX} more (the JSON export lists them all)`);
  }
  if (w.droppedLines > 0) {
    notes.push(`redis-recon: note: incomplete: ${w.droppedLines} MONITOR line(s) dropped because redis-recon fell behind`);
  }
  return notes;
}

/** One period in words: how long MONITOR was off from when, or (none off) the span it concerns. */
export function offLine(p: Inventory['window']['monitorOff'][number]): string {
  return `${p.seconds > 0 ? `off ${p.seconds}s from ${p.from}` : `${p.from} to ${p.to}`}: ${clean(p.why)}`;
}

const windowSeconds = (inv: Inventory): number => Math.round((Date.parse(inv.window.end) - Date.parse(inv.window.start)) / 100) / 10;

/**
 * Resolves undefined once the first CLIENT LIST arrived; a sentence if connecting or that first
 * poll fails (a user without +client|list must hear it now, not after the whole run).
 */
async function firstConnect(ready: Promise<void>, store: ReconStore, timeoutMs: number, tls: boolean): Promise<string | undefined> {
  let unsubscribe = (): void => {};
  const firstPoll = new Promise<string | undefined>((resolve) => {
    const check = (s: ReturnType<ReconStore['getState']>): void => {
      // A seed that turned out to be a cluster node answered (it read the topology); the run starts
      // once every node's own collector has polled or failed (each says so for itself).
      if (s.cluster?.mode === 'fan-out') {
        const keys = s.cluster.nodes.flatMap((n) => (n.key !== undefined ? [n.key] : []));
        const heard = (k: string): boolean => s.nodes.some((n) => n.id === k && (n.poll.polls > 0 || n.poll.lastError !== undefined));
        if (keys.length > 0 && keys.every(heard)) resolve(undefined);
      } else if (s.poll.polls > 0) resolve(undefined);
      else if (s.poll.lastError) resolve(s.poll.lastError);
    };
    unsubscribe = store.subscribe(check);
    check(store.getState());
  });
  try {
    return await Promise.race([
      ready.then(() => firstPoll),
      firstPoll,
      // A TLS client facing a plain port waits for a handshake that never comes: say so here too. A
      // cluster's nodes start their own collectors after the seed answered: they get a while longer,
      // then the run starts anyway (a node that never answers says so in its own state).
      sleep(timeoutMs + 2000).then(() =>
        store.getState().cluster
          ? Promise.race([firstPoll, sleep(timeoutMs + 10_000).then(() => undefined)])
          : `no answer from ${store.getState().endpoint} within ${Math.round(timeoutMs / 1000)}s${tls ? ': if that port is not TLS, drop --tls / use redis://' : ''}`,
      ),
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
  const live = inv.nodes.filter((n) => n.state !== 'gone' && n.state !== 'unwatched');
  const cluster = inv.cluster
    ? ` (cluster: ${inv.cluster.mode === 'pinned' ? `1 of ${inv.nodes.length} nodes watched` : `${live.length} nodes watched, ${live.filter((n) => n.role === 'primary').length} primaries`})`
    : '';
  const unnamed = inv.clients.filter((c) => c.name === '').length;
  const m = s.monitor;
  const monitorNote = m.reason && m.desired !== 'on' ? ` (MONITOR: ${m.reason})` : m.phase === 'error' ? ` (MONITOR failed: ${m.reason})` : '';
  const w = inv.window;
  const off =
    w.monitorOffSeconds > 0 ? ` (MONITOR off ${w.monitorOffSeconds}s of ${windowSeconds(inv)}s: incomplete)` : w.monitorOff.length > 0 ? ' (incomplete: see the notes)' : '';
  const k = inv.keyspace;
  const keyspaceNote = k
    ? `, keyspace: ${countText(k.sampled)} of ${countText(k.dbsize)} keys in ${k.patterns.length} patterns (${k.complete ? 'complete' : k.end === 'sample' ? 'sample size reached' : k.end === 'error' ? `failed: ${k.reason ?? 'error'}` : 'partial'})`
    : '';
  return (
    `redis-recon: ${clean(where)}${cluster}: ${inv.clients.length} clients (${unnamed} unnamed), ` +
    `${w.monitorEvents} MONITOR events${off}, ${w.unparsedLines} unparsed, ${inv.prefixes.length} prefixes, ` +
    // Counted as people count: library versions, in how many services (src/ui/services.ts).
    `${upgradeText(upgradeSummary(inv.clients))}` +
    `${keyspaceNote}${cutoverNote(inv)}${clean(monitorNote)}${wrote}`
  );
}

/** `, cutover to 10.0.0.9:6380: 2 source only, 1 moving, 1 both, 0 target only, 3 done`. */
function cutoverNote(inv: Inventory): string {
  const c = inv.cutover;
  if (!c) return '';
  return `, cutover to ${clean(c.target.endpoint)}: ${CUTOVER_STATES.map((st) => `${c.counts[st]} ${st}`).join(', ')}`;
}

/** Resolves once the keyspace scan has ended (read to the end, the sample size, an error). */
function scanEnded(store: ReconStore): Promise<void> {
  return new Promise((resolve) => {
    const check = (st: ReturnType<ReconStore['getState']>): boolean => {
      const phase = st.view.keyspace?.summary.phase;
      return phase === 'done' || phase === 'error';
    };
    if (check(store.getState())) return resolve();
    const unsubscribe = store.subscribe((st) => {
      if (check(st)) {
        unsubscribe();
        resolve();
      }
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
