// The keyspace sampler of one node: on its own connection (named like the tool's others, so every
// view leaves it out), it walks the keyspace with SCAN and inspects each key it returns with TYPE,
// MEMORY USAGE … SAMPLES 5, PTTL and OBJECT ENCODING, pipelined, at a keys-per-second budget that
// backs off while the server is busier or slower than when the scan began and holds while the health
// gate says so (src/analysis/scanPace.ts). Never KEYS, never MEMORY USAGE … SAMPLES 0 (which walks a
// whole aggregate). What it learns goes into a KeyspaceSample (plain statistics per database and key
// pattern) that the collector ships in its deltas.
//
// - Databases: every one INFO keyspace lists, in order, each from cursor 0 to cursor 0. It can stop
//   at a sample size (`--keyspace-sample`), or when stopped (a key, the end of the run): its report
//   says which. Stopped and started again, it goes on from where it was; once done, a start begins a
//   new scan.
// - Before any key command it waits for a poll that started after its connection was up: by then
//   CLIENT LIST has named it ours, so its commands never count as traffic in MONITOR, and the pace has
//   its baselines.
// - Keys travel as bytes (a key need not be UTF-8): SCAN's replies are kept as Buffers and sent back
//   as they came; only the pattern name decodes them (as MONITOR's parser does).
// - Hash-field expiry (Redis 7.4+): where INFO keyspace counts hashes with expiring fields
//   (`subexpiry`), each hash is checked: `listpackex` says yes by itself; a `hashtable` hash has a
//   few random fields' expiry read (HRANDFIELD, HPEXPIRETIME).
// - A keyspace that changes underneath is fine: a key gone by the time it is inspected (TYPE `none`)
//   is counted scanned, not sampled; SCAN's repeats are dropped (KeySet); errors on one key skip it.
import { RESP_TYPES } from 'redis';
import type { OwnCalls } from './ownCalls.ts';
import type { Config } from '../config.ts';
import { healthProblem } from '../analysis/health.ts';
import { KeyspaceSample, keyspaceOf, type InspectedKey } from '../analysis/keyspaceSample.ts';
import type { KeyspaceNodeStatus, KeyspacePhase, KeyspaceReport } from '../analysis/keyspaceEstimate.ts';
import { ScanPace } from '../analysis/scanPace.ts';
import { backoff, buildClient, describeError, isFatal, type Redis } from '../sources/connect.ts';
import type { PollResult } from '../types.ts';
import { parseInfo } from '../parse/info.ts';

export interface KeyspaceSettings {
  /** Keys per second at most. */
  readonly rate: number;
  /** Stop after this many keys sampled; 0 = the whole keyspace. */
  readonly sample: number;
}

export const DEFAULT_KEYSPACE_RATE = 2000;

/** Keys inspected per pipelined round trip. */
const CHUNK = 64;
/** Reports at most this often while running (a phase change goes at once). */
const REPORT_MS = 1000;
/** Fields of a `hashtable` hash whose expiry is read. */
const HASH_FIELDS_CHECKED = 5;

/**
 * SCAN's COUNT for a budget: about a tenth of a second's keys, within [10, 250]. A SCAN holds the
 * server for about 1.5 µs per bucket (measured on Valkey 8.0: COUNT 200 ~0.3 ms, COUNT 1000 ~1.2 ms),
 * so the cap keeps each stall under half a millisecond whatever the budget.
 */
export const SCAN_COUNT_MAX = 250;
export const scanCount = (rate: number): number => Math.max(10, Math.min(SCAN_COUNT_MAX, Math.round(rate / 10)));

const BUFFERS = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } } as const;

export interface KeyspaceSampler {
  readonly phase: KeyspacePhase;
  /** Starts (or resumes) the scan. */
  start(): void;
  /** Stops it, saying why (the key, the end of the run). */
  stop(reason: string): void;
  /** Each poll: health, round trip, ops, database sizes. */
  observe(poll: PollResult, usualRttMs?: number): void;
  /** The report if anything changed since the last one (at most once a second unless `force`). */
  report(force?: boolean): KeyspaceReport | undefined;
  /** Stops and closes the connection. */
  close(): Promise<void>;
}

export interface SamplerOptions {
  readonly delimiter: string;
  readonly now?: () => number;
  /** Something changed that the main thread should hear soon (a phase change). */
  readonly onChange?: () => void;
  /** Asks for a poll soon (the scan waits for one once connected). */
  readonly requestPoll?: () => void;
  /** Counts the sampler's own commands (its connection's set-up too), for the command mix to leave out. */
  readonly own?: OwnCalls;
}

