// The extraction plan: for the key patterns the active filters select (or all), the keys and bytes
// to move, the services that must be repointed (who reads and who writes them), the patterns nobody
// touched (cleanup rather than migration), findings that block the move, and key filters ready to
// edit for the common migration tools:
// - RedisShake's `[filter]` section of shake.toml: `allow_key_prefix` for literal prefixes,
//   `allow_key_regex` (Go RE2 syntax, anchored) where a pattern has ids (`*`), `allow_keys` for
//   whole literal keys; block rules win there, and a multi-key command passes only if all its keys do;
// - RIOT(-X)'s `--key-pattern`, a SCAN MATCH glob (one per run; its `*` also spans delimiters, so
//   a glob may select a little more than the pattern).
// With active filters, the filters themselves are the scope (what the person chose), and the
// patterns listed are those that may hold passing keys (marked partial when only some of their
// keys pass). Without filters every pattern is listed, grouped under its top-level prefix, each line
// commented with its keys, bytes and services, so deleting a line narrows the move.
// Formats by extension: .md (the plan to read), .json (the same as data), .toml (the filter alone).
import { planFormatForPath } from './formats.ts';
import type { ReconState } from '../store.ts';
import { monitorElapsedMs } from '../store.ts';
import { activePrefixes } from '../ui/filters.ts';
import { patternMayPassAny, patternPassesAny } from '../ui/filters.ts';
import { accessByPattern, accessOf } from '../analysis/patternAccess.ts';
import { CONFIDENCE, estimateSelection, type KeyspaceRow } from '../analysis/keyspaceEstimate.ts';
import { DEEP_SEGMENT, EMPTY_SEGMENT, WILD } from '../analysis/patternTree.ts';
import { OTHER_PREFIX } from '../bounds.ts';
import { TOOL_VERSION } from '../version.ts';
import { fileErrorText } from '../fileErrors.ts';
import { writeFileAtomic } from './writeAtomic.ts';
import { bytesText, countText, estimateText, exportPattern, scopeSentence, ttlText, typesText, type ExportKeyspacePattern } from './keyspace.ts';
import { exportKeyspace } from './keyspace.ts';
import { clean } from '../ui/text.ts';

export type PlanFormat = 'md' | 'json' | 'toml';
export { planFormatForPath };

export interface PlanPattern extends ExportKeyspacePattern {
  /** Only some of its keys pass the filters (a filter finer than the pattern): its figures are an upper bound. */
  partial: boolean;
  /** Not sampled (the keyspace sampler did not run, or has not seen it): keys and bytes unknown. */
  sampled: boolean;
}

export interface KeyFilterLine {
  /** The value for the tool (a prefix, an RE2 regex, a key, a glob). */
  readonly value: string;
  /** What it stands for, in words (keys, bytes, services). */
  readonly note: string;
}

export interface Plan {
  formatVersion: 1;
  tool: { name: 'redis-recon'; version: string };
  endpoint: string;
  generatedAt: string;
  scope: { filters: string[]; all: boolean };
  keyspace: { scanned: number; sampled: number; dbsize: number; complete: boolean; end: string | null; confidence: number; sentence: string } | null;
  totals: { keys: number | null; keysLow: number | null; keysHigh: number | null; bytes: number | null; bytesLow: number | null; bytesHigh: number | null; exact: boolean };
  patterns: PlanPattern[];
  /** The services that must be repointed: every reader and writer of a pattern in scope. */
  services: { readers: string[]; writers: string[] };
  /** Patterns in scope that nobody read or wrote while MONITOR ran. */
  cleanup: string[];
  findings: string[];
  redisShake: { allowKeyPrefix: KeyFilterLine[]; allowKeyRegex: KeyFilterLine[]; allowKeys: KeyFilterLine[]; dbs: number[] };
  riot: { keyPatterns: KeyFilterLine[] };
}

export interface PlanContext {
  readonly includeSelf?: boolean;
  readonly now?: () => number;
}

