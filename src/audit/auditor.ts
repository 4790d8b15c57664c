// Binds the audit rules to one target and one library knowledge base, for the session to call on
// every client that changed since the last publish.
import type { Auditor } from '../analysis/session.ts';
import { clientFindings, serverCommandFindings, type ServerFinding } from './findings.ts';
import { libraryVerdict, loadLibraries, LibraryDataError, type LibraryKB } from './libraries.ts';
import { listTargets, loadTarget, loadTargetFile, TargetDataError, type TargetProfile } from './targets.ts';

export function createAuditor(target: TargetProfile, kb: LibraryKB): Auditor {
  return (input) => {
    const v = libraryVerdict({ libName: input.libName, libVer: input.libVer }, { libraryFieldsShown: input.libraryFieldsShown }, kb);
    return {
      library: { verdict: v.verdict, reason: v.reason, family: v.family, latest: v.latest, minimum: v.minimum },
      findings: clientFindings(input, target, kb),
    };
  };
}

export type AuditSetup = { ok: true; target: TargetProfile; kb: LibraryKB; auditor: Auditor } | { ok: false; error: string };

/** Loads `--target` (a shipped id or a profile file) and `--libraries`, as sentences on failure. */
export function setupAudit(targetId: string, librariesFile?: string): AuditSetup {
  let target: TargetProfile;
  try {
    target = targetId.endsWith('.json') ? loadTargetFile(targetId) : loadTarget(targetId);
  } catch (err) {
    if (err instanceof TargetDataError || (err as NodeJS.ErrnoException).code === 'ENOENT') {
      return { ok: false, error: `--target ${targetId}: ${firstLine(err)}; shipped targets: ${listTargets().join(', ')}` };
    }
    throw err;
  }
  let kb: LibraryKB;
  try {
    kb = loadLibraries(librariesFile);
  } catch (err) {
    if (err instanceof LibraryDataError || (err as NodeJS.ErrnoException).code !== undefined || err instanceof SyntaxError) {
      return { ok: false, error: `--libraries ${librariesFile}: ${firstLine(err)}` };
    }
    throw err;
  }
  return { ok: true, target, kb, auditor: createAuditor(target, kb) };
}

/** Judges the server's command mix (INFO commandstats) for a target. */
export type ServerAuditor = (commands: ReadonlyArray<{ readonly name: string; readonly calls: number; readonly callsSinceStart: number }>) => ServerFinding[];

/** The server-wide auditor for `--target` (a shipped id or a profile file); undefined if it cannot load (setupAudit said why). */
export function serverAuditorFor(targetId: string): ServerAuditor | undefined {
  let target: TargetProfile;
  try {
    target = targetId.endsWith('.json') ? loadTargetFile(targetId) : loadTarget(targetId);
  } catch {
    return undefined;
  }
  return (commands) => serverCommandFindings(commands, target);
}

const firstLine = (err: unknown): string => String((err as Error).message ?? err).split('\n')[0] ?? '';
