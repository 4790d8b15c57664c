// Entry point: reads settings, then runs headless or opens the dashboard. Every failure a user can
// cause ends here as one sentence on stderr and a non-zero exit, never a stack trace.
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { resolveConfig } from './config.ts';
import { helpText } from './help.ts';
import { runHeadless } from './headless.ts';
import { setupAudit } from './audit/auditor.ts';
import { TOOL_VERSION } from './version.ts';
import { fileErrorText } from './fileErrors.ts';
import { unwritablePath } from './paths.ts';
import { isTerminalGone, listenForStop, releaseTerminal } from './signals.ts';
import { loadOwnerFiles } from './owners/ownerMap.ts';

function loadEnv(): Record<string, string | undefined> {
  const file = process.env.RECON_ENV_FILE ?? '.env';
  if (!existsSync(file)) return process.env;
  try {
    // The process environment wins over the file, as with every dotenv convention.
    return { ...parseEnv(readFileSync(file, 'utf8')), ...process.env };
  } catch (err) {
    process.stderr.write(`redis-recon: ignoring ${file}: ${fileErrorText(err)}\n`);
    return process.env;
  }
}

async function main(): Promise<number> {
  const resolved = resolveConfig(process.argv.slice(2), loadEnv());
  if (!resolved.ok) {
    process.stderr.write(`redis-recon: ${resolved.error}\nTry redis-recon --help\n`);
    return 1;
  }
  const config = resolved.config;
  if (config.help) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  if (config.version) {
    process.stdout.write(`redis-recon ${TOOL_VERSION}\n`);
    return 0;
  }
  if (config.passwordInArgv) {
    process.stderr.write('redis-recon: warning: the password in --url shows in the process list; put it in REDIS_PASSWORD (environment or .env) instead\n');
  }
  if (config.to?.passwordInArgv) {
    process.stderr.write('redis-recon: warning: the password in --to shows in the process list; put it in TO_REDIS_PASSWORD (environment or .env) instead\n');
  }
  const audit = setupAudit(config.target, config.librariesFile);
  if (!audit.ok) {
    process.stderr.write(`redis-recon: ${audit.error}\n`);
    return 1;
  }
  // Owner files are read now: a wrong path or a file that is not what it should be ends it here.
  const owners = config.hostsFiles.length > 0 ? loadOwnerFiles(config.hostsFiles) : undefined;
  if (owners && !owners.ok) {
    process.stderr.write(`redis-recon: ${owners.error}\n`);
    return 1;
  }
  const ownerMap = owners?.map;
  // Output files are checked now, not when a long run ends (or a recording's first flush fails).
  const recordProblem = config.recordFile !== undefined ? unwritablePath(config.recordFile) : undefined;
  if (recordProblem) {
    process.stderr.write(`redis-recon: cannot write --record ${config.recordFile}: ${recordProblem}\n`);
    return 1;
  }
  if (config.headless) {
    const exportProblem = config.exportFile !== undefined ? unwritablePath(config.exportFile, { replaces: true }) : undefined;
    if (exportProblem) {
      process.stderr.write(`redis-recon: cannot write --export ${config.exportFile}: ${exportProblem}\n`);
      return 3;
    }
    const planProblem = config.planFile !== undefined ? unwritablePath(config.planFile) : undefined;
    if (planProblem) {
      process.stderr.write(`redis-recon: cannot write --plan ${config.planFile}: ${planProblem}\n`);
      return 3;
    }
    // SIGINT, SIGTERM and SIGHUP stop the run; it still exports, then exits 128+n. A second one ends it at once.
    const stop = listenForStop();
    return runHeadless(config, { stderr: (l) => process.stderr.write(`${l}\n`), interrupted: stop.first,
      audit: { target: config.target, ...(config.librariesFile ? { librariesFile: config.librariesFile } : {}) },
      target: { id: audit.target.id, title: audit.target.title },
      ...(ownerMap ? { owners: ownerMap } : {}),
    });
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('redis-recon: the dashboard needs a terminal; without one use --headless --export out.json (with --duration 60s for a live server)\n');
    return 1;
  }
  // React's development build checks every render and keeps what it needs to warn: at 30,000
  // connections it took most of the main thread (a CPU profile of bench/idle-connections.ts).
  // React picks its build when first loaded, so this goes before the dashboard's import.
  process.env.NODE_ENV ??= 'production';
  const { runDashboard } = await import('../components/runDashboard.tsx');
  return runDashboard(config, {
    audit: { target: config.target, ...(config.librariesFile ? { librariesFile: config.librariesFile } : {}) },
    target: { id: audit.target.id, title: audit.target.title },
    ...(ownerMap ? { owners: ownerMap } : {}),
  });
}

main().then(
  (code) => {
    // After a hangup the terminal is gone: let go of it, or Node's exit aborts restoring its modes.
    if (isTerminalGone()) releaseTerminal();
    process.exit(code);
  },
  (err: unknown) => {
    // Last resort: a bug, not a user error. Say so in one line; the stack only on request.
    process.stderr.write(`redis-recon: internal error: ${(err as Error)?.message ?? String(err)}\n`);
    if (process.env.RECON_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    if (isTerminalGone()) releaseTerminal();
    process.exit(70);
  },
);