/** Builds the plan from what the store holds now (the dashboard's filters decide the scope). */
export function buildPlan(state: ReconState, ctx: PlanContext = {}): Plan {
  const nowMs = (ctx.now ?? Date.now)();
  const view = state.view;
  const tree = view.tree;
  const d = tree.delimiter;
  const active = [...activePrefixes(state.ui.filters)];
  const monitorOnMs = monitorElapsedMs(state.monitor, nowMs);
  const access = accessByPattern(view.clients, tree, ctx.includeSelf);
  const ks = exportKeyspace(view, { includeSelf: ctx.includeSelf, monitorOnMs });

  // Every leaf pattern: sampled ones, and those only traffic saw.
  const rows = new Map<string, PlanPattern>();
  for (const p of ks?.patterns ?? []) rows.set(p.pattern, { ...p, partial: false, sampled: true });
  for (const t of tree.all()) {
    if (t.kind === 'prefix' || t.count === 0 || rows.has(t.pattern)) continue;
    const fake: KeyspaceRow = {
      pattern: t.pattern,
      kind: t.kind,
      keys: { value: 0, low: 0, high: 0, exact: false },
      bytes: null,
      sampled: 0,
      types: {},
      encodings: {},
      ttl: { none: 0, lt1h: 0, lt24h: 0, lt7d: 0, longer: 0 },
      bigKeys: [],
      hashesChecked: 0,
      hashesExpiring: 0,
    };
    rows.set(t.pattern, { ...exportPattern(fake, view, access, monitorOnMs > 0), partial: false, sampled: false });
  }
  const selected: PlanPattern[] = [];
  for (const r of rows.values()) {
    if (active.length > 0 && !patternMayPassAny(r.pattern, active, d)) continue;
    selected.push({ ...r, partial: active.length > 0 && !patternPassesAny(r.pattern, active, d) });
  }
  selected.sort((a, b) => (b.bytes ?? -1) - (a.bytes ?? -1) || b.keys - a.keys || b.reads + b.writes - (a.reads + a.writes) || (a.pattern < b.pattern ? -1 : 1));

  const sampledNames = selected.filter((p) => p.sampled).map((p) => p.pattern);
  const est = view.keyspace && sampledNames.length > 0 ? estimateSelection(view.keyspace, sampledNames) : undefined;
  const readers = new Set<string>();
  const writers = new Set<string>();
  for (const p of selected) {
    for (const r of p.readers) readers.add(r);
    for (const w of p.writers) writers.add(w);
  }
  // A literal filter finer than the patterns (`user:12345:`): the services of the patterns it cuts into.
  for (const f of active) {
    const a = accessOf(access, f);
    for (const r of a.readers) readers.add(r);
    for (const w of a.writers) writers.add(w);
  }

  const findings: string[] = [];
  for (const p of selected) {
    if ((p.hashFieldExpiry?.expiring ?? 0) > 0) {
      findings.push(
        `${p.pattern}: ${p.hashFieldExpiry!.expiring} of ${p.hashFieldExpiry!.checked} hashes checked have expiring fields (Redis 7.4 hash-field expiry): Valkey 8 has no such thing; the TTLs of those fields would be lost, and an RDB holding them does not load.`,
      );
    }
  }
  if (ks?.bytesUnavailable) findings.push(ks.bytesUnavailable);

  const note = (p: PlanPattern): string => {
    const size = p.sampled ? `${p.exact ? '' : '~'}${countText(p.keys)} keys${p.bytes !== null ? `, ${p.exact ? '' : '~'}${bytesText(p.bytes)}` : ''}` : 'not sampled';
    const who = [p.readers.length > 0 ? `read by ${p.readers.join(', ')}` : '', p.writers.length > 0 ? `written by ${p.writers.join(', ')}` : ''].filter(Boolean).join('; ');
    return `${p.pattern}: ${size}${who ? `; ${who}` : ''}${p.untouched ? '; no traffic seen: cleanup?' : ''}`;
  };

  const shake = { allowKeyPrefix: [] as KeyFilterLine[], allowKeyRegex: [] as KeyFilterLine[], allowKeys: [] as KeyFilterLine[] };
  const riot: KeyFilterLine[] = [];
  if (active.length > 0) {
    for (const f of active) {
      const under = selected.filter((p) => patternMayPassAny(p.pattern, [f], d));
      const n = `filter ${f}: ${under.length} pattern${under.length === 1 ? '' : 's'}${under.length > 0 ? ` (${under.slice(0, 4).map((p) => p.pattern).join(', ')}${under.length > 4 ? ', …' : ''})` : ''}`;
      if (!f.includes(WILD)) shake.allowKeyPrefix.push({ value: f, note: n });
      else shake.allowKeyRegex.push({ value: `^${filterRegex(f, d)}`, note: n });
      riot.push({ value: `${globEscape(f, true)}*`, note: n });
    }
  } else {
    // Grouped under each literal top-level prefix; patterns with an id at the top, and top-level
    // keys, one line each.
    const groups = new Map<string, PlanPattern[]>();
    for (const p of selected) {
      const at = p.pattern.indexOf(d);
      const top = at < 0 ? undefined : p.pattern.slice(0, at + d.length);
      if (top !== undefined && !top.includes(WILD) && top !== OTHER_PREFIX + d) {
        groups.set(top, [...(groups.get(top) ?? []), p]);
      } else if (top === undefined && !p.pattern.includes(WILD) && p.pattern !== OTHER_PREFIX) {
        shake.allowKeys.push({ value: p.pattern, note: note(p) });
        riot.push({ value: globEscape(p.pattern, false), note: note(p) });
      } else {
        shake.allowKeyRegex.push({ value: `^${patternRegex(p.pattern, d)}$`, note: note(p) });
        riot.push({ value: patternGlob(p.pattern, d), note: note(p) });
      }
    }
    for (const [top, list] of groups) {
      const n = list.length === 1 ? note(list[0]!) : `${top}: ${list.length} patterns (${list.slice(0, 4).map((p) => p.pattern).join(', ')}${list.length > 4 ? ', …' : ''})`;
      shake.allowKeyPrefix.push({ value: top, note: n });
      riot.push({ value: `${globEscape(top, false)}*`, note: n });
    }
  }

  const cleanup = monitorOnMs > 0 ? selected.filter((p) => p.untouched && p.sampled).map((p) => p.pattern) : [];
  const round = (n: number | undefined): number | null => (n === undefined ? null : Math.round(n));
  return {
    formatVersion: 1,
    tool: { name: 'redis-recon', version: TOOL_VERSION },
    endpoint: state.endpoint,
    generatedAt: new Date(nowMs).toISOString(),
    scope: { filters: active, all: active.length === 0 },
    keyspace: ks
      ? { scanned: ks.scanned, sampled: ks.sampled, dbsize: ks.dbsize, complete: ks.complete, end: ks.end, confidence: CONFIDENCE, sentence: scopeSentence(ks) }
      : null,
    totals: {
      keys: round(est?.keys.value),
      keysLow: round(est?.keys.low),
      keysHigh: round(est?.keys.high),
      bytes: round(est?.bytes?.value),
      bytesLow: round(est?.bytes?.low),
      bytesHigh: round(est?.bytes?.high),
      exact: est?.keys.exact ?? false,
    },
    patterns: selected,
    services: { readers: [...readers].sort(), writers: [...writers].sort() },
    cleanup,
    findings,
    redisShake: { ...shake, dbs: (ks?.dbs ?? []).filter((x) => x.keys > 0).map((x) => x.db) },
    riot: { keyPatterns: riot },
  };
}

