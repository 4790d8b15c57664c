// The one store. Collectors report into it (through the engine's merger) at most once per delta;
// the UI and keyboard read and act on it. Intent (what the user wants MONITOR to do) is kept apart
// from fact (what each node's MONITOR is doing): a key press never touches a socket, the engine
// forwards the intent to every collector and each reports back what it did and why.
import { createStore, type StoreApi } from 'zustand/vanilla';
import { BOUNDS } from './bounds.ts';
import type { ServerIdentity } from './types.ts';
import type { SessionView } from './analysis/session.ts';
import { emptyView } from './analysis/session.ts';
import { createUiSlice, type UiSlice } from './ui/uiSlice.ts';
import { recordSnapshot, type CountSnapshot } from './ui/window.ts';
import type { HoldKind, MonitorDesire, MonitorPhase, NodeMonitor, NodeStatus, OffPeriod } from './collect/protocol.ts';
import type { ClusterState } from './collect/cluster.ts';
import { CutoverTracker, RECENT_WRITES_MS, type CutoverService } from './analysis/cutover.ts';
import { cutoverNames } from './owners/cutoverNames.ts';
import { writesByName } from './commands/commandTable.ts';
import type { OwnerMap } from './owners/ownerMap.ts';
import type { DnsHint } from './owners/reverseDns.ts';

export type { ClusterState, MonitorDesire, MonitorPhase, NodeStatus };

/** The view narrowed to some nodes (their keys): clients, prefix tree, top keys and totals of those only. */
export type NarrowView = (nodeKeys: readonly string[]) => SessionView;

/** MONITOR over every node, summed up for the status bar, the headless summary and the export. */
export interface MonitorStatus {
  readonly desired: MonitorDesire;
  /** Why the intent is what it is (paused by you, budget used up, the run ended). */
  readonly desiredReason?: string;
  readonly phase: MonitorPhase;
  /** Why MONITOR is paused, stopped or failing, in words for the status bar. */
  readonly reason?: string;
  /** Set when something other than the user holds it off; it comes back by itself. */
  readonly hold?: HoldKind;
  /** Wall time when the current 'on' period began. */
  readonly onSince?: number;
  /** Time spent with MONITOR on in earlier periods. */
  readonly onBeforeMs: number;
  readonly budgetMs?: number;
  /** The server's output buffer for our MONITOR connection at the last poll (bytes; the largest over nodes). */
  readonly omem?: number;
  readonly maxOmem: number;
  readonly guard: NodeMonitor['guard'];
  /** When and why MONITOR was held off (per node when there are several). */
  readonly offPeriods: readonly OffPeriod[];
  /** `--monitor`: on, sampled or off (absent: on, or off when never wanted). */
  readonly mode?: 'on' | 'sampled' | 'off';
  /** Sampled MONITOR's duty cycle, as the nodes report it. */
  readonly sample?: NonNullable<NodeMonitor['sample']>;
}

export interface StreamCounts {
  readonly lines: number;
  readonly unparsed: number;
  /** Why lines did not parse, with counts (never their text: a line may hold values). */
  readonly unparsedReasons: Readonly<Record<string, number>>;
  /** Lines dropped because redis-recon fell behind. */
  readonly dropped: number;
  readonly eventsPerSec: number;
}

export interface PollStatus {
  readonly lastAt?: number;
  readonly polls: number;
  readonly lastError?: string;
  readonly lastErrorAt?: number;
  /** The poller gave up (bad password, missing permission, TLS refused): retrying cannot help. */
  readonly gaveUp?: boolean;
  readonly intervalMs?: number;
}

/** What the user wants of the keyspace sampler; what it does is in `view.keyspace`. */
export interface KeyspaceIntent {
  readonly desired: 'on' | 'off';
  readonly reason?: string;
  /** Only a live server can be sampled (not a recording or a capture). */
  readonly available: boolean;
}

/**
 * The migration target (--to) in a cutover session: its own nodes and clients, kept apart from the
 * source's so that nothing of the source's inventory, audit or counts includes them.
 */
