// Turns flags, environment and `.env` into one validated Config. Pure: the caller reads the files.
// Flags beat the environment, the environment beats `.env`. Secrets live only in `Config.auth`,
// and every human-facing string built here (endpoint, errors) is free of them.
import { parseArgs } from 'node:util';
import ms from 'ms';
import bytes from 'bytes';
import { formatForPath, planFormatForPath } from './export/formats.ts';
import { expandHome } from './paths.ts';
import { describeArgvError } from './flagErrors.ts';
import { SAMPLED_MONITOR } from './bounds.ts';

export interface TlsConfig {
  readonly enabled: boolean;
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly servername?: string;
  /** Skip certificate verification. Only ever true when the user asked for it by name. */
  readonly insecure: boolean;
}

export interface Config {
  /** host:port or unix path, for display; never holds credentials. */
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly socketPath?: string;
  readonly db: number;
  readonly auth: { readonly username?: string; readonly password?: string };
  /** The password came in --url on the command line, where `ps` shows it to every local user. */
  readonly passwordInArgv: boolean;
  readonly tls: TlsConfig;
  readonly connectTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly flushIntervalMs: number;
  readonly delimiter: string;
  /** MONITOR runs at all (`monitorMode` is not 'off'). */
  readonly monitor: boolean;
  /**
   * `on`: MONITOR runs continuously (guarded); `sampled`: in a duty cycle (`monitorSample`), its
   * counts scaled to the window and marked estimated; `off`: never. The cheaper lenses (CLIENT LIST
   * counters, SLOWLOG/COMMANDLOG, INFO commandstats/errorstats) run in every mode.
   */
  readonly monitorMode: MonitorMode;
  /** The sampled duty cycle: on for `onMs` in every `periodMs`. */
  readonly monitorSample: { readonly onMs: number; readonly periodMs: number };
  /** Stop MONITOR after this much time with it on; undefined = no budget. */
  readonly monitorBudgetMs?: number;
  /** Pause MONITOR when the server buffers more than this for our connection (its `omem`). */
  readonly monitorMaxOmemBytes: number;
  /** Run MONITOR continuously even where the buffer guard cannot see its connection (the user accepts the risk). */
  readonly monitorUnguarded: boolean;
  /** A cluster: MONITOR on replicas too (by default on primaries only). */
  readonly monitorReplicas: boolean;
  /** Watch only the node --url names, even when it is a cluster node (no fan-out). */
  readonly singleNode: boolean;
  readonly showSelf: boolean;
  readonly prefixes: readonly string[];
  /** Migration target profile: a shipped id (data/targets) or a path to a profile .json. */
  readonly target: string;
  /** A file that extends or overrides the shipped library knowledge base. */
  readonly librariesFile?: string;
  /** Save the live session here (gzip JSON lines). */
  readonly recordFile?: string;
  /** Keep argument values in the recording (off: keys only). */
  readonly recordValues: boolean;
  /** Replay a recording instead of connecting. */
  readonly replayFile?: string;
  /** Replay pace: 1 = as recorded, N = N times faster, 'max' = as fast as possible. */
  readonly speed: number | 'max';
  /** Analyse a redis-cli/valkey-cli monitor capture ('-' = stdin) instead of connecting. */
  readonly monitorLog?: string;
  /** CLIENT LIST output that names the capture's addresses. */
  readonly clientListFile?: string;
  /** Files that map client addresses to owners: kubectl pods/nodes -o wide, a CSV, /etc/hosts lines. */
  readonly hostsFiles: readonly string[];
  /** Ask the resolver for the PTR name of addresses no --hosts file names (a hint, never a name). */
  readonly resolve: boolean;
  readonly headless: boolean;
  readonly durationMs?: number;
  readonly exportFile?: string;
  /** Sample the keyspace from the start (the dashboard's K key starts and stops it too). */
  readonly keyspace: boolean;
  /** The sampler's budget: keys per second at most. */
  readonly keyspaceRate: number;
  /** The sampler stops after this many keys; 0 = the whole keyspace. */
  readonly keyspaceSample: number;
  /** Write the extraction plan here when the run ends (.md, .json or .toml). */
  readonly planFile?: string;
  /**
   * The migration's target endpoint (--to): polled beside the source, its clients kept apart from
   * the source's; absent when no target was given. Same forms as the source, its own secrets.
   */
  readonly to?: EndpointConfig;
  /** A service with no traffic on the source for this long counts as moved (`done`). */
  readonly quietAfterMs: number;
  readonly help: boolean;
  readonly version: boolean;
}

