// `kubectl get pods -o wide` and `kubectl get nodes -o wide` output as people save it, in the column
// layouts kubectl has printed over the years: with `-A` (NAMESPACE first) or without, with or without
// NOMINATED NODE and READINESS GATES (1.11+ and 1.14+), label columns after them, `--no-headers`.
// Columns are read by the header's order after splitting on whitespace, not by character offsets,
// so a file whose spacing was squeezed (pasted through a chat) still reads; the two values that hold
// spaces are handled: RESTARTS `2 (3d ago)` (1.22+) is joined back, and nodes' OS-IMAGE (`Amazon
// Linux 2`) comes after the last column read. Pure.
import { canonicalIp } from './addresses.ts';

export interface PodRow {
  readonly namespace?: string;
  readonly pod: string;
  readonly status: string;
  /** Canonical; absent for `<none>` (Pending, or a finished pod that gave its address back). */
  readonly ip?: string;
  readonly node?: string;
  /** The workload the pod belongs to, from its name (see workloadOf). */
  readonly owner: string;
  /** Finished (Completed, Failed, Evicted …): its address may already belong to another pod. */
  readonly finished: boolean;
  readonly line: number;
}

export interface NodeRow {
  readonly node: string;
  /** INTERNAL-IP and EXTERNAL-IP that are addresses, canonical. */
  readonly ips: readonly string[];
  readonly line: number;
}

export interface KubectlParse {
  readonly pods: PodRow[];
  readonly nodes: NodeRow[];
  /** Lines that look like neither a header, a row nor kubectl's own chatter, with why. */
  readonly problems: Array<{ line: number; why: string }>;
}

/** Pod statuses of pods that no longer run: their IP is free for the next pod. */
const FINISHED = new Set([
  'Completed', 'Succeeded', 'Failed', 'Error', 'Evicted', 'ContainerStatusUnknown', 'OOMKilled', 'DeadlineExceeded',
  'Shutdown', 'NodeShutdown', 'Terminated', 'UnexpectedAdmissionError', 'OutOfcpu', 'OutOfmemory', 'NodeAffinity',
]);

const NONE = '<none>';

/** kubectl's own lines that are not rows: "No resources found …", warnings, klog lines. */
const CHATTER = /^(No resources found|Warning:|error:|Error from server|[EIWF]\d{4} )/;

/** Kubernetes' name-suffix alphabet: no vowels, no 0, 1, 3 (k8s.io/apimachinery rand.SafeEncodeString). */
const SAFE = '[bcdfghjklmnpqrstvwxz2456789]';
const DEPLOYMENT = new RegExp(`^(.+)-${SAFE}{5,10}-${SAFE}{5}$`);
const CRONJOB = new RegExp(`^(.+)-\\d{8,10}-${SAFE}{5}$`);
const STATEFULSET = /^(.+)-\d{1,5}$/;
const GENERATED = new RegExp(`^(.+)-${SAFE}{5}$`);

/**
 * The workload a pod belongs to, from its name: a Deployment's `<owner>-<replica-set hash>-<5>`, a
 * CronJob's `<owner>-<minute>-<5>`, a static pod's `<name>-<node>`, a StatefulSet's
 * `<owner>-<ordinal>`, a DaemonSet's or Job's `<owner>-<5>`; any other name is its own owner.
 */
export function workloadOf(pod: string, node?: string): string {
  const m = DEPLOYMENT.exec(pod) ?? CRONJOB.exec(pod);
  if (m) return m[1]!;
  if (node && pod.length > node.length + 1 && pod.endsWith(`-${node}`)) return pod.slice(0, -node.length - 1);
  const s = STATEFULSET.exec(pod) ?? GENERATED.exec(pod);
  return s ? s[1]! : pod;
}

type Layout = { kind: 'pods' | 'nodes'; columns: string[] } | { kind: 'bad-header'; why: string };

/** A header line's columns (two-word titles joined), or undefined when the line is no header. */
function readHeader(line: string): Layout | undefined {
  const raw = line.trim().split(/\s+/);
  if (raw[0] !== 'NAME' && raw[0] !== 'NAMESPACE') return undefined;
  const columns: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i]!;
    const next = raw[i + 1];
    if ((t === 'NOMINATED' && next === 'NODE') || (t === 'READINESS' && next === 'GATES')) {
      columns.push(`${t} ${next}`);
      i++;
    } else columns.push(t);
  }
  if (!columns.includes('NAME') || !columns.includes('STATUS')) return undefined;
  if (columns.includes('READY')) {
    return columns.includes('IP') && columns.includes('NODE')
      ? { kind: 'pods', columns }
      : { kind: 'bad-header', why: 'kubectl get pods without -o wide has no IP column: save `kubectl get pods -A -o wide`' };
  }
  if (columns.includes('ROLES') || columns.includes('VERSION')) {
    return columns.includes('INTERNAL-IP')
      ? { kind: 'nodes', columns }
      : { kind: 'bad-header', why: 'kubectl get nodes without -o wide has no INTERNAL-IP column: save `kubectl get nodes -o wide`' };
  }
  return undefined;
}