// ---------------------------------------------------------------------------------------------
// Patterns and filters as regexes and globs

/** Go RE2's QuoteMeta. */
export function reQuote(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** What one `*` of a segment may match: anything but the delimiter (one character), else anything. */
const wildRegex = (d: string): string => (d.length === 1 ? `[^${d === ']' || d === '\\' || d === '^' || d === '-' ? `\\${d}` : d}]*` : '.*?');

/** A segment with `*` for any run within it, as RE2. */
const segmentRegex = (seg: string, d: string): string => seg.split(WILD).map(reQuote).join(wildRegex(d));

/**
 * A leaf pattern (`cart:{*}:items`, `user:∅`, `a:b:…`, `a:…:**`) as an RE2 regex body matching
 * exactly its keys (anchor it with ^ and $).
 */
export function patternRegex(pattern: string, d: string): string {
  const segs = pattern.split(d);
  let out = '';
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    const sep = i < segs.length - 1 ? reQuote(d) : '';
    if (i === segs.length - 1 && (s === DEEP_SEGMENT || s === OTHER_PREFIX)) return `${out}.*`;
    if (i === segs.length - 1 && s === EMPTY_SEGMENT) return out;
    out += segmentRegex(s, d) + sep;
  }
  return out;
}

/** A filter (a prefix that may hold `*`) as an RE2 regex body matching the keys that start with it. */
export function filterRegex(filter: string, d: string): string {
  return filter.split(d).map((s) => segmentRegex(s, d)).join(reQuote(d));
}

