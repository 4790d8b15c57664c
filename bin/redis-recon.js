#!/usr/bin/env node
// The installed command: runs the bundled CLI in dist/ with plain node (nothing here needs tsx).
// `npm pack` and `npm publish` build dist/ first (the prepack script). From a checkout without a
// build, `npm start -- …` runs the TypeScript sources instead.
const cli = new URL('../dist/src/cli.js', import.meta.url);
try {
  await import(cli.href);
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(decodeURIComponent(cli.pathname))) {
    process.stderr.write('redis-recon: dist/ is missing: run `npm run build` first (from a checkout, `npm start -- …` needs no build)\n');
    process.exit(70);
  }
  throw err;
}