export interface TargetSide {
  readonly endpoint: string;
  readonly nodes: readonly NodeStatus[];
  readonly view: SessionView;
  readonly server?: ServerIdentity;
  readonly poll: PollStatus;
  /** Why the target cannot be watched (bad URL, wrong password, down), in words; the source goes on. */
  readonly error?: string;
}

/** Who is behind the addresses: the `--hosts` files, and reverse-DNS hints with `--resolve` (src/owners). */
export interface OwnersState {
  readonly map: OwnerMap | null;
  /** Answers by client address; a new map on every batch, so selectors see the change. */
  readonly dns: ReadonlyMap<string, DnsHint>;
}

/** Reverse-DNS answers the store keeps (the resolver's own cache is as large). */
const DNS_KEPT = 4096;

export interface ReconState {
  readonly endpoint: string;
  /** The migration target the findings are for (--target), always named in the header. */
  readonly target?: { readonly id: string; readonly title: string };
  /** Set when a recording or capture has been read to its end: what it said, and how to see it again. */
  readonly ended?: { readonly summary: string; readonly restartable: boolean };
  /** Asks the dashboard's edge to replay the recording from the start (`r` after it ended). */
  readonly restartRequest?: number;
  /** The clients' counts every few seconds, for the clients table's time window (`w`; src/ui/window.ts). */
  readonly history: readonly CountSnapshot[];
  /** When the view was last published (the source's clock). */
  readonly viewAt?: number;
  /** Set in a cutover session (--to, or the replay of one): the target endpoint's side (`target` is the --target profile). */
  readonly to?: TargetSide;
  /** Cutover: a service with no traffic on the source for this long is done. */
  readonly quietAfterMs: number;
  /** Cutover: every service across both endpoints with its state, as of the last publish (empty without a target). */
  readonly cutover: readonly CutoverService[];
  readonly startedAt: number;
  readonly server?: ServerIdentity;
  /** Every node's own state, in the order they first reported. */
  readonly nodes: readonly NodeStatus[];
  /** Set when the endpoint is a cluster node: the cluster's nodes (watched or not) and what happened. */
  readonly cluster?: ClusterState;
  /** The view of some nodes only (the dashboard's node narrowing); absent before the first publish. */
  readonly narrow?: NarrowView;
  readonly poll: PollStatus;
  readonly monitor: MonitorStatus;
  readonly keyspace: KeyspaceIntent;
  readonly stream: StreamCounts;
  readonly commandTable: { readonly source: 'pending' | 'server' | 'fallback'; readonly warning?: string };
  readonly view: SessionView;
  /** Messages worth saying once (e.g. that the server predates lib-name). */
  readonly notices: readonly string[];
  readonly owners: OwnersState;
  readonly actions: ReconActions;
  /** The dashboard's own state and the actions its keymap calls (see src/ui/uiSlice.ts). */
  readonly ui: UiSlice;
}

export interface ReconActions {
  /** Pause a running MONITOR or resume a paused/stopped one (the `p` key). */
  toggleMonitor(): void;
  pauseMonitor(reason?: string): void;
  resumeMonitor(): void;
  /** Budget spent, or the run is ending. */
  stopMonitor(reason: string): void;
  /** Start or stop the keyspace sampler (the `K` key). */
  toggleKeyspace(): void;
  stopKeyspace(reason: string): void;
  /** The collectors' newest states and the merged view, in one commit. */
  published(view: SessionView, nodes: readonly NodeStatus[], narrow?: NarrowView): void;
  /** The cluster's topology or events changed. */
  clusterChanged(cluster: ClusterState): void;
  /** A cutover's target collectors' newest states and merged view. */
  publishedTarget(view: SessionView, nodes: readonly NodeStatus[]): void;
  /** The target could not be watched (or is back: undefined). */
  targetError(message: string | undefined): void;
  /** A message from the main thread itself (an export, the recorder). */
  notice(message: string): void;
  /** The recording or capture has been read to its end. */
  sourceEnded(summary: string, restartable: boolean): void;
  /** `r`: replay the recording again from the start (only once it has ended). */
  restart(): void;
  /** Forgets what was read, before a recording is replayed again (the UI's own state stays). */
  resetData(): void;
  /** Reverse-DNS answers for client addresses, in one commit. */
  dnsResolved(answers: ReadonlyArray<readonly [string, DnsHint]>): void;
}