/** How to reach one endpoint: the part of Config that differs between the source and the target. */
export interface EndpointConfig {
  readonly endpoint: string;
  readonly host: string;
  readonly port: number;
  readonly socketPath?: string;
  readonly db: number;
  readonly auth: { readonly username?: string; readonly password?: string };
  readonly passwordInArgv: boolean;
  readonly tls: TlsConfig;
}

/** The Config a target collector runs with: the source's settings, the target's address and secrets. */
export function endpointConfig(config: Config, to: EndpointConfig): Config {
  const { socketPath: _drop, ...rest } = config;
  return { ...rest, ...to };
}
export type MonitorMode = 'off' | 'sampled' | 'on';
export const MONITOR_MODES: readonly MonitorMode[] = ['off', 'sampled', 'on'];
/**
 * The default: MONITOR sampled. Its cost to the server scales with the server's throughput for as
 * long as it runs (the docs show throughput halving); sampled, that cost is paid a sixth of the
 * time and each window is capped, while the counters, logs and command statistics keep every
 * client's ops/s and bytes/s and the server's command mix exact all the time. See the README's
 * "Is it safe on production?".
 */
export const DEFAULT_MONITOR_MODE: MonitorMode = 'sampled';

export type ConfigResult = { ok: true; config: Config } | { ok: false; error: string };

