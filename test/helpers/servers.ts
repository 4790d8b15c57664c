// Starts real redis-server / valkey-server processes on free loopback ports for integration tests,
// and stops them afterwards. Nothing here talks to anything but 127.0.0.1 or a unix socket.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type ServerKind = 'redis' | 'valkey';

export interface TestServer {
  readonly kind: ServerKind;
  readonly port: number;
  readonly url: string;
  readonly unixSocket: string;
  readonly dir: string;
  /** Stops the process (and waits for it). */
  stop(): Promise<void>;
  /** Stops and starts again on the same port, like a server restart during a migration window. */
  restart(): Promise<void>;
}

export const SERVER_BINARIES: Record<ServerKind, string> = { redis: 'redis-server', valkey: 'valkey-server' };

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

export async function startServer(kind: ServerKind, extraArgs: string[] = []): Promise<TestServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), `recon-${kind}-`));
  const unixSocket = join(dir, 'server.sock');
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--dir', dir, '--unixsocket', unixSocket, '--unixsocketperm', '700', '--daemonize', 'no',
    '--logfile', join(dir, 'server.log'), ...extraArgs,
  ];
  let child: ChildProcess = await launch(kind, args, port);
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
    async restart() {
      await kill(child);
      child = await launch(kind, args, port);
    },
  };
  return server;
}

async function launch(kind: ServerKind, args: string[], port: number): Promise<ChildProcess> {
  const child = spawn(SERVER_BINARIES[kind], args, { stdio: 'ignore' });
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (e) => reject(new Error(`${SERVER_BINARIES[kind]} failed to start: ${e.message}`)));
    child.once('exit', (code) => reject(new Error(`${SERVER_BINARIES[kind]} exited with ${code}`)));
  });
  exited.catch(() => {});
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await pong(port)) return child;
    await Promise.race([new Promise((r) => setTimeout(r, 50)), exited]);
  }
  child.kill('SIGKILL');
  throw new Error(`${SERVER_BINARIES[kind]} did not answer PING on port ${port}`);
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
