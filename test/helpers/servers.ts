// Starts real redis-server / valkey-server processes on free loopback ports for integration tests,
// and stops them afterwards. Nothing here talks to anything but 127.0.0.1 or a unix socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ServerKind = 'redis' | 'valkey';

export interface TestServer {
  readonly kind: ServerKind;
  readonly port: number;
  readonly url: string;
  readonly unixSocket: string;
  readonly dir: string;
  /** Stops the process (and waits for it). */
  stop(): Promise<void>;
  /**
   * Stops and starts again on the same port, like a server restart during a migration window;
   * `downMs` keeps it down that long first (a restart that takes a while).
   */
  restart(downMs?: number): Promise<void>;
}

export const SERVER_BINARIES: Record<ServerKind, string> = { redis: 'redis-server', valkey: 'valkey-server' };

/**
 * Upstream Redis 7.4.1 (hash-field expiry), shared beside the checkouts on the test machines; a
 * test that needs it skips, saying why, where it is absent. RECON_REDIS74 points elsewhere.
 */
export const REDIS_74_BINARY = process.env.RECON_REDIS74 ?? fileURLToPath(new URL('../../../shared/servers/redis-7.4.1/redis-server', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** `binary`: another build of the same kind (REDIS_74_BINARY). */
export async function startServer(kind: ServerKind, extraArgs: string[] = [], binary?: string): Promise<TestServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `recon-${kind}-`));
  const unixSocket = join(dir, 'server.sock');
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--unixsocket', unixSocket, '--unixsocketperm', '700', '--daemonize', 'no',
    '--logfile', join(dir, 'server.log'), ...extraArgs,
  ];
  let child: ChildProcess = await launch(kind, args, port, binary);
  const server: TestServer = {
    kind,
    port,
    url: `redis://127.0.0.1:${port}`,
    unixSocket,
    dir,
    async stop() {
      await kill(child);
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(downMs = 0) {
      await kill(child);
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      child = await launch(kind, args, port, binary);
    },
  };
  return server;
}

async function launch(kind: ServerKind, args: string[], port: number, binary = SERVER_BINARIES[kind]): Promise<ChildProcess> {
  const child = spawn(binary, args, { stdio: 'ignore' });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (e) => reject(new Error(`${binary} failed to start: ${e.message}`)));
    child.once('exit', (code) => reject(new Error(`${binary} exited with ${code}`)));
  });
  exited.catch(() => {});
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await pong(port)) return child;
    await Promise.race([new Promise((r) => setTimeout(r, 50)), exited]);
  }
  child.kill('SIGKILL');
  throw new Error(`${binary} did not answer PING on port ${port}`);
}

/** True when the server answers PING (or NOAUTH, which also means it is up). */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.setTimeout(500);
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => {
      sock.destroy();
      resolve(/^\+PONG|^-NOAUTH/.test(d.toString()));
    });
    sock.once('error', () => resolve(false));
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 3000).unref();
  });
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface TlsFiles {
  readonly ca: string;
  /** The server certificate, for `localhost` and 127.0.0.1. */
  readonly cert: string;
  readonly key: string;
  /** A client certificate signed by the same CA (mutual TLS). */
  readonly clientCert: string;
  readonly clientKey: string;
  /** A server certificate from the same CA for another name (`other.example`): a name mismatch. */
  readonly otherCert: string;
  readonly otherKey: string;
}

/** A throwaway CA, a server certificate for `localhost`/127.0.0.1 and the others above, made with the openssl CLI. */
export async function makeTlsFiles(dir: string): Promise<TlsFiles> {
  const { execFileSync } = await import('node:child_process');
  const { writeFileSync } = await import('node:fs');
  const f = (n: string): string => join(dir, n);
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'ignore' });
  };
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=recon-test-ca', '-keyout', f('ca.key'), '-out', f('ca.pem'));
  const sign = (name: string, subject: string, ext: string | undefined): void => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`));
    if (ext) writeFileSync(f(`${name}.cnf`), ext);
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', ...(ext ? ['-extfile', f(`${name}.cnf`)] : []), '-out', f(`${name}.pem`));
  };
  sign('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  sign('client', '/CN=recon-test-client', undefined);
  sign('other', '/CN=other.example', 'subjectAltName=DNS:other.example\n');
  return {
    ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key'),
    clientCert: f('client.pem'), clientKey: f('client.key'),
    otherCert: f('other.pem'), otherKey: f('other.key'),
  };
}

export interface TlsServerOptions {
  /** Require a client certificate (`--tls-auth-clients yes`): mutual TLS. */
  readonly authClients?: boolean;
  /** Serve the certificate for `other.example` instead of localhost: a name mismatch. */
  readonly wrongName?: boolean;
}

/** A server that speaks only TLS, on a free port. `url` is the rediss:// URL. */
export async function startTlsServer(kind: ServerKind, opts: TlsServerOptions = {}): Promise<TestServer & { tls: TlsFiles }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `recon-${kind}-tls-`));
  const tls = await makeTlsFiles(dir);
  const args = [
    '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--tls-cert-file', opts.wrongName ? tls.otherCert : tls.cert, '--tls-key-file', opts.wrongName ? tls.otherKey : tls.key,
    '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', opts.authClients ? 'yes' : 'no', '--daemonize', 'no', '--logfile', join(dir, 'server.log'),
  ];
  const child = spawn(SERVER_BINARIES[kind], args, { stdio: 'ignore' });
  const { connect } = await import('node:tls');
  const { readFileSync } = await import('node:fs');
  // Up once a handshake completes (with the client certificate, where the server asks for one).
  const client = opts.authClients ? { cert: readFileSync(tls.clientCert), key: readFileSync(tls.clientKey) } : {};
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...client }, () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      }),
    `${kind} TLS port ${port}`,
  );
  return {
    kind,
    port,
    url: `rediss://127.0.0.1:${port}`,
    unixSocket: '',
    dir,
    tls,
    async stop() {
      await kill(child);
      rmSync(dir, { recursive: true, force: true });
    },
    async restart() {
      throw new Error('restart is not supported for the TLS test server');
    },
  };
}

/**
 * A cutover's two endpoints on loopback: the source a Redis (redis-server here is 7.0), the target a
 * Valkey (8.0), each with its own extra arguments (a password, say). `stop` stops both.
 */
export async function startCutoverPair(opts: { source?: string[]; target?: string[] } = {}): Promise<{ source: TestServer; target: TestServer; stop(): Promise<void> }> {
  const [source, target] = await Promise.all([startServer('redis', opts.source ?? []), startServer('valkey', opts.target ?? [])]);
  return { source, target, stop: async () => void (await Promise.all([source.stop(), target.stop()])) };
}
