// The migration view for real: `npm run traffic`'s real client libraries against a real
// valkey-server, the CLI in a real terminal (tmux) with --target elasticache-valkey-cluster. The
// findings pane (Tab) must list checkout-api's MULTI … EXEC across hash slots, with its service
// name, at 80x24 and at 160x45, and Enter must narrow the clients to that service. Self-cleaning:
// its own tmux socket, its own server on a free loopback port, the traffic stopped by SIGINT.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { terminal } from './helpers/tmux.ts';
import { startServer, type TestServer } from './helpers/servers.ts';
import { CLI } from './helpers/cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const term = terminal('e2e-migration');
let server: TestServer | undefined;
let traffic: ChildProcess | undefined;

after(async () => {
  if (traffic && traffic.exitCode === null) {
    const gone = new Promise((r) => traffic!.once('exit', r));
    traffic.kill('SIGINT');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
  }
  term.kill();
  await server?.stop();
});

/** The findings pane's selected line once it is checkout-api's cross-slot transaction: `j` moves down until it is. */
async function selectTransactionRow(rows: number): Promise<string> {
  const selected = (s: string): string | undefined => s.split('\n').find((l) => /^┃›/.test(l) && /MULTI … EXEC across slots/.test(l) && /checkout-api/.test(l));
  for (let i = 0; i < rows; i++) {
    const r = selected(term.screen());
    if (r) return r;
    term.keys('j');
    await new Promise((res) => setTimeout(res, 200));
  }
  return selected(await term.waitScreen((s) => selected(s) !== undefined, 'the MULTI … EXEC row with checkout-api selected', 5000))!;
}

test('the findings pane lists checkout-api’s MULTI … EXEC across slots at 80x24 and 160x45', { timeout: 120_000 }, async () => {
  server = await startServer('valkey');
  const url = `redis://127.0.0.1:${server.port}`;
  traffic = spawn(process.execPath, ['--import', 'tsx', 'scripts/traffic.ts', '--url', url, '--duration', '100s', '--rate', '5'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdio: ['ignore', 'ignore', 'ignore'],
  });

  const env = ['env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', 'TERM=xterm-256color'];
  // Every MONITOR line, where MONITOR can also be sampled: a transaction must not be missed.
  const full = /--monitor [a-zA-Z<|]/.test(execFileSync(process.execPath, [...CLI, '--help'], { encoding: 'utf8' })) ? ['--monitor', 'on'] : [];
  const cmd = [...env, process.execPath, ...CLI, '--url', url, '--target', 'elasticache-valkey-cluster', ...full]
    .map((a) => `'${a}'`)
    .join(' ');
  term.start(['sh', '-c', `${cmd}; echo "EXITED:$?"; sleep 30`], {
    cwd: ROOT,
    columns: 160,
    rows: 45,
  });

  // The target is in the header from the start.
  let s = await term.waitScreen((x) => /checkout-api/.test(x) && /→ target elasticache-valkey-cluster/.test(x), 'the dashboard with checkout-api and the target', 30_000);

  // Tab to the findings pane (clients → keys → libraries → findings), once checkout has run a transaction.
  term.keys('Tab', 'Tab', 'Tab');
  s = await term.waitScreen((x) => /┏━ Findings/.test(x) && /MULTI … EXEC across slots/.test(x), 'the findings pane with a cross-slot transaction', 60_000);
  let row = await selectTransactionRow(40);
  assert.match(row, /✖ MULTI … EXEC across slots\s+checkout-api/, `160 columns: ${row}`);
  assert.match(row, /MULTI .*EXEC: .*order:\d+/, 'the example is the call, with its keys');
  assert.match(s, /Findings\s+on [^·]*ElastiCache[^·]*cluster mode/, "the pane names the target");

  // 80x24: the same row, the service still named, the footer's way out still there.
  term.resize(80, 24);
  s = await term.waitScreen((x) => x.split('\n')[0]!.length <= 80 && /┏━ Findings/.test(x) && /\? help\s+q quit/.test(x), 'redrawn at 80x24', 10_000);
  row = await selectTransactionRow(40);
  assert.match(row, /✖ MULTI … EXEC across slots\s+checkout-api/, `80 columns: ${row}`);
  assert.match(s.split('\n')[0]!, /→ target elasticache-valkey-cluster/, 'the target in the header at 80 columns');

  // Enter: the clients of that service only.
  term.keys('Enter');
  s = await term.waitScreen((x) => /┏━ Clients/.test(x) && /checkout-api ✓/.test(x), 'clients narrowed to checkout-api', 10_000);
  const clientLines = s.split('\n').filter((l) => /^[┃│][›\s]/.test(l) && /\d+\.\d+\.\d+\.\d+:\d+/.test(l));
  assert.ok(clientLines.length > 0 && clientLines.every((l) => /checkout-api/.test(l)), `only checkout-api's connections:\n${clientLines.join('\n')}`);

  term.resize(160, 45);
  term.keys('q');
  s = await term.waitScreen((x) => /EXITED:0/.test(x), 'exit', 15_000);
});