/** Every setting, with the flag, the variable and the help line: the one source for parsing, help and .env.example. */
export const SETTINGS = [
  { flag: 'url', env: 'REDIS_URL', arg: 'URL', help: 'redis://[user@]host[:port][/db], rediss:// for TLS, or unix:///path.sock (default redis://127.0.0.1:6379). Put the password in REDIS_PASSWORD, not in the URL on a command line.' },
  { flag: 'username', env: 'REDIS_USERNAME', arg: 'NAME', help: 'ACL user name (overrides the URL\'s).' },
  { flag: null, env: 'REDIS_PASSWORD', arg: 'SECRET', help: 'Password (environment or .env only: a flag would show in the process list).' },
  { flag: 'tls', env: 'REDIS_TLS', arg: null, help: 'Use TLS (implied by rediss://).' },
  { flag: 'tls-ca', env: 'REDIS_TLS_CA', arg: 'FILE', help: 'PEM file of CA certificates to trust.' },
  { flag: 'tls-cert', env: 'REDIS_TLS_CERT', arg: 'FILE', help: 'PEM client certificate (mutual TLS).' },
  { flag: 'tls-key', env: 'REDIS_TLS_KEY', arg: 'FILE', help: 'PEM client private key (mutual TLS).' },
  { flag: 'tls-servername', env: 'REDIS_TLS_SERVERNAME', arg: 'NAME', help: 'Server name for SNI and certificate checks.' },
  { flag: 'tls-insecure', env: 'REDIS_TLS_INSECURE', arg: null, help: 'Do not verify the server certificate. For test servers only.' },
  { flag: 'connect-timeout', env: 'RECON_CONNECT_TIMEOUT', arg: 'DURATION', help: 'Connect timeout (default 5s).' },
  { flag: 'poll-interval', env: 'RECON_POLL_INTERVAL', arg: 'DURATION', help: 'CLIENT LIST and INFO poll interval (default 2s).' },
  { flag: 'flush-interval', env: 'RECON_FLUSH_INTERVAL', arg: 'DURATION', help: 'How often buffered MONITOR events are applied to the store (default 250ms).' },
  { flag: 'delimiter', env: 'RECON_DELIMITER', arg: 'TEXT', help: 'Key prefix delimiter (default ":").' },
  { flag: 'monitor', env: 'RECON_MONITOR', arg: 'off|sampled|on', help: 'MONITOR: sampled (default: a duty cycle, counts scaled and marked estimated), on (continuously, guarded) or off. CLIENT LIST counters, SLOWLOG/COMMANDLOG and INFO commandstats/errorstats run in every mode.' },
  { flag: 'monitor-sample', env: 'RECON_MONITOR_SAMPLE', arg: 'ON/PERIOD', help: 'Sampled MONITOR\'s duty cycle: on for ON in every PERIOD (default 10s/60s).' },
  { flag: 'no-monitor', env: 'RECON_NO_MONITOR', arg: null, help: 'Same as --monitor off (kept for scripts).' },
  { flag: 'monitor-budget', env: 'RECON_MONITOR_BUDGET', arg: 'DURATION', help: 'Stop MONITOR after this long (e.g. 10m). Default: no limit.' },
  { flag: 'monitor-max-omem', env: 'RECON_MONITOR_MAX_OMEM', arg: 'SIZE', help: 'Pause MONITOR when the server buffers more than this for it (default 32MB).' },
  { flag: 'monitor-unguarded', env: 'RECON_MONITOR_UNGUARDED', arg: null, help: 'Where CLIENT LIST does not show our MONITOR connection (some proxies hide it), the buffer guard is blind and MONITOR runs 10s in every minute; this runs it continuously, accepting that risk.' },
  { flag: 'replicas', env: 'RECON_REPLICAS', arg: null, help: 'Cluster: run MONITOR on the replicas too (clients that read from replicas with READONLY show only there). Default: on the primaries only; every node is polled either way.' },
  { flag: 'single-node', env: 'RECON_SINGLE_NODE', arg: null, help: 'Watch only the node --url names, even when it is a node of a cluster. By default redis-recon watches every node of the cluster, at the addresses the cluster announces.' },
  { flag: 'show-self', env: 'RECON_SHOW_SELF', arg: null, help: 'Show redis-recon\'s own connections too.' },
  { flag: 'prefix', env: 'RECON_PREFIXES', arg: 'PREFIX', multiple: true, help: 'Preset key-prefix filter (repeatable; the variable takes a comma-separated list). Presets start inactive.' },
  { flag: 'target', env: 'RECON_TARGET', arg: 'ID', help: 'Migration target whose rules the findings use: valkey-8, valkey-9, elasticache-valkey (default), elasticache-valkey-cluster, elasticache-valkey-serverless, or a profile .json.' },
  { flag: 'libraries', env: 'RECON_LIBRARIES', arg: 'FILE', help: 'JSON file extending or overriding the shipped client-library knowledge base (data/libraries.json).' },
  { flag: 'record', env: 'RECON_RECORD', arg: 'FILE', help: 'Save the live session to FILE as it arrives (gzip JSON lines): polls and MONITOR events, keys but not values. Safe to kill: at most about a second is lost.' },
  { flag: 'record-values', env: 'RECON_RECORD_VALUES', arg: null, help: 'Keep argument values in the recording too (they may be sensitive).' },
  { flag: 'replay', env: 'RECON_REPLAY', arg: 'FILE', help: 'Replay a recording into the dashboard (or --headless export) instead of connecting.' },
  { flag: 'speed', env: 'RECON_SPEED', arg: 'N|max', help: 'Replay pace: 1 as recorded (default), N times faster, or max.' },
  { flag: 'monitor-log', env: 'RECON_MONITOR_LOG', arg: 'FILE|-', help: 'Analyse a redis-cli/valkey-cli monitor capture (- for stdin) instead of connecting.' },
  { flag: 'client-list', env: 'RECON_CLIENT_LIST', arg: 'FILE', help: 'CLIENT LIST output that names the addresses in --monitor-log.' },
  { flag: 'hosts', env: 'RECON_HOSTS', arg: 'FILE', multiple: true, help: 'Who owns client addresses (repeatable; the variable takes a comma-separated list): `kubectl get pods -A -o wide` or `kubectl get nodes -o wide` output, a CSV of cidr_or_ip,owner[,team], or /etc/hosts lines. The most specific match wins.' },
  { flag: 'resolve', env: 'RECON_RESOLVE', arg: null, help: 'Reverse DNS for client addresses no --hosts file names, shown as a hint (≈ name). Off by default: it sends a PTR query per address to your resolver.' },
  { flag: 'headless', env: null, arg: null, help: 'No UI: run for --duration, write --export, print a summary to stderr.' },
  { flag: 'duration', env: 'RECON_DURATION', arg: 'DURATION', help: 'How long a headless run lasts (e.g. 60s); a replay or capture runs to its end unless given.' },
  { flag: 'export', env: 'RECON_EXPORT', arg: 'FILE', help: 'Write the inventory to FILE when the run ends: .json (the contract), .csv (a row per client) or .md (the summary).' },
  { flag: 'keyspace', env: 'RECON_KEYSPACE', arg: null, help: 'Sample the keyspace from the start: SCAN, then TYPE, MEMORY USAGE, PTTL and OBJECT ENCODING per key, rate-limited; keys, bytes, types and TTLs per key pattern. The K key starts and stops it. Headless without --duration: runs until the scan ends.' },
  { flag: 'keyspace-rate', env: 'RECON_KEYSPACE_RATE', arg: 'N', help: 'Keys per second the keyspace sampler inspects at most (default 2000; it slows down by itself when the server gets slower or busier).' },
  { flag: 'keyspace-sample', env: 'RECON_KEYSPACE_SAMPLE', arg: 'N|all', help: 'Stop the keyspace sampler after N keys (e.g. 100k) and estimate the rest, with intervals; default all (the whole keyspace, exact).' },
  { flag: 'plan', env: 'RECON_PLAN', arg: 'FILE', help: 'Write the extraction plan when the run ends: keys, bytes and services per pattern, with RedisShake and RIOT key filters (.md, .json or .toml).' },
  { flag: 'to', env: 'TO_REDIS_URL', arg: 'URL', help: 'The migration target, watched beside the source for the cutover: same forms as --url. Its password goes in TO_REDIS_PASSWORD.' },
  { flag: 'to-username', env: 'TO_REDIS_USERNAME', arg: 'NAME', help: 'The target\'s ACL user name (overrides the --to URL\'s).' },
  { flag: null, env: 'TO_REDIS_PASSWORD', arg: 'SECRET', help: 'The target\'s password (environment or .env only).' },
  { flag: 'to-tls', env: 'TO_REDIS_TLS', arg: null, help: 'Use TLS to the target (implied by rediss://).' },
  { flag: 'to-tls-ca', env: 'TO_REDIS_TLS_CA', arg: 'FILE', help: 'The target\'s CA certificates (PEM).' },
  { flag: 'to-tls-cert', env: 'TO_REDIS_TLS_CERT', arg: 'FILE', help: 'Client certificate for the target (mutual TLS).' },
  { flag: 'to-tls-key', env: 'TO_REDIS_TLS_KEY', arg: 'FILE', help: 'Client private key for the target (mutual TLS).' },
  { flag: 'to-tls-servername', env: 'TO_REDIS_TLS_SERVERNAME', arg: 'NAME', help: 'Server name for the target\'s SNI and certificate checks.' },
  { flag: 'to-tls-insecure', env: 'TO_REDIS_TLS_INSECURE', arg: null, help: 'Do not verify the target\'s certificate. For test servers only.' },
  { flag: 'quiet-after', env: 'RECON_QUIET_AFTER', arg: 'DURATION', help: 'Cutover: a service with no traffic on the source for this long is done (default 5m).' },
  { flag: 'help', env: null, arg: null, short: 'h', help: 'Show this help.' },
  { flag: 'version', env: null, arg: null, short: 'V', help: 'Show the version.' },
] as const;

