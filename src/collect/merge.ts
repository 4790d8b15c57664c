// Joins what the collectors send into the one picture the store holds: every node's clients in one
// list (each tagged with its node), one prefix tree summed over nodes, top keys summed, totals
// summed, and the nodes' states side by side. Work here is proportional to what changed, plus one
// pass over the clients when any changed: never to the traffic.
import type { ClientView, KeyCount, PrefixTreeReader, SessionView } from '../analysis/session.ts';
import type { PrefixStat, PrefixView } from '../analysis/prefixTree.ts';
import type { NodeDelta, NodeStatus, TreeNodeStat, TreeSnapshot } from './protocol.ts';

/** Top keys in the merged view (each node sends its own top few hundred). */
const MERGED_TOP_KEYS = 200;

class NodeState {
  status: NodeStatus;
  /** Set once the node left (its collector stopped): kept on every later status. */
  gone: string | undefined;
  readonly clients = new Map<string, ClientView>();
  tree: TreeSnapshot | undefined;
  topKeys: readonly KeyCount[] = [];
  totals: SessionView['totals'] = { events: 0, reads: 0, writes: 0, keyed: 0, eventsPerSec: 0 };
  constructor(status: NodeStatus) {
    this.status = status;
  }
}

export class Merger {
  private readonly nodes = new Map<string, NodeState>();
  /** Partitions of one capture report under one node id: their statuses are combined. */
  private readonly partitionStatus = new Map<string, Map<number, NodeStatus>>();
  private clientsChanged = true;
  private treeChanged = true;
  private version = 0;
  private clients: readonly ClientView[] = [];
  private tree: PrefixTreeReader = snapshotReader([]);
  private delimiter = ':';
  private topKeys: readonly KeyCount[] = [];

  /** Applies one collector's delta for one node; `part` tells the partitions of a capture apart. */
  apply(delta: NodeDelta, part = 0): void {
    const id = delta.status.id;
    let n = this.nodes.get(id);
    if (!n) {
      n = new NodeState(delta.status);
      this.nodes.set(id, n);
    }
    let parts = this.partitionStatus.get(id);
    if (!parts) this.partitionStatus.set(id, (parts = new Map()));
    parts.set(part, delta.status);
    n.status = parts.size === 1 ? delta.status : combineStatuses([...parts.values()]);
    if (n.gone !== undefined) n.status = { ...n.status, gone: n.gone };
    if (delta.clients) {
      for (const key of delta.clients.remove) n.clients.delete(key);
      for (const v of delta.clients.upsert) n.clients.set(v.key, v);
      this.clientsChanged = true;
    }
    // Every partition's part is kept, so a node's sums hold all of them whichever reported first.
    if (delta.tree) {
      n.tree = this.sumPartTrees(id, part, delta.tree);
      n.topKeys = this.sumPartTops(id, part, delta.topKeys ?? []);
      this.treeChanged = true;
    }
    n.totals = this.sumPartTotals(id, part, delta.totals);
  }

  // A capture's partitions each send their own tree, top keys and totals for the same node id.
  private readonly partTrees = new Map<string, Map<number, TreeSnapshot>>();
  private readonly partTops = new Map<string, Map<number, readonly KeyCount[]>>();
  private readonly partTotals = new Map<string, Map<number, SessionView['totals']>>();

  private sumPartTrees(id: string, part: number, tree: TreeSnapshot): TreeSnapshot {
    const m = mapFor(this.partTrees, id);
    m.set(part, tree);
    return m.size === 1 ? tree : sumTrees([...m.values()]);
  }

  private sumPartTops(id: string, part: number, top: readonly KeyCount[]): readonly KeyCount[] {
    const m = mapFor(this.partTops, id);
    m.set(part, top);
    return m.size === 1 ? top : sumTopKeys([...m.values()]);
  }

  private sumPartTotals(id: string, part: number, t: SessionView['totals']): SessionView['totals'] {
    const m = mapFor(this.partTotals, id);
    m.set(part, t);
    return m.size === 1 ? t : sumTotals([...m.values()]);
  }

  /** Drops a node's state altogether (a seed retired before it counted anything). */
  forget(id: string): void {
    if (!this.nodes.delete(id)) return;
    for (const m of [this.partitionStatus, this.partTrees, this.partTops, this.partTotals] as Map<string, unknown>[]) m.delete(id);
    this.clientsChanged = true;
    this.treeChanged = true;
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
   * their prefix trees and top keys summed, their totals. Built on demand, remembered until the
   * next delta.
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
    const trees = picked.flatMap((n) => (n.tree ? [n.tree] : []));
    const merged = trees.length === 1 ? trees[0]! : sumTrees(trees);
    const view: SessionView = {
      version: this.version,
      clients,
      topKeys: sumTopKeys(picked.map((n) => n.topKeys)),
      tree: snapshotReader(merged.nodes, trees[0]?.delimiter ?? this.delimiter, merged.total),
      totals: sumTotals(picked.map((n) => n.totals)),
    };
    this.narrowCache = { key, view };
    return view;
  }

