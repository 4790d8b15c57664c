// Where the shipped data/ folder is, from this module: src/audit/ when run with tsx,
// dist/src/audit/ when built (package.json ships `dist` and `data` side by side).

import { existsSync } from 'node:fs';

let found: URL | undefined;

/** URL of the package's data/ folder (with a trailing slash). Throws when it can't be found. */
export function dataDir(): URL {
  if (found) return found;
  for (const up of ['../../data/', '../../../data/']) {
    const candidate = new URL(up, import.meta.url);
    if (existsSync(new URL('libraries.json', candidate))) {
      found = candidate;
      return found;
    }
  }
  throw new Error(`redis-recon: data/libraries.json not found above ${new URL('.', import.meta.url).pathname}`);
}
