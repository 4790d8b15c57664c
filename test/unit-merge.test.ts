// The merger joins a capture's partitions into one node: what it says of the whole capture must be
// about the whole capture, not about whichever partition reported first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Merger } from '../src/collect/merge.ts';
import { nodeStatus } from './helpers/inProcess.ts';

const totals = { events: 0, reads: 0, writes: 0, eventsPerSec: 0 } as never;
const part = (lines: number, phase: 'stopped' | 'on' = 'stopped') =>
  nodeStatus({
    id: 'capture',
    monitor: { phase, ...(phase === 'stopped' ? { reason: `end of capture (${lines.toLocaleString('en')} lines in this partition)` } : {}), onMs: 0, offPeriods: [], guard: 'watching' },
    stream: { lines, unparsed: 0, unparsedReasons: {}, dropped: 0, eventsPerSec: 0 },
  });

test('a capture read in partitions ends with the lines of all of them', () => {
  const merger = new Merger(':');
  merger.apply({ status: part(1_021_724), totals }, 0);
  merger.apply({ status: part(978_276, 'on'), totals }, 1);
  assert.equal(merger.statuses()[0]!.monitor.phase, 'on', 'not over while a partition reads');
  merger.apply({ status: part(978_276), totals }, 1);
  const [node] = merger.statuses();
  assert.equal(node!.monitor.reason, 'end of capture (read in 2 partitions)');
  assert.doesNotMatch(JSON.stringify(node), /1,021,724/, "no partition's count passes for the capture's");
  assert.equal(node!.stream.lines, 2_000_000);
});
