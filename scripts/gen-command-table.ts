// Regenerates data/command-table.json from real servers: starts valkey-server 8.0 and redis-server
// 7.0 on free loopback ports, reads COMMAND from each over RESP2 with node-redis, and writes the
// merged raw replies (valkey's entries first, then redis entries valkey lacks).
//
//   node --import tsx scripts/gen-command-table.ts
//
// The server helpers are exported for the integration tests; running the file does the generation.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createClient } from 'redis';
import { mergeCommandReplies } from '../src/commands/commandInfo.ts';

const HOST = '127.0.0.1';
const PORT_MIN = 23000;
const PORT_MAX = 23999;

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, HOST, () => srv.close(() => resolve(true)));
  });
}

/** A loopback port in 23000-23999 that a throw-away net.Server could bind (then closed). */
export async function freeLoopbackPort(avoid: ReadonlySet<number> = new Set()): Promise<number> {
  const span = PORT_MAX - PORT_MIN + 1;
  const start = Math.floor(Math.random() * span);
  for (let i = 0; i < 200; i++) {
    const port = PORT_MIN + ((start + i * 7) % span);
    if (avoid.has(port)) continue;
    if (await tryListen(port)) return port;
  }
  throw new Error('no free loopback port in 23000-23999');
}

function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: HOST, port });
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

export interface RunningServer {
  readonly bin: string;
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** Start `bin` (redis-server / valkey-server) on a free loopback port with no persistence; resolves after PONG. */
export async function startServer(bin: string, timeoutMs = 5000): Promise<RunningServer> {
  const tried = new Set<number>();
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeLoopbackPort(tried);
    tried.add(port);
    const dir = mkdtempSync(join(tmpdir(), 'redis-recon-srv-'));
    const child: ChildProcess = spawn(
      bin,
      ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let exited = false;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    const exitedP = new Promise<void>((resolve) => {
      child.once('exit', () => {
        exited = true;
        resolve();
      });
      child.once('error', (e) => {
        stderr += String(e);
        exited = true;
        resolve();
      });
    });
    const stop = async (): Promise<void> => {
      if (!exited) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 2000);
        await exitedP;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    };
    const deadline = Date.now() + timeoutMs;
    while (!exited && Date.now() < deadline) {
      if (await pingOnce(port)) return { bin, port, url: `redis://${HOST}:${port}`, stop };
      await new Promise((r) => setTimeout(r, 30));
    }
    lastError = exited ? `exited: ${stderr.trim()}` : 'no PONG in time';
    await stop();
  }
  throw new Error(`could not start ${bin}: ${lastError}`);
}

/** Product name and version from INFO server (Valkey reports a frozen redis_version). */
export function serverVersion(info: string): { server: string; version: string } {
  const field = (k: string): string | undefined => {
    for (const line of info.split('\n')) {
      if (line.startsWith(k + ':')) return line.slice(k.length + 1).trim();
    }
    return undefined;
  };
  const valkey = field('valkey_version');
  if (valkey !== undefined) return { server: 'valkey', version: valkey };
  return { server: field('server_name') ?? 'redis', version: field('redis_version') ?? 'unknown' };
}

async function readCommand(url: string): Promise<{ server: string; version: string; reply: unknown }> {
  const client = createClient({ url, RESP: 2, disableClientInfo: true });
  client.on('error', () => {});
  await client.connect();
  try {
    const info = String(await client.sendCommand(['INFO', 'server']));
    const reply = await client.sendCommand(['COMMAND']);
    return { ...serverVersion(info), reply };
  } finally {
    await client.close();
  }
}

export async function generate(outFile: string): Promise<{ bytes: number; commands: number }> {
  const servers: RunningServer[] = [];
  try {
    const valkey = await startServer('valkey-server');
    servers.push(valkey);
    const redis = await startServer('redis-server');
    servers.push(redis);
    const v = await readCommand(valkey.url);
    const r = await readCommand(redis.url);
    const commands = mergeCommandReplies(v.reply, r.reply);
    const body = JSON.stringify({
      generatedAt: new Date().toISOString(),
      sources: [
        { server: v.server, version: v.version },
        { server: r.server, version: r.version },
      ],
      commands,
    });
    writeFileSync(outFile, body + '\n');
    return { bytes: Buffer.byteLength(body) + 1, commands: commands.length };
  } finally {
    for (const s of servers.reverse()) await s.stop();
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'data', 'command-table.json');
  const { bytes, commands } = await generate(out);
  console.log(`wrote ${out}: ${commands} commands, ${bytes} bytes`);
}