export interface StoreOptions {
  endpoint: string;
  monitor: boolean;
  /** `--monitor` (on, sampled, off); `monitor` alone means on or off. */
  monitorMode?: 'on' | 'sampled' | 'off';
  monitorBudgetMs?: number;
  monitorMaxOmemBytes: number;
  now?: () => number;
  /** Preset key-prefix filters (--prefix / RECON_PREFIXES); they start inactive. */
  presets?: readonly string[];
  /** Show redis-recon's own connections in the dashboard. */
  showSelf?: boolean;
  /** Key prefix delimiter, for drilling out of a heatmap prefix. */
  delimiter?: string;
  /** Terminal size at start (the dashboard updates it on resize). */
  viewport?: { columns: number; rows: number };
  /** The migration target (--target), for the header. */
  target?: { id: string; title: string };
  /** The keyspace sampler: running from the start (--keyspace), off, or unavailable (not a live server). */
  keyspace?: 'on' | 'off' | 'unavailable';
  /** A cutover session: the target endpoint (--to), for display. */
  to?: string;
  quietAfterMs?: number;
  /** Owners of client addresses, from the `--hosts` files. */
  owners?: OwnerMap | null;
}

export type ReconStore = StoreApi<ReconState>;

/** Phases in the order one node's state wins the summary (the first is the most telling). */
const PHASE_RANK: readonly MonitorPhase[] = ['error', 'reconnecting', 'paused', 'connecting', 'on', 'stopped', 'off'];

/**
 * How often the cutover is followed: every 250 ms below this many connections (both sides), every
 * second above (about 8 ms an observation at 1,000 connections a side, 25 to 75 ms at 20,000).
 */
const CUTOVER_LARGE = 4000;
const CUTOVER_EVERY_MS_SMALL = 250;
const CUTOVER_EVERY_MS = 1000;

