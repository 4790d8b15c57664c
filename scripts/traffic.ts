// npm run traffic -- --url redis://127.0.0.1:6379 [--duration 60s] [--rate 1] [--unnamed SERVICE]
//
// Demo traffic for the dashboard: real client libraries of several ages and languages, each as its
// own service with its own name, key prefixes and habits, against a server on this machine, until
// the duration ends or Ctrl-C. The Node services run in this process (one module each under
// scripts/traffic/); the Python, Ruby, Perl and PHP ones are child processes that stop with it.
// The password comes from REDIS_PASSWORD only and is never printed.
import type { ChildProcess } from 'node:child_process';
import { isIPv4 } from 'node:net';
import { parseArgs } from 'node:util';
import ms from 'ms';
import { parseTarget } from '../src/config.ts';
import { billing } from './traffic/billing.ts';
import { catalog } from './traffic/catalog.ts';
import { checkout } from './traffic/checkout.ts';
import { errorText, pause, type Ctx, type Endpoint, type Service } from './traffic/common.ts';
import { cron } from './traffic/cron.ts';
import { featureFlags } from './traffic/feature-flags.ts';
import { idle } from './traffic/idle.ts';
import { rateLimiter } from './traffic/rate-limiter.ts';
import { searchCache } from './traffic/search-cache.ts';
import { seed } from './traffic/seed.ts';
import { WORKERS, probe, spawnWorker, workerEnv, type Found, type Worker } from './traffic/workers.ts';
import { CUTOVER_PLAN, runStep } from './traffic/cutover.ts';
import { fileURLToPath } from 'node:url';

/** How long a failed service waits before it starts again. */
const RESTART_DELAY_MS = 2000;

const SERVICES: readonly Service[] = [checkout, billing, catalog, searchCache, featureFlags, rateLimiter, idle, cron];

const USAGE = `Usage: npm run traffic -- --url redis://127.0.0.1:6379 [--duration 60s] [--rate 1] [--unnamed SERVICE]
       npm run traffic -- --url redis://127.0.0.1:6379 --to redis://127.0.0.1:6380 --duration 60s

Runs demo traffic from real client libraries (node-redis 6 and 4, ioredis 6 and 5.3, iovalkey,
redis-py, redis-rb, Redis.pm, phpredis) against a server on this machine, until --duration ends
(default 10m, at most 24h) or Ctrl-C. Every key it writes expires within an hour.

  --url URL        redis://[user@]host[:port][/db] or unix:///path.sock; the host must be
                   loopback (127.0.0.1, ::1, localhost). Default redis://127.0.0.1:6379.
  --duration TIME  how long to run: 30s, 5m, 1h (a bare number is seconds).
  --rate N         speed multiplier, 0.1 to 10 (default 1: tens to hundreds of commands/s).
  --unnamed NAME   also run NAME's workload (a Node service: checkout-api, legacy-billing, …)
                   on a connection without a name, as a service not yet instrumented would;
                   the dashboard should find it \`likely NAME\`. Repeatable.
  --to URL         cutover mode: services (ioredis, node-redis, redis-py) move from --url to
                   this second server on a schedule over the run: some stay, one starts on the
                   target, one writes to both. Loopback only too; its password in TO_REDIS_PASSWORD.

Password: REDIS_PASSWORD (and REDIS_USERNAME for an ACL user) in the environment, never a flag.
Python/Ruby/Perl/PHP services need Debian's python3-redis, ruby-redis, libredis-perl,
php-redis: sudo bash scripts/provision-traffic.sh`;

const say = (line: string): void => void process.stderr.write(`${line}\n`);

function usageError(message: string): never {
  say(`traffic: ${message}\n\n${USAGE}`);
  process.exit(2);
}

interface Options {
  endpoint: Endpoint;
  /** Cutover mode: the target the services move to. */
  to?: { endpoint: Endpoint; shown: string };
  shown: string;
  durationMs: number;
  rate: number;
  /** Services whose workload also runs unnamed. */
  unnamed: readonly Service[];
}

