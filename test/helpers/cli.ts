// How tests run the CLI from this checkout: the TypeScript sources through tsx's loader, as
// `npm start` does (bin/redis-recon.js runs the build; e2e-package.test.ts tests that from a packed
// tarball). The loader is passed by absolute URL so a test may use any working directory.
import { fileURLToPath } from 'node:url';

/** Arguments for process.execPath, before the CLI's own: `node ...CLI --url …`. */
export const CLI: readonly string[] = ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../../src/cli.ts', import.meta.url))];

/**
 * Resolves once the CLI running as `pid` listens for stop signals (src/signals.ts registers SIGINT,
 * SIGTERM and SIGHUP together). Node itself never catches SIGHUP, so its bit in /proc's SigCgt is
 * the sign; a signal sent before then would end the process by default, exporting nothing. Where
 * /proc is missing it waits `fallbackMs`.
 */
export async function waitForStopHandlers(pid: number, timeoutMs = 30_000, fallbackMs = 4000): Promise<void> {
  const { readFileSync, existsSync } = await import('node:fs');
  if (!existsSync(`/proc/${pid}/status`)) {
    await new Promise((r) => setTimeout(r, fallbackMs));
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const caught = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (caught !== undefined && (BigInt(`0x${caught}`) & 1n) === 1n) return;
    } catch {
      return; // the process is gone: the caller sees how it ended
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`process ${pid} never listened for SIGHUP`);
}