type ParseOption = { type: 'string' | 'boolean'; multiple?: boolean; short?: string };

/** The flags parseArgs reads, derived from SETTINGS: a flag with an argument takes a string. */
const PARSE_OPTIONS: Record<string, ParseOption> = Object.fromEntries(
  SETTINGS.flatMap((s): Array<[string, ParseOption]> =>
    s.flag === null
      ? []
      : [[s.flag, { type: s.arg ? 'string' : 'boolean', ...('multiple' in s ? { multiple: true } : {}), ...('short' in s ? { short: s.short } : {}) }]],
  ),
);
/** `-v` printed the version before `-V` did; it still does, unlisted. */
PARSE_OPTIONS.v = { type: 'boolean', short: 'v' };

/** The long flags a user may type, for the nearest-flag suggestion. */
const FLAG_NAMES: readonly string[] = SETTINGS.flatMap((s) => (s.flag === null ? [] : [s.flag]));

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The longest any duration may be. A Node.js timer holds at most 2^31-1 ms (about 24.8 days) and
 * fires at once past it, so `--duration 30d` would end a run immediately: refuse instead.
 */
export const MAX_DURATION_MS = 24 * 24 * 60 * 60 * 1000;

/** Per-setting ranges, where a value outside one would harm the server or make no sense. */
const DURATION_LIMITS: Readonly<Record<string, { min?: number; max: number }>> = {
  'connect-timeout': { min: 1, max: 10 * 60 * 1000 },
  'poll-interval': { min: 100, max: 10 * 60 * 1000 },
  'flush-interval': { min: 10, max: 10 * 1000 },
  'monitor-budget': { max: MAX_DURATION_MS },
  duration: { max: MAX_DURATION_MS },
  'quiet-after': { min: 1000, max: MAX_DURATION_MS },
};