  private narrowCache: { key: string; view: SessionView } | undefined;

  /** The nodes' states, in the order they first reported. */
  statuses(): NodeStatus[] {
    return [...this.nodes.values()].map((n) => n.status);
  }

  /** The merged view; the same client array (and tree) as last time when nothing in them changed. */
  view(): SessionView {
    if (this.clientsChanged) {
      const all: ClientView[] = [];
      for (const n of this.nodes.values()) for (const v of n.clients.values()) all.push(v);
      this.clients = all;
      this.clientsChanged = false;
    }
    if (this.treeChanged) {
      const trees = [...this.nodes.values()].flatMap((n) => (n.tree ? [n.tree] : []));
      if (trees[0]) this.delimiter = trees[0].delimiter;
      const merged = trees.length === 1 ? trees[0]! : sumTrees(trees);
      this.tree = snapshotReader(merged.nodes, this.delimiter, merged.total);
      this.topKeys = sumTopKeys([...this.nodes.values()].map((n) => n.topKeys));
      this.treeChanged = false;
    }
    this.version++;
    return {
      version: this.version,
      clients: this.clients,
      topKeys: this.topKeys,
      tree: this.tree,
      totals: sumTotals([...this.nodes.values()].map((n) => n.totals)),
    };
  }
}

function mapFor<V>(m: Map<string, Map<number, V>>, id: string): Map<number, V> {
  let x = m.get(id);
  if (!x) m.set(id, (x = new Map()));
  return x;
}

function sumTotals(list: ReadonlyArray<SessionView['totals']>): SessionView['totals'] {
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

function sumTrees(trees: readonly TreeSnapshot[]): TreeSnapshot {
  const m = new Map<string, { prefix: string; segment: string; count: number; reads: number; writes: number; rate: number }>();
  let total = 0;
  for (const t of trees) {
    total += t.total;
    for (const n of t.nodes) {
      const e = m.get(n.prefix);
      if (e) {
        e.count += n.count;
        e.reads += n.reads;
        e.writes += n.writes;
        e.rate += n.rate;
      } else m.set(n.prefix, { ...n });
    }
  }
  return { delimiter: trees[0]?.delimiter ?? ':', total, nodes: [...m.values()] };
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
  const monitor = running?.monitor ?? { ...first.monitor, onMs: windowStart !== undefined && clock > windowStart ? clock - windowStart : first.monitor.onMs };
  return {
    ...first,
    monitor,
    stream: { lines, unparsed, unparsedReasons: reasons, dropped, eventsPerSec },
    notices: [...notices],
    ...(windowStart !== undefined ? { windowStart } : {}),
    clock,
  };
}

/** A read-only prefix tree over a flat list of node stats (the PrefixTreeReader the UI reads). */
export function snapshotReader(nodes: readonly TreeNodeStat[], delimiter = ':', total?: number): PrefixTreeReader {
  const byPrefix = new Map<string, TreeNodeStat>();
  const kids = new Map<string, TreeNodeStat[]>();
  let rootCount = 0;
  let rootReads = 0;
  let rootWrites = 0;
  let rootRate = 0;
  for (const n of nodes) byPrefix.set(n.prefix, n);
  for (const n of nodes) {
    // prefix = parent + segment + delimiter
    const parent = n.prefix.slice(0, Math.max(0, n.prefix.length - n.segment.length - delimiter.length));
    if (parent === '') {
      rootCount += n.count;
      rootReads += n.reads;
      rootWrites += n.writes;
      rootRate += n.rate;
    }
    let list = kids.get(parent);
    if (!list) kids.set(parent, (list = []));
    list.push(n);
  }
  for (const list of kids.values()) list.sort((a, b) => b.count - a.count || (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
  const toView = (n: TreeNodeStat): PrefixView => ({
    prefix: n.prefix,
    segment: n.segment,
    count: n.count,
    reads: n.reads,
    writes: n.writes,
    rate: n.rate,
    hasChildren: kids.has(n.prefix),
  });
  return {
    node(prefix: string): PrefixView | undefined {
      if (prefix === '') return { prefix: '', segment: '', count: total ?? rootCount, reads: rootReads, writes: rootWrites, rate: rootRate, hasChildren: kids.has('') };
      const n = byPrefix.get(prefix);
      return n ? toView(n) : undefined;
    },
    children(prefix: string): PrefixView[] {
      return (kids.get(prefix) ?? []).map(toView);
    },
    all(): PrefixStat[] {
      const out: PrefixStat[] = [];
      const visit = (p: string): void => {
        for (const c of kids.get(p) ?? []) {
          out.push({ prefix: c.prefix, reads: c.reads, writes: c.writes, count: c.count, rate: c.rate });
          visit(c.prefix);
        }
      };
      visit('');
      return out;
    },
  };
}
