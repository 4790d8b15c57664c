// Many idle client connections, as a large fleet keeps open: each announces a service name (pods of
// a few dozen services) and a client library, then stays idle. They are opened by helper processes
// (a process may hold at most `ulimit -n` sockets) from several loopback source addresses (one
// source address has only ~28k ephemeral ports), and close when `close()` kills the helpers.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface IdleClients {
  readonly opened: number;
  close(): Promise<void>;
}

/** Connections per helper process (stays under this machine's 20,000 open files a process). */
const PER_PROCESS = 9_000;

const HELPER = `
const net = require('node:net');
const [port, count, firstIndex, sources] = [Number(process.argv[1]), Number(process.argv[2]), Number(process.argv[3]), process.argv[4].split(',')];
const services = ['checkout', 'cart', 'orders', 'catalog', 'search', 'sessions', 'payments', 'pricing', 'inventory', 'users', 'notifications', 'recommendations', 'shipping', 'reviews', 'ads', 'fraud', 'ledger', 'gateway', 'auth', 'media'];
const libs = [['jedis', '5.1.0'], ['redis-py', '5.0.1'], ['go-redis', '9.5.1'], ['lettuce', '6.3.2.RELEASE'], ['node-redis', '4.6.13'], ['', '']];
const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
const pick = (i, n) => { let s = ''; for (let k = 0; k < n; k++) { s += alphabet[(i * 7 + k * 13 + (i >> k)) % alphabet.length]; } return s; };
const sockets = [];
let opened = 0, failed = 0, next = 0;
const open = (i) => new Promise((resolve) => {
  const g = firstIndex + i;
  const s = net.createConnection({ host: '127.0.0.1', port, localAddress: sources[g % sources.length] });
  s.on('error', () => { failed++; resolve(); });
  s.on('data', () => {});
  s.once('connect', () => {
    const svc = services[g % services.length];
    const pod = svc + '-' + pick(g % 97, 9) + '-' + pick(g, 5);
    const [lib, ver] = libs[g % libs.length];
    let cmd = 'CLIENT SETNAME ' + pod + '\\r\\n';
    if (lib) cmd += 'CLIENT SETINFO LIB-NAME ' + lib + '\\r\\nCLIENT SETINFO LIB-VER ' + ver + '\\r\\n';
    s.write(cmd);
    sockets.push(s);
    opened++;
    resolve();
  });
});
(async () => {
  const WIDTH = 200;
  while (next < count) {
    const batch = [];
    for (let k = 0; k < WIDTH && next < count; k++) batch.push(open(next++));
    await Promise.all(batch);
  }
  process.stdout.write('opened ' + opened + ' failed ' + failed + '\\n');
})();
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

/**
 * Opens `count` idle connections to 127.0.0.1:port from the given source addresses (127.0.0.2, …
 * all reach loopback on Linux). Resolves once all are open (or failed: `opened` says how many).
 */
export async function openIdleClients(port: number, count: number, sources = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']): Promise<IdleClients> {
  const helpers: ChildProcess[] = [];
  const results: Promise<number>[] = [];
  for (let first = 0; first < count; first += PER_PROCESS) {
    const n = Math.min(PER_PROCESS, count - first);
    const child = spawn(process.execPath, ['-e', HELPER, String(port), String(n), String(first), sources.join(',')], { stdio: ['pipe', 'pipe', 'inherit'] });
    helpers.push(child);
    results.push(
      new Promise<number>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', (l) => resolve(Number(/opened (\d+)/.exec(l)?.[1] ?? 0)));
        child.once('exit', (code) => reject(new Error(`idle-client helper exited with ${code}`)));
      }),
    );
  }
  const opened = (await Promise.all(results)).reduce((a, b) => a + b, 0);
  return {
    opened,
    async close() {
      await Promise.all(
        helpers.map(
          (h) =>
            new Promise<void>((resolve) => {
              if (h.exitCode !== null) return resolve();
              h.once('exit', () => resolve());
              h.stdin!.end();
              setTimeout(() => h.kill('SIGKILL'), 3000).unref();
            }),
        ),
      );
    },
  };
}