/** The guard's threshold: above a few GB the server would run out of memory long before it trips. */
export const MAX_OMEM_BYTES = 4 * 1024 ** 3;

const TRUE = new Set(['1', 'true', 'yes', 'on']);

export function resolveConfig(argv: readonly string[], env: Env): ConfigResult {
  // Derived options lose parseArgs' per-flag types; values are read by flag name and checked below.
  let values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: PARSE_OPTIONS,
    }));
  } catch (err) {
    return { ok: false, error: describeArgvError(err, argv, FLAG_NAMES) };
  }

  const str = (flag: string, envName: string | null): string | undefined => {
    const v = values[flag];
    if (typeof v === 'string') return v;
    const e = envName ? env[envName] : undefined;
    return e === undefined || e === '' ? undefined : e;
  };
  /** A file path: `~/…` is expanded here, since .env values and `--flag=~/…` never meet a shell. */
  const path = (flag: string, envName: string | null): string | undefined => {
    const v = str(flag, envName);
    return v === undefined ? undefined : expandHome(v);
  };
  const bool = (flag: string, envName: string | null): boolean =>
    values[flag] === true || (envName !== null && TRUE.has((env[envName] ?? '').toLowerCase()));

  const errors: string[] = [];
  const duration = (flag: string, envName: string | null, fallback?: number): number | undefined => {
    const raw = str(flag, envName);
    if (raw === undefined) return fallback;
    const parsed = parseDuration(raw);
    if (parsed === undefined) {
      errors.push(`--${flag}: "${raw}" is not a duration (try 500ms, 30s, 10m)`);
      return fallback;
    }
    const limits = DURATION_LIMITS[flag] ?? { max: MAX_DURATION_MS };
    if (parsed > limits.max) errors.push(`--${flag}: "${raw}" is too long: at most ${ms(limits.max)}`);
    else if (limits.min !== undefined && parsed < limits.min) errors.push(`--${flag} must be at least ${ms(limits.min)}`);
    return parsed;
  };

  /** A whole number: `2000`, `100k`, `1.5M` (and `all` where allowed: 0, no limit); out of range is refused. */
  const count = (flag: string, envName: string, fallback: number, range: { min: number; max: number; all?: boolean }): number => {
    const raw = str(flag, envName);
    if (raw === undefined) return fallback;
    const t = raw.trim().toLowerCase();
    if (range.all && t === 'all') return 0;
    const m = /^(\d+(?:\.\d+)?)([km]?)$/.exec(t);
    const n = m ? Math.round(Number(m[1]) * (m[2] === 'k' ? 1e3 : m[2] === 'm' ? 1e6 : 1)) : NaN;
    if (!Number.isFinite(n) || n < range.min || n > range.max) {
      errors.push(`--${flag}: "${raw}" is not a number from ${range.min.toLocaleString('en')} to ${range.max.toLocaleString('en')}${range.all ? ' (or all)' : ''}`);
      return fallback;
    }
    return n;
  };

  const urlText = str('url', 'REDIS_URL') ?? 'redis://127.0.0.1:6379';
  const target = parseTarget(urlText);
  if (!target.ok) return { ok: false, error: target.error };

  const maxOmemRaw = str('monitor-max-omem', 'RECON_MONITOR_MAX_OMEM') ?? '32MB';
  const parsedOmem = bytes.parse(maxOmemRaw);
  const maxOmem = parsedOmem === null || !Number.isFinite(parsedOmem) ? null : Math.floor(parsedOmem);
  if (maxOmem === null || maxOmem <= 0) {
    errors.push(`--monitor-max-omem: "${maxOmemRaw}" is not a size (try 32MB)`);
  } else if (maxOmem > MAX_OMEM_BYTES) {
    errors.push(`--monitor-max-omem: "${maxOmemRaw}" is too large: at most ${bytes.format(MAX_OMEM_BYTES)}`);
  }

  const prefixes = Array.isArray(values.prefix)
    ? values.prefix.map(String)
    : (env.RECON_PREFIXES ?? '').split(',').map((p) => p.trim()).filter(Boolean);

  const hostsFiles = (Array.isArray(values.hosts)
    ? values.hosts.map(String)
    : (env.RECON_HOSTS ?? '').split(',').map((p) => p.trim()).filter(Boolean)
  ).map((p) => expandHome(p));

  const delimiter = str('delimiter', 'RECON_DELIMITER') ?? ':';
  if (delimiter.length === 0) errors.push('--delimiter must not be empty');

  const monitorMode = resolveMonitorMode(values, env, errors);
  const monitorSample = parseSample(str('monitor-sample', 'RECON_MONITOR_SAMPLE'), errors);

  const tlsEnabled = target.tls || bool('tls', 'REDIS_TLS');
  const toText = str('to', 'TO_REDIS_URL');
  const toTarget = toText === undefined ? undefined : parseTarget(toText, '--to');
  if (toTarget && !toTarget.ok) return { ok: false, error: toTarget.error };
  const to: EndpointConfig | undefined = toTarget?.ok
    ? {
        endpoint: toTarget.endpoint,
        host: toTarget.host,
        port: toTarget.port,
        ...(toTarget.socketPath !== undefined ? { socketPath: toTarget.socketPath } : {}),
        db: toTarget.db,
        auth: { username: str('to-username', 'TO_REDIS_USERNAME') ?? toTarget.username, password: env.TO_REDIS_PASSWORD || toTarget.password },
        passwordInArgv: typeof values.to === 'string' && toTarget.password !== undefined,
        tls: {
          enabled: toTarget.tls || bool('to-tls', 'TO_REDIS_TLS'),
          caFile: path('to-tls-ca', 'TO_REDIS_TLS_CA'),
          certFile: path('to-tls-cert', 'TO_REDIS_TLS_CERT'),
          keyFile: path('to-tls-key', 'TO_REDIS_TLS_KEY'),
          servername: str('to-tls-servername', 'TO_REDIS_TLS_SERVERNAME'),
          insecure: bool('to-tls-insecure', 'TO_REDIS_TLS_INSECURE'),
        },
      }
    : undefined;
  const config: Config = {
    endpoint: target.endpoint,
    host: target.host,
    port: target.port,
    socketPath: target.socketPath,
    db: target.db,
    auth: {
      username: str('username', 'REDIS_USERNAME') ?? target.username,
      password: env.REDIS_PASSWORD || target.password,
    },
    passwordInArgv: typeof values.url === 'string' && target.password !== undefined,
    tls: {
      enabled: tlsEnabled,
      caFile: path('tls-ca', 'REDIS_TLS_CA'),
      certFile: path('tls-cert', 'REDIS_TLS_CERT'),
      keyFile: path('tls-key', 'REDIS_TLS_KEY'),
      servername: str('tls-servername', 'REDIS_TLS_SERVERNAME'),
      insecure: bool('tls-insecure', 'REDIS_TLS_INSECURE'),
    },
    connectTimeoutMs: duration('connect-timeout', 'RECON_CONNECT_TIMEOUT', 5000)!,
    pollIntervalMs: duration('poll-interval', 'RECON_POLL_INTERVAL', 2000)!,
    flushIntervalMs: duration('flush-interval', 'RECON_FLUSH_INTERVAL', 250)!,
    delimiter,
    monitor: monitorMode !== 'off',
    monitorMode,
    monitorSample,
    monitorBudgetMs: duration('monitor-budget', 'RECON_MONITOR_BUDGET'),
    monitorMaxOmemBytes: maxOmem ?? 32 * 1024 * 1024,
    monitorUnguarded: bool('monitor-unguarded', 'RECON_MONITOR_UNGUARDED'),
    monitorReplicas: bool('replicas', 'RECON_REPLICAS'),
    singleNode: bool('single-node', 'RECON_SINGLE_NODE'),
    showSelf: bool('show-self', 'RECON_SHOW_SELF'),
    prefixes,
    target: path('target', 'RECON_TARGET') ?? 'elasticache-valkey',
    librariesFile: path('libraries', 'RECON_LIBRARIES'),
    recordFile: path('record', 'RECON_RECORD'),
    recordValues: bool('record-values', 'RECON_RECORD_VALUES'),
    replayFile: path('replay', 'RECON_REPLAY'),
    speed: parseSpeed(str('speed', 'RECON_SPEED') ?? '1', errors),
    monitorLog: path('monitor-log', 'RECON_MONITOR_LOG'),
    clientListFile: path('client-list', 'RECON_CLIENT_LIST'),
    hostsFiles,
    resolve: bool('resolve', 'RECON_RESOLVE'),
    headless: bool('headless', null),
    durationMs: duration('duration', 'RECON_DURATION'),
    exportFile: path('export', 'RECON_EXPORT'),
    keyspace: bool('keyspace', 'RECON_KEYSPACE'),
    keyspaceRate: count('keyspace-rate', 'RECON_KEYSPACE_RATE', 2000, { min: 1, max: 100_000 }),
    keyspaceSample: count('keyspace-sample', 'RECON_KEYSPACE_SAMPLE', 0, { min: 1, max: 1e12, all: true }),
    planFile: path('plan', 'RECON_PLAN'),
    ...(to ? { to } : {}),
    quietAfterMs: duration('quiet-after', 'RECON_QUIET_AFTER', 5 * 60_000)!,
    help: bool('help', null),
    version: bool('version', null) || values.v === true,
  };
  if ((config.tls.certFile === undefined) !== (config.tls.keyFile === undefined)) {
    errors.push('--tls-cert and --tls-key go together');
  }
  if (to && (to.tls.certFile === undefined) !== (to.tls.keyFile === undefined)) errors.push('--to-tls-cert and --to-tls-key go together');
  if (to && config.monitorLog !== undefined) errors.push('--to watches a live target beside a live source; it does not go with --monitor-log');
  if (to && config.replayFile !== undefined) errors.push('--to watches a live target; a recording of a cutover replays its target by itself');
  if (to && !to.socketPath && !config.socketPath && to.host === config.host && to.port === config.port) errors.push(`--to ${to.endpoint} is the source itself`);
  const fileSource = config.replayFile !== undefined || config.monitorLog !== undefined;
  if (config.replayFile !== undefined && config.monitorLog !== undefined) errors.push('--replay and --monitor-log are two different sources: pick one');
  if (fileSource && config.recordFile !== undefined) errors.push('--record saves a live session; it does not go with --replay or --monitor-log');
  if (config.clientListFile !== undefined && config.monitorLog === undefined) errors.push('--client-list names the addresses of a --monitor-log capture');
  if (config.headless && config.durationMs === undefined && !fileSource && !config.keyspace) errors.push('--headless needs --duration (e.g. --duration 60s), or --keyspace to run until the scan ends');
  if (fileSource && config.keyspace) errors.push('--keyspace samples a live server; it does not go with --replay or --monitor-log');
  if (config.planFile !== undefined && planFormatForPath(config.planFile) === undefined) {
    errors.push(`--plan ${config.planFile}: the file name must end in .md, .json or .toml`);
  }
  if (config.exportFile !== undefined && formatForPath(config.exportFile) === undefined) {
    errors.push(`--export ${config.exportFile}: the file name must end in .json, .csv or .md`);
  }
  if (errors.length > 0) return { ok: false, error: errors.join('; ') };
  return { ok: true, config };
}