function parseOptions(argv: string[]): Options {
  let values: { url?: string; to?: string; duration?: string; rate?: string; unnamed?: string[]; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        to: { type: 'string' },
        duration: { type: 'string' },
        rate: { type: 'string' },
        unnamed: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    usageError(errorText(err).split('\n')[0] ?? 'bad arguments');
  }
  if (values.help) {
    say(USAGE);
    process.exit(0);
  }
  const target = parseTarget(values.url ?? 'redis://127.0.0.1:6379');
  if (!target.ok) usageError(target.error);
  if (target.password) usageError('put the password in REDIS_PASSWORD, not in --url (a command line is visible to every user)');
  if (target.tls) usageError('rediss:// is not supported here: point --url at a plain port or a unix socket on this machine');
  if (!target.socketPath && !isLoopback(target.host)) {
    usageError(`${target.endpoint} is not on this machine: the traffic writes demo keys, so it only goes to 127.0.0.1, ::1, localhost or a unix socket`);
  }
  const durationText = values.duration ?? '10m';
  const durationMs = /^\d+(\.\d+)?$/.test(durationText) ? Number(durationText) * 1000 : ms(durationText as ms.StringValue);
  if (!Number.isFinite(durationMs) || durationMs < 1000 || durationMs > 86_400_000) usageError(`--duration "${durationText}" must be between 1s and 24h`);
  const rate = Number(values.rate ?? 1);
  if (!(rate >= 0.1 && rate <= 10)) usageError(`--rate "${values.rate}" must be a number from 0.1 to 10`);
  const username = target.username ?? (process.env.REDIS_USERNAME || undefined);
  const password = process.env.REDIS_PASSWORD || undefined;
  const endpoint: Endpoint = {
    host: target.host,
    port: target.port,
    db: target.db,
    ...(target.socketPath ? { socketPath: target.socketPath } : {}),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
  let to: Options['to'];
  if (values.to !== undefined) {
    const t = parseTarget(values.to, '--to');
    if (!t.ok) usageError(t.error);
    if (t.password) usageError('put the target\'s password in TO_REDIS_PASSWORD, not in --to');
    if (t.tls || t.socketPath) usageError('--to must be a plain redis:// port on this machine');
    if (!isLoopback(t.host)) usageError(`${t.endpoint} is not on this machine: the traffic only goes to loopback`);
    if (t.host === target.host && t.port === target.port) usageError('--to must be another server than --url');
    const toPassword = process.env.TO_REDIS_PASSWORD || undefined;
    to = { endpoint: { host: t.host, port: t.port, db: t.db, ...(t.username ? { username: t.username } : {}), ...(toPassword ? { password: toPassword } : {}) }, shown: t.endpoint };
  }
  const unnamed = (values.unnamed ?? []).map((name) => {
    const s = SERVICES.find((x) => x.name === name && name !== '');
    if (!s) usageError(`--unnamed "${name}" is not one of ${SERVICES.map((x) => x.name).filter(Boolean).join(', ')}`);
    return s;
  });
  return { endpoint, shown: target.endpoint, durationMs, rate, unnamed, ...(to ? { to } : {}) };
}

function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^::ffff:/, '');
  return h === 'localhost' || h === '::1' || (isIPv4(h) && h.startsWith('127.'));
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options.to) return runCutover(options, options.to);
  const { endpoint, shown, durationMs, rate, unnamed } = options;
  const [problem, ...found] = await Promise.all([seed(endpoint), ...WORKERS.map(probe)]);
  if (problem) {
    say(`traffic: cannot use ${shown}: ${problem}`);
    return 1;
  }
  const started = Date.now();
  const deadline = started + durationMs;
  say(`traffic: ${shown} for ${ms(durationMs, { long: true })} (until ${new Date(deadline).toLocaleTimeString()}); Ctrl-C stops it sooner`);
  const line = (name: string, library: string, keys: string): void => say(`  ${name.padEnd(28)} ${library.padEnd(42)} ${keys}`);
  for (const s of SERVICES) line(s.label ?? s.name, `${s.library} ${s.version}`, s.keys);
  for (const s of unnamed) line(`(unnamed) like ${s.name}`, `${s.library} ${s.version}`, s.keys);

  const runnable: Array<[Worker, Found]> = [];
  WORKERS.forEach((w, i) => {
    const f = found[i];
    const why = !f
      ? `needs ${w.language} with ${w.library} (Debian: ${w.debian}); run sudo bash scripts/provision-traffic.sh`
      : w.unsupported?.(endpoint);
    if (why) say(`  ${w.name.padEnd(28)} skipped: ${why}`);
    else if (f) {
      line(w.name, `${w.library} ${f.version} (${f.interpreter})`, w.keys);
      runnable.push([w, f]);
    }
  });

  const controller = new AbortController();
  let stopping = false;
  let failures = 0;
  const ctxFor = (label: string, anonymous = false): Ctx => {
    const seen = new Set<string>();
    return {
      endpoint: anonymous ? { ...endpoint, unnamed: true } : endpoint,
      signal: controller.signal,
      rate,
      warn(message) {
        if (stopping || seen.has(message)) return;
        seen.add(message);
        say(`  [${label}] ${message}`);
      },
    };
  };

  // A service that fails (its server restarted while it connected, say) is started again after a
  // pause, as a supervisor would: one flaky moment must not end a demo that runs for minutes.
  const supervise = async (s: (typeof SERVICES)[number], anonymous = false): Promise<void> => {
    const ctx = ctxFor(anonymous ? `(unnamed) like ${s.name}` : (s.label ?? s.name), anonymous);
    while (!ctx.signal.aborted) {
      try {
        await s.run(ctx);
        return;
      } catch (err) {
        if (ctx.signal.aborted) return;
        ctx.warn(`stopped: ${errorText(err)}; restarting in ${RESTART_DELAY_MS / 1000}s`);
        if (!(await pause(ctx, RESTART_DELAY_MS * ctx.rate))) return;
      }
    }
  };
  const runs = [...SERVICES.map((s) => supervise(s)), ...unnamed.map((s) => supervise(s, true))];

  const children = new Set<ChildProcess>();
  const env = workerEnv(endpoint, deadline, rate);
  const exits = runnable.map(
    ([w, f]) =>
      new Promise<void>((resolve) => {
        const child = spawnWorker(w, f, env, (text) => say(`  [${w.name}] ${text}`));
        children.add(child);
        const finish = (failure?: string): void => {
          if (!children.delete(child)) return; // 'error' and 'close' may both come
          if (failure) {
            failures++;
            say(`  [${w.name}] ${failure}`);
          }
          resolve();
        };
        child.once('error', (err) => finish(`could not start: ${err.message}`));
        child.once('close', (code, signal) => {
          // Our own SIGTERM/SIGKILL at the end is no failure; any other non-zero exit is.
          finish(code === 0 || (stopping && signal) ? undefined : `exited with ${signal ?? `code ${code}`}`);
        });
      }),
  );

  let firstSignalAt = 0;
  let stopped: () => void = () => {};
  const stoppedOnce = new Promise<void>((resolve) => (stopped = resolve));
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    stopped();
    clearTimeout(timer);
    controller.abort();
    for (const child of children) {
      child.stdin?.end();
      child.kill('SIGTERM');
    }
  };
  const timer = setTimeout(stop, durationMs);
  const onSignal = (): void => {
    // npm forwards the terminal's Ctrl-C as well, so a second signal within a second is the same one.
    if (firstSignalAt) {
      if (Date.now() - firstSignalAt < 1000) return;
      say('traffic: stopping now');
      for (const child of children) child.kill('SIGKILL');
      process.exit(130);
    }
    firstSignalAt = Date.now();
    say('traffic: stopping (Ctrl-C again to force)');
    stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // Each service closes its connections within about 2 s of the stop; do not wait past 5 s.
  await Promise.race([Promise.all(runs), stoppedOnce.then(() => new Promise((r) => setTimeout(r, 5000).unref()))]);
  const grace = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
  }, 3000);
  await Promise.all(exits);
  clearTimeout(grace);
  say(`traffic: done after ${ms(Date.now() - started, { long: true })}${failures ? `; ${failures} service(s) failed` : ''}`);
  return failures ? 1 : 0;
}