export function keyspaceSampler(config: Config, settings: KeyspaceSettings, opts: SamplerOptions): KeyspaceSampler {
  const now = opts.now ?? Date.now;
  const sample = new KeyspaceSample(opts.delimiter);
  const pace = new ScanPace(settings.rate, now);
  const count = scanCount(settings.rate);
  const cursors = new Map<number, string>();
  let client: Redis | undefined;
  let connecting: Promise<Redis> | undefined;
  let connectError: string | undefined;
  let phase: KeyspacePhase = 'off';
  let reason: string | undefined;
  let end: KeyspaceNodeStatus['end'];
  let gen = 0;
  let startedAt: number | undefined;
  let runningSince: number | undefined;
  let elapsedBefore = 0;
  let commands = 0;
  let inspected = 0;
  let bytesUnavailable: string | undefined;
  let encodingRefused = false;
  let fieldExpiry: KeyspaceNodeStatus['fieldExpiry'] = 'unsupported';
  /** Databases with hashes whose fields expire (INFO keyspace `subexpiry` > 0). */
  const expiringDbs = new Set<number>();
  let lastObserve: { at: number; commands: number; inspected: number } | undefined;
  let rate = 0;
  let version = 0;
  let reportedVersion = -1;
  let reportedAt = -Infinity;
  let reportedPhase: KeyspacePhase | undefined;
  /** The database the connection has selected (node-redis selects it again after a reconnect). */
  let selected: number | undefined;
  let treeSent = { size: -1, epoch: -1 };
  let closed = false;
  const pollWaiters: Array<{ after: number; resolve: () => void }> = [];
  /** The scan loop under way (settled when none is). */
  let loop: Promise<void> = Promise.resolve();
  const wakers = new Set<() => void>();

  const changed = (urgent = false): void => {
    version++;
    if (urgent) opts.onChange?.();
  };
  const setPhase = (p: KeyspacePhase, why?: string): void => {
    if (p === phase && why === reason) return;
    if (phase === 'running' || phase === 'held') {
      if (p !== 'running' && p !== 'held' && runningSince !== undefined) {
        elapsedBefore += now() - runningSince;
        runningSince = undefined;
      }
    } else if (p === 'running' || p === 'held' || p === 'starting') runningSince ??= now();
    phase = p;
    reason = why;
    changed(true);
  };
  const wakeAll = (): void => {
    for (const w of [...wakers]) w();
  };
  /** Sleeps `ms` or until woken (a stop, a poll); false when this scan was stopped meanwhile. */
  const sleep = (ms: number, g: number): Promise<boolean> =>
    new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        wakers.delete(done);
        resolve(g === gen && !closed);
      };
      const t = setTimeout(done, ms);
      wakers.add(done);
    });

  const connect = (): Promise<Redis> => {
    if (client?.isReady) return Promise.resolve(client);
    if (connecting) return connecting;
    let fatal = false;
    const built = buildClient(config, 'keyspace', backoff(10_000, () => (fatal = true)));
    if (!built.client) return Promise.reject(new Error(built.error ?? 'cannot create client'));
    const c = built.client;
    c.on('error', (err: unknown) => {
      connectError = describeError(err, config);
      if (fatal || isFatal(err)) connectError = `${connectError} (gave up)`;
    });
    // node-redis selects the configured database on connect (and after every reconnect).
    selected = config.db;
    connecting = c.connect().then(
      () => {
        opts.own?.opened();
        client = c;
        connecting = undefined;
        return c;
      },
      (err: unknown) => {
        connecting = undefined;
        try {
          c.destroy();
        } catch {
          /* closed */
        }
        throw new Error(describeError(err, config));
      },
    );
    return connecting;
  };

  const send = <T = unknown>(c: Redis, args: Array<string | Buffer>): Promise<T> => {
    commands++;
    opts.own?.sent(args);
    return c.sendCommand(args, BUFFERS) as Promise<T>;
  };

  /** Resolves at the first poll that started after `after` (or when stopped). */
  const pollAfter = (after: number, g: number): Promise<boolean> =>
    new Promise((resolve) => {
      const w = { after, resolve: () => resolve(g === gen && !closed) };
      pollWaiters.push(w);
      wakers.add(w.resolve);
    });

  const text = (b: unknown): string => (Buffer.isBuffer(b) ? b.toString('utf8') : String(b));
  const num = (b: unknown): number => Number(text(b));

  /** TYPE, MEMORY USAGE, PTTL, OBJECT ENCODING for each key, pipelined; hash-field expiry where it applies. */
  const inspect = async (c: Redis, db: number, keys: readonly Buffer[]): Promise<void> => {
    const memory = bytesUnavailable === undefined;
    const encoding = !encodingRefused;
    const replies = await Promise.all(
      keys.map((k) =>
        Promise.all([
          settle(send(c, ['TYPE', k])),
          memory ? settle(send(c, ['MEMORY', 'USAGE', k, 'SAMPLES', '5'])) : undefined,
          settle(send(c, ['PTTL', k])),
          encoding ? settle(send(c, ['OBJECT', 'ENCODING', k])) : undefined,
        ]),
      ),
    );
    const found: Array<{ key: Buffer; k: InspectedKey; check: boolean }> = [];
    for (let i = 0; i < keys.length; i++) {
      const [type, mem, pttl, enc] = replies[i]!;
      if (type.error !== undefined) {
        if (/NOPERM|unknown command/i.test(type.error)) throw new Error(`TYPE refused: ${type.error}`);
        continue;
      }
      const t = text(type.value);
      if (t === 'none') continue; // gone since SCAN returned it
      if (mem?.error !== undefined && bytesUnavailable === undefined && /NOPERM|unknown|not supported|not allowed|disabled/i.test(mem.error)) {
        bytesUnavailable = `MEMORY USAGE refused (${mem.error.slice(0, 120)}): sizes unknown`;
        changed(true);
      }
      if (enc?.error !== undefined && /NOPERM|unknown|not supported|not allowed/i.test(enc.error)) encodingRefused = true;
      const bytes = mem?.value !== undefined && mem.value !== null ? num(mem.value) : undefined;
      const encName = enc?.value !== undefined && enc.value !== null ? text(enc.value) : undefined;
      const p = pttl.value !== undefined ? num(pttl.value) : -1;
      if (p === -2) continue; // expired meanwhile
      const key: InspectedKey = {
        key: text(keys[i]),
        type: t,
        pttl: p,
        ...(bytes !== undefined && Number.isFinite(bytes) ? { bytes } : {}),
        ...(encName !== undefined ? { encoding: encName } : {}),
      };
      const check = t === 'hash' && expiringDbs.has(db);
      found.push({ key: keys[i]!, k: key, check });
    }
    // Hash-field expiry: listpackex says so itself; a hashtable needs a few fields read.
    const checks = found.filter((f) => f.check);
    if (checks.length > 0) {
      fieldExpiry = 'checked';
      await Promise.all(
        checks.map(async (f) => {
          const enc = f.k.encoding;
          if (enc === 'listpackex') f.k = { ...f.k, fieldsExpire: true };
          else if (enc === 'listpack') f.k = { ...f.k, fieldsExpire: false };
          else {
            const fields = await settle(send<Buffer[]>(c, ['HRANDFIELD', f.key, String(HASH_FIELDS_CHECKED)]));
            const list = Array.isArray(fields.value) ? (fields.value as Buffer[]) : [];
            if (list.length === 0) return;
            const times = await settle(send<unknown[]>(c, ['HPEXPIRETIME', f.key, 'FIELDS', String(list.length), ...list]));
            if (Array.isArray(times.value)) f.k = { ...f.k, fieldsExpire: times.value.some((x) => num(x) > 0) };
          }
        }),
      );
    }
    for (const f of found) sample.add(db, f.k);
    inspected += keys.length;
    changed();
  };

  const sampledTotal = (): number => {
    let n = 0;
    for (const d of cursors.keys()) n += sample.part(d).sampled;
    return n;
  };

  const finish = (how: NonNullable<KeyspaceNodeStatus['end']>, why: string): void => {
    end = how;
    setPhase(how === 'error' ? 'error' : 'done', why);
  };

  /** The scan: database after database, chunk after chunk, within the pace. */
  const run = async (g: number): Promise<void> => {
    const alive = (): boolean => g === gen && !closed;
    let c: Redis;
    try {
      c = await connect();
    } catch (err) {
      if (alive()) finish('error', (err as Error).message);
      return;
    }
    if (!alive()) return;
    // Known as ours before any key command reaches MONITOR; the pace takes its baselines.
    const polled = pollAfter(now(), g);
    opts.requestPoll?.();
    if (!(await polled)) return;
    if (!alive()) return;
    setPhase('running');
    let dbs: Map<number, { keys: number; subexpiry?: number }>;
    try {
      dbs = keyspaceOf(parseInfo(text(await send(c, ['INFO', 'keyspace']))));
    } catch (err) {
      if (alive()) finish('error', `INFO keyspace failed: ${describeError(err, config)}`);
      return;
    }
    if (dbs.size === 0) {
      // Some proxies print no keyspace section: the connection's own database, by DBSIZE.
      const n = Number(text(await send(c, ['DBSIZE']).catch(() => 0)));
      if (n > 0) dbs.set(config.db, { keys: n });
    }
    noteDbs(dbs);
    const order = [...dbs.keys()].sort((a, b) => a - b);
    if (order.length === 0) {
      finish('complete', 'the keyspace is empty');
      return;
    }
    const unreachable: string[] = [];
    for (const db of order) {
      const part = sample.part(db);
      if (!cursors.has(db)) cursors.set(db, '0');
      if (part.complete) continue;
      if (selected !== db) {
        // SELECT is refused by some services (Redis Cloud, cluster mode for db > 0): that
        // database is left out, said so, and the others are still read.
        try {
          await c.select(db);
          commands++;
          selected = db;
        } catch (err) {
          if (!alive()) return;
          unreachable.push(`db${db} (${(err as Error).message.split('\n')[0]!.slice(0, 80)})`);
          continue;
        }
      }
      let cursor = cursors.get(db)!;
      let first = cursor === '0';
      while (alive()) {
        try {
          if (!c.isReady) throw new Error(connectError ?? 'connection lost');
          if (pace.held) {
            setPhase('held', pace.held);
            await sleep(1000, g);
            continue;
          }
          if (phase !== 'running') setPhase('running', pace.slowReason);
          const wait = pace.delay(count);
          if (wait > 0) {
            if (!(await sleep(wait, g))) return;
            continue;
          }
          const [next, keys] = await send<[Buffer, Buffer[]]>(c, ['SCAN', cursor, 'COUNT', String(count)]);
          cursor = text(next);
          first = false;
          const fresh = (keys ?? []).filter((k) => sample.firstSighting(db, text(k)));
          for (let i = 0; i < fresh.length && alive(); i += CHUNK) {
            const chunk = fresh.slice(i, i + CHUNK);
            const w = pace.delay(chunk.length);
            if (w > 0 && !(await sleep(w, g))) return;
            pace.take(chunk.length);
            await inspect(c, db, chunk);
          }
          cursors.set(db, cursor);
          if (settings.sample > 0 && sampledTotal() >= settings.sample) {
            finish('sample', `stopped at the sample size (${settings.sample.toLocaleString('en')} keys)`);
            return;
          }
          if (cursor === '0' && !first) {
            part.complete = true;
            changed();
            break;
          }
        } catch (err) {
          const message = (err as Error).message ?? String(err);
          if (/refused|NOPERM|unknown command/i.test(message)) {
            if (alive()) finish('error', `${message.split('\n')[0]!.slice(0, 200)}: the keyspace sampler needs +scan +select +type +memory|usage +pttl +object|encoding`);
            return;
          }
          if (connectError?.endsWith('(gave up)')) {
            if (alive()) finish('error', connectError);
            return;
          }
          setPhase('held', `waiting for the connection: ${connectError ?? describeError(err, config)}`);
          if (!(await sleep(1000, g))) return;
        }
      }
      if (!alive()) return;
    }
    if (!alive()) return;
    if (unreachable.length > 0) {
      // Done with what could be read; the export says the scan is not complete, and why.
      end = 'error';
      setPhase('done', `SELECT refused: ${unreachable.join(', ')} not read; the other databases were read to the end`);
    } else finish('complete', 'the whole keyspace was read');
  };

  const noteDbs = (dbs: Map<number, { keys: number; subexpiry?: number }>): void => {
    for (const [db, d] of dbs) {
      const part = sample.part(db);
      if (part.dbsize !== d.keys) {
        part.dbsize = d.keys;
        changed();
      }
      if (d.subexpiry !== undefined && fieldExpiry === 'unsupported') fieldExpiry = 'unused';
      if ((d.subexpiry ?? 0) > 0) expiringDbs.add(db);
      else expiringDbs.delete(db);
    }
  };

  const status = (): KeyspaceNodeStatus => ({
    phase,
    // While running, the reason is why the pace is below the budget (if it is).
    ...(phase === 'running' ? (pace.slowReason !== undefined ? { reason: pace.slowReason } : {}) : reason !== undefined ? { reason } : {}),
    ...(end !== undefined ? { end } : {}),
    budget: settings.rate,
    pace: pace.pace,
    rate,
    limit: settings.sample,
    ...(startedAt !== undefined ? { startedAt } : {}),
    elapsedMs: elapsedBefore + (runningSince !== undefined ? now() - runningSince : 0),
    commands,
    dedupeFull: sample.dedupeFull,
    ...(bytesUnavailable !== undefined ? { bytesUnavailable } : {}),
    fieldExpiry,
  });

  return {
    get phase() {
      return phase;
    },
    start() {
      if (closed || phase === 'running' || phase === 'held' || phase === 'starting') return;
      if (phase === 'done' || phase === 'error') {
        // A new scan: the last one's figures go.
        sample.clear();
        cursors.clear();
        inspected = 0;
        elapsedBefore = 0;
        treeSent = { size: -1, epoch: -1 };
      }
      if (phase !== 'stopped' || startedAt === undefined) startedAt = now();
      end = undefined;
      pace.restart();
      const g = ++gen;
      setPhase('starting', 'connecting; the scan begins after the next poll');
      const previous = loop;
      // One scan loop at a time: a restart waits for the stopped one's last round trip.
      loop = previous
        .then(() => (g === gen && !closed ? run(g) : undefined))
        .catch((err: unknown) => {
          if (g === gen && !closed) finish('error', `internal error: ${(err as Error).message}`);
        });
    },
    stop(why) {
      if (phase !== 'running' && phase !== 'held' && phase !== 'starting') return;
      gen++;
      wakeAll();
      end = 'stopped';
      setPhase('stopped', why);
    },
    observe(poll, usualRttMs) {
      const t = now();
      if (lastObserve && t > lastObserve.at) {
        const dt = (t - lastObserve.at) / 1000;
        rate = Math.round((inspected - lastObserve.inspected) / dt);
        const own = (commands - lastObserve.commands) / dt;
        const ops = Number(poll.info['instantaneous_ops_per_sec']);
        pace.observe({
          ...(poll.rttMs !== undefined ? { rttMs: poll.rttMs } : {}),
          ...(usualRttMs !== undefined ? { usualRttMs } : {}),
          ...(Number.isFinite(ops) ? { opsPerSec: ops } : {}),
          ownOpsPerSec: own,
          ...(() => {
            const problem = healthProblem(poll.info, poll.rttMs, usualRttMs);
            return problem ? { problem } : {};
          })(),
        });
        changed();
      }
      lastObserve = { at: t, commands, inspected };
      if (phase !== 'off') noteDbs(keyspaceOf(poll.info));
      for (const w of pollWaiters.splice(0)) {
        if (poll.startedAt >= w.after) w.resolve();
        else pollWaiters.push(w);
      }
    },
    report(force = false) {
      if (phase === 'off') return undefined;
      const t = now();
      // A phase change goes at once; counts wait for the next second.
      if (!force && (version === reportedVersion || (phase === reportedPhase && t - reportedAt < REPORT_MS))) return undefined;
      reportedVersion = version;
      reportedAt = t;
      reportedPhase = phase;
      const { parts, tree } = sample.report();
      const sendTree = tree.nodes.length !== treeSent.size || sample.tree.epoch !== treeSent.epoch || force;
      if (sendTree) treeSent = { size: tree.nodes.length, epoch: sample.tree.epoch };
      return { status: status(), parts, ...(sendTree ? { tree } : {}) };
    },
    async close() {
      closed = true;
      gen++;
      wakeAll();
      if (phase === 'running' || phase === 'held' || phase === 'starting') {
        end = 'stopped';
        setPhase('stopped', 'the run ended');
      }
      // The round trip in flight lands in the sample before the connection goes (bounded).
      await Promise.race([loop, new Promise((r) => setTimeout(r, 2000).unref())]);
      const c = client ?? (await connecting?.catch(() => undefined));
      try {
        c?.destroy();
      } catch {
        /* closed */
      }
    },
  };
}

/** A reply or the error's message, never a rejection. */
async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: string }> {
  try {
    return { value: await p };
  } catch (err) {
    return { error: (err as Error).message ?? String(err) };
  }
}
