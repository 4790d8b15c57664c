// Who is behind an address, from the files people already have (`--hosts`, repeatable): kubectl
// pods and nodes (`-o wide`), a CSV of `cidr_or_ip,owner[,team]`, `/etc/hosts` lines. An address
// gets the most specific owner: an exact address over a range, a narrower range over a wider one.
// Among exact ones a pod beats a CSV row, which beats a hosts line, which beats a node: a node's
// address only says "one of the pods on node X" (pods behind the node's IP, hostNetwork pods), and
// lists that node's pods when a pods file was given. Pure once built; lookups are cached.
import { basename } from 'node:path';
import { readFileSync } from 'node:fs';
import { networkOf, parseIp, parseRange } from './addresses.ts';
import { looksLikeKubectl, parseKubectl, type NodeRow, type PodRow } from './kubectl.ts';
import { parseHostsFile, parseOwnerCsv, type TableEntry } from './tables.ts';
import { fileErrorText } from '../fileErrors.ts';

export type OwnerKind = 'pod' | 'node' | 'host' | 'network';

/** A workload with pods on a node, and how many. */
export interface PodCandidate {
  readonly namespace?: string;
  readonly owner: string;
  readonly pods: number;
}

export interface OwnerMatch {
  /** The owner: a pod's workload, a node's name, a CSV owner, a host name. */
  readonly name: string;
  readonly team?: string;
  /** pod: the address is a pod's; node: a node's (one of its pods); host: one address; network: a range. */
  readonly kind: OwnerKind;
  /** Where it was read: `file:line`. */
  readonly source: string;
  /** What matched: the address itself, or the range (`10.0.0.0/16`). */
  readonly match: string;
  readonly namespace?: string;
  readonly pod?: string;
  readonly node?: string;
  /** A node: the workloads running on it (from the pods file), most pods first. */
  readonly candidates?: readonly PodCandidate[];
  /** A node: workloads on it beyond those listed. */
  readonly moreCandidates?: number;
}

/** Workloads listed per node; a node runs up to ~110 pods, mostly a few workloads each. */
const CANDIDATES_LISTED = 40;
/** Addresses whose answer is remembered (every client's address, at most the ledger's 20,000). */
const CACHE_MAX = 50_000;

export interface OwnerFileSummary {
  readonly path: string;
  readonly format: 'kubectl' | 'csv' | 'hosts';
  readonly pods: number;
  readonly nodes: number;
  readonly entries: number;
}

export class OwnerMap {
  private readonly exact = new Map<string, OwnerMatch>();
  /** Ranges per family: prefix length → network → owner; lengths longest first. */
  private readonly ranges = { ipv4: new Map<number, Map<string, OwnerMatch>>(), ipv6: new Map<number, Map<string, OwnerMatch>>() };
  private readonly bits: { ipv4: number[]; ipv6: number[] } = { ipv4: [], ipv6: [] };
  private readonly cache = new Map<string, OwnerMatch | null>();

  constructor(
    readonly files: readonly OwnerFileSummary[],
    exact: ReadonlyArray<readonly [string, OwnerMatch]>,
    ranges: ReadonlyArray<{ kind: 'ipv4' | 'ipv6'; bits: number; network: string; owner: OwnerMatch }>,
  ) {
    // First one given wins (callers order them by precedence, then by file order).
    for (const [ip, o] of exact) if (!this.exact.has(ip)) this.exact.set(ip, o);
    for (const r of ranges) {
      let byNet = this.ranges[r.kind].get(r.bits);
      if (!byNet) this.ranges[r.kind].set(r.bits, (byNet = new Map()));
      if (!byNet.has(r.network)) byNet.set(r.network, r.owner);
    }
    this.bits.ipv4 = [...this.ranges.ipv4.keys()].sort((a, b) => b - a);
    this.bits.ipv6 = [...this.ranges.ipv6.keys()].sort((a, b) => b - a);
  }

  /** The most specific owner of a client address (`10.0.0.5`, `::ffff:10.0.0.5`, `fd00::5`), or null. */
  lookup(ipText: string): OwnerMatch | null {
    const hit = this.cache.get(ipText);
    if (hit !== undefined) return hit;
    const found = this.find(ipText);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(ipText, found);
    return found;
  }

  private find(ipText: string): OwnerMatch | null {
    const a = parseIp(ipText);
    if (!a) return null;
    const ip = a.toString();
    const exact = this.exact.get(ip);
    if (exact) return exact;
    const kind = a.kind();
    for (const bits of this.bits[kind]) {
      const o = this.ranges[kind].get(bits)!.get(networkOf(a, bits));
      if (o) return o;
    }
    return null;
  }

