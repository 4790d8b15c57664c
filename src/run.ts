// Chooses where the session's data comes from (a live server, a recording, a MONITOR capture) and
// gives the caller what it needs before it builds the store: the endpoint to show and the clock.
// Headless runs and the dashboard both start every source through here.
import { accessSync, constants, createReadStream, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Config } from './config.ts';
import type { ReconStore } from './store.ts';
import type { Auditor } from './analysis/session.ts';
import type { ServerIdentity } from './types.ts';
import { startEngine, type Engine } from './engine.ts';
import { createPipeline } from './pipeline.ts';
import { readHeader } from './record/reader.ts';
import { startRecorder, type Recorder } from './record/recorder.ts';
import { replayRecording } from './sources/replay.ts';
import { analyzeCapture } from './sources/monitorLog.ts';
import { parseClientList } from './parse/clientList.ts';
import { fileErrorText } from './fileErrors.ts';

export interface RunOptions {
  readonly auditor?: Auditor;
}

export interface Run {
  readonly engine: Engine;
  /** Resolves when a finite source (recording, capture) has been read to its end. */
  readonly done?: Promise<string>;
}

export interface PreparedRun {
  readonly endpoint: string;
  readonly now: () => number;
  readonly kind: 'live' | 'replay' | 'capture';
  start(store: ReconStore, opts: RunOptions): Run;
}

export type Prepared = { ok: true; run: PreparedRun } | { ok: false; error: string };

const RECORDED_SELF = (name: string): boolean => name.startsWith('redis-recon-');
const UNKNOWN_SERVER: ServerIdentity = { name: 'redis', version: 'unknown', redisVersion: 'unknown', mode: 'unknown', role: 'unknown' };

export function prepareRun(config: Config): Prepared {
  if (config.replayFile) return prepareReplay(config, config.replayFile);
  if (config.monitorLog) return prepareCapture(config, config.monitorLog);
  return { ok: true, run: prepareLive(config) };
}

function prepareLive(config: Config): PreparedRun {
  return {
    endpoint: config.endpoint,
    now: Date.now,
    kind: 'live',
    start(store, opts) {
      let recorder: Recorder | undefined;
      let unsubscribe = (): void => {};
      if (config.recordFile) {
        recorder = startRecorder({
          path: config.recordFile,
          endpoint: config.endpoint,
          delimiter: config.delimiter,
          values: config.recordValues,
          startedAt: store.getState().startedAt,
          onError: (m) => store.getState().actions.notice(m),
        });
        let last = store.getState().monitor.phase;
        // Date.now is this run's engine clock (`now` above; startEngine gets no other), so phase
        // changes and batches are stamped on the same clock.
        unsubscribe = store.subscribe((s) => {
          if (s.monitor.phase !== last) {
            last = s.monitor.phase;
            recorder?.monitor(Date.now(), s.monitor.phase, s.monitor.reason);
          }
        });
      }
      const engine = startEngine(config, store, { auditor: opts.auditor, tap: recorder });
      return {
        engine: {
          ...engine,
          async stop() {
            await engine.stop();
            unsubscribe();
            await recorder?.close();
          },
        },
      };
    },
  };
}

/** A finite source: a pipeline fed by a reader that runs to the end of its file. */
function finiteRun(
  store: ReconStore,
  opts: RunOptions,
  delimiter: string,
  clock: { now: number },
  read: (pipeline: ReturnType<typeof createPipeline>, signal: AbortSignal) => Promise<string>,
): Run {
  const pipeline = createPipeline(store, {
    delimiter,
    isSelf: (info) => RECORDED_SELF(info.name),
    now: () => clock.now,
    auditor: opts.auditor,
  });
  const stopping = new AbortController();
  const { actions } = store.getState();
  const done = read(pipeline, stopping.signal).then(
    (summary) => {
      actions.stopMonitor(summary);
      actions.monitorPhase('stopped', summary);
      return summary;
    },
    (err: unknown) => {
      const message = `reading stopped: ${fileErrorText(err)}`;
      actions.monitorPhase('error', message);
      return message;
    },
  );
  return {
    engine: {
      pipeline,
      ready: Promise.resolve(),
      async stop() {
        stopping.abort();
        await done;
      },
    },
    done,
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
      now: () => clock.now,
      kind: 'replay',
      start(store, opts) {
        return finiteRun(store, opts, header.delimiter, clock, async (pipeline, signal) => {
          const r = await replayRecording(path, header, pipeline, store, { speed: config.speed, clock }, signal);
          const gaps = r.droppedBatches ? `, ${r.droppedBatches} batches never written` : '';
          return `end of recording (${r.records} records${r.damaged ? `, ${r.damaged} damaged or cut short` : ''}${gaps})`;
        });
      },
    },
  };
}

function prepareCapture(config: Config, path: string): Prepared {
  let clientList: { clients: ReturnType<typeof parseClientList>['clients']; unparsed: string[]; raw: string } | undefined;
  if (config.clientListFile) {
    try {
      const raw = readFileSync(config.clientListFile, 'utf8');
      clientList = { ...parseClientList(raw), raw };
    } catch (err) {
      return { ok: false, error: `cannot read --client-list ${config.clientListFile}: ${fileErrorText(err)}` };
    }
  }
  if (path !== '-') {
    try {
      accessSync(path, constants.R_OK);
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
        return finiteRun(store, opts, config.delimiter, clock, async (pipeline, signal) => {
          const input = path === '-' ? process.stdin : createReadStream(path, { highWaterMark: 1 << 20 });
          const r = await analyzeCapture(input, pipeline, store, { clock, clientList, server: UNKNOWN_SERVER }, signal);
          return `end of capture (${r.lines} lines)`;
        });
      },
    },
  };
}
