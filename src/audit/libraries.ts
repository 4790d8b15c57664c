// Which client library a connection runs, and whether it is current enough to take across a migration.
// Pure: the knowledge lives in data/libraries.json (dated, with sources); users extend or override it
// with a file of the same shape. The only I/O here is reading those two JSON files.

import { readFileSync } from 'node:fs';
import semver from 'semver';
import { dataDir } from './dataDir.ts';
import { fileErrorText } from '../fileErrors.ts';

/** How one library spells its `lib-name`. Names are compared case-insensitively. */
export interface LibraryMatcher {
  /** The base name exactly, e.g. `go-redis`, `SE.Redis`. */
  readonly name?: string;
  /** Any base name starting with this, e.g. `Glide` for `GlideJS`, `GlidePy`, … */
  readonly prefix?: string;
  /** How a suffix may follow the base name: `name(<suffix>)` (default) and/or `name-<suffix>` (SE.Redis). */
  readonly suffix?: ReadonlyArray<'paren' | 'dash'>;
  /**
   * Regex (source text) for a runtime piece inside the parentheses, split off the suffix at `,` or `;`:
   * go-redis `(<suffix>,go1.24.13)`, NRedisStack `(<name>;.NET_v8.0.1)`.
   */
  readonly runtimePattern?: string;
}

/** Maps a reported version onto the release line users know, e.g. @redis/client 1.5.x → redis@4.6.x. */
export interface VersionMapping {
  /** A semver range over the reported (normalized) version. First match wins. */
  readonly range: string;
  /** The version to compare with the family's minimum and latest. */
  readonly as: string;
  /** How to show it; `{raw}` is replaced by the reported version. */
  readonly label: string;
}

export interface LibraryFamily {
  readonly id: string;
  readonly displayName: string;
  readonly language?: string;
  readonly repository?: string;
  /** Empty for libraries that never send CLIENT SETINFO (they can only show up as an empty lib-name). */
  readonly matchers: readonly LibraryMatcher[];
  /** First version that sends CLIENT SETINFO by default. */
  readonly setinfoSince?: string;
  readonly setinfoNote?: string;
  readonly neverSends?: boolean;
  readonly versionScheme?: string;
  readonly versionMap?: readonly VersionMapping[];
  /** lib-ver values that mean "the library could not tell" (GLIDE `unknown`, redis-py `99.99.99`). */
  readonly placeholderVersions?: readonly string[];
  readonly latest?: string;
  readonly latestDate?: string;
  /** Oldest acceptable version: the first release of the oldest line still supported. */
  readonly minimum?: string;
  /** `maintainers` when the library's maintainers say so; `inferred` when this knowledge base chose it. */
  readonly minimumSource?: 'maintainers' | 'inferred';
  readonly minimumBasis?: string;
  readonly notes?: readonly string[];
  readonly sources: readonly string[];
}

export interface LibraryKB {
  /** The date the knowledge was checked (YYYY-MM-DD). */
  readonly asOf: string;
  readonly policy?: string;
  readonly sources?: readonly string[];
  /** Matched in order: the first family with a matching matcher wins. */
  readonly families: readonly LibraryFamily[];
}

/** A user's file: the same shape, every field but `id` optional in a family that already exists. */
export interface LibraryOverride {
  readonly asOf?: string;
  readonly policy?: string;
  readonly sources?: readonly string[];
  readonly families?: ReadonlyArray<Partial<LibraryFamily> & { readonly id: string }>;
}

export interface ParsedLibrary {
  /** Family id from the knowledge base, when the name matched one. */
  readonly family?: string;
  /** The base name as sent, without suffix. */
  readonly baseName?: string;
  /** What the caller added: `django-redis_v5.4.0` in `redis-py(django-redis_v5.4.0)`; '' for `go-redis(,go1.24.13)`. */
  readonly suffix?: string;
  /** Runtime piece the library adds: `go1.24.13`, `.NET_v8.0.1`. */
  readonly runtime?: string;
  /** Normalized semver to compare with (after any version mapping); absent when lib-ver can't be judged. */
  readonly version?: string;
  /** The reported lib-ver, normalized to semver, before mapping. */
  readonly reportedVersion?: string;
  /** How to show the version to a person, e.g. `redis@4.6.x (@redis/client 1.5.12)`. */
  readonly versionLabel?: string;
  /** Set when lib-ver is a known "can't tell" value (`unknown`, `99.99.99`). */
  readonly placeholder?: boolean;
}