/** Text as a SCAN MATCH glob: `*`, `?`, `[`, `]`, `\` escaped, except `*` when `keepWild`. */
export function globEscape(s: string, keepWild: boolean): string {
  return s.replace(keepWild ? /[?[\]\\]/g : /[*?[\]\\]/g, '\\$&');
}

/** A leaf pattern as a SCAN MATCH glob (its `*` spans delimiters: a superset of the pattern's keys). */
export function patternGlob(pattern: string, d: string): string {
  const segs = pattern.split(d);
  const last = segs[segs.length - 1]!;
  if (last === DEEP_SEGMENT || last === OTHER_PREFIX) return `${segs.slice(0, -1).map((s) => globEscape(s, true)).join(d)}${d}*`;
  if (last === EMPTY_SEGMENT) return segs.slice(0, -1).map((s) => globEscape(s, true)).join(d) + d;
  return segs.map((s) => globEscape(s, true)).join(d);
}

/** A TOML string: literal ('…') when it can be, else basic with escapes. */
export function tomlString(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/['\u0000-\u001f\u007f]/.test(s)) return `'${s}'`;
  // eslint-disable-next-line no-control-regex
  return `"${s.replace(/["\\]/g, '\\$&').replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

// ---------------------------------------------------------------------------------------------
// Output

export function planToml(plan: Plan): string {
  const comment = (s: string): string => clean(s).replace(/\s+/g, ' ');
  const array = (name: string, lines: readonly KeyFilterLine[]): string => {
    if (lines.length === 0) return '';
    return `${name} = [\n${lines.map((l) => `  ${tomlString(l.value)},  # ${comment(l.note)}\n`).join('')}]\n`;
  };
  const head = [
    `# redis-recon extraction plan for ${comment(plan.endpoint)}, ${plan.generatedAt}`,
    plan.scope.all ? '# Scope: every key pattern seen. Delete the lines of what stays behind.' : `# Scope: keys passing the filters ${plan.scope.filters.map(comment).join(', ')}.`,
    '# RedisShake: block_* rules win over allow_*; a multi-key command passes only when all its keys do.',
  ];
  const dbs = plan.redisShake.dbs.length > 0 ? `# allow_db = [${plan.redisShake.dbs.join(', ')}]  # databases with keys\n` : '';
  return `${head.join('\n')}\n[filter]\n${array('allow_key_prefix', plan.redisShake.allowKeyPrefix)}${array('allow_key_regex', plan.redisShake.allowKeyRegex)}${array('allow_keys', plan.redisShake.allowKeys)}${dbs}`;
}

const cell = (s: string | number): string => clean(String(s)).replace(/\|/g, '\\|');