/**
 * `--monitor` beats `--no-monitor` only when they agree; both flags saying different things is an
 * error. Then RECON_MONITOR, then RECON_NO_MONITOR, then the default.
 */
function resolveMonitorMode(values: Record<string, unknown>, env: Env, errors: string[]): MonitorMode {
  const check = (raw: string, where: string): MonitorMode | undefined => {
    const m = raw.trim().toLowerCase();
    if ((MONITOR_MODES as readonly string[]).includes(m)) return m as MonitorMode;
    errors.push(`${where}: "${raw}" is not one of ${MONITOR_MODES.join(', ')}`);
    return undefined;
  };
  const flag = typeof values.monitor === 'string' ? check(values.monitor, '--monitor') : undefined;
  const noFlag = values['no-monitor'] === true;
  if (flag !== undefined && noFlag && flag !== 'off') {
    errors.push(`--no-monitor and --monitor ${flag} disagree: pick one`);
    return 'off';
  }
  if (flag !== undefined) return flag;
  if (noFlag) return 'off';
  const fromEnv = env.RECON_MONITOR;
  if (fromEnv !== undefined && fromEnv !== '') return check(fromEnv, 'RECON_MONITOR') ?? DEFAULT_MONITOR_MODE;
  if (TRUE.has((env.RECON_NO_MONITOR ?? '').toLowerCase())) return 'off';
  return DEFAULT_MONITOR_MODE;
}