export type LibraryVerdictCode = 'ok' | 'outdated' | 'unknown' | 'missing' | 'unavailable';

export interface LibraryVerdict {
  readonly verdict: LibraryVerdictCode;
  readonly reason: string;
  readonly family?: string;
  readonly latest?: string;
  readonly minimum?: string;
  /** For `outdated`: whether the minimum is the maintainers' word or this knowledge base's choice. */
  readonly minimumSource?: 'maintainers' | 'inferred';
}

export class LibraryDataError extends Error {
  override readonly name = 'LibraryDataError';
}

let shippedCache: LibraryKB | undefined;

/** The knowledge base shipped in data/libraries.json (read once). */
export function shippedLibraries(): LibraryKB {
  shippedCache ??= validateLibraries(JSON.parse(readFileSync(new URL('libraries.json', dataDir()), 'utf8')) as unknown, 'data/libraries.json');
  return shippedCache;
}

/** The shipped knowledge base, merged with the user's file when one is given. Throws LibraryDataError on a bad file. */
export function loadLibraries(overridePath?: string): LibraryKB {
  const base = shippedLibraries();
  if (overridePath === undefined) return base;
  let text: string;
  try {
    text = readFileSync(overridePath, 'utf8');
  } catch (err) {
    throw new LibraryDataError(`cannot read library file ${overridePath}: ${fileErrorText(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new LibraryDataError(`${overridePath} is not JSON: ${(err as Error).message}`);
  }
  return mergeLibraries(base, validateOverride(json, overridePath));
}

/**
 * Families in the override replace fields of the base family with the same id (arrays replace whole);
 * new families go first, so a user's matcher wins over a shipped one. `sources` add up; `asOf` and
 * `policy` come from the override when it has them.
 */
export function mergeLibraries(base: LibraryKB, override: LibraryOverride): LibraryKB {
  const byId = new Map<string, Partial<LibraryFamily> & { id: string }>();
  for (const f of override.families ?? []) byId.set(f.id, f);
  const merged: LibraryFamily[] = [];
  for (const f of base.families) {
    const o = byId.get(f.id);
    if (o) {
      merged.push({ ...f, ...o } as LibraryFamily);
      byId.delete(f.id);
    } else {
      merged.push(f);
    }
  }
  const added: LibraryFamily[] = [];
  for (const o of byId.values()) added.push(checkFamily(o, 'override', true));
  const result: LibraryKB = {
    asOf: override.asOf ?? base.asOf,
    families: [...added, ...merged],
  };
  const policy = override.policy ?? base.policy;
  const sources = [...(base.sources ?? []), ...(override.sources ?? [])];
  return validateLibraries({ ...result, ...(policy !== undefined ? { policy } : {}), sources }, 'merged libraries');
}

// ---------------------------------------------------------------------------------------------------
// Validation (the shipped file and users' files go through the same checks)

function fail(origin: string, msg: string): never {
  throw new LibraryDataError(`${origin}: ${msg}`);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optString(o: Record<string, unknown>, key: string, origin: string): void {
  if (o[key] !== undefined && typeof o[key] !== 'string') fail(origin, `${key} must be a string`);
}

function optVersion(o: Record<string, unknown>, key: string, origin: string): void {
  optString(o, key, origin);
  const v = o[key];
  if (typeof v === 'string' && normalizeVersion(v) === undefined) fail(origin, `${key} "${v}" is not a version`);
}

function optStringArray(o: Record<string, unknown>, key: string, origin: string): void {
  const v = o[key];
  if (v !== undefined && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) {
    fail(origin, `${key} must be an array of strings`);
  }
}

function checkFamily(f: unknown, origin: string, complete: boolean): LibraryFamily {
  if (!isObj(f)) fail(origin, 'a family must be an object');
  if (typeof f['id'] !== 'string' || f['id'] === '') fail(origin, 'a family needs an id');
  const where = `${origin} family "${f['id']}"`;
  if (complete) {
    if (typeof f['displayName'] !== 'string') fail(where, 'displayName must be a string');
    if (!Array.isArray(f['matchers'])) fail(where, 'matchers must be an array (empty for a library that never sends SETINFO)');
    if (!Array.isArray(f['sources'])) fail(where, 'sources must be an array of strings');
  }
  for (const k of ['displayName', 'language', 'repository', 'setinfoNote', 'versionScheme', 'latestDate', 'minimumBasis']) {
    optString(f, k, where);
  }
  for (const k of ['setinfoSince', 'latest', 'minimum']) optVersion(f, k, where);
  optStringArray(f, 'sources', where);
  optStringArray(f, 'notes', where);
  optStringArray(f, 'placeholderVersions', where);
  if (f['minimumSource'] !== undefined && f['minimumSource'] !== 'maintainers' && f['minimumSource'] !== 'inferred') {
    fail(where, `minimumSource must be "maintainers" or "inferred"`);
  }
  if (f['neverSends'] !== undefined && typeof f['neverSends'] !== 'boolean') fail(where, 'neverSends must be a boolean');
  if (f['matchers'] !== undefined) {
    if (!Array.isArray(f['matchers'])) fail(where, 'matchers must be an array');
    for (const m of f['matchers'] as unknown[]) {
      if (!isObj(m)) fail(where, 'a matcher must be an object');
      optString(m, 'name', where);
      optString(m, 'prefix', where);
      optString(m, 'runtimePattern', where);
      if ((typeof m['name'] === 'string') === (typeof m['prefix'] === 'string')) {
        fail(where, 'a matcher needs exactly one of name or prefix');
      }
      if (m['suffix'] !== undefined) {
        if (!Array.isArray(m['suffix']) || !m['suffix'].every((s) => s === 'paren' || s === 'dash')) {
          fail(where, 'matcher suffix must be an array of "paren" / "dash"');
        }
      }
      if (typeof m['runtimePattern'] === 'string') {
        try {
          new RegExp(m['runtimePattern']);
        } catch {
          fail(where, `runtimePattern ${m['runtimePattern']} is not a regular expression`);
        }
      }
    }
  }
  if (f['versionMap'] !== undefined) {
    if (!Array.isArray(f['versionMap'])) fail(where, 'versionMap must be an array');
    for (const vm of f['versionMap'] as unknown[]) {
      if (!isObj(vm) || typeof vm['range'] !== 'string' || typeof vm['as'] !== 'string' || typeof vm['label'] !== 'string') {
        fail(where, 'versionMap entries need range, as and label strings');
      }
      if (semver.validRange(vm['range']) === null) fail(where, `versionMap range "${vm['range']}" is not a semver range`);
      if (normalizeVersion(vm['as']) === undefined) fail(where, `versionMap as "${vm['as']}" is not a version`);
    }
  }
  return f as unknown as LibraryFamily;
}

/** Checks a complete knowledge base (the shipped file, or a merge result). Throws LibraryDataError. */
export function validateLibraries(value: unknown, origin = 'libraries'): LibraryKB {
  if (!isObj(value)) fail(origin, 'must be a JSON object');
  if (typeof value['asOf'] !== 'string' || !/^\d{4}-\d{2}(-\d{2})?$/.test(value['asOf'])) {
    fail(origin, 'asOf must be a date (YYYY-MM-DD)');
  }
  optString(value, 'policy', origin);
  optStringArray(value, 'sources', origin);
  if (!Array.isArray(value['families'])) fail(origin, 'families must be an array');
  const seen = new Set<string>();
  for (const f of value['families'] as unknown[]) {
    const fam = checkFamily(f, origin, true);
    if (seen.has(fam.id)) fail(origin, `family id "${fam.id}" appears twice`);
    seen.add(fam.id);
  }
  return value as unknown as LibraryKB;
}

function validateOverride(value: unknown, origin: string): LibraryOverride {
  if (!isObj(value)) fail(origin, 'must be a JSON object');
  if (value['asOf'] !== undefined && (typeof value['asOf'] !== 'string' || !/^\d{4}-\d{2}(-\d{2})?$/.test(value['asOf']))) {
    fail(origin, 'asOf must be a date (YYYY-MM-DD)');
  }
  optString(value, 'policy', origin);
  optStringArray(value, 'sources', origin);
  if (value['families'] !== undefined) {
    if (!Array.isArray(value['families'])) fail(origin, 'families must be an array');
    for (const f of value['families'] as unknown[]) checkFamily(f, origin, false);
  }
  return value as LibraryOverride;
}

// ---------------------------------------------------------------------------------------------------
// Versions

const PRERELEASE = /^[-.]?(alpha|beta|preview|pre|rc|dev|snapshot|a|b|m)[-.]?(\d*)(?![A-Za-z])/i;

/**
 * Tolerant version normalization to plain semver:
 * `v9.17.2` → 9.17.2; `7.7.0.RELEASE/1a2b3c` → 7.7.0; `2.6.122.38350` → 2.6.122; `6.2.0rc2` → 6.2.0-rc.2;
 * `1.0` → 1.0.0. Returns undefined for anything without a leading number (`unknown`, '').
 */
export function normalizeVersion(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const s = raw.trim().replace(/^v(?=\d)/i, '');
  const m = /^(\d{1,9})(?:\.(\d{1,9}))?(?:\.(\d{1,9}))?(?:\.\d+)*(.*)$/.exec(s);
  if (!m) return undefined;
  const [, maj, min = '0', pat = '0', rest = ''] = m;
  let version = `${Number(maj)}.${Number(min)}.${Number(pat)}`;
  // `.RELEASE`, `.Final`, `/sha`, `+build` carry no ordering; pre-release markers do.
  const pre = /^(?:\.RELEASE|\.Final|\.GA)/i.test(rest) ? undefined : PRERELEASE.exec(rest);
  if (pre) {
    const tag = pre[1]!.toLowerCase();
    version += `-${tag}${pre[2] ? `.${Number(pre[2])}` : ''}`;
  }
  return semver.valid(version) ?? undefined;
}

// ---------------------------------------------------------------------------------------------------
// Names

interface NameMatch {
  readonly family: LibraryFamily;
  readonly baseName: string;
  readonly suffix?: string;
  readonly runtime?: string;
}

/** Splits `name(inner)` / `name-suffix` for one matcher; undefined when the matcher doesn't fit. */
function tryMatcher(libName: string, m: LibraryMatcher): Omit<NameMatch, 'family'> | undefined {
  const lower = libName.toLowerCase();
  const styles = m.suffix ?? ['paren'];
  let base: string;
  let rest: string;
  if (m.name !== undefined) {
    const n = m.name.toLowerCase();
    if (!lower.startsWith(n)) return undefined;
    base = libName.slice(0, n.length);
    rest = libName.slice(n.length);
  } else {
    const p = (m.prefix ?? '').toLowerCase();
    if (!lower.startsWith(p)) return undefined;
    // The base name runs to the first '(' (or the end); it must be a plain word.
    const paren = libName.indexOf('(');
    base = paren === -1 ? libName : libName.slice(0, paren);
    rest = paren === -1 ? '' : libName.slice(paren);
    if (!/^[A-Za-z0-9_.]+$/.test(base)) return undefined;
  }
  if (rest === '') return { baseName: base };
  if (styles.includes('paren') && rest.startsWith('(') && rest.endsWith(')')) {
    const inner = rest.slice(1, -1);
    if (m.runtimePattern !== undefined) {
      const re = new RegExp(m.runtimePattern);
      const parts = inner.split(/([;,])/); // keeps the separators at odd indexes
      for (let i = parts.length - 1; i >= 0; i -= 2) {
        const piece = parts[i]!;
        if (re.test(piece)) {
          // Drop the piece and the separator that joins it to its neighbour.
          const before = parts.slice(0, Math.max(0, i - 1));
          const after = parts.slice(i + 1);
          const kept = before.length > 0 ? [...before, ...after] : after.slice(1);
          return { baseName: base, suffix: kept.join(''), runtime: piece };
        }
      }
    }
    return { baseName: base, suffix: inner };
  }
  if (styles.includes('dash') && rest.startsWith('-') && rest.length > 1) {
    return { baseName: base, suffix: rest.slice(1) };
  }
  return undefined;
}

function matchFamily(libName: string, kb: LibraryKB): NameMatch | undefined {
  for (const family of kb.families) {
    for (const m of family.matchers) {
      const hit = tryMatcher(libName, m);
      if (hit) return { family, ...hit };
    }
  }
  return undefined;
}

function familyVersion(family: LibraryFamily | undefined, libVer: string | undefined): Pick<
  ParsedLibrary,
  'version' | 'reportedVersion' | 'versionLabel' | 'placeholder'
> {
  const raw = libVer?.trim();
  if (raw === undefined || raw === '') return {};
  if (family?.placeholderVersions?.some((p) => p.toLowerCase() === raw.toLowerCase())) return { placeholder: true };
  const reported = normalizeVersion(raw);
  if (reported === undefined) return {};
  for (const vm of family?.versionMap ?? []) {
    if (semver.satisfies(reported, vm.range, { includePrerelease: true })) {
      return { version: normalizeVersion(vm.as)!, reportedVersion: reported, versionLabel: vm.label.replace('{raw}', raw) };
    }
  }
  return { version: reported, reportedVersion: reported, versionLabel: raw };
}

/**
 * Reads `lib-name` / `lib-ver` as CLIENT LIST prints them. `family` is set only when the knowledge base
 * knows the name; `version` only when lib-ver can be compared (placeholders such as GLIDE's `unknown`
 * or redis-py's `99.99.99` leave it unset).
 */
export function parseLibrary(
  libName: string | undefined,
  libVer: string | undefined,
  kb: LibraryKB = shippedLibraries(),
): ParsedLibrary {
  const name = libName?.trim() ?? '';
  if (name === '') return familyVersion(undefined, libVer);
  const hit = matchFamily(name, kb);
  if (!hit) {
    const paren = name.indexOf('(');
    const baseName = paren > 0 && name.endsWith(')') ? name.slice(0, paren) : name;
    const suffix = paren > 0 && name.endsWith(')') ? name.slice(paren + 1, -1) : undefined;
    return { baseName, ...(suffix !== undefined ? { suffix } : {}), ...familyVersion(undefined, libVer) };
  }
  return {
    family: hit.family.id,
    baseName: hit.baseName,
    ...(hit.suffix !== undefined ? { suffix: hit.suffix } : {}),
    ...(hit.runtime !== undefined ? { runtime: hit.runtime } : {}),
    ...familyVersion(hit.family, libVer),
  };
}

// ---------------------------------------------------------------------------------------------------
// Verdicts

/** `node-redis` out of `node-redis (npm redis / @redis/client)`. */
function shortName(f: LibraryFamily): string {
  return f.displayName.split(' (')[0] ?? f.displayName;
}

function missingReason(kb: LibraryKB, libVer: string | undefined): string {
  const since = kb.families
    .filter((f) => f.setinfoSince !== undefined && f.matchers.length > 0 && !f.neverSends)
    .map((f) => `${shortName(f)} ${f.setinfoSince}`);
  const never = kb.families.filter((f) => f.neverSends).map(shortName);
  const ver = libVer !== undefined && libVer.trim() !== '' ? ` (lib-ver=${libVer.trim()} came without a name)` : '';
  return (
    `No lib-name${ver}: the client never sent CLIENT SETINFO LIB-NAME, so the library can't be identified. ` +
    `Either a library older than its first release that sends it (${since.join(', ')}), ` +
    `one that never sends it (${never.join(', ')}), an opt-out, a proxy, or a raw socket. ` +
    `Check the service's dependency manifest.`
  );
}

/**
 * Judges one connection's library against the knowledge base.
 * `unavailable`: the server does not print lib-name at all (before 7.2); say it once, not per row.
 * `missing`: the server prints it and the client sent none. `unknown`: a name or version the base
 * can't judge. `outdated`: below the family's minimum.
 */
export function libraryVerdict(
  client: { readonly libName?: string | undefined; readonly libVer?: string | undefined },
  server: { readonly libraryFieldsShown: boolean },
  kb: LibraryKB = shippedLibraries(),
): LibraryVerdict {
  if (!server.libraryFieldsShown) {
    return {
      verdict: 'unavailable',
      reason:
        'This server does not print lib-name/lib-ver in CLIENT LIST (CLIENT SETINFO arrived in Redis 7.2), ' +
        'so client libraries cannot be identified from the server side.',
    };
  }
  const name = client.libName?.trim() ?? '';
  if (name === '') return { verdict: 'missing', reason: missingReason(kb, client.libVer) };

  const parsed = parseLibrary(name, client.libVer, kb);
  const family = parsed.family !== undefined ? kb.families.find((f) => f.id === parsed.family) : undefined;
  const ver = client.libVer?.trim() ?? '';
  if (!family) {
    return {
      verdict: 'unknown',
      reason:
        `lib-name "${name}"${ver !== '' ? ` (lib-ver ${ver})` : ''} is not a library in the knowledge base ` +
        `(as of ${kb.asOf}); add it with a libraries override file to have it judged.`,
    };
  }
  const facts = {
    family: family.id,
    ...(family.latest !== undefined ? { latest: family.latest } : {}),
    ...(family.minimum !== undefined ? { minimum: family.minimum } : {}),
  };
  const latestText = family.latest !== undefined ? `latest known ${family.latest}` : 'latest release not recorded';
  if (parsed.version === undefined) {
    const why = parsed.placeholder
      ? `reports the placeholder version "${ver}" (${family.versionScheme ?? 'it could not read its own version'})`
      : ver === ''
        ? 'sent no lib-ver'
        : `reports lib-ver "${ver}", which is not a version`;
    return { verdict: 'unknown', reason: `${shortName(family)} ${why}; ${latestText}.`, ...facts };
  }
  const shown = parsed.versionLabel ?? parsed.version;
  if (family.minimum === undefined) {
    return {
      verdict: 'unknown',
      reason: `${shortName(family)} ${shown}: no minimum version recorded for this library; ${latestText}.`,
      ...facts,
    };
  }
  const minimum = normalizeVersion(family.minimum)!;
  if (semver.lt(parsed.version, minimum)) {
    const basis = family.minimumSource === 'maintainers' ? 'maintainers no longer support older lines' : 'minimum chosen by this tool';
    return {
      verdict: 'outdated',
      reason:
        `${shortName(family)} ${shown} is below the minimum ${family.minimum} (${basis}); ${latestText}. ` +
        `Upgrade before cutover.`,
      ...facts,
      ...(family.minimumSource !== undefined ? { minimumSource: family.minimumSource } : {}),
    };
  }
  const latest = family.latest !== undefined ? normalizeVersion(family.latest) : undefined;
  let tail: string;
  if (latest === undefined) tail = 'latest release not recorded';
  else if (semver.lt(parsed.version, latest)) tail = `latest known ${family.latest}`;
  else if (semver.eq(parsed.version, latest)) tail = 'the latest known release';
  else tail = `newer than the latest known ${family.latest} (knowledge as of ${kb.asOf})`;
  return {
    verdict: 'ok',
    reason: `${shortName(family)} ${shown} is on a supported line (minimum ${family.minimum}); ${tail}.`,
    ...facts,
  };
}
