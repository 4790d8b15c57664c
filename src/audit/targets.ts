// What a migration target lacks or blocks, and the cluster rules it imposes. Profiles are data
// (data/targets/*.json, dated, with sources); this module only reads and applies them.

import { readFileSync, readdirSync } from 'node:fs';
import { dataDir } from './dataDir.ts';
import { fileErrorText } from '../fileErrors.ts';
import type { Finding, Severity } from './findings.ts';

export interface CommandRule {
  /**
   * Upper case. `HEXPIRE`; a subcommand `CLIENT|KILL`; a parent `CONFIG` also covers `CONFIG|GET`;
   * a trailing `*` covers a family: `FT.*`.
   */
  readonly command: string;
  readonly reason: string;
  /** Commands a wildcard rule leaves alone (`FT.*` except `FT.SEARCH`, …). */
  readonly except?: readonly string[];
  /** Severity of the finding; `error` when absent. */
  readonly severity?: Severity;
  /** The rule rests on an assumption, not a source that says so. */
  readonly unverified?: boolean;
}

export interface TargetProfile {
  readonly id: string;
  readonly title: string;
  /** The date the profile was checked (YYYY-MM-DD). */
  readonly asOf: string;
  readonly engine: { readonly name: string; readonly version: string };
  readonly clusterMode: boolean;
  /** Cluster-mode targets: whether `SELECT` of a database other than 0 works. */
  readonly numberedDatabases?: { readonly supported: boolean; readonly unverified?: boolean; readonly reason: string };
  /** Commands the engine does not have. */
  readonly unsupportedCommands: readonly CommandRule[];
  /** Commands the engine has but the service refuses. */
  readonly blockedCommands: readonly CommandRule[];
  readonly notes: readonly string[];
  readonly sources: readonly string[];
}

export interface CommandVerdict {
  readonly code: 'unsupported-command';
  /** `unsupported`: the engine lacks it; `blocked`: the service refuses it. */
  readonly kind: 'unsupported' | 'blocked';
  readonly reason: string;
  readonly severity: Severity;
  readonly unverified: boolean;
  /** The rule that matched, as written in the profile. */
  readonly rule: string;
}

export class TargetDataError extends Error {
  override readonly name = 'TargetDataError';
}

const targetDir = (): URL => new URL('targets/', dataDir());
const ID = /^[a-z0-9][a-z0-9-]*$/;
const cache = new Map<string, TargetProfile>();

/** Ids of the shipped profiles, sorted. */
export function listTargets(): string[] {
  return readdirSync(targetDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .filter((id) => ID.test(id))
    .sort();
}

/** A shipped profile by id (`valkey-8`, `elasticache-valkey-cluster`, …). Throws TargetDataError. */
export function loadTarget(id: string): TargetProfile {
  const hit = cache.get(id);
  if (hit) return hit;
  if (!ID.test(id) || !listTargets().includes(id)) {
    throw new TargetDataError(`unknown target "${id}"; known: ${listTargets().join(', ')}`);
  }
  const profile = validateTarget(JSON.parse(readFileSync(new URL(`${id}.json`, targetDir()), 'utf8')) as unknown, `data/targets/${id}.json`);
  if (profile.id !== id) throw new TargetDataError(`data/targets/${id}.json: id is "${profile.id}"`);
  cache.set(id, profile);
  return profile;
}

/** A profile from a user's file of the same shape. Throws TargetDataError. */
export function loadTargetFile(path: string): TargetProfile {
  let json: unknown;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TargetDataError(`cannot read target file ${path}: ${fileErrorText(err)}`);
  }
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TargetDataError(`${path} is not JSON: ${(err as Error).message}`);
  }
  return validateTarget(json, path);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const SEVERITIES: readonly string[] = ['error', 'warning', 'info'];

function checkRules(v: unknown, where: string): void {
  if (!Array.isArray(v)) throw new TargetDataError(`${where} must be an array`);
  for (const r of v) {
    if (!isObj(r) || typeof r['command'] !== 'string' || typeof r['reason'] !== 'string') {
      throw new TargetDataError(`${where}: each rule needs command and reason strings`);
    }
    const c = r['command'];
    if (c !== c.toUpperCase() || c === '' || /\s/.test(c) || (c.includes('*') && !c.endsWith('*'))) {
      throw new TargetDataError(`${where}: "${c}" must be upper case, without spaces, with '*' only at the end`);
    }
    if (r['severity'] !== undefined && !SEVERITIES.includes(r['severity'] as string)) {
      throw new TargetDataError(`${where}: "${c}" severity must be error, warning or info`);
    }
    if (r['except'] !== undefined && !(Array.isArray(r['except']) && r['except'].every((x) => typeof x === 'string'))) {
      throw new TargetDataError(`${where}: "${c}" except must be an array of strings`);
    }
  }
}

