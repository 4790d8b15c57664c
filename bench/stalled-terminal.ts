// A stalled terminal (issue 9): the real dashboard in a pty that stops being read for 15 s while the
// server takes ~100 MB of 8 KB SETs. Samples, every ~100 ms, the server's output buffer for our
// MONITOR connection (`omem`) and its `used_memory`; then drains the pty, presses a key and quits.
// Before the collector workers, the blocked terminal write stopped the whole process and the server
// held everything for MONITOR (run with --root /path/to/pre-worker/checkout to see it).
//
//   node --import tsx bench/stalled-terminal.ts [--seconds 15] [--mb 100] [--root DIR] [--kind valkey|redis]
import { parseArgs } from 'node:util';
import { startServer, type ServerKind } from '../test/helpers/servers.ts';
import { stalledTerminal } from '../test/helpers/stall.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    mb: { type: 'string', default: '100' },
    root: { type: 'string' },
    kind: { type: 'string', default: 'valkey' },
    samples: { type: 'boolean', default: false },
  },
});

const MB = 1024 * 1024;
const server = await startServer(values.kind as ServerKind);
try {
  const r = await stalledTerminal({
    url: server.url,
    stallMs: Number(values.seconds) * 1000,
    loadBytes: Number(values.mb) * 1e6,
    ...(values.root ? { root: values.root } : {}),
    log: (l) => console.error(l),
  });
  if (values.samples) for (const s of r.samples) console.error(`${s.t}\t${s.omem ?? '-'}\t${s.usedMemory}`);
  console.log(
    JSON.stringify(
      {
        checkout: values.root ?? '.',
        server: values.kind,
        stallSeconds: Number(values.seconds),
        writtenMB: +(r.written / 1e6).toFixed(1),
        loadSeconds: r.loadMs / 1000,
        peakOmemMiB: +(r.peakOmem / MB).toFixed(2),
        usedMemoryGrowthMiB: +((r.usedMemoryPeak - r.usedMemoryBefore) / MB).toFixed(2),
        monitorClosedAtS: r.monitorClosedAt !== undefined ? r.monitorClosedAt / 1000 : null,
        monitorBackAtS: r.monitorBackAt !== undefined ? r.monitorBackAt / 1000 : null,
        drainAtS: r.drainAt / 1000,
        afterDrain: {
          firstFrameMs: r.firstFrameMs !== undefined ? Math.round(r.firstFrameMs) : null,
          watchdogOnScreenMs: r.watchdogOnScreenMs !== undefined ? Math.round(r.watchdogOnScreenMs) : null,
          keyAnsweredMs: r.keyAnsweredMs !== undefined ? Math.round(r.keyAnsweredMs) : null,
          monitorOnOnScreenMs: r.onAgainOnScreenMs !== undefined ? Math.round(r.onAgainOnScreenMs) : null,
        },
        screenSaidWatchdog: /held off by the watchdog/.test(r.screenAfterDrain),
        screenReason: /the screen stopped reading for \d+s[^·]*/.exec(r.screenAfterDrain)?.[0]?.trim() ?? null,
        exitCode: r.exitCode,
      },
      null,
      2,
    ),
  );
} finally {
  await server.stop();
}
process.exit(0);
