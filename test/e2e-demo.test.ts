// The bundled demo is a newcomer's first look: `npm run demo` must open the dashboard on the
// recording and show what the project promises (named services, an outdated library, an unnamed
// client, a script caller, connections that came and went), with no server running.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { terminal } from './helpers/tmux.ts';
import { CLI } from './helpers/cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEMO = join(ROOT, 'data/demo/demo-session.jsonl.gz');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

const term = terminal('e2e-demo');
after(() => term.kill());

interface Client {
  name: string;
  connected: boolean;
  libName: string | null;
  libVer: string | null;
  commands: Record<string, number>;
  library: { verdict: string } | null;
  findings: Array<{ code: string }>;
}

test('the demo recording is small and holds the promised mix of clients', async () => {
  assert.ok(statSync(DEMO).size < 3 * 1024 * 1024, 'a few MB at most');
  const out = join(mkdtempSync(join(tmpdir(), 'recon-demo-')), 'demo.json');
  const code = await new Promise<number>((resolve) =>
    execFile(process.execPath, [...CLI, '--replay', DEMO, '--speed', 'max', '--headless', '--export', out], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', RECON_ENV_FILE: '/nonexistent' } }, (err) =>
      resolve(err ? Number(err.code ?? 1) : 0),
    ),
  );
  assert.equal(code, 0);
  const inv = JSON.parse(readFileSync(out, 'utf8'));
  const clients: Client[] = inv.clients;
  const named = (n: string) => clients.filter((c) => c.name === n);
  const services = new Set(clients.map((c) => c.name).filter(Boolean));
  assert.ok(services.size >= 8, `services: ${[...services].join(', ')}`);
  for (const s of ['checkout-api', 'legacy-billing', 'catalog-indexer', 'edge-gateway', 'reports-worker', 'mailer']) assert.ok(services.has(s), s);
  assert.ok(named('legacy-billing').some((c) => c.library?.verdict === 'outdated'), 'the old library is flagged');
  assert.ok(clients.some((c) => c.name === '' && c.connected), 'an unnamed client');
  assert.ok(named('edge-gateway').some((c) => (c.commands.EVALSHA ?? 0) + (c.commands.EVAL ?? 0) > 0 && Object.keys(c.commands).length > 2), 'a script caller with its scripted commands');
  assert.ok(named('cleanup-cron').some((c) => !c.connected), 'short-lived connections stay, disconnected, named from MONITOR');
  assert.ok(named('reports-worker').every((c) => c.library?.verdict === 'missing'), 'Debian redis-py sends no lib-name');
  assert.equal(inv.window.unparsedLines, 0);
});

test('npm run demo opens the dashboard on the recording, with no server', { timeout: 60_000 }, async () => {
  const script: string = PKG.scripts.demo;
  assert.match(script, /--replay data\/demo\/demo-session\.jsonl\.gz/);
  // The script's own command, faster, in a real terminal (CI unset: Ink draws every frame).
  const argv = ['env', '-u', 'CI', 'TERM=xterm-256color', ...script.split(' ').map((a) => (a === 'node' ? process.execPath : a)), '--speed', '20'];
  term.start(['sh', '-c', `${argv.map((a) => `'${a}'`).join(' ')}; echo "EXITED:$?"; sleep 30`], { cwd: ROOT, columns: 160, rows: 45 });
  const s = await term.waitScreen((x) => /checkout-api/.test(x) && /legacy-billing/.test(x) && /replay of demo-session/.test(x), 'the demo dashboard', 20_000);
  assert.ok(term.altScreen());
  assert.match(s, /Valkey 8\.0/);

  // `e`, replace the suggested name, Enter: the inventory is written and the footer says so.
  const out = join(mkdtempSync(join(tmpdir(), 'recon-demo-')), 'from-the-dashboard.json');
  term.keys('e');
  await term.waitScreen((x) => /Export inventory to .*redis-recon-\d{8}-\d{6}\.md/.test(x), 'export prompt');
  term.keys(...Array.from({ length: 40 }, () => 'BSpace'));
  term.literal(out);
  term.keys('Enter');
  await term.waitScreen((x) => /wrote .*from-the-dashboard\.json: \d+ services? \(\d+ connections\)/.test(x), 'export written', 10_000);
  const inv = JSON.parse(readFileSync(out, 'utf8'));
  assert.ok(inv.clients.some((c: Client) => c.name === 'checkout-api'));
  assert.equal(inv.target.id, 'elasticache-valkey');

  term.keys('q');
  await term.waitScreen((x) => /EXITED:0/.test(x), 'exit');
});