  /** One line for the status: what the files held. */
  describe(): string {
    const pods = this.files.reduce((s, f) => s + f.pods, 0);
    const nodes = this.files.reduce((s, f) => s + f.nodes, 0);
    const entries = this.files.reduce((s, f) => s + f.entries, 0);
    const parts = [pods ? `${pods} pods` : '', nodes ? `${nodes} nodes` : '', entries ? `${entries} addresses and ranges` : ''].filter(Boolean);
    return `owners: ${parts.join(', ') || 'nothing'} from ${this.files.map((f) => basename(f.path)).join(', ')}`;
  }
}

/** How an owner reads in one line: `shop/checkout-api`, `a pod on node-a`, `payments (10.1.0.0/16)`. */
export function ownerText(o: OwnerMatch): string {
  switch (o.kind) {
    case 'pod':
      return o.namespace ? `${o.namespace}/${o.name}` : o.name;
    case 'node':
      return `a pod on ${o.name}`;
    case 'network':
      return `${o.name} (${o.match})`;
    default:
      return o.name;
  }
}

/** A node's workloads in a few words: `checkout-api ×3, billing, fluent-bit and 4 more`. */
export function candidatesText(o: OwnerMatch, max = 6): string {
  const list = o.candidates ?? [];
  const shown = list.slice(0, max).map((c) => `${c.namespace ? `${c.namespace}/` : ''}${c.owner}${c.pods > 1 ? ` ×${c.pods}` : ''}`);
  const more = list.length - shown.length + (o.moreCandidates ?? 0);
  return `${shown.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
}

export type OwnerFormat = OwnerFileSummary['format'];

/** What a file holds, by its content: kubectl output, a CSV, or hosts lines. */
export function formatOf(text: string): OwnerFormat | undefined {
  if (looksLikeKubectl(text)) return 'kubectl';
  for (const raw of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#')) continue;
    if (l.includes(',')) return 'csv';
    const first = l.split(/\s+/)[0]!;
    if (parseRange(first)?.single) return 'hosts';
    return undefined;
  }
  return undefined;
}

export interface OwnerSource {
  readonly path: string;
  readonly text: string;
}

export type OwnerMapResult = { ok: true; map: OwnerMap } | { ok: false; error: string };

const FORMATS = 'kubectl get pods/nodes -o wide output, a CSV of cidr_or_ip,owner[,team], or /etc/hosts lines';

/** Builds the map from the files' texts; the first line that cannot be read is an error, in words. */
export function buildOwnerMap(sources: readonly OwnerSource[]): OwnerMapResult {
  const pods: Array<PodRow & { file: string }> = [];
  const nodes: Array<NodeRow & { file: string }> = [];
  const csv: Array<TableEntry & { file: string }> = [];
  const hosts: Array<TableEntry & { file: string }> = [];
  const files: OwnerFileSummary[] = [];
  for (const { path, text } of sources) {
    if (!/^[ \t]*[^#\s]/m.test(text.replace(/^\uFEFF/, ''))) return { ok: false, error: `--hosts ${path}: no addresses in it (expected ${FORMATS})` };
    const format = formatOf(text);
    if (!format) return { ok: false, error: `--hosts ${path}: cannot tell what it holds (expected ${FORMATS})` };
    let problems: Array<{ line: number; why: string }>;
    let summary: OwnerFileSummary;
    if (format === 'kubectl') {
      const k = parseKubectl(text);
      problems = k.problems;
      for (const p of k.pods) pods.push({ ...p, file: path });
      for (const n of k.nodes) nodes.push({ ...n, file: path });
      summary = { path, format, pods: k.pods.length, nodes: k.nodes.length, entries: 0 };
    } else {
      const t = format === 'csv' ? parseOwnerCsv(text) : parseHostsFile(text);
      problems = t.problems;
      for (const e of t.entries) (format === 'csv' ? csv : hosts).push({ ...e, file: path });
      summary = { path, format, pods: 0, nodes: 0, entries: t.entries.length };
    }
    if (problems.length > 0) {
      const p = problems[0]!;
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more line${problems.length > 2 ? 's' : ''})` : '';
      return { ok: false, error: `--hosts ${path}${p.line > 0 ? ` line ${p.line}` : ''}: ${p.why}${more}` };
    }
    if (summary.pods + summary.nodes + summary.entries === 0) return { ok: false, error: `--hosts ${path}: no addresses in it (expected ${FORMATS})` };
    files.push(summary);
  }
  return { ok: true, map: assemble(files, pods, nodes, csv, hosts) };
}

