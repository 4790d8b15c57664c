// Joins what the collectors send into the one picture the store holds: every node's clients in one
// list (each tagged with its node), one key-pattern tree merged over nodes (each node's patterns
// renamed under the union of every node's collapse decisions), top keys summed, totals summed, and
// the nodes' states side by side. Work here is proportional to what changed, plus one pass over the
// clients when any changed: never to the traffic.
import type { ClientView, KeyCount, PrefixTreeReader, SessionView } from '../analysis/session.ts';
import { mergeSnapshots, PatternTree, type PatternSnapshot } from '../analysis/keyPatterns.ts';
import { buildKeyspaceView, type KeyspaceReport, type KeyspaceView } from '../analysis/keyspaceEstimate.ts';
import type { NodeDelta, NodeLenses, NodeStatus } from './protocol.ts';
import { Canonical } from './canonical.ts';

/** Top keys in the merged view (each node sends its own top few hundred). */
const MERGED_TOP_KEYS = 200;

type Totals = SessionView['totals'];

/** What one collector (a node, or one partition of a capture) last reported beyond its clients. */
interface Part {
  status: NodeStatus;
  tree: PatternSnapshot | undefined;
  topKeys: readonly KeyCount[];
  totals: Totals;
}

class NodeState {
  /** Set once the node left (its collector stopped): kept on every later status. */
  gone: string | undefined;
  readonly clients = new Map<string, ClientView>();
  /** The partitions reporting under this node id (one for a live node). */
  readonly parts = new Map<number, Part>();
  status: NodeStatus;
  /** The latest lenses a delta carried (they come with polls, not with every delta). */
  lenses: NodeLenses | undefined;
  constructor(status: NodeStatus) {
    this.status = status;
  }
}

export class Merger {
  private readonly nodes = new Map<string, NodeState>();
  private clientsChanged = true;
  private treeChanged = true;
  private version = 0;
  private clients: readonly ClientView[] = [];
  private tree: PrefixTreeReader;
  private topKeys: readonly KeyCount[] = [];
  /** Each node's last keyspace report, and its sampler's tree with the counts zeroed (structure only). */
  private readonly keyspace = new Map<string, KeyspaceReport>();
  private readonly keyspaceTrees = new Map<string, PatternSnapshot>();
  private keyspaceChanged = false;
  private keyspaceView: KeyspaceView | undefined;
  private readonly canonical = new Canonical();
  /** Views received and not yet passed through `canonical`. */
  private untidy: ClientView[] = [];
  private untidyAt = 0;

  constructor(private readonly delimiter = ':') {
    this.tree = new PatternTree(delimiter);
  }

  /** Applies one collector's delta for one node; `part` tells the partitions of a capture apart. */
  apply(delta: NodeDelta, part = 0): void {
    const id = delta.status.id;
    let n = this.nodes.get(id);
    if (!n) {
      n = new NodeState(delta.status);
      this.nodes.set(id, n);
    }
    const prev = n.parts.get(part);
    const p: Part = { status: delta.status, tree: prev?.tree, topKeys: prev?.topKeys ?? [], totals: delta.totals };
    if (delta.tree) {
      p.tree = delta.tree;
      p.topKeys = delta.topKeys ?? [];
      this.treeChanged = true;
    }
    n.parts.set(part, p);
    n.status = n.parts.size === 1 ? delta.status : combineStatuses([...n.parts.values()].map((x) => x.status));
    if (n.gone !== undefined) n.status = { ...n.status, gone: n.gone };
    if (delta.keyspace) {
      this.keyspace.set(id, delta.keyspace);
      if (delta.keyspace.tree) {
        this.keyspaceTrees.set(id, structureOnly(delta.keyspace.tree));
        this.treeChanged = true;
      }
      this.keyspaceChanged = true;
    }
    if (delta.lenses) n.lenses = delta.lenses;
    if (delta.clients) {
      for (const key of delta.clients.remove) n.clients.delete(key);
      for (const v of delta.clients.upsert) n.clients.set(v.key, v);
      // Each view arrives as its own copy of every text: the repeated ones are shared later, a
      // slice at a time (tidy), so a first poll of 30,000 views does not hold the screen.
      this.untidy.push(...delta.clients.upsert);
      this.clientsChanged = true;
    }
  }

  /**
   * Shares the repeated parts of up to `max` received views (canonical.ts); whether some remain.
   * The views keep their identity and read the same: only duplicate copies become garbage.
   */
  tidy(max: number): boolean {
    const end = Math.min(this.untidy.length, this.untidyAt + max);
    for (let i = this.untidyAt; i < end; i++) this.canonical.adopt(this.untidy[i]!);
    this.untidyAt = end;
    if (end < this.untidy.length) return true;
    this.untidy = [];
    this.untidyAt = 0;
    return false;
  }

  /** Drops a node's state altogether (a seed retired before it counted anything). */
  forget(id: string): void {
    if (!this.nodes.delete(id)) return;
    this.keyspace.delete(id);
    this.keyspaceTrees.delete(id);
    this.clientsChanged = true;
    this.treeChanged = true;
    this.keyspaceChanged = true;
  }

  /** Marks a node gone (it left the cluster): its clients, counts and keys stay in the picture. */
  markGone(id: string, why: string): void {
    const n = this.nodes.get(id);
    if (!n) return;
    n.gone = why;
    n.status = { ...n.status, gone: why };
  }

