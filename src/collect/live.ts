// The collector for one live node: its poll connection, its MONITOR connection, one NodeCore, and
// the safety around MONITOR, all local to the node and failing closed:
// - the buffer guard reads our MONITOR connection's `omem` at every poll; past the limit MONITOR
//   closes and comes back after a cool-down that grows if it keeps tripping;
// - blind: without a CLIENT LIST answer the guard cannot see, so MONITOR closes until polls answer;
// - hidden: where CLIENT LIST does not show our MONITOR connection (some proxies), MONITOR runs in a
//   short duty cycle, with a warning, unless the user accepted the risk (--monitor-unguarded);
// - the health gate: memory pressure, loading, failover, resync, climbing latency;
// - the watchdog: the main thread's heartbeats stop (a stalled terminal) or our own backlog grows:
//   MONITOR closes at once and comes back when things are healthy again.
import type { Config } from '../config.ts';
import bytes from 'bytes';
import { commandTableFromServer } from '../commands/commandTable.ts';
import { healthProblem, RttTracker } from '../analysis/health.ts';
import { adaptiveInterval, clientListStat, usecPerCall, type CommandStat } from '../analysis/pollCost.ts';
import type { Auditor } from '../analysis/session.ts';
import { startPoller, type Poller } from '../sources/poller.ts';
import { serverAuditorFor } from '../audit/auditor.ts';
import { SAMPLED_MONITOR } from '../bounds.ts';
import { monitorConnection, type MonitorConnection } from '../sources/monitor.ts';
import { isSelfClient, selfName } from '../sources/connect.ts';
import type { PollResult } from '../types.ts';
import { NodeCore } from './nodeCore.ts';
import { MonitorGate } from './monitorGate.ts';
import { Courier } from './courier.ts';
import { recordTap } from './tap.ts';
import type { CollectorInit, FromCollector, MonitorPhase, NodeMonitor, NodeStatus, PollState, ToCollector } from './protocol.ts';

/** MONITOR lines waiting in the collector beyond which it is falling behind: MONITOR closes. */
export const BACKLOG_HOLD_LINES = 500_000;
/** Where the guard cannot see our connection: on this long in every on + off. */
export const HIDDEN_DUTY = { onMs: 10_000, offMs: 50_000 } as const;
/** Heartbeats steady this long after a stall before MONITOR comes back. */
const STEADY_MS = 2000;
const GATE_TICK_MS = 250;

export interface Collector {
  onMessage(msg: ToCollector): void;
}

