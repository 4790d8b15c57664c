// The real CLI in a real terminal (tmux) against a real valkey-server with real node-redis clients:
// type keys, read the screen, quit, and check the terminal came back from the alternate screen.
// The child runs with CI unset (Ink draws only the last frame under CI). Self-cleaning: its own
// tmux server socket, its own valkey-server on a free loopback port, bounded client loops.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { terminal } from './helpers/tmux.ts';
import { startServer, type TestServer } from './helpers/servers.ts';
import { CLI } from './helpers/cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const term = terminal('e2e-dashboard');
const { keys, literal, altScreen, waitScreen } = term;

let server: TestServer | undefined;
let stopTraffic = false;
interface AppClient {
  get(key: string): Promise<unknown>;
  set(key: string, value: string): Promise<unknown>;
  quit(): Promise<unknown>;
}
const clients: AppClient[] = [];

after(async () => {
  stopTraffic = true;
  await Promise.allSettled(clients.map((c) => c.quit()));
  term.kill();
  await server?.stop();
});

test('the dashboard in a terminal: keys, filters, grouping, sort, help, quit', { timeout: 60_000 }, async () => {
  server = await startServer('valkey');
  const { port } = server;

  // Three application connections, named like services, on prefixed keys.
  const plan = [
    { name: 'checkout-7f9c8d6b5-x2x7q', run: (c: AppClient, i: number) => c.get(`app:user:${i % 20}`) },
    { name: 'orders-writer', run: (c: AppClient, i: number) => c.set(`orders:eu:${i % 30}`, 'x') },
    { name: 'cache-reader', run: (c: AppClient, i: number) => c.get(`cache:page:${i % 10}`) },
  ];
  for (const p of plan) {
    const c = createClient({ socket: { host: '127.0.0.1', port }, name: p.name });
    c.on('error', () => {});
    await c.connect();
    clients.push(c as unknown as AppClient);
  }
  const deadline = Date.now() + 45_000;
  const traffic = (async () => {
    for (let i = 0; !stopTraffic && Date.now() < deadline; i++) {
      await Promise.all(plan.map((p, k) => p.run(clients[k]!, i)));
      await new Promise((r) => setTimeout(r, 20));
    }
  })();

  const env = ['env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', 'TERM=xterm-256color'];
  const cmd = [...env, process.execPath, ...CLI, '--url', `redis://127.0.0.1:${port}`, '--monitor', 'on', '--prefix', 'app:', '--prefix', 'orders:']
    .map((a) => `'${a}'`)
    .join(' ');
  term.start(['sh', '-c', `${cmd}; echo "EXITED:$?"; sleep 30`], { cwd: ROOT });

  let s = await waitScreen((x) => /orders-writer/.test(x) && /cache-reader/.test(x) && /MONITOR on/.test(x) && /app:/.test(x), 'the dashboard with traffic', 15_000);
  assert.ok(altScreen(), 'the dashboard runs on the alternate screen');
  assert.match(s, /Valkey|Redis/);
  assert.match(s, new RegExp(`127\\.0\\.0\\.1:${port}`));
  assert.match(s, /\[1 app:\] \[2 orders:\]/, 'presets listed, inactive');
  assert.match(s, /checkout-7f9c8d6b5-x2x7q/);
  assert.ok(!/redis-recon-(poll|monitor)/.test(s), 'its own connections are hidden');

  // Tab focuses the key heatmap (heavy border).
  keys('Tab');
  s = await waitScreen((x) => /┏━ Keys/.test(x), 'Keys focused');

  // `f` + a prefix + Enter: an active filter; every pane narrows.
  keys('f');
  await waitScreen((x) => /Filter keys by prefix:/.test(x), 'prompt');
  literal('cache:');
  await waitScreen((x) => /Filter keys by prefix: cache:/.test(x), 'typed');
  keys('Enter');
  s = await waitScreen((x) => /3 cache: ✓/.test(x) && !/orders-writer/.test(x), 'filtered to cache:');
  assert.match(s, /cache-reader/);
  assert.ok(!/checkout-7f9c8d6b5/.test(s));
  assert.match(s, /Clients\s+1 of \d+ \(filtered\)/);

  // `1` adds the app: preset: its client comes back.
  keys('1');
  s = await waitScreen((x) => /1 app: ✓/.test(x) && /checkout-7f9c8d6b5/.test(x), 'preset 1 on');
  assert.ok(!/orders-writer/.test(s));

  // `g` groups by service name; `s` sorts by the next column.
  keys('x', 'g');
  s = await waitScreen((x) => /by service name/.test(x) && /▾ checkout/.test(x) && /none active/.test(x), 'grouped');
  keys('s');
  await waitScreen((x) => /sort reads ↓/.test(x), 'sorted by reads');

  // `?` help from the keymap; Esc closes it.
  keys('?');
  s = await waitScreen((x) => /┏━ Help/.test(x), 'help');
  // The help scrolls: a page down at a time until the MONITOR keys show.
  for (let i = 0; i < 4 && !/Pause or resume MONITOR/.test(s); i++) {
    keys('PageDown');
    await new Promise((r) => setTimeout(r, 300));
    s = term.screen();
  }
  s = await waitScreen((x) => /┏━ Help/.test(x) && /Pause or resume MONITOR/.test(x), 'help, scrolled to MONITOR');
  keys('Escape');
  await waitScreen((x) => !/┏━ Help/.test(x) && /Clients/.test(x), 'help closed');

  // q: the process exits 0 and the terminal is back on the main screen.
  keys('q');
  s = await waitScreen((x) => /EXITED:0/.test(x), 'exit', 10_000);
  assert.equal(altScreen(), false, 'left the alternate screen');
  assert.ok(!/Clients/.test(s), 'the dashboard is gone from the main screen');
  stopTraffic = true;
  await traffic;
});
