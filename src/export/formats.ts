// The inventory as a file: JSON (the contract), CSV (one row per client, for spreadsheets) or
// Markdown (the reconnaissance summary people paste into a migration ticket), chosen by extension.
// Each format is produced as a sequence of chunks in time linear in the inventory, so a fleet of
// tens of thousands of connections is written piece by piece (see writeAtomic.ts), never held as
// one giant string.
import { extname } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { ExportClient, ExportServerFinding, Inventory } from './inventory.ts';
import type { Finding } from '../audit/findings.ts';
import { CUTOVER_STATES } from '../analysis/cutover.ts';
import type { ExportCutover } from './cutover.ts';
import { escapeControls } from '../escape.ts';
import { keyspaceMarkdown } from './keyspace.ts';
import { serviceKey } from '../ui/services.ts';

export type ExportFormat = 'json' | 'csv' | 'md';

export function formatForPath(path: string): ExportFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.csv') return 'csv';
  if (ext === '.md' || ext === '.markdown') return 'md';
  return undefined;
}

/** The extraction plan's format by extension (src/export/plan.ts writes it). */
export function planFormatForPath(path: string): 'md' | 'json' | 'toml' | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.md' || ext === '.markdown') return 'md';
  if (ext === '.json') return 'json';
  if (ext === '.toml') return 'toml';
  return undefined;
}

/** The file's text, piece by piece: what writeFileAtomic streams to disk. */
export function inventoryChunks(inv: Inventory, format: ExportFormat): Iterable<string> {
  if (format === 'json') return jsonChunks(inv);
  if (format === 'csv') return csvChunks(inv);
  return markdownChunks(inv);
}

/** The whole file as one string (tests, small inventories). */
export function renderInventory(inv: Inventory, format: ExportFormat): string {
  let out = '';
  for (const chunk of inventoryChunks(inv, format)) out += chunk;
  return out;
}

/**
 * Exactly the text of `JSON.stringify(inv, null, 2)` plus a newline, produced field by field and,
 * for the top level's arrays (clients, prefixes, topKeys), element by element: each element is
 * stringified alone and indented one level deeper. JSON strings never hold a raw newline, so
 * indenting after every newline of an element's text is exact.
 */
function* jsonChunks(inv: Inventory): Generator<string> {
  yield* jsonValue(inv, '', 0);
  yield '\n';
}

/** Levels streamed piece by piece: the inventory object (0) and its fields (1); deeper values whole. */
const STREAMED_DEPTH = 1;

function* jsonValue(value: unknown, indent: string, depth: number): Generator<string> {
  if (depth > STREAMED_DEPTH || value === null || typeof value !== 'object') {
    const text = JSON.stringify(value, null, 2) ?? 'null';
    yield indent === '' ? text : text.replace(/\n/g, `\n${indent}`);
    return;
  }
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      yield '[]';
      return;
    }
    yield '[';
    for (let i = 0; i < value.length; i++) {
      yield `${i > 0 ? ',' : ''}\n${inner}`;
      yield* jsonValue(value[i], inner, depth + 1);
    }
    yield `\n${indent}]`;
    return;
  }
  // JSON.stringify leaves out fields whose value is undefined, a function or a symbol.
  const fields = Object.entries(value).filter(([, v]) => v !== undefined && typeof v !== 'function' && typeof v !== 'symbol');
  if (fields.length === 0) {
    yield '{}';
    return;
  }
  yield '{';
  for (let i = 0; i < fields.length; i++) {
    const [k, v] = fields[i]!;
    yield `${i > 0 ? ',' : ''}\n${inner}${JSON.stringify(k)}: `;
    yield* jsonValue(v, inner, depth + 1);
  }
  yield `\n${indent}}`;
}

/** How many prefixes and keys a CSV cell lists before it stops. */
const CSV_LIST_MAX = 20;

/** CSV rows stringified per batch: csv-stringify's sync API, without one string for the whole file. */
const CSV_BATCH = 1000;