export function createReconStore(opts: StoreOptions): ReconStore {
  const now = opts.now ?? Date.now;
  const quietAfterMs = opts.quietAfterMs ?? 5 * 60_000;
  // A cutover session follows its services from publish to publish (both sides' views).
  const tracker = opts.to !== undefined ? new CutoverTracker({ quietAfterMs, recentMs: Math.min(RECENT_WRITES_MS, quietAfterMs), isWrite: writesByName() }) : undefined;
  return createStore<ReconState>()((set, get) => {
    // Following the cutover costs milliseconds per thousand connections: it runs at most every
    // 250 ms (every second for a large fleet), a timer catching the last publish up. Exports
    // compute it afresh (src/export/cutover.ts).
    let observedAt = -Infinity;
    let trailing: ReturnType<typeof setTimeout> | undefined;
    const follow = (source: SessionView, target: SessionView, owners: OwnersState): readonly CutoverService[] =>
      tracker!.observe(now(), source.clients, target.clients, cutoverNames(source.clients, target.clients, owners));
    const observe = (source: SessionView, target: SessionView | undefined): { cutover?: readonly CutoverService[] } => {
      if (!tracker || !target) return {};
      const t = performance.now();
      const every = source.clients.length + target.clients.length < CUTOVER_LARGE ? CUTOVER_EVERY_MS_SMALL : CUTOVER_EVERY_MS;
      if (t - observedAt >= every) {
        observedAt = t;
        return { cutover: follow(source, target, get().owners) };
      }
      trailing ??= setTimeout(() => {
        trailing = undefined;
        observedAt = performance.now();
        set((s) => (s.to ? { cutover: follow(s.view, s.to.view, s.owners) } : {}));
      }, Math.max(0, every - (t - observedAt)));
      trailing.unref?.();
      return {};
    };
    const setDesired = (desired: MonitorDesire, reason?: string): void =>
      set((s) => ({ monitor: summarizeMonitor({ ...s.monitor, desired, desiredReason: reason }, s.nodes, now()) }));

    const actions: ReconActions = {
      toggleMonitor() {
        const ended = get().ended;
        if (ended) {
          // Nothing is left to pause or resume: say so rather than show MONITOR connecting.
          get().ui.actions.notify(`${ended.summary}: nothing to pause${ended.restartable ? ' · r replays it from the start' : ''}`);
          return;
        }
        if (get().monitor.desired === 'on') actions.pauseMonitor('paused by you');
        else actions.resumeMonitor();
      },
      pauseMonitor(reason = 'paused by you') {
        if (get().monitor.desired !== 'on') return;
        setDesired('paused', reason);
      },
      resumeMonitor() {
        if (get().monitor.desired === 'on') return;
        setDesired('on');
      },
      stopMonitor(reason) {
        const m = get().monitor;
        if (m.desired === 'off' && m.desiredReason === reason) return;
        setDesired('off', reason);
      },
      sourceEnded(summary, restartable) {
        set({ ended: { summary, restartable } });
      },
      restart() {
        const s = get();
        if (!s.ended?.restartable) {
          s.ui.actions.notify(s.ended ? 'this source cannot be read again' : 'r replays a recording once it has ended');
          return;
        }
        set({ restartRequest: (s.restartRequest ?? 0) + 1, ended: undefined });
        s.ui.actions.notify('replaying from the start…');
      },
      resetData() {
        set((s) => ({
          nodes: [],
          view: emptyView(),
          stream: { lines: 0, unparsed: 0, unparsedReasons: {}, eventsPerSec: 0, dropped: 0 },
          poll: { polls: 0 },
          startedAt: now(),
          monitor: { ...s.monitor, desired: opts.monitor ? 'on' : 'off', desiredReason: undefined, phase: 'off', onSince: undefined, onBeforeMs: 0, offPeriods: [] },
          ended: undefined,
          history: [],
        }));
      },
      toggleKeyspace() {
        const k = get().keyspace;
        if (!k.available) {
          get().ui.actions.notify('the keyspace sampler needs a live server (not a recording or a capture)');
          return;
        }
        set({ keyspace: { ...k, desired: k.desired === 'on' ? 'off' : 'on', reason: k.desired === 'on' ? 'stopped by you' : undefined } });
      },
      stopKeyspace(reason) {
        const k = get().keyspace;
        if (k.desired === 'off') return;
        set({ keyspace: { ...k, desired: 'off', reason } });
      },
      published(view, nodes, narrow) {
        set((s) => {
          const first = nodes[0];
          // A node that left the cluster keeps its counts (the stream) but no longer speaks for the
          // polls or MONITOR.
          const present = nodes.some((n) => n.gone !== undefined) ? nodes.filter((n) => n.gone === undefined) : nodes;
          const noticesFromNodes = nodes.flatMap((n) => n.notices);
          const notices = mergeNotices(s.notices, noticesFromNodes);
          return {
            view,
            nodes,
            // The collectors' clock (a replay's recorded time), else ours.
            history: recordSnapshot(s.history, view.clients, viewTime(nodes, now)),
            viewAt: viewTime(nodes, now),
            ...(narrow ? { narrow } : {}),
            ...(first?.server ? { server: first.server } : {}),
            // A capture's window begins at its first line's time, not when reading began.
            ...(first?.windowStart !== undefined && (s.startedAt <= 0 || first.windowStart < s.startedAt) ? { startedAt: first.windowStart } : {}),
            poll: summarizePoll(present),
            monitor: summarizeMonitor(s.monitor, present, now()),
            stream: summarizeStream(nodes),
            commandTable: first?.commandTable ?? s.commandTable,
            ...(notices !== s.notices ? { notices } : {}),
            ...observe(view, s.to?.view),
          };
        });
      },
      clusterChanged(cluster) {
        set({ cluster });
      },
      publishedTarget(view, nodes) {
        set((s) => {
          if (!s.to) return {};
          const present = nodes.filter((n) => n.gone === undefined);
          const server = nodes.find((n) => n.server)?.server;
          const poll = summarizePoll(present);
          // Never reached (down, refused, wrong password): said in words; once it answers, the error goes.
          const { error: _was, ...rest } = s.to;
          const reached = present.some((n) => n.poll.polls > 0 && n.poll.lastError === undefined);
          const error = reached ? undefined : poll.lastError !== undefined ? `target ${s.to.endpoint}: ${poll.lastError} (the source is still watched)` : s.to.error;
          return { to: { ...rest, view, nodes, poll, ...(server ? { server } : {}), ...(error ? { error } : {}) }, ...observe(s.view, view) };
        });
      },
      targetError(message) {
        set((s) => {
          if (!s.to) return {};
          const { error: _old, ...rest } = s.to;
          return { to: message === undefined ? rest : { ...rest, error: message } };
        });
      },
      notice(message) {
        if (!get().notices.includes(message)) set((s) => ({ notices: [...s.notices, message].slice(-BOUNDS.notices) }));
      },
      dnsResolved(answers) {
        if (answers.length === 0) return;
        set((s) => {
          const dns = new Map(s.owners.dns);
          for (const [ip, hint] of answers) {
            dns.delete(ip);
            dns.set(ip, hint);
          }
          for (const ip of dns.keys()) {
            if (dns.size <= DNS_KEPT) break;
            dns.delete(ip);
          }
          return { owners: { ...s.owners, dns } };
        });
      },
    };

    return {
      endpoint: opts.endpoint,
      ...(opts.target ? { target: opts.target } : {}),
      ...(opts.to !== undefined ? { to: { endpoint: opts.to, nodes: [], view: emptyView(), poll: { polls: 0 } } } : {}),
      quietAfterMs,
      cutover: [],
      startedAt: now(),
      nodes: [],
      poll: { polls: 0 },
      monitor: {
        desired: opts.monitor ? 'on' : 'off',
        phase: 'off',
        reason: opts.monitor ? undefined : 'off (--monitor off)',
        ...(opts.monitor ? {} : { desiredReason: 'off (--monitor off)' }),
        mode: opts.monitorMode ?? (opts.monitor ? 'on' : 'off'),
        onBeforeMs: 0,
        budgetMs: opts.monitorBudgetMs,
        maxOmem: opts.monitorMaxOmemBytes,
        guard: 'idle',
        offPeriods: [],
      },
      keyspace: { desired: opts.keyspace === 'on' ? 'on' : 'off', available: opts.keyspace !== 'unavailable' },
      stream: { lines: 0, unparsed: 0, unparsedReasons: {}, eventsPerSec: 0, dropped: 0 },
      commandTable: { source: 'pending' },
      view: emptyView(),
      history: [],
      notices: [],
      owners: { map: opts.owners ?? null, dns: new Map() },
      actions,
      ui: createUiSlice(set, get, {
        presets: opts.presets,
        showSelf: opts.showSelf,
        delimiter: opts.delimiter,
        viewport: opts.viewport,
      }),
    };
  });
}

