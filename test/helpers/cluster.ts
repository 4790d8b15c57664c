// A real Valkey (or Redis) cluster on loopback for integration tests: N primaries with R replicas
// each, made by `valkey-cli --cluster create`, torn down afterwards. Every node's cluster bus listens
// on port + 10000, so ports are picked below the kernel's ephemeral range (32768+) with both the
// port and its bus port free; a client socket can then never take a bus port while the test runs.
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor, type ServerKind } from './servers.ts';

const run = promisify(execFile);

const CLI: Record<ServerKind, string> = { redis: 'redis-cli', valkey: 'valkey-cli' };
const SERVER: Record<ServerKind, string> = { redis: 'redis-server', valkey: 'valkey-server' };

export interface ClusterNode {
  readonly port: number;
  readonly addr: string;
  readonly dir: string;
  /** The node's cluster id (stable across restarts: nodes.conf is kept). */
  id: string;
  /** SIGKILL: a crash, no goodbye to the cluster. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory: it rejoins with the same id. */
  start(): Promise<void>;
  readonly running: boolean;
}

export interface TestCluster {
  readonly kind: ServerKind;
  readonly nodes: readonly ClusterNode[];
  readonly password?: string;
  /** `redis://127.0.0.1:<first port>` (credentials not included); `rediss://` with TLS. */
  readonly url: string;
  /** The CA and certificate files when the cluster speaks TLS. */
  readonly tls?: ClusterTls;
  /** Runs the server's CLI against one node and returns its output. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** Current roles as each live node reports them: port → 'master' | 'slave'. */
  roles(): Promise<Map<number, string>>;
  /** Waits until every running node says cluster_state:ok, knows every node, and replication has settled. */
  waitOk(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  readonly kind?: ServerKind;
  readonly primaries?: number;
  readonly replicasPerPrimary?: number;
  readonly password?: string;
  /** cluster-node-timeout: how soon a dead node is marked failed and its replica promoted. */
  readonly nodeTimeoutMs?: number;
  /**
   * TLS only (clients, cluster bus, replication), node N announcing the hostname `node<N>.<domain>`
   * (cluster-announce-hostname) with a certificate for that name alone (no IP, no wildcard): a
   * client that does not check each node against the hostname it announces is refused.
   */
  readonly tlsDomain?: string;
}

export interface ClusterTls {
  readonly ca: string;
  /** One certificate and key per node, for `node<N>.<domain>`. */
  readonly nodes: ReadonlyArray<{ readonly cert: string; readonly key: string; readonly hostname: string }>;
}

/** A throwaway CA and one certificate per node for its hostname only, made with the openssl CLI. */
export function makeClusterTls(dir: string, domain: string, count: number): ClusterTls {
  const f = (n: string): string => join(dir, n);
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=recon-cluster-ca', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  const nodes = Array.from({ length: count }, (_, i) => {
    const hostname = `node${i + 1}.${domain}`;
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${hostname}`, '-keyout', f(`${hostname}.key`), '-out', f(`${hostname}.csr`));
    writeFileSync(f(`${hostname}.cnf`), `subjectAltName=DNS:${hostname}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    ssl('x509', '-req', '-in', f(`${hostname}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f(`${hostname}.cnf`), '-out', f(`${hostname}.pem`));
    return { cert: f(`${hostname}.pem`), key: f(`${hostname}.key`), hostname };
  });
  return { ca: f('ca.pem'), nodes };
}

/** The TLS handshake completes (any certificate: this only says the port is up). */
function tlsUp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      s.destroy();
      resolve(true);
    });
    s.setTimeout(500, () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
  });
}

/** Ports whose cluster bus (port + 10000) stays below the ephemeral range. */
const PORT_MIN = 12000;
const PORT_MAX = 22000;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function pickPorts(n: number): Promise<number[]> {
  // A random start spreads parallel test files apart; consecutive ports keep logs readable.
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN - n));
    const ports = Array.from({ length: n }, (_, i) => base + i);
    const free = await Promise.all(ports.flatMap((p) => [portFree(p), portFree(p + 10000)]));
    if (free.every(Boolean)) return ports;
  }
  throw new Error('no free loopback ports for a cluster');
}

function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.setTimeout(500);
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => {
      sock.destroy();
      resolve(/^\+PONG|^-NOAUTH|^-LOADING/.test(d.toString()));
    });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
  });
}

export async function startCluster(opts: ClusterOptions = {}): Promise<TestCluster> {
  const kind = opts.kind ?? 'valkey';
  const primaries = opts.primaries ?? 3;
  const replicas = opts.replicasPerPrimary ?? 1;
  const count = primaries * (1 + replicas);
  const ports = await pickPorts(count);
  const root = mkdtempSync(join(tmpdir(), `recon-cluster-${kind}-`));
  const auth = opts.password ? ['--requirepass', opts.password, '--masterauth', opts.password] : [];
  const tls = opts.tlsDomain ? makeClusterTls(root, opts.tlsDomain, count) : undefined;
  const cliAuth = [
    ...(opts.password ? ['-a', opts.password, '--no-auth-warning'] : []),
    ...(tls && opts.tlsDomain ? ['--tls', '--cacert', tls.ca, '--sni', `node1.${opts.tlsDomain}`] : []),
  ];

  const nodes: ClusterNode[] = ports.map((port, i) => {
    const dir = join(root, String(port));
    mkdirSync(dir);
    let child: ChildProcess | undefined;
    const listen = tls
      ? [
          '--port', '0', '--tls-port', String(port), '--tls-cluster', 'yes', '--tls-replication', 'yes',
          '--tls-cert-file', tls.nodes[i]!.cert, '--tls-key-file', tls.nodes[i]!.key, '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no',
          '--cluster-announce-hostname', tls.nodes[i]!.hostname,
        ]
      : ['--port', String(port)];
    const args = [
      ...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
      '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'),
      '--cluster-node-timeout', String(opts.nodeTimeoutMs ?? 2000), '--daemonize', 'no',
      '--logfile', join(dir, 'server.log'), ...auth,
    ];
    const node: ClusterNode = {
      port,
      addr: `127.0.0.1:${port}`,
      dir,
      id: '',
      get running() {
        return child !== undefined && child.exitCode === null && child.signalCode === null;
      },
      async start() {
        const c = spawn(SERVER[kind], args, { stdio: 'ignore' });
        child = c;
        c.once('error', () => {});
        await waitFor(() => (tls ? tlsUp(port) : pong(port)), `${kind} node on ${port}`, 10_000);
      },
      async kill() {
        const c = child;
        if (!c || c.exitCode !== null || c.signalCode !== null) return;
        await new Promise<void>((resolve) => {
          c.once('exit', () => resolve());
          c.kill('SIGKILL');
        });
      },
    };
    return node;
  });

  const cli = async (port: number, ...args: string[]): Promise<string> =>
    (await run(CLI[kind], ['-p', String(port), ...cliAuth, ...args], { encoding: 'utf8', timeout: 30_000 })).stdout;

  const cluster: TestCluster = {
    kind,
    nodes,
    ...(opts.password ? { password: opts.password } : {}),
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${ports[0]}`,
    ...(tls ? { tls } : {}),
    cli,
    async roles() {
      const out = new Map<number, string>();
      for (const n of nodes) {
        if (!n.running) continue;
        const info = await cli(n.port, 'INFO', 'replication').catch(() => '');
        const role = /role:(\w+)/.exec(info)?.[1];
        if (role) out.set(n.port, role);
      }
      return out;
    },
    async waitOk(timeoutMs = 20_000) {
      await waitFor(
        async () => {
          for (const n of nodes) {
            if (!n.running) continue;
            const info = await cli(n.port, 'CLUSTER', 'INFO').catch(() => '');
            if (!/cluster_state:ok/.test(info)) return false;
            const known = Number(/cluster_known_nodes:(\d+)/.exec(info)?.[1] ?? 0);
            if (known !== count) return false;
            // Replication settled too: a full sync in progress holds MONITOR off (the health gate).
            const repl = await cli(n.port, 'INFO', 'replication').catch(() => '');
            if (/role:slave/.test(repl) && !(/master_link_status:up/.test(repl) && /master_sync_in_progress:0/.test(repl))) return false;
            if (/state=(wait_bgsave|send_bulk)/.test(repl)) return false;
          }
          return true;
        },
        'cluster_state:ok on every node',
        timeoutMs,
      );
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.kill()));
      rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    await Promise.all(nodes.map((n) => n.start()));
    await cli(ports[0]!, '--cluster', 'create', ...nodes.map((n) => n.addr), '--cluster-replicas', String(replicas), '--cluster-yes');
    await cluster.waitOk();
    for (const n of nodes) n.id = (await cli(n.port, 'CLUSTER', 'MYID')).trim();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