function* csvChunks(inv: Inventory): Generator<string> {
  // Excel and friends open a file of only a header fine; keep the header even with no clients.
  if (inv.clients.length === 0) {
    yield stringify([], { header: true, columns: ['client_ip', 'name', 'lib', 'lib_ver', 'user'] });
    return;
  }
  // The node each connection is to, by address (a cluster client holds one per node).
  const addrs = new Map((inv.nodes ?? []).map((n) => [n.id, n.addr]));
  const row = (c: ExportClient) => ({ ...csvRow(c), node: c.node === null ? '' : addrs.get(c.node) ?? c.node });
  for (let i = 0; i < inv.clients.length; i += CSV_BATCH) {
    // Client names and keys come from the server, and any application can set them: a name like
    // =HYPERLINK(...) must open as text in a spreadsheet, never as a formula.
    // Control and bidirectional characters are escaped as on screen: a key holding ESC must not
    // reach the terminal of whoever runs `cat` on the file.
    yield stringify(inv.clients.slice(i, i + CSV_BATCH).map(row), { header: i === 0, escape_formulas: true, cast: { string: escapeControls } });
  }
}

function csvRow(c: ExportClient) {
  return {
    client_ip: c.ip,
    name: c.name,
    lib: c.libName ?? '',
    lib_ver: c.libVer ?? '',
    user: c.user ?? '',
    addr: c.addr,
    id: c.id ?? '',
    db: c.db,
    connected: c.connected,
    first_seen: c.firstSeen,
    last_seen: c.lastSeen,
    events: c.events,
    reads: c.reads,
    writes: c.writes,
    commands: Object.entries(c.commands).map(([k, v]) => `${k}:${v}`).join(' '),
    library_verdict: c.library?.verdict ?? '',
    library_reason: c.library?.reason ?? '',
    findings: c.findings.map((f) => f.code).join(' '),
    prefixes_read: c.prefixes.filter((p) => p.reads > 0).slice(0, CSV_LIST_MAX).map((p) => `${p.prefix}(${p.reads})`).join(' '),
    prefixes_written: c.prefixes.filter((p) => p.writes > 0).slice(0, CSV_LIST_MAX).map((p) => `${p.prefix}(${p.writes})`).join(' '),
    top_keys: c.topKeys.slice(0, CSV_LIST_MAX).map((k) => `${k.key}(${k.count})`).join(' '),
    // The cheaper lenses: empty where the server does not give them.
    counters_commands: c.counters?.commands ?? '',
    counters_net_in: c.counters?.netIn ?? '',
    counters_net_out: c.counters?.netOut ?? '',
    sampled_commands: Object.entries(c.sampledCommands ?? {}).slice(0, CSV_LIST_MAX).map(([k, v]) => `${k}:${v}`).join(' '),
    logged_commands: Object.entries(c.loggedCommands ?? {}).slice(0, CSV_LIST_MAX).map(([k, v]) => `${k}:${v}`).join(' '),
    // Estimates (MONITOR sampled), apart from the counts above.
    estimated_events: c.estimate?.events ?? '',
    estimate_scale: c.estimate?.scale ?? '',
    owner: c.owner?.name ?? '',
    owner_kind: c.owner?.kind ?? '',
    owner_namespace: c.owner?.namespace ?? '',
    owner_team: c.owner?.team ?? '',
    owner_match: c.owner?.match ?? '',
    owner_source: c.owner?.source ?? '',
    likely_service: c.likely?.service ?? '',
    likely_score: c.likely?.score ?? '',
    unknown_service: c.unknownService ?? '',
    reverse_dns: c.reverseDns ?? '',
  };
}

/** An owner in one line: `shop/checkout-api`, `a pod on node-a`, `payments (10.1.0.0/16)`. */
function ownerWords(o: NonNullable<ExportClient['owner']>): string {
  if (o.kind === 'pod') return o.namespace ? `${o.namespace}/${o.name}` : o.name;
  if (o.kind === 'node') return `a pod on ${o.name}`;
  if (o.kind === 'network') return `${o.name} (${o.match})`;
  return o.name;
}

