// The inventory as a file: JSON (the contract), CSV (one row per client, for spreadsheets) or
// Markdown (the reconnaissance summary people paste into a migration ticket), chosen by extension.
import { extname } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { ExportClient, Inventory } from './inventory.ts';
import type { Finding } from '../audit/findings.ts';

export type ExportFormat = 'json' | 'csv' | 'md';

export function formatForPath(path: string): ExportFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.json') return 'json';
  if (ext === '.csv') return 'csv';
  if (ext === '.md' || ext === '.markdown') return 'md';
  return undefined;
}

export function renderInventory(inv: Inventory, format: ExportFormat): string {
  if (format === 'json') return `${JSON.stringify(inv, null, 2)}\n`;
  if (format === 'csv') return renderCsv(inv);
  return renderMarkdown(inv);
}

/** How many prefixes and keys a CSV cell lists before it stops. */
const CSV_LIST_MAX = 20;

function renderCsv(inv: Inventory): string {
  const rows = inv.clients.map((c) => ({
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
  }));
  // Excel and friends open a file of only a header fine; keep the header even with no clients.
  // Client names and keys come from the server, and any application can set them: a name like
  // =HYPERLINK(...) must open as text in a spreadsheet, never as a formula.
  return stringify(rows, {
    header: true,
    escape_formulas: true,
    columns: rows.length > 0 ? undefined : ['client_ip', 'name', 'lib', 'lib_ver', 'user'],
  });
}

/** `a, b ×12`: one name per service, however many connections it opened. */
function tally(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([n, c]) => (c > 1 ? `${n} ×${c}` : n)).join(', ');
}

const cell = (s: string | number): string => String(s).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const who = (c: ExportClient): string => (c.name !== '' ? c.name : `(unnamed) ${c.addr}`);

function table(head: string[], rows: Array<Array<string | number>>): string {
  if (rows.length === 0) return '_none_\n';
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n') + '\n';
}

function renderMarkdown(inv: Inventory): string {
  const s = inv.summary;
  const out: string[] = [];
  const server = inv.server ? `${inv.server.name} ${inv.server.version} (${inv.server.mode}, ${inv.server.role})` : 'unknown server';
  out.push(`# redis-recon reconnaissance: ${inv.endpoint}`, '');
  out.push(`- Server: ${server}`);
  out.push(`- Window: ${inv.window.start} to ${inv.window.end}; ${inv.window.monitorEvents} MONITOR events (${inv.window.unparsedLines} unparsed), MONITOR on for ${inv.window.monitorOnSeconds}s`);
  out.push(`- Target: ${inv.target ? `${inv.target.title} (\`${inv.target.id}\`)` : 'none'}`);
  out.push(`- Clients: ${s.clients} (${s.connected} still connected), ${s.services} named services, ${s.unnamed} unnamed`);
  out.push(`- Libraries: ${Object.entries(s.libraries).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'none judged'}`, '');

  const byName = new Map<string, ExportClient[]>();
  for (const c of inv.clients) if (c.name !== '') byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
  out.push('## Services identified', '');
  out.push(
    table(
      ['name', 'connections', 'ips', 'libraries', 'reads', 'writes'],
      [...byName].sort((a, b) => a[0].localeCompare(b[0])).map(([name, cs]) => [
        name,
        cs.length,
        [...new Set(cs.map((c) => c.ip))].join(', '),
        [...new Set(cs.map((c) => [c.libName, c.libVer].filter(Boolean).join(' ')))].filter(Boolean).join(', ') || '-',
        cs.reduce((n, c) => n + c.reads, 0),
        cs.reduce((n, c) => n + c.writes, 0),
      ]),
    ),
  );

  const unnamed = inv.clients.filter((c) => c.name === '');
  out.push('## Unnamed clients', '', 'Nobody can tell which service these are: set a client name (CLIENT SETNAME) in each.', '');
  out.push(table(['addr', 'ip', 'library', 'user', 'events', 'prefixes'], unnamed.map((c) => [c.addr, c.ip, [c.libName, c.libVer].filter(Boolean).join(' ') || '-', c.user ?? '-', c.events, c.prefixes.slice(0, 5).map((p) => p.prefix).join(' ') || '-'])));

  const upgrades = inv.clients.filter((c) => c.library && ['outdated', 'missing', 'unknown'].includes(c.library.verdict));
  out.push('## Libraries to upgrade', '');
  out.push(table(['client', 'library', 'verdict', 'minimum', 'latest', 'why'], upgrades.map((c) => [who(c), [c.libName, c.libVer].filter(Boolean).join(' ') || '-', c.library!.verdict, c.library!.minimum ?? '-', c.library!.latest ?? '-', c.library!.reason])));
  if (inv.clients.some((c) => c.library?.verdict === 'unavailable')) {
    out.push('This server predates CLIENT SETINFO (7.2): client libraries cannot be read from it.', '');
  }

  const failing = new Map<string, { finding: Finding; clients: string[]; count: number }>();
  for (const c of inv.clients) {
    for (const f of c.findings) {
      if (f.code !== 'unsupported-command' && f.code !== 'cross-slot' && f.code !== 'select-db') continue;
      const key = `${f.code}:${f.example ?? ''}`;
      const e = failing.get(key) ?? { finding: f, clients: [], count: 0 };
      e.clients.push(who(c));
      e.count += f.count;
      failing.set(key, e);
    }
  }
  out.push(`## What will fail on ${inv.target?.title ?? 'the target'}`, '');
  out.push(table(['finding', 'severity', 'calls', 'clients', 'why'], [...failing.values()].map((e) => [`${e.finding.code}${e.finding.example ? ` ${e.finding.example}` : ''}`, e.finding.severity, e.count, tally(e.clients), e.finding.message])));

  out.push('## Prefixes by readers and writers', '');
  const readers = new Map<string, Set<string>>();
  const writers = new Map<string, Set<string>>();
  for (const c of inv.clients) {
    for (const p of c.prefixes) {
      if (p.reads > 0) readers.set(p.prefix, (readers.get(p.prefix) ?? new Set()).add(who(c)));
      if (p.writes > 0) writers.set(p.prefix, (writers.get(p.prefix) ?? new Set()).add(who(c)));
    }
  }
  const prefixes = [...inv.prefixes].sort((a, b) => b.count - a.count).slice(0, 50);
  out.push(table(['prefix', 'reads', 'writes', 'readers', 'writers'], prefixes.map((p) => [p.prefix, p.reads, p.writes, [...(readers.get(p.prefix) ?? [])].join(', ') || '-', [...(writers.get(p.prefix) ?? [])].join(', ') || '-'])));
  return out.join('\n');
}
