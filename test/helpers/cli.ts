// How tests run the CLI from this checkout: the TypeScript sources through tsx's loader, as
// `npm start` does (bin/redis-recon.js runs the build; e2e-package.test.ts tests that from a packed
// tarball). The loader is passed by absolute URL so a test may use any working directory.
import { fileURLToPath } from 'node:url';

/** Arguments for process.execPath, before the CLI's own: `node ...CLI --url …`. */
export const CLI: readonly string[] = ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('../../src/cli.ts', import.meta.url))];