/** An unnamed client's best guess: `likely checkout-api (0.92)`, `unknown service 2`, its owner, `≈ host`. */
function guess(c: ExportClient): string {
  return [
    c.owner ? ownerWords(c.owner) : '',
    c.likely ? `likely ${c.likely.service} (${c.likely.score.toFixed(2)})` : (c.unknownService ?? ''),
    c.reverseDns ? `≈ ${c.reverseDns}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

/** A few items, then how many more: `10.0.0.1, 10.0.0.2 and 5 more`. */
function few(items: Iterable<string>, max = 5): string {
  const all = [...items];
  return all.length === 0 ? '-' : `${all.slice(0, max).join(', ')}${all.length > max ? ` and ${all.length - max} more` : ''}`;
}

/** `a, b ×12`: one name per service, however many connections it opened. */
function tally(counts: ReadonlyMap<string, number>): string {
  return [...counts].map(([n, c]) => (c > 1 ? `${n} ×${c}` : n)).join(', ');
}

/** Server text in a Markdown line: control and bidirectional characters escaped (a newline too). */
const md = (s: string | number): string => escapeControls(String(s));
const cell = (s: string | number): string => md(s).replace(/\|/g, '\\|');
/** The service a connection belongs to (pods of one deployment are one); unnamed ones by IP. */
const who = (c: ExportClient): string => (c.name !== '' ? serviceKey(c) : `(unnamed) ${c.ip}`);

/** A Markdown table, one chunk per row. */
function* table(head: readonly string[], rows: Iterable<ReadonlyArray<string | number>>): Generator<string> {
  let any = false;
  for (const r of rows) {
    if (!any) {
      yield `| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n`;
      any = true;
    }
    yield `| ${r.map(cell).join(' | ')} |\n`;
  }
  if (!any) yield '_none_\n';
}

const lib = (c: ExportClient): string => [c.libName, c.libVer].filter(Boolean).join(' ');

/** Explanations written once under a table, each row pointing at its number: `[1]`. */
class Notes {
  private readonly texts = new Map<string, number>();
  ref(text: string): string {
    let n = this.texts.get(text);
    if (n === undefined) this.texts.set(text, (n = this.texts.size + 1));
    return `[${n}]`;
  }
  *list(): Generator<string> {
    if (this.texts.size === 0) return;
    yield '\n';
    for (const [text, n] of this.texts) yield `${n}. ${md(text)}\n`;
  }
}

/** Off periods the Markdown lists one by one; the JSON has them all. */
const OFF_PERIODS_LISTED = 10;

/** `3 primaries, 3 replicas; every node watched, MONITOR on the primaries`. */
function clusterLine(inv: Inventory): string {
  const live = inv.nodes.filter((n) => n.state !== 'gone');
  const p = live.filter((n) => n.role === 'primary').length;
  const r = live.filter((n) => n.role === 'replica').length;
  const monitored = live.filter((n) => n.monitor.onSeconds > 0).length;
  const how =
    inv.cluster?.mode === 'pinned'
      ? `only ${md(inv.cluster.seed)} watched (--single-node)`
      : inv.cluster?.mode === 'replay'
        ? 'a recording of every node'
        : 'every node watched';
  const gone = inv.nodes.length - live.length;
  return `${p} primaries, ${r} replicas${gone > 0 ? ` (+${gone} gone)` : ''}; ${how}; MONITOR ran on ${monitored} of ${live.length} nodes`;
}

/** The cutover report: per service its state, when it moved, what is left; then keys on both sides. */
function* cutoverMarkdown(c: ExportCutover): Generator<string> {
  const ep = (e: ExportCutover['source']): string =>
    `${md(e.endpoint)}${e.server ? ` (${md(`${e.server.name} ${e.server.version}, ${e.server.mode}`)})` : ''}${e.keys !== null ? `, ${e.keys} keys` : ''}${e.error ? `: **${md(e.error)}**` : ''}`;
  yield `## Cutover: ${md(c.source.endpoint)} → ${md(c.target.endpoint)}\n\n`;
  yield `- Source: ${ep(c.source)}\n- Target: ${ep(c.target)}\n`;
  yield `- Services: ${CUTOVER_STATES.map((s) => `${c.counts[s]} ${s}`).join(', ')} (done: no traffic on the source for ${c.quietAfterSeconds}s)\n`;
  if (c.counts.both > 0) yield `- **Writes on both endpoints**: ${c.services.filter((s) => s.state === 'both').map((s) => md(s.service)).join(', ')}\n`;
  yield '\n';
  yield* table(
    ['service', 'state', 'matched by', 'source conns', 'source ops/s', 'last seen on source', 'target conns', 'target ops/s', 'moved (first on target)', 'left'],
    c.services.map((s) => [s.service, s.state, s.matchedBy, s.source.connections, s.source.opsPerSec ?? '?', s.source.lastSeen ?? '-', s.target.connections, s.target.opsPerSec ?? '?', s.movedAt ?? '-', s.left]),
  );
  yield `\n### Keys on both sides\n\n`;
  yield* table(
    ['pattern', 'source keys', 'target keys', 'lens'],
    [
      ['(every database)', c.keys.total.source ?? '?', c.keys.total.target ?? '?', 'INFO keyspace, last poll'],
      ...c.keys.patterns.map((p) => [p.pattern, p.source ?? '?', p.target ?? '?', `keyspace sample${p.exact ? '' : ' (estimate)'}, as of its pass`]),
    ],
  );
  yield '\n';
}

/** Rows of the command mix and of the command log in the summary. */
const COMMANDS_SHOWN = 30;
const LOG_SHOWN = 20;

/** Which lenses ran, in words: `MONITOR sampled 10s/60s (on 60s of 6m, ×6.0) · counters · slowlog`. */
function lensLine(inv: Inventory): string {
  const l = inv.lenses!;
  const m = l.monitor;
  const monitor =
    m.mode === 'off'
      ? 'MONITOR off'
      : m.mode === 'sampled' && m.sample
        ? `MONITOR sampled ${m.sample.onSeconds}s/${m.sample.periodSeconds}s (on ${m.onSeconds}s of ${m.windowSeconds}s${m.scale !== null ? `; estimates scale by about ×${m.scale}` : ''})`
        : `MONITOR on (${m.onSeconds}s of ${m.windowSeconds}s)`;
  const on = (['counters', 'lastCommand', 'slowlog', 'commandlog', 'commandstats', 'errorstats'] as const)
    .filter((k) => l[k] === 'on')
    .map((k) => (k === 'lastCommand' ? 'cmd=' : k));
  return [monitor, ...on].join(' · ');
}

/** Findings that say what will fail on the target (the others are about who the client is). */
const FAILING: ReadonlySet<string> = new Set(['unsupported-command', 'cross-slot', 'cross-slot-transaction', 'cross-slot-script', 'select-db']);

/**
 * The summary for a migration ticket. Every list is built in one pass over the clients with maps
 * keyed by what it groups on (linear in the fleet: 20k connections of one service took 2 s when
 * each group was copied on every member), and emitted row by row.
 */
function* markdownChunks(inv: Inventory): Generator<string> {
  const s = inv.summary;
  const server = inv.server ? md(`${inv.server.name} ${inv.server.version} (${inv.server.mode}, ${inv.server.role})`) : 'unknown server';
  const w = inv.window;
  yield `# redis-recon reconnaissance: ${md(inv.endpoint)}\n\n`;
  yield `- Server: ${server}\n`;
  yield `- Window: ${w.start} to ${w.end}; ${w.monitorEvents} MONITOR events (${w.unparsedLines} unparsed), MONITOR on for ${w.monitorOnSeconds}s\n`;
  if (w.monitorOff.length > 0 || w.droppedLines > 0) {
    // The counts below are short by whatever ran while MONITOR was off: say so first, and when.
    const dropped = w.droppedLines > 0 ? `${w.droppedLines} lines dropped because redis-recon fell behind` : '';
    const off = w.monitorOffSeconds > 0 ? `MONITOR was off for ${w.monitorOffSeconds}s of the window` : w.monitorOff.length > 0 ? 'the server did not show MONITOR every command' : '';
    yield `- **Incomplete**: ${[off, dropped].filter(Boolean).join('; ')}: the counts below are short by what ran then\n`;
    for (const p of w.monitorOff.slice(0, OFF_PERIODS_LISTED)) yield `  - ${p.from} to ${p.to}${p.seconds > 0 ? ` (off ${p.seconds}s)` : ''}: ${md(p.why)}\n`;
    if (w.monitorOff.length > OFF_PERIODS_LISTED) yield `  - and ${w.monitorOff.length - OFF_PERIODS_LISTED} more (see the JSON export)\n`;
  }
  if (inv.lenses) yield `- Lenses: ${lensLine(inv)}\n`;
  yield `- Target: ${inv.target ? `${md(inv.target.title)} (\`${md(inv.target.id)}\`)` : 'none'}\n`;
  const self = s.selfLeftOut ? `; ${s.selfLeftOut} redis-recon connection(s) left out` : '';
  yield `- Clients: ${s.clients} (${s.connected} still connected${self}), ${s.services} named services, ${s.unnamed} unnamed\n`;
  // Who is behind the unnamed ones, in one line: what the fingerprints and owner files could tell.
  let likelyN = 0;
  let unknownN = 0;
  let quiet = 0;
  for (const c of inv.clients) {
    if (c.name !== '') continue;
    if (c.likely) likelyN++;
    else if (c.unknownService) unknownN++;
    else if (c.likelyNote?.startsWith('too little traffic')) quiet++;
  }
  const groups = inv.unknownServices?.length ?? 0;
  if (s.unnamed > 0 && (likelyN > 0 || groups > 0)) {
    const parts = [
      likelyN > 0 ? `${likelyN} behave${likelyN === 1 ? 's' : ''} like a named service` : '',
      groups > 0 ? `${unknownN} form${unknownN === 1 ? 's' : ''} ${groups} unknown service${groups === 1 ? '' : 's'}` : '',
      quiet > 0 ? `${quiet} too quiet to tell` : '',
    ];
    yield `- Unnamed: ${parts.filter(Boolean).join(', ')}\n`;
  }
  if (s.owned) yield `- Owner files name ${s.owned} of the ${s.clients} clients\n`;
  yield `- Libraries: ${Object.entries(s.libraries).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'none judged'}\n`;
  const nodes = inv.nodes ?? [];
  const several = nodes.length > 1;
  if (inv.cluster) yield `- Cluster: ${clusterLine(inv)}\n`;
  yield '\n';

  interface Service { connections: number; ips: Set<string>; libs: Set<string>; reads: number; writes: number; nodes: Set<string> }
  const services = new Map<string, Service>();
  for (const c of inv.clients) {
    if (c.name === '') continue;
    // Pods of one deployment (checkout-7f9c8d6b5-x2x7q) are one service.
    const name = serviceKey(c);
    let e = services.get(name);
    if (!e) services.set(name, (e = { connections: 0, ips: new Set(), libs: new Set(), reads: 0, writes: 0, nodes: new Set() }));
    e.connections++;
    if (c.node !== null) e.nodes.add(c.node);
    e.ips.add(c.ip);
    const l = lib(c);
    if (l !== '') e.libs.add(l);
    e.reads += c.reads;
    e.writes += c.writes;
  }
  if (inv.cutover) yield* cutoverMarkdown(inv.cutover);
  yield '## Services identified\n\n';
  // Across a cluster's nodes: a cluster client holds a connection on each node it talks to.
  yield* table(
    ['name', 'connections', ...(several ? ['nodes'] : []), 'ips', 'libraries', 'reads', 'writes'],
    [...services]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([name, e]) => [name, e.connections, ...(several ? [e.nodes.size] : []), [...e.ips].join(', '), [...e.libs].join(', ') || '-', e.reads, e.writes]),
  );

  if (several) {
    const addr = new Map(nodes.map((n) => [n.id, n.addr]));
    yield '\n## Nodes\n\nMOVED/ASK: replies the node sent while watched (INFO errorstats, server-wide: a redirected command never reaches MONITOR, so no client can be named).\n\n';
    yield* table(
      ['node', 'role', 'slots', 'connected', 'MONITOR', 'events', 'MOVED/ASK', 'state'],
      nodes.map((n) => [
        n.addr,
        n.role === 'replica' && n.primary ? `replica of ${addr.get(n.primary) ?? n.primary}` : n.role ?? '-',
        n.slots || '-',
        n.connected,
        `${n.monitor.phase}${n.monitor.onSeconds > 0 ? ` (${n.monitor.onSeconds}s)` : ''}`,
        n.monitor.events,
        n.redirects ? `${n.redirects.moved}/${n.redirects.ask}` : '-',
        n.why ? `${n.state}: ${n.why}` : n.state,
      ]),
    );
  }
  if (inv.cluster && inv.cluster.notClusterAware.length > 0) {
    const addr = new Map(nodes.map((n) => [n.id, n.addr]));
    yield '\n## Likely not cluster-aware\n\nEvery connection of these services is to one primary, and that node answered MOVED while watched (INFO errorstats): each MOVED is a command that failed for some client there. An inference: the server never says which client it redirected.\n\n';
    yield* table(
      ['service', 'node', 'connections', 'MOVED on that node'],
      inv.cluster.notClusterAware.map((s) => [s.name, addr.get(s.node) ?? s.node, s.connections, s.moved]),
    );
  }
  if (inv.cluster && inv.cluster.events.length > 0) {
    yield '\n## What happened to the cluster\n\n';
    for (const e of inv.cluster.events) yield `- ${e.at} ${cell(e.text)}\n`;
  }

  // Owners from the --hosts files: one row per owner, however many connections.
  interface Owned { words: string; kind: string; team: string; connections: number; names: Set<string>; ips: Set<string>; source: string }
  const owned = new Map<string, Owned>();
  for (const c of inv.clients) {
    if (!c.owner) continue;
    const words = ownerWords(c.owner);
    const key = `${c.owner.kind}\u0000${words}`;
    let e = owned.get(key);
    if (!e) owned.set(key, (e = { words, kind: c.owner.kind, team: c.owner.team ?? '-', connections: 0, names: new Set(), ips: new Set(), source: c.owner.source }));
    e.connections++;
    e.names.add(c.name !== '' ? c.name : c.likely ? `likely ${c.likely.service}` : '(unnamed)');
    e.ips.add(c.ip);
  }
  if (owned.size > 0) {
    yield '\n## Owners\n\nFrom the owner files (`--hosts`): the most specific match for each address. A node stands for one of its pods.\n\n';
    yield* table(
      ['owner', 'kind', 'team', 'connections', 'names', 'addresses', 'from'],
      [...owned.values()].sort((a, b) => b.connections - a.connections || a.words.localeCompare(b.words)).map((e) => [e.words, e.kind, e.team, e.connections, few(e.names), few(e.ips), e.source]),
    );
  }

  // Unnamed connections that behave like a named service, one row per service.
  const alike = new Map<string, { connections: number; ips: Set<string>; min: number; max: number }>();
  for (const c of inv.clients) {
    if (!c.likely) continue;
    let e = alike.get(c.likely.service);
    if (!e) alike.set(c.likely.service, (e = { connections: 0, ips: new Set(), min: 1, max: 0 }));
    e.connections++;
    e.ips.add(c.ip);
    e.min = Math.min(e.min, c.likely.score);
    e.max = Math.max(e.max, c.likely.score);
  }
  if (alike.size > 0) {
    yield '\n## Unnamed connections that behave like a named service\n\nTheir commands, key patterns and read/write mix match the service\'s closely (scores 0 to 1; the JSON export has the evidence). Likely, not certain: confirm, then name them.\n\n';
    yield* table(
      ['likely service', 'connections', 'addresses', 'score'],
      [...alike].sort((a, b) => a[0].localeCompare(b[0])).map(([service, e]) => [service, e.connections, few(e.ips), e.min === e.max ? e.min.toFixed(2) : `${e.min.toFixed(2)}–${e.max.toFixed(2)}`]),
    );
  }
  if (groups > 0) {
    yield '\n## Unknown services\n\nUnnamed connections that behave alike, and like no named service: each row is one service to find.\n\n';
    yield* table(
      ['unknown service', 'connections', 'addresses', 'library', 'key patterns', 'commands'],
      inv.unknownServices!.map((u) => [u.label, u.connections, few(u.ips), few(u.libraries, 2), u.patterns.join(' ') || '-', u.commands.join(' ') || '-']),
    );
  }

  yield '\n## Unnamed clients\n\nNobody can tell which service these are: set a client name (CLIENT SETNAME) in each.\n\n';
  yield* table(
    ['addr', 'ip', 'library', 'user', 'events', 'prefixes', 'best guess'],
    (function* () {
      for (const c of inv.clients) {
        if (c.name === '') yield [c.addr, c.ip, lib(c) || '-', c.user ?? '-', c.events, c.prefixes.slice(0, 5).map((p) => p.prefix).join(' ') || '-', guess(c) || '-'];
      }
    })(),
  );

  // One row per service and library version (its connections ×N; unnamed ones by IP), each
  // explanation once under the table: short enough to paste into a migration ticket.
  const upgrades = new Map<string, { c: ExportClient; n: number; service: string }>();
  const notes = new Notes();
  for (const c of inv.clients) {
    if (!c.library || !['outdated', 'missing', 'unknown'].includes(c.library.verdict)) continue;
    const service = who(c);
    const key = `${service}\u0000${lib(c)}\u0000${c.library.verdict}`;
    const e = upgrades.get(key);
    if (e) e.n++;
    else upgrades.set(key, { c, n: 1, service });
  }
  yield '\n## Libraries to upgrade\n\n';
  yield* table(
    ['service', 'library', 'verdict', 'upgrade to', 'latest', 'why'],
    [...upgrades.values()]
      .sort((a, b) => a.service.localeCompare(b.service))
      .map(({ c, n, service }) => [n > 1 ? `${service} ×${n}` : service, lib(c) || '-', c.library!.verdict, c.library!.minimum ? `≥ ${c.library!.minimum}` : '-', c.library!.latest ?? '-', notes.ref(c.library!.reason)]),
  );
  yield* notes.list();
  if (inv.clients.some((c) => c.library?.verdict === 'unavailable')) {
    yield 'This server predates CLIENT SETINFO (7.2): client libraries cannot be read from it.\n';
  }

  const failing = new Map<string, { finding: Finding; clients: Map<string, number>; count: number; server?: ExportServerFinding }>();
  for (const c of inv.clients) {
    for (const f of c.findings) {
      if (!FAILING.has(f.code)) continue;
      const key = `${f.code}:${f.example ?? ''}`;
      let e = failing.get(key);
      if (!e) failing.set(key, (e = { finding: f, clients: new Map(), count: 0 }));
      // By service, and by lens where MONITOR was not the one that saw it.
      const name = f.lens && f.lens !== 'monitor' ? `${who(c)} (${f.lens})` : who(c);
      e.clients.set(name, (e.clients.get(name) ?? 0) + 1);
      e.count += f.count;
    }
  }
  // INFO commandstats' findings: the server ran the command, MONITOR or not; the clients each lens saw.
  for (const f of inv.serverFindings ?? []) {
    const key = `unsupported-command:${f.command}`;
    const clients = new Map<string, number>();
    for (const c of f.clients) {
      const name = `${c.name !== '' ? serviceKey(c) : `(unnamed) ${c.addr}`}${c.lens !== 'monitor' ? ` (${c.lens})` : ''}`;
      clients.set(name, (clients.get(name) ?? 0) + 1);
    }
    const e = failing.get(key);
    // The clients' own findings already name who ran it (through every lens); commandstats adds the counts.
    if (e) e.server = f;
    else {
      failing.set(key, { finding: { code: f.code, severity: f.severity, message: f.message, count: f.calls, example: f.command }, clients, count: f.calls, server: f });
    }
  }
  if (inv.cutover) {
    // The real target answered for itself: its verdicts replace the profile's assumptions.
    yield `\n## What will fail on the real target ${md(inv.cutover.target.endpoint)}\n\n`;
    yield 'From the target\'s own COMMAND LIST, INFO and MODULE LIST, against the traffic seen on the source.\n\n';
    yield* table(
      ['verdict', 'severity', 'calls', 'services', 'why'],
      inv.cutover.verdicts.map((v) => [`${v.code} ${v.subject}`, v.severity, v.calls, v.services.join(', ') || '-', v.message]),
    );
  } else {
    yield `\n## What will fail on ${md(inv.target?.title ?? 'the target')}\n\n`;
    const whyFailing = new Notes();
    yield* table(
      ['finding', 'severity', 'calls', 'services', 'why'],
      [...failing.values()].map((e) => [
        `${e.finding.code}${e.finding.example ? ` ${e.finding.example}` : ''}`,
        e.finding.severity,
        e.server ? `${e.server.calls} in the window, ${e.server.callsSinceStart} since the server's start (commandstats)` : e.count,
        tally(e.clients) || (e.server ? 'not seen by any lens that names clients' : ''),
        // The count leading a message is the first client's; the calls column has the total. Each explanation once.
        whyFailing.ref(e.finding.message.replace(/^\d+ /, '')),
      ]),
    );
    yield* whyFailing.list();
  }

  const commands = (inv.commands ?? []).filter((c) => c.calls > 0 || (c.callsSinceStart ?? 0) > 0).slice(0, COMMANDS_SHOWN);
  if (commands.length > 0) {
    const source = inv.commands![0]!.source === 'commandstats' ? 'INFO commandstats, redis-recon\'s own calls left out' : 'MONITOR, the calls it saw';
    yield `\n## Command mix (${source})\n\n`;
    yield* table(
      ['command', 'calls in the window', 'since the server\'s start', 'µs per call', 'failed', 'rejected'],
      commands.map((c) => [c.name, c.calls, c.callsSinceStart ?? '-', c.usecPerCall ?? '-', c.failedCalls ?? '-', c.rejectedCalls ?? '-']),
    );
    const errors = (inv.errors ?? []).filter((e) => e.countSinceStart > 0);
    if (errors.length > 0) yield `\nErrors (INFO errorstats, in the window / since the start): ${errors.map((e) => `${md(e.name)} ${e.count}/${e.countSinceStart}`).join(', ')}\n`;
  }

  const log = (inv.slowlog ?? []).slice(-LOG_SHOWN).reverse();
  if (log.length > 0) {
    yield `\n## Command log (${log[0]!.lens === 'commandlog' ? 'COMMANDLOG' : 'SLOWLOG'}, newest first)\n\n`;
    yield* table(
      ['at', 'log', 'µs / bytes', 'command', 'keys', 'client'],
      log.map((e) => [e.at, e.kind, e.durationUs ?? e.bytes ?? '-', e.command, e.keys.join(' ') || '-', e.name !== '' ? e.name : `(unnamed) ${e.addr}`]),
    );
  }

  yield '\n## Key patterns by readers and writers\n\n';
  yield 'Each key is counted under one pattern (ids became `*`).\n\n';
  const readers = new Map<string, Set<string>>();
  const writers = new Map<string, Set<string>>();
  for (const c of inv.clients) {
    for (const p of c.prefixes) {
      if (p.reads > 0) readers.set(p.prefix, (readers.get(p.prefix) ?? new Set()).add(who(c)));
      if (p.writes > 0) writers.set(p.prefix, (writers.get(p.prefix) ?? new Set()).add(who(c)));
    }
  }
  const prefixes = inv.prefixes.filter((p) => p.kind !== 'prefix').sort((a, b) => b.count - a.count).slice(0, 50);
  yield* table(
    ['pattern', 'reads', 'writes', 'readers', 'writers'],
    prefixes.map((p) => [p.prefix, p.reads, p.writes, [...(readers.get(p.prefix) ?? [])].join(', ') || '-', [...(writers.get(p.prefix) ?? [])].join(', ') || '-']),
  );
  if (inv.keyspace) yield* keyspaceMarkdown(inv.keyspace, inv.window.monitorOnSeconds);
}
