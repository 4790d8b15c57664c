// A stalled terminal must not make the server buffer for us (issue 9): the real dashboard in a pty
// that stops being read for 6 s while a loader writes ~40 MB of 8 KB values to a real valkey-server.
// A probe samples our MONITOR connection's `omem` and the server's `used_memory` every ~100 ms.
// Before the collector workers the blocked terminal write stopped the whole process and the server
// held everything for MONITOR (bench/stalled-terminal.ts: 89 MiB after 100 MB in 15 s).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from './helpers/servers.ts';
import { stalledTerminal } from './helpers/stall.ts';

const MiB = 1024 * 1024;
const GUARD_LIMIT = 32 * MiB;

let server: TestServer;
before(async () => {
  server = await startServer('valkey');
});
after(async () => {
  await server?.stop();
});

test('a terminal that stops draining: MONITOR is closed by the watchdog, the server buffers nothing, all comes back', { timeout: 120_000 }, async (t) => {
  const STALL_MS = 6000;
  const r = await stalledTerminal({ url: server.url, stallMs: STALL_MS, loadBytes: 40e6 });
  const during = r.samples.filter((s) => s.t >= 0 && s.t <= r.drainAt);
  const figures = `peak omem ${(r.peakOmem / MiB).toFixed(2)} MiB, used_memory +${((r.usedMemoryPeak - r.usedMemoryBefore) / MiB).toFixed(2)} MiB, closed at ${r.monitorClosedAt} ms, back at ${r.monitorBackAt} ms, drained at ${r.drainAt} ms`;

  t.diagnostic(figures);
  assert.ok(r.written >= 39e6, `the loader wrote ${r.written} bytes in ${r.loadMs} ms during the stall`);
  assert.ok(during.length >= 40, `the probe sampled throughout the stall (${during.length} samples)`);
  // The server never held more than the guard's limit for us, and its memory did not grow by more.
  assert.ok(r.peakOmem < GUARD_LIMIT, figures);
  assert.ok(r.usedMemoryPeak - r.usedMemoryBefore < GUARD_LIMIT, figures);
  // The watchdog closed MONITOR during the stall (the main thread blocks within a frame or two of
  // the pty filling; heartbeats missing for 3 s close it) and kept it closed until the drain.
  const lastOpen = during.filter((s) => s.omem !== undefined).at(-1);
  assert.ok(r.monitorClosedAt !== undefined && r.monitorClosedAt < r.drainAt, `MONITOR closed during the stall: ${figures}`);
  assert.ok(lastOpen === undefined || lastOpen.t <= 5500, `closed within 5.5 s of the stall and not reopened before the drain: ${figures}`);
  // It came back by itself once the screen was read again.
  assert.ok(r.monitorBackAt !== undefined && r.monitorBackAt >= r.drainAt, `MONITOR back after the drain: ${figures}`);
  // The screen said why, drew again, answered a key, and showed MONITOR on again.
  assert.match(r.screenAfterDrain, /MONITOR held off by the watchdog/);
  assert.match(r.screenAfterDrain, /the screen stopped reading for \d+s \(terminal not drained\): MONITOR closed so the server buffers nothing/);
  assert.ok(r.keyAnsweredMs !== undefined, 'the help overlay answered ? after the drain');
  assert.ok(r.onAgainOnScreenMs !== undefined, 'MONITOR on again on screen');
  assert.equal(r.exitCode, 0, 'q quit cleanly');
});
