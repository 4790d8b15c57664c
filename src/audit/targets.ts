// What a migration target lacks or blocks. Profiles are data (data/targets/*.json, dated, with
// sources); this module only reads them and answers for one command. The findings built from them
// live in findings.ts (which imports this module, never the other way round), and slot hashing in
// src/analysis/slots.ts.

import { readFileSync, readdirSync } from 'node:fs';
import { dataDir } from './dataDir.ts';
import { fileErrorText } from '../fileErrors.ts';

/** How much a finding matters: `error` blocks the migration, `warning` needs a look, `info` is context. */
export type Severity = 'error' | 'warning' | 'info';

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