/** When a view was taken: its nodes' latest clock (a replay's recorded time), else `now()`. */
function viewTime(nodes: readonly NodeStatus[], now: () => number): number {
  let t = -Infinity;
  for (const n of nodes) if (typeof n.clock === 'number' && n.clock > t) t = n.clock;
  return t === -Infinity ? now() : t;
}

/** New notices appended once each, the oldest dropped beyond the bound; the same array when none is new. */
function mergeNotices(current: readonly string[], incoming: readonly string[]): readonly string[] {
  const fresh = incoming.filter((n, i) => !current.includes(n) && incoming.indexOf(n) === i);
  return fresh.length === 0 ? current : [...current, ...fresh].slice(-BOUNDS.notices);
}

function summarizePoll(nodes: readonly NodeStatus[]): PollStatus {
  if (nodes.length === 0) return { polls: 0 };
  if (nodes.length === 1) return nodes[0]!.poll;
  // Several nodes: the stalest node's poll, and the first error, saying which node.
  let lastAt: number | undefined;
  let polls = 0;
  let failing: NodeStatus | undefined;
  for (const n of nodes) {
    if (n.poll.lastAt !== undefined) lastAt = lastAt === undefined ? n.poll.lastAt : Math.min(lastAt, n.poll.lastAt);
    polls += n.poll.polls;
    if (!failing && n.poll.lastError) failing = n;
  }
  return {
    ...(lastAt !== undefined ? { lastAt } : {}),
    polls,
    ...(failing ? { lastError: `${failing.addr}: ${failing.poll.lastError}`, lastErrorAt: failing.poll.lastErrorAt, gaveUp: failing.poll.gaveUp } : {}),
    intervalMs: Math.max(...nodes.map((n) => n.poll.intervalMs)),
  };
}

