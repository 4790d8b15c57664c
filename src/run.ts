// Chooses where the session's data comes from (a live server, a recording, a MONITOR capture) and
// gives the caller what it needs before it builds the store: the endpoint to show and the clock.
// Headless runs and the dashboard both start every source through here; every source runs in
// collector workers (src/collect) and reaches the store through the engine's merger.
import { accessSync, closeSync, constants, createReadStream, openSync, readFileSync, statSync } from 'node:fs';
import { Socket } from 'node:net';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { isatty, ReadStream as TtyReadStream } from 'node:tty';
import type { Config } from './config.ts';
import type { ReconStore } from './store.ts';
import { joinEngines, runCollectors, startEngine, startTargetEngine, type Engine } from './engine.ts';
import { readHeader } from './record/reader.ts';
import { startRecorder, type Recorder } from './record/recorder.ts';
import type { AuditSpec, CollectorSpec } from './collect/protocol.ts';
import { fileErrorText } from './fileErrors.ts';

export interface RunOptions {
  /** The migration target and library knowledge base each collector judges clients against. */
  readonly audit?: AuditSpec | null;
}

export interface Run {
  readonly engine: Engine;
  /** The recording (live, with --record): whether it was written whole. */
  readonly recorder?: Recorder;
  /** Resolves when a finite source (recording, capture) has been read to its end. */
  readonly done?: Promise<string>;
}

export interface PreparedRun {
  readonly endpoint: string;
  /** A cutover session's target endpoint (live --to, or the replay of a recorded cutover). */
  readonly to?: string;
  readonly now: () => number;
  readonly kind: 'live' | 'replay' | 'capture';
  start(store: ReconStore, opts: RunOptions): Run;
}

export type Prepared = { ok: true; run: PreparedRun } | { ok: false; error: string };

/** A capture is read by this many partitions in parallel (one per core, at most 4). */
export function capturePartitions(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

export function prepareRun(config: Config): Prepared {
  if (config.replayFile) return prepareReplay(config, config.replayFile);
  if (config.monitorLog) return prepareCapture(config, config.monitorLog);
  return { ok: true, run: prepareLive(config) };
}

function prepareLive(config: Config): PreparedRun {
  return {
    endpoint: config.endpoint,
    ...(config.to ? { to: config.to.endpoint } : {}),
    now: Date.now,
    kind: 'live',
    start(store, opts) {
      const recorder = config.recordFile
        ? startRecorder({
            path: config.recordFile,
            endpoint: config.endpoint,
            delimiter: config.delimiter,
            values: config.recordValues,
            startedAt: store.getState().startedAt,
            ...(config.to ? { target: config.to.endpoint } : {}),
            onError: (m) => store.getState().actions.notice(m),
          })
        : undefined;
      const source = startEngine(config, store, { audit: opts.audit ?? null, recorder });
      // A cutover (--to): the target is watched beside the source, into its own side of the store.
      const engine = config.to ? joinEngines(source, startTargetEngine(config, store, { audit: opts.audit ?? null, recorder }), store, recorder) : source;
      return { engine, ...(recorder ? { recorder } : {}) };
    },
  };
}

function prepareReplay(config: Config, path: string): Prepared {
  const opened = readHeader(path);
  if (!opened.ok) return opened;
  const header = opened.header;
  const clock = { now: header.startedAt };
  return {
    ok: true,
    run: {
      endpoint: `${header.endpoint} (replay of ${basename(path)})`,
      ...(header.target !== undefined ? { to: header.target } : {}),
      now: () => clock.now,
      kind: 'replay',
      start(store, opts) {
        const spec: CollectorSpec = { kind: 'replay', path, header, speed: config.speed };
        const replayConfig = { ...config, endpoint: header.endpoint, delimiter: header.delimiter };
        const cutover = header.target !== undefined;
        const source = runCollectors([spec], store, replayConfig, { audit: opts.audit ?? null, clock, joined: cutover });
        // A recorded cutover: its target's records replay into the target side, as they were live.
        const engine = cutover
          ? joinEngines(source, runCollectors([{ ...spec, endpoint: 'target' }], store, { ...replayConfig, endpoint: header.target! }, { audit: opts.audit ?? null, clock, side: 'target' }), store)
          : source;
        return { engine, ...(engine.done ? { done: engine.done } : {}) };
      },
    },
  };
}

/**
 * Opens a capture that is not a regular file so that reading it never blocks a thread: a FIFO
 * without a writer yet (a plain open would wait for one inside libuv's thread pool, where no signal
 * can reach it and the process could not exit) is opened non-blocking and read through the event
 * loop, so it waits for its writer and still stops at once on SIGINT or SIGTERM.
 */
function openStream(path: string): Readable {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = statSync(path);
    if (st.isFIFO() || st.isSocket()) return new Socket({ fd, readable: true, writable: false });
    if (isatty(fd)) return new TtyReadStream(fd);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  // A character device (/dev/zero, /dev/urandom): reads never wait.
  return createReadStream(path, { fd, highWaterMark: 1 << 20 });
}

function prepareCapture(config: Config, path: string): Prepared {
  let clientList: string | undefined;
  if (config.clientListFile) {
    try {
      clientList = readFileSync(config.clientListFile, 'utf8');
    } catch (err) {
      return { ok: false, error: `cannot read --client-list ${config.clientListFile}: ${fileErrorText(err)}` };
    }
  }
  /** Not a regular file (a FIFO, a socket, a terminal, a device): opened now, without blocking. */
  let stream: Readable | undefined;
  if (path !== '-') {
    try {
      accessSync(path, constants.R_OK);
      const st = statSync(path);
      if (st.isDirectory()) return { ok: false, error: `--monitor-log ${path} is a directory, not a capture file` };
      if (!st.isFile()) stream = openStream(path);
    } catch (err) {
      return { ok: false, error: `cannot read --monitor-log ${path}: ${fileErrorText(err)}` };
    }
  }
  const clock = { now: 0 };
  return {
    ok: true,
    run: {
      endpoint: path === '-' ? 'MONITOR capture on stdin' : `MONITOR capture ${basename(path)}`,
      now: () => clock.now,
      kind: 'capture',
      start(store, opts) {
        const k = capturePartitions();
        const specs: CollectorSpec[] = Array.from({ length: k }, (_, partition) => ({
          kind: 'capture',
          nodeId: 'capture',
          source: path === '-' ? 'stdin' : path,
          partition,
          partitions: k,
          ...(clientList !== undefined ? { clientList } : {}),
        }));
        // Read once, here, whatever it is (a file, stdin, a FIFO): the partitions get their lines.
        const feed = path === '-' ? process.stdin : (stream ?? { file: path });
        const engine = runCollectors(specs, store, config, { audit: opts.audit ?? null, clock, feed });
        return { engine, ...(engine.done ? { done: engine.done } : {}) };
      },
    },
  };
}
