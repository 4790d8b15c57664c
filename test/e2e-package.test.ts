// The package as a user gets it: `npm pack` (which builds dist/ through prepack), the tarball
// installed into an empty folder from the npm registry, and the installed `redis-recon` run with
// plain node. A file the package needs at run time (dist/, data/, package.json) missing from the
// tarball fails here, as does anything that still needs tsx or the TypeScript sources.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { terminal } from './helpers/tmux.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<Run> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeout ?? 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('the packed tarball, installed into an empty folder', { timeout: 180_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'recon-package-'));
  const app = join(work, 'app');
  const installed = join(app, 'node_modules', PKG.name);
  const bin = join(app, 'node_modules', '.bin', 'redis-recon');
  // What a user's shell has, and no more: no .env from anywhere, no REDIS_* settings, no tsx loader.
  const userEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? work, RECON_ENV_FILE: '/nonexistent/.env' };
  let files: string[] = [];

  before(async () => {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, timeout: 120_000 });
    assert.equal(packed.code, 0, `npm pack failed:\n${packed.stderr}`);
    const info = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    files = info[0]!.files.map((f) => f.path);
    // An empty folder with nothing but a package.json of its own, as `npm init -y` leaves it.
    const tarball = join(work, info[0]!.filename);
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'recon-user', version: '1.0.0', private: true }));
    const inst = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, timeout: 150_000 });
    assert.equal(inst.code, 0, `npm install of the tarball failed:\n${inst.stderr}`);
  });
  const term = terminal('e2e-package');
  after(() => {
    term.kill();
    rmSync(work, { recursive: true, force: true });
  });

  test('ships the build and the data, not the sources or the tests', () => {
    for (const f of ['bin/redis-recon.js', 'dist/src/cli.js', 'dist/src/worker.js', 'data/libraries.json', 'data/command-table.json', 'data/demo/demo-session.jsonl.gz', 'package.json']) {
      assert.ok(files.includes(f), `${f} is in the tarball`);
    }
    assert.deepEqual(files.filter((f) => /\.tsx?$/.test(f) || f.startsWith('test/') || f.startsWith('src/')), [], 'no TypeScript, no tests');
    // Bundles and their chunks side by side in dist/src/: a module finds the worker, data/ and
    // package.json from its own URL, whichever chunk it landed in.
    assert.deepEqual(files.filter((f) => f.startsWith('dist/') && !/^dist\/src\/[\w-]+\.js$/.test(f)), [], 'one folder of bundles');
  });

  test('installs without tsx or esbuild: the installed command runs on plain node', () => {
    assert.ok(existsSync(join(installed, 'dist', 'src', 'cli.js')));
    assert.ok(!existsSync(join(app, 'node_modules', 'tsx')), 'tsx is a development dependency only');
    assert.ok(!existsSync(join(app, 'node_modules', 'esbuild')), 'no esbuild install script for users');
  });

  test('--version prints the package version (read from the installed package.json)', async () => {
    const r = await run(bin, ['--version'], { cwd: app, env: userEnv });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `redis-recon ${PKG.version}\n`);
    const short = await run(bin, ['-V'], { cwd: app, env: userEnv });
    assert.equal(short.stdout, `redis-recon ${PKG.version}\n`, short.stderr);
    const viaNpx = await run('npx', ['--no-install', 'redis-recon', '--version'], { cwd: app, env: { ...process.env, ...userEnv } });
    assert.equal(viaNpx.stdout.trim(), `redis-recon ${PKG.version}`, viaNpx.stderr);
  });

  test('--help lists the options, then examples and the exit codes', async () => {
    const r = await run(bin, ['--help'], { cwd: app, env: userEnv });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: redis-recon/);
    assert.match(r.stdout, /--url URL/);
    assert.match(r.stdout, /\nExamples:\n {2}redis-recon --url /);
    assert.match(r.stdout, /\nExit codes:\n {2}0 .*\n[^]*128\+n .*\n$/);
  });

  test('a mistyped flag: exit 1 and the nearest flag', async () => {
    const r = await run(bin, ['--durration', '5s'], { cwd: app, env: userEnv });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown option --durration; did you mean --duration\?/);
  });

  test('replays the bundled demo headless and writes the inventory, judged with the shipped data', async () => {
    const demo = join(installed, 'data', 'demo', 'demo-session.jsonl.gz');
    const out = join(app, 'inventory.json');
    const r = await run(bin, ['--replay', demo, '--speed', 'max', '--headless', '--export', out], { cwd: app, env: userEnv });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.match(r.stderr, /wrote .*inventory\.json/);
    const inv = JSON.parse(readFileSync(out, 'utf8'));
    assert.deepEqual(inv.tool, { name: 'redis-recon', version: PKG.version });
    assert.equal(inv.target.id, 'elasticache-valkey', 'the default target profile (data/targets) loaded');
    const clients = inv.clients as Array<{ name: string; library: { verdict: string } | null; prefixes: unknown[] }>;
    const names = new Set(clients.map((c) => c.name));
    for (const s of ['checkout-api', 'legacy-billing', 'edge-gateway', 'cleanup-cron']) assert.ok(names.has(s), `${s} in the export`);
    assert.ok(clients.some((c) => c.name === 'legacy-billing' && c.library?.verdict === 'outdated'), 'libraries judged (data/libraries.json)');
    assert.ok(inv.prefixes.length > 10, 'keys found in the commands (the command table)');
    assert.equal(inv.window.unparsedLines, 0);
  });

  test('opens the dashboard on the demo in a terminal (the compiled components load) and quits with q', async () => {
    const demo = join(installed, 'data', 'demo', 'demo-session.jsonl.gz');
    term.start(['sh', '-c', `'${bin}' --replay '${demo}' --speed 20; echo "EXITED:$?"; sleep 30`], {
      cwd: app,
      columns: 160,
      rows: 45,
      env: { TERM: 'xterm-256color', RECON_ENV_FILE: '/nonexistent/.env' },
    });
    await term.waitScreen((x) => /checkout-api/.test(x) && /replay of demo-session/.test(x), 'the dashboard', 20_000);
    term.keys('q');
    await term.waitScreen((x) => /EXITED:0/.test(x), 'exit 0 after q');
  });
});
