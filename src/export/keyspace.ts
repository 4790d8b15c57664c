// The `keyspace` object of the inventory (JSON contract: fields are added, never renamed): what the
// keyspace sampler found per key pattern, joined to the traffic and the services of the same
// pattern. Estimates are rounded to whole keys and bytes; intervals are at CONFIDENCE.
import bytesLib from 'bytes';
import type { SessionView } from '../analysis/session.ts';
import { CONFIDENCE, type KeyspaceRow, type KeyspaceSummary } from '../analysis/keyspaceEstimate.ts';
import { accessByPattern, accessOf } from '../analysis/patternAccess.ts';
import type { TtlCounts } from '../analysis/keyspaceSample.ts';
import { clean } from '../ui/text.ts';

export interface ExportKeyspacePattern {
  pattern: string;
  kind: 'leaf' | 'other' | 'prefix';
  /** Keys and bytes: counted when `exact`, else estimated, with the interval. */
  keys: number;
  bytes: number | null;
  keysLow: number;
  keysHigh: number;
  bytesLow: number | null;
  bytesHigh: number | null;
  exact: boolean;
  /** Keys inspected under the pattern: `types`, `ttl` and `encodings` count these. */
  sampledKeys: number;
  types: Record<string, number>;
  ttl: TtlCounts;
  encodings: Record<string, number>;
  bigKeys: Array<{ key: string; bytes: number; type: string }>;
  /** Hashes checked for expiring fields (Redis 7.4+), and those that have them; null where not checked. */
  hashFieldExpiry: { checked: number; expiring: number } | null;
  /** MONITOR's traffic on the same pattern, and the services behind it. */
  reads: number;
  writes: number;
  readers: string[];
  writers: string[];
  /** No reader or writer seen while MONITOR ran: a candidate for cleanup rather than migration; null when MONITOR never ran. */
  untouched: boolean | null;
}

export interface ExportKeyspace {
  /** Distinct keys SCAN returned, keys inspected (the sample), every database read to its end. */
  scanned: number;
  sampled: number;
  complete: boolean;
  /** How the scan ended: `complete`, `sample` (the sample size), `stopped`, `error`; null while running. */
  end: string | null;
  phase: string;
  reason: string | null;
  /** Keys in the databases (DBSIZE) when last read. */
  dbsize: number;
  confidence: number;
  elapsedSeconds: number;
  /** Keys per second: the budget, and the rate lately. */
  budget: number;
  rate: number;
  /** Stop at this many keys; 0 = the whole keyspace. */
  limit: number;
  dedupeFull: boolean;
  bytesUnavailable: string | null;
  fieldExpiry: string;
  dbs: Array<{ db: number; keys: number; scanned: number; complete: boolean }>;
  /** Leaf patterns (and `…` buckets), most bytes first. */
  patterns: ExportKeyspacePattern[];
}

const round = (n: number): number => Math.round(n);

export function exportPattern(
  r: KeyspaceRow,
  view: SessionView,
  access: ReturnType<typeof accessByPattern>,
  monitorRan: boolean,
): ExportKeyspacePattern {
  const node = view.tree.node(r.pattern);
  const reads = node?.reads ?? 0;
  const writes = node?.writes ?? 0;
  const { readers, writers } = accessOf(access, r.pattern);
  return {
    pattern: r.pattern,
    kind: r.kind,
    keys: round(r.keys.value),
    bytes: r.bytes ? round(r.bytes.value) : null,
    keysLow: round(r.keys.low),
    keysHigh: round(r.keys.high),
    bytesLow: r.bytes ? round(r.bytes.low) : null,
    bytesHigh: r.bytes ? round(r.bytes.high) : null,
    exact: r.keys.exact,
    sampledKeys: r.sampled,
    types: { ...r.types },
    ttl: { ...r.ttl },
    encodings: { ...r.encodings },
    bigKeys: r.bigKeys.map(({ key, bytes, type }) => ({ key, bytes, type })),
    hashFieldExpiry: r.hashesChecked > 0 ? { checked: r.hashesChecked, expiring: r.hashesExpiring } : null,
    reads,
    writes,
    readers,
    writers,
    untouched: monitorRan ? reads + writes === 0 && readers.length === 0 && writers.length === 0 : null,
  };
}

export function exportKeyspace(view: SessionView, opts: { includeSelf?: boolean; monitorOnMs: number }): ExportKeyspace | null {
  const k = view.keyspace;
  if (!k) return null;
  const access = accessByPattern(view.clients, view.tree, opts.includeSelf);
  const s: KeyspaceSummary = k.summary;
  return {
    scanned: s.scanned,
    sampled: s.sampled,
    complete: s.complete,
    end: s.end ?? null,
    phase: s.phase,
    reason: s.reason ?? null,
    dbsize: s.dbsize,
    confidence: CONFIDENCE,
    elapsedSeconds: Math.round(s.elapsedMs / 100) / 10,
    budget: s.budget,
    rate: s.rate,
    limit: s.limit,
    dedupeFull: s.dedupeFull,
    bytesUnavailable: s.bytesUnavailable ?? null,
    fieldExpiry: s.fieldExpiry,
    dbs: s.dbs.map((d) => ({ ...d })),
    patterns: k.leaves.map((r) => exportPattern(r, view, access, opts.monitorOnMs > 0)),
  };
}

