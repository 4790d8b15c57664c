// One collector's cost per line, single-threaded: reads a recorded MONITOR capture
// (bench/make-capture.sh, bench/make-realistic-capture.sh) into a NodeCore, the collector's one
// ingest path (parse, classify, attribute, aggregate), as a capture partition does, and reports
// lines/s, CPU ns per line (steadier than wall time on a shared machine) and peak RSS. The end-to-end
// figure with every core is the CLI's (README: Measured).
// Usage: node --import tsx bench/parse-aggregate.ts CAPTURE_FILE
import { createReadStream, statSync } from 'node:fs';
import { readLines } from '../src/sources/lineReader.ts';
import { NodeCore } from '../src/collect/nodeCore.ts';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node --import tsx bench/parse-aggregate.ts CAPTURE_FILE (make one with bench/make-capture.sh)\n');
  process.exit(1);
}
const core = new NodeCore({ nodeId: 'bench', delimiter: ':', isSelf: () => false, now: Date.now, eventClock: true });
let peakRss = 0;
let batches = 0;
const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const stats = await readLines(
  createReadStream(file, { highWaterMark: 1 << 20 }),
  (lines) => {
    for (const line of lines) core.pushLine(line);
    core.flushNow();
    // Sampled now and then: reading it costs a system call.
    if (++batches % 64 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  },
  512,
);
core.session.tick(core.clock);
const view = core.session.view();
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuSecs = (cpu.user + cpu.system) / 1e6;
const mb = (n: number) => (n / 1024 / 1024).toFixed(0);
console.log(
  JSON.stringify({
    file,
    sizeMB: Number(mb(statSync(file).size)),
    lines: stats.lines,
    parsed: core.stream.lines - core.stream.unparsed,
    unparsed: core.stream.unparsed,
    seconds: Number(secs.toFixed(2)),
    linesPerSecond: Math.round(stats.lines / secs),
    // CPU time per line: steadier than wall time on a shared machine.
    cpuNsPerLine: Math.round((cpuSecs * 1e9) / stats.lines),
    peakRssMB: Number(mb(peakRss)),
    clients: view.clients.length,
    keyedEvents: view.totals.keyed,
    prefixes: view.tree.all().length,
    topKey: view.topKeys[0],
  }),
);