export function startLiveCollector(init: CollectorInit, config: Config, nodeId: string, auditor: Auditor | undefined, send: (m: FromCollector) => void): Collector {
  const now = Date.now;
  const tap = init.record ? recordTap({ values: init.record.values, sink: (text, kind) => send({ t: 'tap', text, kind }) }) : undefined;
  const gate = new MonitorGate(init.desired, now);
  /** Sampled MONITOR: the duty cycle, always in force (the guard seeing our connection does not lift it). */
  const sampled = init.sample ? { onMs: init.sample.onMs, offMs: init.sample.periodMs - init.sample.onMs } : undefined;
  const SAMPLED_WHY = 'sampled (--monitor sampled)';
  if (sampled) gate.setDuty(sampled, SAMPLED_WHY);
  let windowLines = 0;
  let cappedWindows = 0;
  const serverAudit = init.audit ? serverAuditorFor(init.audit.target) : undefined;
  const core = new NodeCore({
    nodeId,
    delimiter: init.delimiter,
    isSelf: isSelfClient,
    auditor,
    now,
    tap,
    ...(serverAudit ? { serverAudit } : {}),
    // Sampled, counts are scaled by how much of each client's life MONITOR watched, and rates run
    // on MONITOR's own on-time (they hold between windows instead of decaying to 0).
    ...(sampled ? { monitorClock: () => ({ at: now(), on: gate.onClock() }), rateClock: () => gate.onClock() } : {}),
  });
  const courier = new Courier(send, now);
  /** MONITOR commands this collector had run (each start, reconnects included), for the command mix to leave out. */
  let monitorOpens = 0;
  const rtt = new RttTracker();
  const blindAfterMs = Math.max(2 * config.pollIntervalMs, 5000);
  let poll: PollState = { polls: 0, intervalMs: config.pollIntervalMs };
  let intervalMs = config.pollIntervalMs;
  let lastStat: CommandStat | undefined;
  let omem: number | undefined;
  let guard: NodeMonitor['guard'] = 'idle';
  /** Polls answered since MONITOR last came on that did not list our MONITOR connection. */
  let unseenPolls = 0;
  let monitorOnAt: number | undefined;
  let failed = false;
  let stopping = false;
  let lastPhase: MonitorPhase = 'off';

  const monitor: MonitorConnection = monitorConnection(config, {
    onLine(line) {
      if (!core.pushLine(line) || core.backlog > BACKLOG_HOLD_LINES) {
        gate.hold('backlog', `redis-recon fell behind (${core.backlog.toLocaleString('en')} lines waiting): MONITOR closed so the server buffers nothing`, true);
        reconcile();
      } else if (sampled && ++windowLines >= SAMPLED_MONITOR.linesPerWindow) {
        // A burst: this window has read its share; the next one starts on time.
        windowLines = 0;
        cappedWindows++;
        gate.cutDutyWindow();
        reconcile();
      }
    },
    onPhase(phase, reason) {
      if (phase === 'off') {
        gate.connection('off');
        monitorOnAt = undefined;
        return;
      }
      if (phase === 'error') failed = true;
      if (phase === 'on') {
        // The server has run MONITOR (and the connection's CLIENT ID, SETNAME, SETINFO) by now.
        monitorOpens++;
        monitorOnAt = now();
        unseenPolls = 0;
        windowLines = 0;
        // Poll soon, so the guard sees the new connection at once.
        poller.pollSoon();
      }
      gate.connection(phase, reason);
      noteRecordedPhase();
    },
  });

  const noteRecordedPhase = (): void => {
    const s = gate.status({ guard });
    if (s.phase !== lastPhase) {
      lastPhase = s.phase;
      tap?.monitor(now(), s.phase, s.reason);
    }
  };

  /** Opens or closes MONITOR to match the gate. */
  const reconcile = (): void => {
    if (stopping) return;
    const run = gate.shouldRun();
    if (run && !monitor.isOpen && !failed) monitor.open();
    else if (!run && monitor.isOpen) {
      monitor.close();
      omem = undefined;
    }
    if (!run) guard = 'idle';
    noteRecordedPhase();
  };

  const afterPoll = (p: PollResult): void => {
    poll = { ...poll, lastAt: p.at, polls: poll.polls + 1, lastError: undefined, gaveUp: false };
    gate.release('blind');
    // The buffer guard: our MONITOR connection, by id (known from CLIENT ID) or by name.
    if (monitor.isOpen && monitorOnAt !== undefined && p.startedAt >= monitorOnAt) {
      const id = monitor.clientId;
      const mine = p.clients.find((c) => (id !== undefined && c.id === id) || c.name === selfName('monitor'));
      if (mine) {
        unseenPolls = 0;
        omem = mine.omem;
        if (guard !== 'watching') {
          guard = 'watching';
          gate.setDuty(sampled, SAMPLED_WHY);
        }
        if (mine.omem > init.monitorMaxOmem) {
          gate.hold('guard', `buffer guard: the server held ${mb(mine.omem)} for our MONITOR connection (limit ${mb(init.monitorMaxOmem)})`, true);
        }
      } else if (++unseenPolls >= 2) {
        omem = undefined;
        if (init.unguarded) guard = 'unguarded';
        else if (guard !== 'hidden') {
          guard = 'hidden';
          // Sampled already at most this often: the sample stays (its counts are scaled).
          if (!sampled || sampled.onMs / (sampled.onMs + sampled.offMs) > HIDDEN_DUTY.onMs / (HIDDEN_DUTY.onMs + HIDDEN_DUTY.offMs)) {
            gate.setDuty(HIDDEN_DUTY, 'buffer guard cannot see our MONITOR connection in CLIENT LIST (a proxy hides it)');
          }
        }
      }
    }
    // The health gate.
    if (p.rttMs !== undefined) rtt.add(p.rttMs);
    const problem = healthProblem(p.info, p.rttMs, rtt.usual);
    if (problem) gate.hold('health', problem);
    else gate.release('health');
    // What CLIENT LIST costs decides how often it may run.
    const stat = p.commandstats ? clientListStat(p.commandstats) : undefined;
    const usec = usecPerCall(lastStat, stat);
    if (stat) lastStat = stat;
    intervalMs = adaptiveInterval(config.pollIntervalMs, p.clients.length, usec ?? poll.clientListUsec);
    poller.setInterval(intervalMs);
    poll = { ...poll, intervalMs, ...(usec !== undefined ? { clientListUsec: Math.round(usec) } : {}) };
    reconcile();
  };

  let tableRequested = false;
  const poller: Poller = startPoller(config, {
    onResult(p) {
      core.pushPoll(p);
      afterPoll(p);
    },
    // Our MONITOR connections' commands join the poller's own, so the command mix leaves them out.
    ownCalls: (): Record<string, number> =>
      monitorOpens > 0 ? { monitor: monitorOpens, 'client|id': monitorOpens, 'client|setname': monitorOpens, 'client|setinfo': 2 * monitorOpens } : {},
    onError(message, fatal) {
      poll = { ...poll, lastError: message, lastErrorAt: now(), gaveUp: fatal };
    },
    onReady(client) {
      if (tableRequested) return;
      tableRequested = true;
      void commandTableFromServer(client).then(({ table, source, warning }) => core.useCommandTable(table, source, warning));
    },
  });

  poller.ready.then(
    () => {
      send({ t: 'ready' });
      reconcile();
    },
    (err: unknown) => send({ t: 'connect-failed', message: (err as Error).message }),
  );

  const status = (): NodeStatus => ({
    id: nodeId,
    addr: config.endpoint,
    ...(core.server ? { server: core.server } : {}),
    poll,
    monitor: {
      ...gate.status({ guard, ...(omem !== undefined ? { omem } : {}) }),
      ...(init.sample ? { sample: { onMs: init.sample.onMs, periodMs: init.sample.periodMs, linesPerWindow: SAMPLED_MONITOR.linesPerWindow, cappedWindows } } : {}),
    },
    stream: core.stream,
    commandTable: core.commandTable,
    notices: [...core.notices],
    clock: now(),
  });

  /** Safety checks that do not wait for a poll: the heartbeat watchdog and blindness. */
  const watch = (): void => {
    if (courier.silentForMs > init.stallMs) {
      if (!gate.isHeld('stall')) {
        gate.hold('stall', `the screen stopped reading for ${Math.round(courier.silentForMs / 1000)}s (terminal not drained): MONITOR closed so the server buffers nothing`);
      }
    } else if (gate.isHeld('stall') && courier.steadyFor(STEADY_MS)) {
      gate.release('stall');
    }
    if (monitor.isOpen && monitorOnAt !== undefined) {
      const since = Math.max(poll.lastAt ?? 0, monitorOnAt);
      if (now() - since > blindAfterMs) {
        gate.hold('blind', `buffer guard: no CLIENT LIST answer for ${Math.round((now() - since) / 1000)}s (${poll.lastError ?? 'no answer'}), so the server's buffer for MONITOR cannot be watched`);
      }
    }
    reconcile();
  };

  const gateTimer = setInterval(watch, GATE_TICK_MS);

  let flushing = false;
  let syncWanted = false;
  const tick = async (): Promise<void> => {
    if (flushing || stopping) return;
    flushing = true;
    try {
      await core.flush();
      if (core.takeUnknownAddresses()) poller.pollSoon();
      tap?.drain();
      if (syncWanted) {
        syncWanted = false;
        courier.deliver([core.delta(status())], false, true);
      } else if (courier.ready()) courier.deliver([core.delta(status())]);
    } finally {
      flushing = false;
    }
  };
  const flushTimer = setInterval(() => void tick(), config.flushIntervalMs);

  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearInterval(flushTimer);
    clearInterval(gateTimer);
    gate.setDesired('off', 'the run ended');
    monitor.close();
    await poller.pollNow().catch(() => {});
    while (flushing) await new Promise((r) => setTimeout(r, 5));
    await core.flush();
    noteRecordedPhase();
    tap?.drain();
    courier.deliver([core.delta(status())], true);
    await poller.stop();
    send({ t: 'stopped' });
  };

  return {
    onMessage(msg) {
      switch (msg.t) {
        case 'hb':
          courier.heartbeat();
          break;
        case 'ack':
          courier.ack(msg.seq);
          break;
        case 'monitor':
          if (msg.desired === 'on') failed = false;
          gate.setDesired(msg.desired, msg.reason);
          reconcile();
          break;
        case 'poll':
          poller.pollSoon();
          break;
        case 'sync':
          syncWanted = true;
          void tick();
          break;
        case 'stop':
          void stop();
          break;
        default:
          break;
      }
    },
  };
}

const mb = (n: number): string => bytes.format(n, { unitSeparator: ' ' }) ?? `${n} B`;