  /**
   * The view narrowed to some nodes (a node or a shard picked in the dashboard): their clients,
   * their pattern trees merged, their top keys and totals summed. Built on demand, remembered until
   * the next delta.
   */
  narrowed(ids: readonly string[]): SessionView {
    const key = `${this.version}\u0000${ids.join('\u0000')}`;
    const hit = this.narrowCache;
    if (hit && hit.key === key) return hit.view;
    const picked = ids.flatMap((id) => {
      const n = this.nodes.get(id);
      return n ? [n] : [];
    });
    const clients: ClientView[] = [];
    for (const n of picked) for (const v of n.clients.values()) clients.push(v);
    const parts = picked.flatMap((n) => [...n.parts.values()]);
    const snapshots = parts.flatMap((p) => (p.tree ? [p.tree] : []));
    const view: SessionView = {
      version: this.version,
      clients,
      topKeys: sumTopKeys(parts.map((p) => p.topKeys)),
      tree: snapshots.length > 0 ? mergeSnapshots(snapshots) : new PatternTree(this.delimiter),
      totals: sumTotals(parts.map((p) => p.totals)),
    };
    this.narrowCache = { key, view };
    return view;
  }

  private narrowCache: { key: string; view: SessionView } | undefined;

  /** The nodes' states, in the order they first reported. */
  statuses(): NodeStatus[] {
    return [...this.nodes.values()].map((n) => (n.lenses ? { ...n.status, lenses: n.lenses } : n.status));
  }

  /** The merged view; the same client array (and tree) as last time when nothing in them changed. */
  view(): SessionView {
    const parts = [...this.nodes.values()].flatMap((n) => [...n.parts.values()]);
    if (this.clientsChanged) {
      const all: ClientView[] = [];
      for (const n of this.nodes.values()) for (const v of n.clients.values()) all.push(v);
      this.clients = all;
      this.clientsChanged = false;
    }
    const treeChanged = this.treeChanged;
    if (this.treeChanged) {
      // The samplers' trees join with their structure only: their patterns (and the positions they
      // found to hold ids) become rows of the heatmap, with no traffic; sampled keys are no traffic.
      const snapshots = [...parts.flatMap((p) => (p.tree ? [p.tree] : [])), ...this.keyspaceTrees.values()];
      if (snapshots.length > 0) this.tree = mergeSnapshots(snapshots);
      this.topKeys = sumTopKeys(parts.map((p) => p.topKeys));
      this.treeChanged = false;
    }
    if (this.keyspace.size > 0 && (this.keyspaceChanged || treeChanged)) {
      this.keyspaceView = buildKeyspaceView([...this.keyspace.values()], this.tree);
      this.keyspaceChanged = false;
    }
    this.version++;
    return {
      version: this.version,
      clients: this.clients,
      topKeys: this.topKeys,
      tree: this.tree,
      totals: sumTotals(parts.map((p) => p.totals)),
      ...(this.keyspaceView ? { keyspace: this.keyspaceView } : {}),
    };
  }
}

/** A sampler's tree as structure only: its counts are sampled keys, never traffic. */
function structureOnly(tree: PatternSnapshot): PatternSnapshot {
  return {
    ...tree,
    root: { count: 0, reads: 0, writes: 0, rate: 0 },
    nodes: tree.nodes.map((n) => ({ ...n, count: 0, reads: 0, writes: 0, rate: 0 })),
  };
}

function sumTotals(list: readonly Totals[]): Totals {
  const t = { events: 0, reads: 0, writes: 0, keyed: 0, eventsPerSec: 0 };
  for (const x of list) {
    t.events += x.events;
    t.reads += x.reads;
    t.writes += x.writes;
    t.keyed += x.keyed;
    t.eventsPerSec += x.eventsPerSec;
  }
  return t;
}

function sumTopKeys(lists: ReadonlyArray<readonly KeyCount[]>): KeyCount[] {
  if (lists.length === 1) return [...lists[0]!];
  const m = new Map<string, number>();
  for (const l of lists) for (const k of l) m.set(k.key, (m.get(k.key) ?? 0) + k.count);
  return [...m]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1))
    .slice(0, MERGED_TOP_KEYS);
}

/** Partitions of one capture combined: counts summed, the least advanced state shown. */
function combineStatuses(list: readonly NodeStatus[]): NodeStatus {
  const first = list[0]!;
  const reasons: Record<string, number> = {};
  let lines = 0;
  let unparsed = 0;
  let dropped = 0;
  let eventsPerSec = 0;
  let windowStart: number | undefined;
  let clock = -Infinity;
  const notices = new Set<string>();
  for (const s of list) {
    lines += s.stream.lines;
    unparsed += s.stream.unparsed;
    dropped += s.stream.dropped;
    eventsPerSec += s.stream.eventsPerSec;
    for (const [r, n] of Object.entries(s.stream.unparsedReasons)) reasons[r] = (reasons[r] ?? 0) + n;
    if (s.windowStart !== undefined) windowStart = Math.min(windowStart ?? Infinity, s.windowStart);
    clock = Math.max(clock, s.clock);
    for (const n of s.notices) notices.add(n);
  }
  // Done only when every partition is; then the capture's span runs from the first line of any
  // partition to the last line of any.
  const running = list.find((s) => s.monitor.phase !== 'stopped');
  // Each partition's end counts its own lines: one partition's count read as the whole capture's.
  // The lines of all are in `stream.lines` and in the run's summary.
  const ended = list.every((s) => s.monitor.reason?.startsWith('end of capture (') === true);
  const monitor = running?.monitor ?? {
    ...first.monitor,
    onMs: windowStart !== undefined && clock > windowStart ? clock - windowStart : first.monitor.onMs,
    ...(ended && list.length > 1 ? { reason: `end of capture (read in ${list.length} partitions)` } : {}),
  };
  return {
    ...first,
    monitor,
    stream: { lines, unparsed, unparsedReasons: reasons, dropped, eventsPerSec },
    notices: [...notices],
    ...(windowStart !== undefined ? { windowStart } : {}),
    clock,
  };
}
