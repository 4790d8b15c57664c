// Feeds a recording into a pipeline at recorded pace, N times faster, or as fast as possible.
// Pausing (the `p` key) holds the replay clock; the recording's own times drive every rate.
// A malformed record is skipped and counted; the rest of the recording still replays.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReconStore } from '../store.ts';
import type { Pipeline } from '../pipeline.ts';
import type { IngestEvent } from '../analysis/session.ts';
import type { EventRecord, HeaderRecord } from '../record/format.ts';
import { parseRecord, recordingStream } from '../record/reader.ts';
import { readLines } from './lineReader.ts';
import { parseClientList } from '../parse/clientList.ts';

export interface ReplayOptions {
  /** 1 = recorded pace; 'max' = no waiting. */
  readonly speed: number | 'max';
  /** The replay clock: the pipeline and the store read the recorded time through it. */
  readonly clock: { now: number };
}

export interface ReplayResult {
  readonly records: number;
  readonly damaged: number;
  /** Batches the recorder could not write (its disk fell behind), from the gap records. */
  readonly droppedBatches: number;
}

/** Stands in for an unparsed line recorded without values: only the count was kept. */
const NOT_RECORDED = '(not recorded)';

export async function replayRecording(
  path: string,
  header: HeaderRecord,
  pipeline: Pipeline,
  store: ReconStore,
  opts: ReplayOptions,
  signal: AbortSignal,
): Promise<ReplayResult> {
  const { actions } = store.getState();
  let records = 0;
  let damaged = 0;
  let droppedBatches = 0;
  let wallStart = performance.now();
  let recordedStart = header.startedAt;
  let sinceYield = 0;

  /** Waits while MONITOR (here: the replay) is paused; shifts the pacing by the time spent. */
  const gate = async (): Promise<void> => {
    if (store.getState().monitor.desired === 'on') return;
    const pausedAt = performance.now();
    actions.monitorPhase('paused', store.getState().monitor.reason);
    await new Promise<void>((resolve) => {
      const done = (): void => {
        unsubscribe();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const unsubscribe = store.subscribe((s) => {
        if (s.monitor.desired === 'on') done();
      });
      signal.addEventListener('abort', done);
      if (signal.aborted) done();
    });
    wallStart += performance.now() - pausedAt;
    if (!signal.aborted) actions.monitorPhase('on');
  };

  const pace = async (at: number): Promise<void> => {
    await gate();
    if (opts.speed === 'max') {
      // Let keys and frames through now and then, even at full speed.
      if (++sinceYield >= 64) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
      }
      return;
    }
    const due = wallStart + (at - recordedStart) / opts.speed;
    const wait = due - performance.now();
    // Stopping ends the wait at once (the rejection says only that it was aborted).
    if (wait > 1) await sleep(wait, undefined, { signal }).catch(() => {});
  };

  actions.monitorPhase('on');
  const stream = recordingStream(path);
  stream.on('error', () => {}); // a truncated end: readLines sees the stream end
  // Stopping also stops reading: the rest of a long recording is not decompressed for nothing.
  const stopReading = (): void => void stream.destroy();
  signal.addEventListener('abort', stopReading, { once: true });
  try {
    await readLines(stream, async (lines) => {
      for (const line of lines) {
        if (signal.aborted) return;
        const r = parseRecord(line);
        if (r === undefined) {
          if (line !== '') damaged++;
          continue;
        }
        records++;
        opts.clock.now = 'at' in r ? r.at : opts.clock.now;
        if (r.t === 'header') {
          recordedStart = r.startedAt;
        } else if (r.t === 'poll') {
          const { clients, unparsed } = parseClientList(r.clientList);
          pipeline.pushPoll({ startedAt: r.startedAt, at: r.at, clients, unparsed, server: r.server, info: { ...r.info }, rawClientList: r.clientList });
        } else if (r.t === 'batch') {
          await pace(r.at);
          if (signal.aborted) return;
          opts.clock.now = r.at;
          pipeline.applyBatch(r.at, r.events.map(toEvent), r.unparsed ?? new Array<string>(r.bad ?? 0).fill(NOT_RECORDED));
        } else if (r.t === 'gap') {
          droppedBatches += r.droppedBatches;
          // One sentence however many gaps (notices are kept once each); the summary has the total.
          actions.notice("the recording has gaps: the recorder's disk fell behind and some batches were never written");
        }
      }
    });
  } catch {
    if (!signal.aborted) damaged++;
  } finally {
    signal.removeEventListener('abort', stopReading);
  }
  // The last poll may not have been followed by a batch.
  pipeline.applyBatch(opts.clock.now, [], []);
  return { records, damaged, droppedBatches };
}

function toEvent(r: EventRecord): IngestEvent {
  return {
    ts: r.ts,
    db: r.db,
    source: r.src,
    args: r.args ? [...r.args] : [r.c],
    classified: { command: r.c, access: r.a, keys: r.k.map((key, i) => ({ key, write: r.w[i] === true })), script: r.s === true },
  };
}