function summarizeStream(nodes: readonly NodeStatus[]): StreamCounts {
  if (nodes.length === 1) return nodes[0]!.stream;
  const reasons: Record<string, number> = {};
  let lines = 0;
  let unparsed = 0;
  let dropped = 0;
  let eventsPerSec = 0;
  for (const n of nodes) {
    lines += n.stream.lines;
    unparsed += n.stream.unparsed;
    dropped += n.stream.dropped;
    eventsPerSec += n.stream.eventsPerSec;
    for (const [r, c] of Object.entries(n.stream.unparsedReasons)) reasons[r] = (reasons[r] ?? 0) + c;
  }
  return { lines, unparsed, unparsedReasons: reasons, dropped, eventsPerSec };
}

/**
 * MONITOR over all nodes: the most telling node's phase (an error or a hold outranks "on"), the
 * on-time of the node that ran longest (the wall time MONITOR was on), the largest buffer.
 */
function summarizeMonitor(m: MonitorStatus, nodes: readonly NodeStatus[], nowMs: number): MonitorStatus {
  const sample = nodes.find((n) => n.monitor.sample)?.monitor.sample ?? m.sample;
  const base = {
    desired: m.desired,
    desiredReason: m.desiredReason,
    budgetMs: m.budgetMs,
    maxOmem: m.maxOmem,
    ...(m.mode ? { mode: m.mode } : {}),
    ...(sample ? { sample } : {}),
  };
  if (nodes.length === 0) {
    return {
      ...base,
      phase: m.desired === 'on' ? 'connecting' : m.phase === 'off' ? 'off' : m.phase,
      reason: m.desired === 'on' ? undefined : m.desiredReason,
      onBeforeMs: m.onBeforeMs,
      guard: m.guard,
      offPeriods: m.offPeriods,
    };
  }
  let lead = nodes[0]!;
  for (const n of nodes) if (PHASE_RANK.indexOf(n.monitor.phase) < PHASE_RANK.indexOf(lead.monitor.phase)) lead = n;
  const elapsed = (n: NodeStatus): number => n.monitor.onMs + (n.monitor.onSince !== undefined ? nowMs - n.monitor.onSince : 0);
  let longest = nodes[0]!;
  for (const n of nodes) if (elapsed(n) > elapsed(longest)) longest = n;
  const several = nodes.length > 1;
  const omems = nodes.flatMap((n) => (n.monitor.omem !== undefined ? [n.monitor.omem] : []));
  // What the user (or the budget, or the end of the run) decided speaks first; otherwise the node.
  const reason =
    m.desired !== 'on' && m.desiredReason !== undefined
      ? m.desiredReason
      : lead.monitor.reason !== undefined
        ? several ? `${lead.addr}: ${lead.monitor.reason}` : lead.monitor.reason
        : undefined;
  return {
    ...base,
    phase: lead.monitor.phase,
    ...(reason !== undefined ? { reason } : {}),
    ...(lead.monitor.hold ? { hold: lead.monitor.hold } : {}),
    ...(longest.monitor.onSince !== undefined ? { onSince: longest.monitor.onSince } : {}),
    onBeforeMs: longest.monitor.onMs,
    ...(omems.length > 0 ? { omem: Math.max(...omems) } : {}),
    guard: nodes.some((n) => n.monitor.guard === 'hidden') ? 'hidden' : nodes.some((n) => n.monitor.guard === 'unguarded') ? 'unguarded' : lead.monitor.guard,
    offPeriods: several ? nodes.flatMap((n) => n.monitor.offPeriods.map((p) => ({ ...p, why: `${n.addr}: ${p.why}` }))) : lead.monitor.offPeriods,
  };
}

/** Time MONITOR has been on, over all its periods. */
export const monitorElapsedMs = (m: MonitorStatus, nowMs: number): number =>
  m.onBeforeMs + (m.onSince === undefined ? 0 : nowMs - m.onSince);
