// What stands between one client and the chosen target, as findings the UI and the exports can list.
// Pure: it takes what the session has already gathered about a client and returns only what matters.

import { libraryVerdict, type LibraryKB } from './libraries.ts';
import { commandVerdict, type Severity, type TargetProfile } from './targets.ts';

export type { Severity };

export type FindingCode =
  | 'library-outdated'
  | 'library-missing'
  | 'library-unknown'
  | 'unsupported-command'
  | 'cross-slot'
  | 'cross-slot-transaction'
  | 'cross-slot-script'
  | 'select-db'
  | 'no-client-name';

export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  readonly message: string;
  /**
   * Connections for library/name findings (1 per client); calls for command findings (MONITOR), or
   * for a command only a cheaper lens saw: log entries (`slowlog`, `commandlog`) or polls that
   * caught it as the last command (`client-list`).
   */
  readonly count: number;
  readonly example?: string;
  /**
   * Set when the finding rests on a cheaper lens than MONITOR (`slowlog`, `commandlog`,
   * `client-list`); absent: MONITOR for command, slot and database findings, CLIENT LIST for
   * library and name findings (see `findingLens`).
   */
  readonly lens?: FindingLens;
}

export type FindingLens = 'monitor' | 'client-list' | 'slowlog' | 'commandlog' | 'commandstats';

/** Codes whose evidence is MONITOR traffic (the others rest on what CLIENT LIST prints). */
const MONITOR_CODES: ReadonlySet<FindingCode> = new Set(['unsupported-command', 'cross-slot', 'cross-slot-transaction', 'cross-slot-script', 'select-db']);

/** The lens a finding rests on, said explicitly (exports name it for every finding). */
export function findingLens(f: Finding): FindingLens {
  return f.lens ?? (MONITOR_CODES.has(f.code) ? 'monitor' : 'client-list');
}

/** What the session knows about one client, as plain values. */
export interface ClientAuditInput {
  readonly name: string;
  readonly libName?: string | undefined;
  readonly libVer?: string | undefined;
  readonly db: number;
  /** Calls per canonical command (`GET`, `CLIENT|KILL`). */
  readonly commands: Readonly<Record<string, number>>;
  /** Multi-key calls whose keys hash to different slots, with one example's keys. */
  readonly crossSlot?: { readonly count: number; readonly example: readonly string[] } | undefined;
  /** MULTI … EXEC transactions whose keys hash to more than one slot, with the first one's keys and commands. */
  readonly crossSlotTransactions?: CrossSlotUnitsInput | undefined;
  /** Script runs whose declared and touched keys hash to more than one slot. */
  readonly crossSlotScripts?: CrossSlotUnitsInput | undefined;
  /** Whether the server prints lib-name/lib-ver at all (7.2+). */
  readonly libraryFieldsShown: boolean;
  /**
   * Commands the cheaper lenses saw it run (canonical names): from the command logs (count:
   * entries) and CLIENT LIST's `cmd=` (count: polls). Judged like MONITOR's where MONITOR did not
   * count the command (off, sampled, or paused when it ran).
   */
  readonly otherLenses?: ReadonlyArray<{ readonly command: string; readonly lens: 'client-list' | 'slowlog' | 'commandlog'; readonly count: number }> | undefined;
}

