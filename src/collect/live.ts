// The collector for one live node: its poll connection, its MONITOR connection, one NodeCore, and
// the safety around MONITOR, all local to the node and failing closed:
// - the buffer guard reads our MONITOR connection's `omem` at every poll; past the limit MONITOR
//   closes and comes back after a cool-down that grows if it keeps tripping;
// - blind: without a CLIENT LIST answer the guard cannot see, so MONITOR closes until polls answer,
//   once the server is seen serving meanwhile (MONITOR lines arrive, or it refuses the poll). A
//   server that answers nothing at all (CLIENT PAUSE, DEBUG SLEEP, a long script, a restart) sends
//   MONITOR nothing either, so nothing can pile up for it: MONITOR stays open through the stall and
//   misses nothing when the server wakes;
// - hidden: where CLIENT LIST does not show our MONITOR connection (some proxies), MONITOR runs in a
//   short duty cycle, with a warning, unless the user accepted the risk (--monitor-unguarded);
// - the health gate: memory pressure, loading, failover, resync, climbing latency;
// - the watchdog: the main thread's heartbeats stop (a stalled terminal) or our own backlog grows:
//   MONITOR closes at once and comes back when things are healthy again.
import type { Config } from '../config.ts';
import bytes from 'bytes';
import { commandTableFromServer } from '../commands/commandTable.ts';
import { healthProblem, RttTracker } from '../analysis/health.ts';
import { adaptiveInterval, clientListStat, parseCommandStat, usecPerCall, type CommandStat } from '../analysis/pollCost.ts';
import type { Auditor } from '../analysis/session.ts';
import { startPoller, type Poller } from '../sources/poller.ts';
import { serverAuditorFor } from '../audit/auditor.ts';
import { SAMPLED_MONITOR } from '../bounds.ts';
import { monitorConnection, type MonitorConnection } from '../sources/monitor.ts';
import { isSelfClient, selfName, type Redis } from '../sources/connect.ts';
import type { PollResult } from '../types.ts';
import { NodeCore } from './nodeCore.ts';
import { MonitorGate } from './monitorGate.ts';
import { Courier } from './courier.ts';
import { recordTap } from './tap.ts';
import { commandNames, keyspaceKeys, moduleNames, type EndpointFacts } from '../parse/endpointFacts.ts';
import { OwnCalls, countedClient } from './ownCalls.ts';
import { keyspaceSampler, DEFAULT_KEYSPACE_RATE } from './keyspace.ts';
import { ClusterWatch, identifyNode, type NodeIdentity } from './clusterWatch.ts';
import type { CollectorInit, FromCollector, MonitorPhase, NodeDelta, NodeMonitor, NodeStatus, PollState, ToCollector } from './protocol.ts';

/** MONITOR lines waiting in the collector beyond which it is falling behind: MONITOR closes. */
export const BACKLOG_HOLD_LINES = 500_000;
/** Where the guard cannot see our connection: on this long in every on + off. */
export const HIDDEN_DUTY = { onMs: 10_000, offMs: 50_000 } as const;
/** Said once MONITOR runs where the buffer guard cannot see it, because --monitor-unguarded asked. */
export const UNGUARDED_NOTICE =
  'MONITOR runs unguarded (--monitor-unguarded): CLIENT LIST does not show our MONITOR connection, so the buffer guard cannot watch what the server holds for it';
/** Heartbeats steady this long after a stall before MONITOR comes back. */
const STEADY_MS = 2000;
const GATE_TICK_MS = 250;
/** How long the last poll of a run may take before the run ends without it. */
const FINAL_POLL_MS = 1500;

export interface Collector {
  onMessage(msg: ToCollector): void;
}

