// Offline throughput and memory: reads a recorded MONITOR capture (bench/make-capture.sh), parses
// every line and aggregates it into a Session exactly as the live engine does, and reports lines/s
// and peak RSS. Target (issue 2): >= 1,000,000 lines/s and RSS < 300 MB after 10M events over 1M keys.
// Usage: node --import tsx bench/parse-aggregate.ts CAPTURE_FILE
import { createReadStream, statSync } from 'node:fs';
import { readLines } from '../src/sources/lineReader.ts';
import { parseMonitorLine } from '../src/parse/monitorLine.ts';
import { Session } from '../src/analysis/session.ts';
import { loadFallbackCommandTable } from '../src/commands/commandTable.ts';
import type { MonitorEvent } from '../src/types.ts';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node --import tsx bench/parse-aggregate.ts CAPTURE_FILE (make one with bench/make-capture.sh)\n');
  process.exit(1);
}
const session = new Session({ delimiter: ':', classifier: loadFallbackCommandTable(), isSelf: () => false });
let parsed = 0;
let unparsed = 0;
let peakRss = 0;
const t0 = process.hrtime.bigint();
const stats = await readLines(createReadStream(file, { highWaterMark: 1 << 20 }), (lines) => {
  const events: MonitorEvent[] = [];
  for (const line of lines) {
    const r = parseMonitorLine(line);
    if (r.ok) events.push(r.event);
    else unparsed++;
  }
  parsed += events.length;
  session.ingest(events, Date.now());
  const rss = process.memoryUsage().rss;
  if (rss > peakRss) peakRss = rss;
});
session.tick(Date.now());
const view = session.view();
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const mb = (n: number) => (n / 1024 / 1024).toFixed(0);
console.log(
  JSON.stringify({
    file,
    sizeMB: Number(mb(statSync(file).size)),
    lines: stats.lines,
    parsed,
    unparsed,
    seconds: Number(secs.toFixed(2)),
    linesPerSecond: Math.round(stats.lines / secs),
    peakRssMB: Number(mb(peakRss)),
    clients: view.clients.length,
    keyedEvents: view.totals.keyed,
    prefixes: view.tree.all().length,
    topKey: view.topKeys[0],
  }),
);