export interface CrossSlotUnitsInput {
  readonly count: number;
  readonly example: readonly string[];
  readonly commands: readonly string[];
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
const EXAMPLE_KEYS = 4;
const EXAMPLE_KEY_LENGTH = 80;

function cut(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/**
 * Findings for one client on one target, errors first. Severities:
 * - a command the target lacks or blocks: the rule's severity, `error` unless the rule is a caveat
 *   (module to load, unverified assumption, cluster-mode semantics);
 * - an outdated library: `error` when its maintainers no longer support that line (the users' rule is
 *   to align every client on a supported release before cutover), `warning` when the minimum is this
 *   tool's own inference, so a guess never blocks a migration on its own;
 * - no lib-name or no client name: `warning`, the migration owners can't tell who this is;
 * - a library the knowledge base doesn't know: `info`;
 * - keys across slots on a cluster-mode target, in one call, one transaction or one script run:
 *   `error` (the target answers CROSSSLOT);
 * - a numbered database on a cluster-mode target: see `selectDbFinding`.
 * A server that doesn't print lib-name at all (before 7.2) gives no per-client library finding.
 */
export function clientFindings(input: ClientAuditInput, target: TargetProfile, kb?: LibraryKB): Finding[] {
  const out: Finding[] = [];

  const lib = libraryVerdict({ libName: input.libName, libVer: input.libVer }, { libraryFieldsShown: input.libraryFieldsShown }, kb);
  const libExample = [input.libName, input.libVer].filter((x) => x !== undefined && x.trim() !== '').join(' ');
  const withExample = (f: Omit<Finding, 'example'>): Finding => (libExample !== '' ? { ...f, example: libExample } : f);
  switch (lib.verdict) {
    case 'outdated':
      out.push(withExample({ code: 'library-outdated', severity: lib.minimumSource === 'maintainers' ? 'error' : 'warning', message: lib.reason, count: 1 }));
      break;
    case 'missing':
      out.push(withExample({ code: 'library-missing', severity: 'warning', message: lib.reason, count: 1 }));
      break;
    case 'unknown':
      out.push(withExample({ code: 'library-unknown', severity: 'info', message: lib.reason, count: 1 }));
      break;
    case 'ok':
    case 'unavailable':
      break;
  }

  if (input.name.trim() === '') {
    out.push({
      code: 'no-client-name',
      severity: 'warning',
      message:
        'No client name (CLIENT SETNAME): the migration owners cannot tell which service this connection belongs to. ' +
        'Set a name in the client library options.',
      count: 1,
    });
  }

  const selectCount = Object.entries(input.commands).find(([c]) => c.toUpperCase() === 'SELECT')?.[1];
  const select = selectDbFinding(input.db, target, selectCount !== undefined && selectCount > 0 ? selectCount : 1);
  if (select) out.push(select);

  const commands = Object.entries(input.commands)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const LENS_WORDS = { slowlog: 'SLOWLOG', commandlog: 'COMMANDLOG', 'client-list': "CLIENT LIST's last command (cmd=)" } as const;
  type OtherLens = keyof typeof LENS_WORDS;
  const unit = (lens: OtherLens, n: number): string => (lens === 'client-list' ? (n === 1 ? 'poll' : 'polls') : n === 1 ? 'log entry' : 'log entries');
  /** A command the target lacks or blocks; `through`: only a cheaper lens saw it, which the finding says. */
  const unsupported = (command: string, count: number, through?: OtherLens): void => {
    const v = commandVerdict(command, target);
    if (!v) return;
    const what = v.kind === 'blocked' ? 'blocked on' : 'not available on';
    const name = command.toUpperCase();
    const judged = `${name} is ${what} ${target.title}: ${v.reason}${v.unverified ? ' (unverified)' : ''}.`;
    out.push({
      code: 'unsupported-command',
      severity: v.severity,
      message: through ? `${judged} Seen through ${LENS_WORDS[through]} (${count} ${unit(through, count)}), not counted by MONITOR.` : judged,
      count,
      example: name,
      ...(through ? { lens: through } : {}),
    });
  };
  for (const [command, count] of commands) unsupported(command, count);

  // What only a cheaper lens saw: one finding per command, from the most exact lens that saw it.
  const judged = new Set(commands.map(([c]) => c.toUpperCase()));
  for (const seen of input.otherLenses ?? []) {
    const command = seen.command.toUpperCase();
    if (judged.has(command) || seen.count <= 0) continue;
    judged.add(command);
    unsupported(command, seen.count, seen.lens);
  }

  if (target.clusterMode && input.crossSlot && input.crossSlot.count > 0) {
    const keys = input.crossSlot.example;
    const shown = keys.slice(0, EXAMPLE_KEYS).map((k) => cut(k, EXAMPLE_KEY_LENGTH));
    out.push({
      code: 'cross-slot',
      severity: 'error',
      message:
        `${input.crossSlot.count} multi-key call(s) touch keys in different hash slots; ${target.title} runs in cluster mode ` +
        'and answers CROSSSLOT. Put keys used together under one {hash tag}.',
      count: input.crossSlot.count,
      ...(shown.length > 0 ? { example: shown.join(' ') + (keys.length > EXAMPLE_KEYS ? ` (+${keys.length - EXAMPLE_KEYS})` : '') } : {}),
    });
  }

  if (target.clusterMode) {
    const units = (
      code: 'cross-slot-transaction' | 'cross-slot-script',
      u: CrossSlotUnitsInput | undefined,
      what: string,
      fix: string,
      frame: (commands: string) => string,
    ): void => {
      if (!u || u.count <= 0) return;
      const keys = u.example.slice(0, EXAMPLE_KEYS).map((k) => cut(k, EXAMPLE_KEY_LENGTH));
      const more = u.example.length > EXAMPLE_KEYS ? ` (+${u.example.length - EXAMPLE_KEYS})` : '';
      out.push({
        code,
        severity: 'error',
        message: `${u.count} ${what} touch keys in different hash slots; ${target.title} runs in cluster mode and answers CROSSSLOT. ${fix}`,
        count: u.count,
        ...(keys.length > 0 ? { example: `${frame(u.commands.join(' '))}: ${keys.join(' ')}${more}` } : {}),
      });
    };
    units(
      'cross-slot-transaction',
      input.crossSlotTransactions,
      'transaction(s) (MULTI … EXEC)',
      'Put the keys of one transaction under one {hash tag}.',
      (cmds) => `MULTI ${cmds} EXEC`,
    );
    units(
      'cross-slot-script',
      input.crossSlotScripts,
      'script run(s) (the keys declared to EVAL/FCALL and those its commands touched)',
      'Declare every key the script touches, under one {hash tag}.',
      (cmds) => cmds,
    );
  }

  return out
    .map((f, i) => ({ f, i }))
    .sort((a, b) => RANK[a.f.severity] - RANK[b.f.severity] || a.i - b.i)
    .map(({ f }) => f);
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

/** A finding about the whole server: a command the target lacks, counted by INFO commandstats. */
export interface ServerFinding {
  readonly code: 'unsupported-command';
  readonly severity: Severity;
  readonly message: string;
  /** Canonical, upper case (`HEXPIRE`, `CONFIG|GET`). */
  readonly command: string;
  /** Calls in the window (redis-recon's own left out), and since the server's statistics began. */
  readonly calls: number;
  readonly callsSinceStart: number;
  readonly lens: 'commandstats';
}

/**
 * Commands redis-recon sends itself (this run, or another instance before it): their counts since
 * the server's start are no evidence that an application uses them; only window calls beyond our
 * own are.
 */
export const SENT_BY_RECON: ReadonlySet<string> = new Set([
  'CLIENT|LIST', 'CLIENT|ID', 'CLIENT|SETNAME', 'CLIENT|SETINFO', 'INFO', 'PING', 'MONITOR', 'HELLO', 'AUTH', 'SELECT',
  'SLOWLOG|GET', 'COMMANDLOG|GET', 'COMMANDLOG|LEN', 'COMMAND', 'COMMAND|DOCS', 'COMMAND|INFO', 'COMMAND|LIST',
]);

/**
 * What INFO commandstats says will fail on the target, with MONITOR or without: every command the
 * target lacks or blocks that ran in the window, or (for commands redis-recon never sends) at any
 * time since the server's statistics began. Errors first, then by calls.
 */
export function serverCommandFindings(
  commands: ReadonlyArray<{ readonly name: string; readonly calls: number; readonly callsSinceStart: number }>,
  target: TargetProfile,
): ServerFinding[] {
  const out: ServerFinding[] = [];
  for (const c of commands) {
    const evidence = c.calls > 0 || (!SENT_BY_RECON.has(c.name) && c.callsSinceStart > 0);
    if (!evidence) continue;
    const v = commandVerdict(c.name, target);
    if (!v) continue;
    const what = v.kind === 'blocked' ? 'blocked on' : 'not available on';
    out.push({
      code: 'unsupported-command',
      severity: v.severity,
      // The counts are fields (nodes' findings are summed): the message says what and why.
      message: `${c.name} is ${what} ${target.title}: ${v.reason}${v.unverified ? ' (unverified)' : ''}.`,
      command: c.name,
      calls: c.calls,
      callsSinceStart: c.callsSinceStart,
      lens: 'commandstats',
    });
  }
  return out.sort((a, b) => RANK[a.severity] - RANK[b.severity] || b.calls - a.calls || b.callsSinceStart - a.callsSinceStart || (a.command < b.command ? -1 : 1));
}