/**
 * Cutover mode: each service of CUTOVER_PLAN runs on the source, then repoints to the target at its
 * time (some never, one from the start, one writing to both), until the duration ends.
 */
async function runCutover(o: Options, to: NonNullable<Options['to']>): Promise<number> {
  const started = Date.now();
  const deadline = started + o.durationMs;
  const controller = new AbortController();
  const seen = new Set<string>();
  const ctx: Ctx = {
    endpoint: o.endpoint,
    signal: controller.signal,
    rate: 1,
    warn(message) {
      if (controller.signal.aborted || seen.has(message)) return;
      seen.add(message);
      say(`  [cutover] ${message}`);
    },
  };
  say(`traffic: cutover from ${o.shown} to ${to.shown} for ${ms(o.durationMs, { long: true })}`);
  for (const s of CUTOVER_PLAN) {
    const when = s.moveAt === null ? 'stays on the source' : s.moveAt === 0 ? 'on the target from the start' : `${s.dual ? 'writes to both' : 'moves'} after ${ms(Math.round(s.moveAt * o.durationMs))}`;
    say(`  ${s.name.padEnd(20)} ${s.library.padEnd(11)} ${when}`);
  }
  const children = new Set<ChildProcess>();
  const runs = CUTOVER_PLAN.map(async (step) => {
    if (step.library !== 'redis-py') return runStep(step, o.endpoint, to.endpoint, ctx, started, o.durationMs).catch((err: unknown) => ctx.warn(`${step.name}: ${errorText(err)}`));
    const py = WORKERS.find((w) => w.library === 'redis-py')!;
    const found = await probe(py);
    if (!found) return say(`  ${step.name} skipped: needs python3 with redis-py (Debian: python3-redis)`);
    const env = {
      ...workerEnv(o.endpoint, deadline, 1),
      TARGET_HOST: to.endpoint.host,
      TARGET_PORT: String(to.endpoint.port),
      TO_REDIS_PASSWORD: to.endpoint.password ?? '',
      CUTOVER_NAME: step.name,
      CUTOVER_MOVE_AT_MS: String(Math.round(started + (step.moveAt ?? 2) * o.durationMs)),
    };
    const child = spawnWorker({ ...py, script: fileURLToPath(new URL('./traffic/cutover_worker.py', import.meta.url)) }, found, env, (t) => say(`  [${step.name}] ${t}`));
    children.add(child);
    await new Promise<void>((resolve) => child.once('close', () => resolve()));
    children.delete(child);
  });
  const stop = (): void => {
    controller.abort();
    for (const c of children) {
      c.stdin?.end();
      c.kill('SIGTERM');
    }
  };
  const timer = setTimeout(stop, o.durationMs);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await Promise.all(runs);
  clearTimeout(timer);
  say(`traffic: cutover done after ${ms(Date.now() - started, { long: true })}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // A library that left a timer behind must not keep the process alive past its run.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (err: unknown) => {
    say(`traffic: ${errorText(err)}`);
    process.exit(1);
  },
);