export function startLiveCollector(init: CollectorInit, config: Config, nodeId: string, auditor: Auditor | undefined, send: (m: FromCollector) => void): Collector {
  const now = Date.now;
  // Without a cluster role (a caller that predates clusters) the node is watched alone, as pinned.
  const clusterRole = init.spec.kind === 'live' ? init.spec.cluster : undefined;
  const mode = clusterRole?.mode ?? 'pinned';
  /** A cutover session (--to): which endpoint this node belongs to; absent otherwise. */
  const side = init.spec.kind === 'live' ? init.spec.endpoint : undefined;
  // A cluster node's records carry its node, so a replay rebuilds one collector per node; a
  // cutover's target records carry their endpoint.
  const tap = init.record
    ? recordTap({ values: init.record.values, ...(mode === 'node' ? { node: nodeId } : {}), ...(side ? { endpoint: side } : {}), sink: (text, kind) => send({ t: 'tap', text, kind }) })
    : undefined;
  /** A cutover session's facts about this node (keys, modules, commands, cluster mode). */
  let facts: EndpointFacts = {};
  const gate = new MonitorGate(init.desired, now);
  /** Sampled MONITOR: the duty cycle, always in force (the guard seeing our connection does not lift it). */
  const sampled = init.sample ? { onMs: init.sample.onMs, offMs: init.sample.periodMs - init.sample.onMs } : undefined;
  const SAMPLED_WHY = 'sampled (--monitor sampled)';
  if (sampled) gate.setDuty(sampled, SAMPLED_WHY, true);
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
  const hiddenDuty = init.tuning?.hiddenDuty ?? HIDDEN_DUTY;
  const backlogHoldLines = init.tuning?.backlogHoldLines ?? BACKLOG_HOLD_LINES;
  /**
   * No CLIENT LIST answer for this long means the guard is blind. It follows the interval in force:
   * polls spaced out for a large server (30 s at most) are not silence.
   */
  const blindAfterMs = (): number => Math.max(2 * intervalMs, 5000);
  let poll: PollState = { polls: 0, intervalMs: config.pollIntervalMs };
  let intervalMs = config.pollIntervalMs;
  let lastStat: CommandStat | undefined;
  let omem: number | undefined;
  let guard: NodeMonitor['guard'] = 'idle';
  /** Polls answered since MONITOR last came on that did not list our MONITOR connection. */
  let unseenPolls = 0;
  let monitorOnAt: number | undefined;
  /** MONITOR lines since the last watch tick: the server is serving (and sending us output). */
  let linesSinceWatch = 0;
  /** When the server last answered a poll with an error (it is up, but refuses us CLIENT LIST). */
  let pollRefusedAt: number | undefined;
  /** Time without a CLIENT LIST answer during which the server was seen serving: the blind clock. */
  let unwatchedMs = 0;
  let lastWatchAt = now();
  /** Consecutive polls whose PING was slow: one slow answer is a stall that is over, two are a trend. */
  let slowPolls = 0;
  /** CLIENT PAUSE calls at the last poll (INFO commandstats), the server's run and when it was read. */
  let lastPauses: number | undefined;
  let lastRunId: string | undefined;
  let lastPollAt: number | undefined;
  /** What the MONITOR connection last reported. */
  let monitorPhase: MonitorPhase = 'off';
  let failed = false;
  let stopping = false;
  let lastPhase: MonitorPhase = 'off';
  // The keyspace sampler: its own connection, opened when first started (--keyspace or the key).
  const keyspace = init.keyspace ?? { rate: DEFAULT_KEYSPACE_RATE, sample: 0, run: false };
  /** Our commands outside the poller's own count (cluster topology, command table, keyspace sampler, MONITOR's set-up). */
  const own = new OwnCalls();
  const sampler = keyspaceSampler(config, keyspace, { delimiter: init.delimiter, now, requestPoll: () => poller.pollSoon(), own });

  // Who the node is, asked once its poll connection is up. Until then nothing is counted and MONITOR
  // stays closed: a seed that turns out to be a cluster node only reports the topology (the engine
  // watches every node at the address the cluster announces and retires it), so nothing it saw may
  // have been counted or recorded.
  let identity: NodeIdentity | undefined;
  let identifying: Promise<void> | undefined;
  let retiring = false;
  let nodeWatch: ClusterWatch | undefined;
  let pollClient: Redis | undefined;
  /** The newest poll that arrived before the node was identified. */
  let earlyPoll: PollResult | undefined;

  const monitor: MonitorConnection = monitorConnection(config, {
    onLine(line) {
      linesSinceWatch++;
      if (!core.pushLine(line) || core.backlog > backlogHoldLines) {
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
      monitorPhase = phase;
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
        unwatchedMs = 0;
        // Poll now, so the guard sees the new connection at once. Not pollSoon: its one early poll
        // per interval is what an address MONITOR shows before any poll listed it needs (a cluster
        // node's MONITOR opens after the first poll answered, and would otherwise use it up).
        void poller.pollNow().catch(() => {});
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
    // A cluster node's MONITOR waits for its role (a replica opens none unless asked).
    const known = identity !== undefined && !retiring && (nodeWatch === undefined || nodeWatch.roleKnown);
    const run = gate.shouldRun() && known;
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
    unwatchedMs = 0;
    pollRefusedAt = undefined;
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
          gate.setDuty(sampled, SAMPLED_WHY, true);
        }
        if (mine.omem > init.monitorMaxOmem) {
          gate.hold('guard', `buffer guard: the server held ${mb(mine.omem)} for our MONITOR connection (limit ${mb(init.monitorMaxOmem)})`, true);
        }
      } else if (++unseenPolls >= 2) {
        omem = undefined;
        if (init.unguarded) {
          // Accepted by the user, but never silently: a notice on the status bar and in the summary.
          if (guard !== 'unguarded') core.notice(UNGUARDED_NOTICE);
          guard = 'unguarded';
        } else if (guard !== 'hidden') {
          guard = 'hidden';
          // Sampled already at most this often: the sample stays (its counts are scaled).
          if (!sampled || sampled.onMs / (sampled.onMs + sampled.offMs) > hiddenDuty.onMs / (hiddenDuty.onMs + hiddenDuty.offMs)) {
            gate.setDuty(hiddenDuty, 'buffer guard cannot see our MONITOR connection in CLIENT LIST (a proxy hides it)');
          }
        }
      }
    }
    // The health gate.
    if (p.rttMs !== undefined) rtt.add(p.rttMs);
    sampler.observe(p, rtt.usual);
    const problem = healthProblem(p.info, p.rttMs, rtt.usual);
    // Latency alone must last two polls: a single slow PING measured a stall that is already over
    // (a CLIENT PAUSE, a DEBUG SLEEP, one slow command), and closing MONITOR now would only lose the
    // traffic that follows it.
    const latencyOnly = problem !== undefined && healthProblem(p.info) === undefined;
    slowPolls = latencyOnly ? slowPolls + 1 : 0;
    if (problem && (!latencyOnly || slowPolls >= 2)) gate.hold('health', problem);
    else gate.release('health');
    // CLIENT PAUSE since the last poll: Valkey runs the command each client sent during the pause
    // once it ends, and never shows that command to MONITOR (measured on 8.0; Redis 7.0 shows it).
    // MONITOR cannot see it, so the run says so.
    const pauses = parseCommandStat(p.commandstats?.['cmdstat_client|pause'])?.calls;
    const runId = p.info['run_id'];
    if (pauses !== undefined && lastPauses !== undefined && runId === lastRunId && pauses > lastPauses && lastPollAt !== undefined && p.server.name === 'valkey') {
      gate.missed(lastPollAt, p.at, 'CLIENT PAUSE ran on the server: Valkey never shows MONITOR a command postponed by a pause, so up to one command per client that was waiting is not counted');
    }
    if (p.commandstats) lastPauses = pauses ?? 0;
    lastRunId = runId;
    lastPollAt = p.at;
    // What CLIENT LIST costs decides how often it may run.
    const stat = p.commandstats ? clientListStat(p.commandstats) : undefined;
    const usec = usecPerCall(lastStat, stat);
    if (stat) lastStat = stat;
    intervalMs = adaptiveInterval(config.pollIntervalMs, p.clients.length, usec ?? poll.clientListUsec);
    poller.setInterval(intervalMs);
    poll = { ...poll, intervalMs, ...(usec !== undefined ? { clientListUsec: Math.round(usec) } : {}) };
    reconcile();
  };

  /** A poll counted: the cluster facts first (role, replication link, MONITOR policy), then the session. */
  const admit = (p: PollResult): void => {
    if (side) facts = { ...facts, ...keyspaceKeys(p.info), ...(p.info['cluster_enabled'] !== undefined ? { clusterEnabled: p.info['cluster_enabled'] === '1' } : {}) };
    if (nodeWatch) {
      nodeWatch.afterPoll(p, pollClient);
      core.dropSources = nodeWatch.replicationSources;
      gate.setStandby(nodeWatch.standby());
      const facts = nodeWatch.facts(core.replicated);
      core.cluster = facts ? { id: facts.id, addr: config.endpoint, role: facts.role, ...(facts.primaryId ? { primaryId: facts.primaryId } : {}), slots: facts.slots } : undefined;
    }
    core.pushPoll(p);
  };

  const identify = (client: Redis): Promise<void> =>
    (identifying ??= identifyNode(client).then((id) => {
      identity = id;
      if (id.cluster) {
        retiring = mode === 'seed' && id.clusterId !== undefined;
        if (retiring) gate.setStandby('a cluster node: redis-recon watches every node of the cluster instead');
        if (id.clusterId === undefined) core.notice(`${config.endpoint} is a cluster node, but its cluster id cannot be read (CLUSTER MYID and CLUSTER NODES refused): watching this node only`);
        nodeWatch = new ClusterWatch({
          key: nodeId,
          clusterId: id.clusterId,
          monitorReplicas: clusterRole?.monitorReplicas ?? false,
          pinned: mode !== 'node',
          report: (report) => send({ t: 'topology', report }),
          notice: (m) => core.notice(m),
          // A seed that cannot read the topology cannot fan out: it watches its own node after all.
          refused: () => {
            if (!retiring) return;
            retiring = false;
            gate.setStandby(undefined);
            core.notice(`${config.endpoint} is a cluster node, but the topology cannot be read from it: watching this node only`);
            reconcile();
          },
          now,
        });
      }
      const early = earlyPoll;
      earlyPoll = undefined;
      if (early && !retiring) admit(early);
      // The topology at once: a seed's fan-out (or a node's place) must not wait for the next poll.
      if (nodeWatch) void nodeWatch.refreshTopology(client);
      reconcile();
    }));

  let tableRequested = false;
  const poller: Poller = startPoller(config, {
    onResult(p) {
      if (identity === undefined) earlyPoll = p;
      else if (retiring) nodeWatch?.afterPoll(p, pollClient);
      else admit(p);
      afterPoll(p);
    },
    // Our other commands join the poller's own, so the command mix leaves them out.
    ownCalls: (): Record<string, number> =>
      own.with(monitorOpens > 0 ? { monitor: monitorOpens, 'client|id': monitorOpens, 'client|setname': monitorOpens, 'client|setinfo': 2 * monitorOpens } : {}),
    onError(message, fatal, answered) {
      poll = { ...poll, lastError: message, lastErrorAt: now(), gaveUp: fatal };
      if (answered) pollRefusedAt = now();
    },
    onReady(client) {
      // The server is back (the poll connection reconnected): a MONITOR connection still waiting out
      // its own backoff reconnects now, so it misses as little of the traffic that resumes as it can.
      if (monitorPhase === 'reconnecting' && monitor.isOpen) {
        monitor.close();
        reconcile();
      }
      pollClient = countedClient(client, own);
      void identify(pollClient);
      if (tableRequested) return;
      tableRequested = true;
      // Counted as our own calls, so the server's command mix leaves them out.
      if (side) void readEndpointFacts(pollClient).then((f) => (facts = { ...facts, ...f }));
      void commandTableFromServer(pollClient).then(({ table, source, warning }) => core.useCommandTable(table, source, warning));
    },
  });

  poller.ready.then(
    async (client) => {
      pollClient = countedClient(client, own);
      await identify(pollClient);
      send({ t: 'ready' });
      reconcile();
      if (keyspace.run && !stopping) sampler.start();
    },
    (err: unknown) => {
      // The poll connection gave up (wrong password, TLS refused): MONITOR will not start either, and
      // must not sit at "connecting" on screen for ever.
      const message = (err as Error).message;
      failed = true;
      gate.connection('error', `not started: ${message}`);
      send({ t: 'connect-failed', message });
    },
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
    ...(nodeWatch && !retiring ? optionalCluster(nodeWatch.facts(core.replicated)) : {}),
    ...(side ? { endpoint: side, facts } : {}),
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
    const t = now();
    const dt = t - lastWatchAt;
    lastWatchAt = t;
    if (monitor.isOpen && monitorOnAt !== undefined) {
      const since = Math.max(poll.lastAt ?? 0, monitorOnAt);
      // The blind clock runs only while the server is seen serving (see the top of this file).
      const serving = linesSinceWatch > 0 || (pollRefusedAt !== undefined && pollRefusedAt >= since);
      if (serving) unwatchedMs += dt;
      if (unwatchedMs > blindAfterMs()) {
        gate.hold('blind', `buffer guard: no CLIENT LIST answer for ${Math.round((t - since) / 1000)}s while the server kept serving (${poll.lastError ?? 'no answer'}), so the server's buffer for MONITOR cannot be watched`);
      }
    }
    linesSinceWatch = 0;
    reconcile();
  };

  const gateTimer = setInterval(watch, GATE_TICK_MS);

  /**
   * The node's delta, with the keyspace sampler's report when it has news (all of it when `force`).
   * A retiring seed sends its state only: it counted nothing, and its node is watched by another collector.
   */
  const delta = (force = false, paced = false): NodeDelta => {
    if (retiring) return { status: status(), totals: { events: 0, reads: 0, writes: 0, keyed: 0, eventsPerSec: 0 } };
    // `force` is for the sampler's report only: a sync or the final delta carries what changed, unpaced.
    const d = core.delta(status(), false, paced);
    const report = sampler.report(force);
    return report ? { ...d, keyspace: report } : d;
  };

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
        courier.deliver([delta(true)], false, true);
      } else if (courier.ready()) courier.deliver([delta(false, true)]);
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
    await sampler.close();
    // The last picture, but bounded: a server that does not answer (paused, asleep, gone) must not
    // keep the last lines from being counted, nor the run from ending.
    await Promise.race([poller.pollNow().catch(() => {}), new Promise((r) => setTimeout(r, FINAL_POLL_MS))]);
    while (flushing) await new Promise((r) => setTimeout(r, 5));
    await core.flush();
    noteRecordedPhase();
    tap?.drain();
    courier.deliver([delta(true)], true);
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
        case 'keyspace':
          if (stopping) break;
          if (msg.run) sampler.start();
          else sampler.stop(msg.reason ?? 'stopped by you');
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

/** Modules and commands, asked once (a server that refuses either just leaves it unknown). */
async function readEndpointFacts(client: Redis): Promise<EndpointFacts> {
  const [modules, commands] = await Promise.all([
    client.sendCommand(['MODULE', 'LIST']).then(moduleNames, () => undefined),
    client.sendCommand(['COMMAND', 'LIST']).then(commandNames, () => undefined),
  ]);
  return { ...(modules ? { modules } : {}), ...(commands && commands.length > 0 ? { commands } : {}) };
}

const optionalCluster = (c: NodeStatus['cluster']): { cluster?: NodeStatus['cluster'] } => (c ? { cluster: c } : {});