/** Whitespace-separated cells, a parenthesised group (`(3d ago)`) joined to the cell before it. */
function cells(line: string): string[] {
  const raw = line.trim().split(/\s+/);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    let t = raw[i]!;
    if (t.startsWith('(') && out.length > 0) {
      while (!t.endsWith(')') && i + 1 < raw.length) t += ` ${raw[++i]}`;
      out[out.length - 1] += ` ${t}`;
    } else out.push(t);
  }
  return out;
}

const ipOrNone = (text: string | undefined): { ok: boolean; ip?: string } => {
  if (text === undefined) return { ok: false };
  if (text === NONE) return { ok: true };
  const ip = canonicalIp(text);
  return ip ? { ok: true, ip } : { ok: false };
};

function pod(namespace: string | undefined, name: string, status: string, ipText: string, nodeText: string | undefined, line: number): PodRow | string {
  const ip = ipOrNone(ipText);
  if (!ip.ok) return `"${ipText}" in the IP column is not an address`;
  const node = nodeText === undefined || nodeText === NONE ? undefined : nodeText;
  return {
    ...(namespace !== undefined ? { namespace } : {}),
    pod: name,
    status,
    ...(ip.ip ? { ip: ip.ip } : {}),
    ...(node ? { node } : {}),
    owner: workloadOf(name, node),
    finished: FINISHED.has(status),
    line,
  };
}

function node(name: string, internal: string | undefined, external: string | undefined, line: number): NodeRow | string {
  const a = ipOrNone(internal);
  const b = ipOrNone(external ?? NONE);
  if (!a.ok) return `"${internal ?? ''}" in the INTERNAL-IP column is not an address`;
  if (!b.ok) return `"${external ?? ''}" in the EXTERNAL-IP column is not an address`;
  return { node: name, ips: [a.ip, b.ip].filter((x): x is string => x !== undefined), line };
}

const READY = /^\d+\/\d+$/;
const NODE_STATUS = /^(Ready|NotReady|Unknown)(,SchedulingDisabled)?$/;

/** A row without a header (`--no-headers`), told apart by its shape. */
function headless(c: string[], line: number): PodRow | NodeRow | string | undefined {
  // Pods: [NAMESPACE] NAME READY STATUS RESTARTS AGE IP NODE …
  const r = READY.test(c[1] ?? '') ? 1 : READY.test(c[2] ?? '') ? 2 : -1;
  if (r > 0 && c.length >= r + 6) return pod(r === 2 ? c[0] : undefined, c[r - 1]!, c[r + 1]!, c[r + 4]!, c[r + 5], line);
  // Nodes: NAME STATUS ROLES AGE VERSION INTERNAL-IP EXTERNAL-IP …
  if (NODE_STATUS.test(c[1] ?? '') && /^v\d/.test(c[4] ?? '') && c.length >= 7) return node(c[0]!, c[5], c[6], line);
  return undefined;
}

/** Whether text looks like kubectl output at all (a header, or a first row of either shape). */
export function looksLikeKubectl(text: string): boolean {
  for (const raw of text.split('\n')) {
    const l = raw.trim();
    if (l === '' || l.startsWith('#') || CHATTER.test(l)) continue;
    return readHeader(l) !== undefined || headless(cells(l), 0) !== undefined;
  }
  return false;
}

export function parseKubectl(text: string): KubectlParse {
  const pods: PodRow[] = [];
  const nodes: NodeRow[] = [];
  const problems: Array<{ line: number; why: string }> = [];
  let layout: Layout | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const l = lines[i]!.trim();
    if (l === '' || l.startsWith('#') || CHATTER.test(l)) continue;
    // Several outputs pasted into one file: each header starts its own layout.
    const header = readHeader(l);
    if (header) {
      layout = header;
      if (header.kind === 'bad-header') problems.push({ line: n, why: header.why });
      continue;
    }
    const c = cells(l);
    let row: PodRow | NodeRow | string | undefined;
    if (!layout) row = headless(c, n) ?? 'not a kubectl get pods/nodes -o wide row';
    else if (layout.kind === 'bad-header') continue;
    else {
      const columns = layout.columns;
      const col = (name: string): string | undefined => {
        const at = columns.indexOf(name);
        return at < 0 ? undefined : c[at];
      };
      if (layout.kind === 'pods') {
        const name = col('NAME');
        const status = col('STATUS');
        const ip = col('IP');
        row = name && status && ip ? pod(col('NAMESPACE'), name, status, ip, col('NODE'), n) : 'fewer columns than the header';
      } else {
        const name = col('NAME');
        row = name && col('INTERNAL-IP') !== undefined ? node(name, col('INTERNAL-IP'), col('EXTERNAL-IP'), n) : 'fewer columns than the header';
      }
    }
    if (typeof row === 'string') problems.push({ line: n, why: row });
    else if ('pod' in row) pods.push(row);
    else nodes.push(row);
  }
  return { pods, nodes, problems };
}