/** `10s/60s`: on for 10 s in every 60 s. On at least 1 s, the period longer than that, at most a day. */
function parseSample(text: string | undefined, errors: string[]): { onMs: number; periodMs: number } {
  const fallback = { onMs: SAMPLED_MONITOR.onMs, periodMs: SAMPLED_MONITOR.periodMs };
  if (text === undefined) return fallback;
  const [onText, periodText, ...rest] = text.split('/');
  const on = onText !== undefined ? parseDuration(onText) : undefined;
  const period = periodText !== undefined ? parseDuration(periodText) : undefined;
  if (rest.length > 0 || on === undefined || period === undefined) {
    errors.push(`--monitor-sample: "${text}" is not ON/PERIOD (try 10s/60s)`);
    return fallback;
  }
  if (on < 1000) errors.push('--monitor-sample: MONITOR must stay on at least 1s per period');
  else if (period <= on) errors.push(`--monitor-sample: the period (${ms(period)}) must be longer than the time on (${ms(on)}); use --monitor on to run it continuously`);
  else if (period > 24 * 60 * 60 * 1000) errors.push('--monitor-sample: the period may be at most 1d');
  return { onMs: on, periodMs: period };
}

function parseSpeed(text: string, errors: string[]): number | 'max' {
  if (text === 'max') return 'max';
  const n = Number(text);
  if (Number.isFinite(n) && n > 0) return n;
  errors.push(`--speed: "${text}" is not a positive number or max`);
  return 1;
}

