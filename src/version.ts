import { readFileSync } from 'node:fs';

/**
 * The package version, read once from the package's own package.json: beside src/ in a checkout
 * (src/version.ts), two levels up once built (dist/src/version.js).
 */
export const TOOL_VERSION: string = (() => {
  for (const up of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'redis-recon' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // Not there (dist/package.json never is): try the next level.
    }
  }
  return 'unknown';
})();