function assemble(
  files: OwnerFileSummary[],
  pods: ReadonlyArray<PodRow & { file: string }>,
  nodes: ReadonlyArray<NodeRow & { file: string }>,
  csv: ReadonlyArray<TableEntry & { file: string }>,
  hosts: ReadonlyArray<TableEntry & { file: string }>,
): OwnerMap {
  const src = (file: string, line: number): string => `${file}:${line}`;
  // Node addresses: from the nodes files, and any address two running pods on one node share
  // (hostNetwork pods: kube-proxy, the CNI's agent, node exporters run on the node's own IP).
  const nodeOf = new Map<string, { node: string; source: string }>();
  for (const n of nodes) for (const ip of n.ips) if (!nodeOf.has(ip)) nodeOf.set(ip, { node: n.node, source: src(n.file, n.line) });
  const running = pods.filter((p) => !p.finished);
  const byIp = new Map<string, Array<PodRow & { file: string }>>();
  for (const p of running) {
    if (!p.ip) continue;
    let l = byIp.get(p.ip);
    if (!l) byIp.set(p.ip, (l = []));
    l.push(p);
  }
  const podExact: Array<[string, OwnerMatch]> = [];
  for (const [ip, list] of byIp) {
    const first = list[0]!;
    if (nodeOf.has(ip)) continue;
    if (list.length > 1) {
      const onNodes = new Set(list.map((p) => p.node ?? ''));
      // One node: its own address. Several: the file mixes two moments; no answer beats a wrong one.
      if (onNodes.size === 1 && first.node) nodeOf.set(ip, { node: first.node, source: src(first.file, first.line) });
      continue;
    }
    podExact.push([
      ip,
      {
        name: first.owner,
        kind: 'pod',
        source: src(first.file, first.line),
        match: ip,
        ...(first.namespace ? { namespace: first.namespace } : {}),
        pod: first.pod,
        ...(first.node ? { node: first.node } : {}),
      },
    ]);
  }
  // Each node's workloads, once per node (every address of the node shares the list).
  const workloads = new Map<string, Map<string, PodCandidate>>();
  for (const p of running) {
    if (!p.node) continue;
    let m = workloads.get(p.node);
    if (!m) workloads.set(p.node, (m = new Map()));
    const key = `${p.namespace ?? ''}/${p.owner}`;
    const c = m.get(key);
    m.set(key, { ...(p.namespace ? { namespace: p.namespace } : {}), owner: p.owner, pods: (c?.pods ?? 0) + 1 });
  }
  const candidatesOf = (node: string): Pick<OwnerMatch, 'candidates' | 'moreCandidates'> => {
    const m = workloads.get(node);
    if (!m) return {};
    const all = [...m.values()].sort((a, b) => b.pods - a.pods || a.owner.localeCompare(b.owner));
    return { candidates: all.slice(0, CANDIDATES_LISTED), ...(all.length > CANDIDATES_LISTED ? { moreCandidates: all.length - CANDIDATES_LISTED } : {}) };
  };
  const nodeExact: Array<[string, OwnerMatch]> = [...nodeOf].map(([ip, n]) => [
    ip,
    { name: n.node, kind: 'node', source: n.source, match: ip, node: n.node, ...candidatesOf(n.node) },
  ]);
  const table = (e: TableEntry & { file: string }, kind: OwnerKind): OwnerMatch => ({
    name: e.name,
    ...(e.team ? { team: e.team } : {}),
    kind,
    source: src(e.file, e.line),
    match: e.range.text,
  });
  const csvExact: Array<[string, OwnerMatch]> = csv.filter((e) => e.range.single).map((e) => [e.range.network, table(e, 'host')]);
  const hostsExact: Array<[string, OwnerMatch]> = hosts.map((e) => [e.range.network, table(e, 'host')]);
  const ranges = csv
    .filter((e) => !e.range.single)
    .map((e) => ({ kind: e.range.kind, bits: e.range.bits, network: e.range.network, owner: table(e, 'network') }));
  return new OwnerMap(files, [...podExact, ...csvExact, ...hostsExact, ...nodeExact], ranges);
}

/** Reads every `--hosts` file; a file that cannot be read or parsed is an error in words. */
export function loadOwnerFiles(paths: readonly string[], read: (path: string) => string = (p) => readFileSync(p, 'utf8')): OwnerMapResult {
  const sources: OwnerSource[] = [];
  for (const path of paths) {
    try {
      sources.push({ path, text: read(path) });
    } catch (err) {
      return { ok: false, error: `cannot read --hosts ${path}: ${fileErrorText(err)}` };
    }
  }
  return buildOwnerMap(sources);
}