// ---------------------------------------------------------------------------------------------
// Markdown (the inventory's section, and the extraction plan's tables)

const cell = (s: string | number): string => clean(String(s)).replace(/\|/g, '\\|');
export const countText = (n: number): string => Math.round(n).toLocaleString('en');
export const bytesText = (n: number): string => bytesLib.format(Math.round(n), { unitSeparator: ' ', decimalPlaces: 1 }) ?? `${n} B`;

/** `12,345`, or `~12,300 (11,900–12,700)` for an estimate. */
export function estimateText(value: number, low: number, high: number, exact: boolean, fmt: (n: number) => string): string {
  return exact ? fmt(value) : `~${fmt(value)} (${fmt(low)}–${fmt(high)})`;
}

/** `hash 80% · string 20%`, of the sampled keys. */
export function typesText(types: Readonly<Record<string, number>>): string {
  const total = Object.values(types).reduce((a, b) => a + b, 0);
  if (total === 0) return '-';
  return Object.entries(types)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([t, n]) => (n === total ? t : `${t} ${Math.round((n / total) * 100)}%`))
    .join(' · ');
}

const TTL_NAMES: Record<keyof TtlCounts, string> = { none: 'none', lt1h: '<1h', lt24h: '<24h', lt7d: '<7d', longer: '≥7d' };

/** `none 60% · <1h 40%`, of the sampled keys. */
export function ttlText(ttl: Readonly<TtlCounts>): string {
  const total = Object.values(ttl).reduce((a, b) => a + b, 0);
  if (total === 0) return '-';
  return (Object.keys(TTL_NAMES) as Array<keyof TtlCounts>)
    .filter((k) => ttl[k] > 0)
    .map((k) => (ttl[k] === total ? TTL_NAMES[k] : `${TTL_NAMES[k]} ${Math.round((ttl[k] / total) * 100)}%`))
    .join(' · ');
}

/** One sentence on how much of the keyspace was read, and so how to read the figures. */
export function scopeSentence(k: ExportKeyspace): string {
  const of = `${countText(k.sampled)} of ${countText(k.dbsize)} keys`;
  const how =
    k.end === 'sample'
      ? 'the scan stopped at its sample size'
      : k.end === 'stopped'
        ? 'the scan was stopped before the end'
        : k.end === 'error'
          ? `the scan failed (${k.reason ?? 'error'})`
          : k.complete
            ? 'the whole keyspace was read'
            : 'the scan is still running';
  const figures = k.complete ? 'figures are counts' : `figures are estimates with ${Math.round(k.confidence * 100)}% intervals`;
  const extra = [
    k.bytesUnavailable ? `sizes unknown: ${k.bytesUnavailable}` : '',
    k.dedupeFull ? 'more keys than the duplicate filter holds: a key SCAN returned twice may count twice' : '',
  ].filter(Boolean);
  return `Inspected ${of} in ${k.elapsedSeconds}s (${how}): ${figures}.${extra.length > 0 ? ` Note: ${extra.join('; ')}.` : ''}`;
}

export function* keyspaceMarkdown(k: ExportKeyspace, monitorOnSeconds: number): Generator<string> {
  yield '\n## Keyspace by key pattern\n\n';
  yield `${scopeSentence(k)} Types and TTLs are shares of the keys inspected.\n\n`;
  const rows = k.patterns;
  if (rows.length === 0) {
    yield '_no keys_\n';
    return;
  }
  yield '| pattern | keys | bytes | types | TTL | readers | writers |\n|---|---|---|---|---|---|---|\n';
  for (const p of rows) {
    const mark = p.untouched ? ' ○' : '';
    yield `| ${[
      `${p.pattern}${mark}`,
      estimateText(p.keys, p.keysLow, p.keysHigh, p.exact, countText),
      p.bytes === null ? '?' : estimateText(p.bytes, p.bytesLow ?? 0, p.bytesHigh ?? 0, p.exact, bytesText),
      typesText(p.types),
      ttlText(p.ttl),
      p.readers.join(', ') || '-',
      p.writers.join(', ') || '-',
    ]
      .map(cell)
      .join(' | ')} |\n`;
  }
  if (rows.some((p) => p.untouched)) {
    yield `\n○ no reader or writer seen in ${monitorOnSeconds}s of MONITOR: a candidate for cleanup rather than migration.\n`;
  } else if (rows.some((p) => p.untouched === null)) {
    yield '\nMONITOR did not run: who reads and writes each pattern is unknown.\n';
  }
  const expiring = rows.filter((p) => (p.hashFieldExpiry?.expiring ?? 0) > 0);
  if (expiring.length > 0) {
    yield '\n**Hash-field expiry in use** (Redis 7.4+, `HEXPIRE`…): Valkey 8 has no such thing, and an RDB holding it does not load there. ';
    yield `Patterns: ${expiring.map((p) => `\`${p.pattern}\` (${p.hashFieldExpiry!.expiring} of ${p.hashFieldExpiry!.checked} hashes checked)`).join(', ')}.\n`;
  }
  const big = rows.flatMap((p) => p.bigKeys).sort((a, b) => b.bytes - a.bytes).slice(0, 10);
  if (big.length > 0) {
    yield '\nBiggest keys seen:\n\n| key | type | bytes |\n|---|---|---|\n';
    for (const b of big) yield `| ${cell(b.key)} | ${b.type} | ${bytesText(b.bytes)} |\n`;
  }
}