export function validateTarget(v: unknown, origin = 'target'): TargetProfile {
  if (!isObj(v)) throw new TargetDataError(`${origin}: must be a JSON object`);
  for (const k of ['id', 'title', 'asOf']) {
    if (typeof v[k] !== 'string') throw new TargetDataError(`${origin}: ${k} must be a string`);
  }
  if (!/^\d{4}-\d{2}(-\d{2})?$/.test(v['asOf'] as string)) throw new TargetDataError(`${origin}: asOf must be a date`);
  const engine = v['engine'];
  if (!isObj(engine) || typeof engine['name'] !== 'string' || typeof engine['version'] !== 'string') {
    throw new TargetDataError(`${origin}: engine needs name and version strings`);
  }
  if (typeof v['clusterMode'] !== 'boolean') throw new TargetDataError(`${origin}: clusterMode must be a boolean`);
  checkRules(v['unsupportedCommands'], `${origin} unsupportedCommands`);
  checkRules(v['blockedCommands'], `${origin} blockedCommands`);
  for (const k of ['notes', 'sources']) {
    const a = v[k];
    if (!Array.isArray(a) || !a.every((x) => typeof x === 'string')) throw new TargetDataError(`${origin}: ${k} must be an array of strings`);
  }
  const nd = v['numberedDatabases'];
  if (nd !== undefined && (!isObj(nd) || typeof nd['supported'] !== 'boolean' || typeof nd['reason'] !== 'string')) {
    throw new TargetDataError(`${origin}: numberedDatabases needs supported (boolean) and reason`);
  }
  return v as unknown as TargetProfile;
}

// ---------------------------------------------------------------------------------------------------
// Commands

/** How closely a rule fits a command: 3 exact, 2 parent of a subcommand, 1 wildcard; 0 no match. */
function fit(rule: CommandRule, command: string): number {
  const r = rule.command;
  if (rule.except?.some((x) => x.toUpperCase() === command || command.startsWith(`${x.toUpperCase()}|`))) return 0;
  if (r === command) return 3;
  if (!r.endsWith('*') && command.startsWith(`${r}|`)) return 2;
  if (r.endsWith('*') && command.startsWith(r.slice(0, -1))) return 1;
  return 0;
}

/**
 * Whether `command` (canonical: `HEXPIRE`, `CLIENT|KILL`; case doesn't matter) works on the target.
 * The closest rule wins (exact, then parent command, then wildcard; ties go to the earlier rule, and a
 * blocked rule beats an unsupported one of the same closeness).
 */
export function commandVerdict(command: string, target: TargetProfile): CommandVerdict | undefined {
  const c = command.trim().toUpperCase();
  if (c === '') return undefined;
  let best: { rule: CommandRule; kind: 'unsupported' | 'blocked'; score: number } | undefined;
  for (const [kind, rules] of [
    ['blocked', target.blockedCommands],
    ['unsupported', target.unsupportedCommands],
  ] as const) {
    for (const rule of rules) {
      const score = fit(rule, c);
      if (score > (best?.score ?? 0)) best = { rule, kind, score };
    }
  }
  if (!best) return undefined;
  return {
    code: 'unsupported-command',
    kind: best.kind,
    reason: best.rule.reason,
    severity: best.rule.severity ?? 'error',
    unverified: best.rule.unverified === true,
    rule: best.rule.command,
  };
}

// ---------------------------------------------------------------------------------------------------
// Cluster

/** CRC16/XMODEM (poly 0x1021, init 0), the checksum Redis and Valkey hash keys with. */
const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ bytes[i]!) & 0xff]!;
  return crc;
}

/**
 * The hash slot a key maps to (0..16383), as the server's keyHashSlot computes it: if the key has a
 * `{` and a `}` after the first `{`, with something between them, only that part is hashed; otherwise
 * (no tag, or an empty first tag `{}`) the whole key is. Strings are hashed as their UTF-8 bytes (as
 * Buffer.from encodes them); pass the raw bytes when you have them.
 *
 * Not delegated to cluster-key-slot: its 1.1.2 keeps scanning past an empty first tag, so `{}{a}`,
 * `{}}` or `x{}y{z}` get a slot the server does not use (checked against valkey-server 8.0.1).
 */
export function slotOf(key: string | Uint8Array): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  const len = bytes.length;
  let s = 0;
  while (s < len && bytes[s] !== 0x7b) s++;
  if (s === len) return crc16(bytes, 0, len) & 0x3fff;
  let e = s + 1;
  while (e < len && bytes[e] !== 0x7d) e++;
  if (e === len || e === s + 1) return crc16(bytes, 0, len) & 0x3fff;
  return crc16(bytes, s + 1, e) & 0x3fff;
}

/** True when the keys don't all hash to one slot (a cluster would answer CROSSSLOT). */
export function isCrossSlot(keys: ReadonlyArray<string | Uint8Array>): boolean {
  if (keys.length < 2) return false;
  const first = slotOf(keys[0]!);
  for (let i = 1; i < keys.length; i++) if (slotOf(keys[i]!) !== first) return true;
  return false;
}

/**
 * A client working in database `db` on a cluster-mode target: nothing for db 0 or a target without
 * cluster mode; an error where numbered databases don't exist in cluster mode (even when that is
 * unverified: the safe reading); a warning where the target has them (the client library must also
 * allow SELECT in cluster mode).
 */
export function selectDbFinding(db: number, target: TargetProfile, count = 1): Finding | undefined {
  if (!target.clusterMode || db === 0) return undefined;
  const nd = target.numberedDatabases;
  if (nd?.supported) {
    return {
      code: 'select-db',
      severity: 'warning',
      message:
        `Uses database ${db}; ${target.title} has numbered databases in cluster mode (${nd.reason}). ` +
        `Check that the cluster client allows SELECT, or move the data to database 0 with a key prefix.`,
      count,
      example: `SELECT ${db}`,
    };
  }
  return {
    code: 'select-db',
    severity: 'error',
    message:
      `Uses database ${db}; ${target.title} runs in cluster mode, where only database 0 exists` +
      `${nd ? ` (${nd.unverified ? 'unverified: ' : ''}${nd.reason})` : ''}. Move the data to database 0 with a key prefix.`,
    count,
    example: `SELECT ${db}`,
  };
}