/** `500ms`, `30s`, `10m`, `1h`; a bare number means seconds. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const v = ms(t as ms.StringValue);
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

interface Target {
  ok: true;
  endpoint: string;
  host: string;
  port: number;
  socketPath?: string;
  db: number;
  tls: boolean;
  username?: string;
  password?: string;
}

/** Reads the URL ourselves so that errors and the endpoint never echo the password back. */
export function parseTarget(text: string, flag = '--url'): Target | { ok: false; error: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, error: `${flag} is not a URL (expected redis://host:port, rediss://host:port or unix:///path.sock): "${redactUrl(text)}"` };
  }
  let user: string | undefined;
  let password: string | undefined;
  try {
    user = url.username ? decodeURIComponent(url.username) : undefined;
    password = url.password ? decodeURIComponent(url.password) : undefined;
  } catch {
    return { ok: false, error: `${flag} has a broken %-escape in its user name or password` };
  }
  if (url.protocol === 'unix:') {
    const db = Number(url.searchParams.get('db') ?? 0);
    return { ok: true, endpoint: `unix:${url.pathname}`, host: '', port: 0, socketPath: url.pathname, db: Number.isInteger(db) ? db : 0, tls: false, username: user, password };
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return { ok: false, error: `${flag} must start with redis://, rediss:// or unix:// (got ${url.protocol}//)` };
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = url.port ? Number(url.port) : 6379;
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) return { ok: false, error: `${flag} database must be a number (got "${dbText}")` };
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { ok: true, endpoint: `${shownHost}:${port}${db ? `/${db}` : ''}`, host, port, db, tls: url.protocol === 'rediss:', username: user, password };
}

/**
 * A URL with its user info replaced, for messages about a URL that may not even parse: everything
 * between `//` and the last `@` goes, since a password may itself hold `/`, `:` or `@`.
 */
export function redactUrl(text: string): string {
  const start = text.indexOf('//');
  const at = text.lastIndexOf('@');
  return start >= 0 && at > start ? `${text.slice(0, start + 2)}***${text.slice(at)}` : text;
}
