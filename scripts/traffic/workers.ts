// The services in other languages, each a small script beside this file run on the interpreter and
// redis package that Debian ships (scripts/provision-traffic.sh installs them). The orchestrator
// probes each interpreter once for its redis package version, then spawns the script with the
// server in the environment. A worker stops by itself at the deadline, on SIGINT/SIGTERM, or when
// its stdin (a pipe from here) closes, so none outlives the run even if this process is killed.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Endpoint } from './common.ts';

export interface Worker {
  readonly name: string;
  readonly library: string;
  readonly language: string;
  readonly keys: string;
  /** Debian package(s) that provide it, for the "missing" message. */
  readonly debian: string;
  /** Interpreters to try, in order, each with the args that print the redis package's version. */
  readonly probes: ReadonlyArray<readonly [string, ...string[]]>;
  readonly script: string;
  /** Why this worker cannot reach the endpoint, if it cannot. */
  unsupported?(e: Endpoint): string | undefined;
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

export const WORKERS: readonly Worker[] = [
  {
    name: 'reports-worker',
    library: 'redis-py',
    language: 'python3',
    keys: 'order:* (SCAN, read), report:daily:*',
    debian: 'python3-redis',
    // Debian's python3-redis lives in /usr/bin/python3's dist-packages, not in a pyenv or venv python.
    probes: [
      ['/usr/bin/python3', '-c', 'import redis; print(redis.__version__)'],
      ['python3', '-c', 'import redis; print(redis.__version__)'],
    ],
    script: here('reports_worker.py'),
  },
  {
    name: 'mailer',
    library: 'redis-rb',
    language: 'ruby',
    keys: 'queue:mail (LPUSH/BRPOP), mail:sent',
    debian: 'ruby-redis',
    probes: [['ruby', '-e', 'require "redis"; puts Redis::VERSION']],
    script: here('mailer.rb'),
  },
  {
    name: 'legacy-cms',
    library: 'Redis.pm',
    language: 'perl',
    keys: 'page:*, page:views:*',
    debian: 'libredis-perl',
    probes: [['perl', '-MRedis', '-e', 'print "$Redis::VERSION\\n"']],
    script: here('cms.pl'),
    unsupported: (e) => (!e.socketPath && e.host.includes(':') ? 'Redis.pm connects over IPv4 only' : undefined),
  },
  {
    name: 'storefront',
    library: 'phpredis',
    language: 'php',
    keys: 'fragment:*, stats:hits:*',
    debian: 'php-cli php-redis',
    probes: [['php', '-r', 'if (!extension_loaded("redis")) exit(1); echo phpversion("redis"), "\\n";']],
    script: here('storefront.php'),
  },
];

export interface Found {
  readonly interpreter: string;
  readonly version: string;
}

/** The first interpreter that has the worker's redis package, and that package's version. */
export async function probe(worker: Worker): Promise<Found | undefined> {
  for (const [cmd, ...args] of worker.probes) {
    const version = await new Promise<string | undefined>((resolve) =>
      execFile(cmd, args, { timeout: 10_000, env: { PATH: process.env.PATH ?? '' } }, (err, stdout) => resolve(err ? undefined : stdout.trim())),
    );
    if (version) return { interpreter: cmd, version };
  }
  return undefined;
}

/** The child's whole environment: where the server is, when to stop, and nothing else of ours. */
export function workerEnv(e: Endpoint, deadlineMs: number, rate: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
    LANG: 'C.UTF-8',
    TRAFFIC_HOST: e.host,
    TRAFFIC_PORT: String(e.port),
    TRAFFIC_SOCKET: e.socketPath ?? '',
    TRAFFIC_DB: String(e.db),
    TRAFFIC_DEADLINE_MS: String(deadlineMs),
    TRAFFIC_RATE: String(rate),
    REDIS_USERNAME: e.username ?? '',
    REDIS_PASSWORD: e.password ?? '',
  };
}

/** Starts the worker; its stderr lines are passed to `log`. */
export function spawnWorker(worker: Worker, found: Found, env: NodeJS.ProcessEnv, log: (line: string) => void): ChildProcess {
  const child = spawn(found.interpreter, [worker.script], { env, stdio: ['pipe', 'ignore', 'pipe'] });
  child.stdin?.on('error', () => {}); // a worker that already left closes the pipe first
  let lines = 0;
  if (child.stderr) {
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (++lines <= 20) log(line);
      else if (lines === 21) log('(further output not shown)');
    });
  }
  return child;
}