function* planMarkdown(plan: Plan): Generator<string> {
  yield `# Extraction plan: ${clean(plan.endpoint)}\n\n`;
  yield `- Scope: ${plan.scope.all ? 'every key pattern seen' : `keys passing ${plan.scope.filters.map((f) => `\`${clean(f)}\``).join(', ')}`}\n`;
  yield `- Keyspace: ${plan.keyspace ? plan.keyspace.sentence : 'not sampled (press K in the dashboard, or run with --keyspace): keys and bytes unknown'}\n`;
  const t = plan.totals;
  if (t.keys !== null) {
    const keys = estimateText(t.keys, t.keysLow ?? 0, t.keysHigh ?? 0, t.exact, countText);
    const bytes = t.bytes !== null ? estimateText(t.bytes, t.bytesLow ?? 0, t.bytesHigh ?? 0, t.exact, bytesText) : 'size unknown';
    yield `- To move: ${keys} keys, ${bytes}${plan.patterns.some((p) => p.partial) ? ' (at most: some patterns pass the filters only in part)' : ''}\n`;
  }
  yield `- Services to repoint: readers ${plan.services.readers.map(clean).join(', ') || 'none seen'}; writers ${plan.services.writers.map(clean).join(', ') || 'none seen'}\n`;
  if (plan.cleanup.length > 0) yield `- Cleanup candidates (no reader or writer seen while MONITOR ran): ${plan.cleanup.map((p) => `\`${clean(p)}\``).join(', ')}\n`;
  yield '\n## Patterns\n\n';
  if (plan.patterns.length === 0) yield '_none_\n';
  else {
    yield '| pattern | keys | bytes | types | TTL | readers | writers |\n|---|---|---|---|---|---|---|\n';
    for (const p of plan.patterns) {
      const name = `${p.pattern}${p.partial ? ' (partly)' : ''}${p.untouched ? ' ○' : ''}`;
      const keys = p.sampled ? estimateText(p.keys, p.keysLow, p.keysHigh, p.exact, countText) : '-';
      const bytes = p.sampled && p.bytes !== null ? estimateText(p.bytes, p.bytesLow ?? 0, p.bytesHigh ?? 0, p.exact, bytesText) : '-';
      yield `| ${[name, keys, bytes, typesText(p.types), ttlText(p.ttl), p.readers.join(', ') || '-', p.writers.join(', ') || '-'].map(cell).join(' | ')} |\n`;
    }
    if (plan.patterns.some((p) => p.untouched)) yield '\n○ no reader or writer seen while MONITOR ran.\n';
  }
  if (plan.findings.length > 0) {
    yield '\n## Findings\n\n';
    for (const f of plan.findings) yield `- ${clean(f)}\n`;
  }
  yield '\n## RedisShake\n\nThe `[filter]` section of `shake.toml` (regexes are Go RE2; every line is commented with what it selects):\n\n```toml\n';
  yield planToml(plan);
  yield '```\n';
  yield '\n## RIOT\n\nOne run per key pattern (`--key-pattern` is a SCAN MATCH glob, where `*` also spans delimiters). Live modes need keyspace notifications (`notify-keyspace-events`) on the source; without them only the snapshot is copied.\n\n```sh\n';
  for (const r of plan.riot.keyPatterns) yield `# ${clean(r.note).replace(/\s+/g, ' ')}\nriotx replicate redis://SOURCE redis://TARGET --key-pattern ${shellQuote(r.value)}\n`;
  yield '```\n';
}

export function planChunks(plan: Plan, format: PlanFormat): Iterable<string> {
  if (format === 'json') return [`${JSON.stringify(plan, null, 2)}\n`];
  if (format === 'toml') return [planToml(plan)];
  return planMarkdown(plan);
}

export type PlanResult = { ok: true; path: string; plan: Plan } | { ok: false; error: string; plan: Plan };

export async function exportPlan(state: ReconState, path: string, ctx: PlanContext): Promise<PlanResult> {
  const plan = buildPlan(state, ctx);
  const format = planFormatForPath(path);
  if (!format) return { ok: false, error: `cannot tell the format of ${path}: use .md, .json or .toml`, plan };
  try {
    await writeFileAtomic(path, planChunks(plan, format));
    return { ok: true, path, plan };
  } catch (err) {
    return { ok: false, error: `cannot write ${path}: ${fileErrorText(err, 'write')}`, plan };
  }
}
