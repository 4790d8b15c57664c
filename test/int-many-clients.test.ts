// Polling that scales (issue 9), against real valkey-servers:
// - a CLIENT LIST that costs the server a lot spaces polls out (INFO commandstats, made to say so by
//   a proxy), and the buffer guard does not take the longer gaps for blindness.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../src/config.ts';
import { createReconStore } from '../src/store.ts';
import { startEngine } from '../src/engine.ts';
import { CLIENT_LIST_SHARE } from '../src/analysis/pollCost.ts';
import { startServer, waitFor, type TestServer } from './helpers/servers.ts';
import { costlyClientList, startRewritingProxy, type RewritingProxy } from './helpers/proxy.ts';
import { openPeriods, startMonitorProbe } from './helpers/monitorProbe.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('a costly CLIENT LIST', () => {
  let server: TestServer;
  let proxy: RewritingProxy;
  before(async () => {
    server = await startServer('valkey');
    // Each CLIENT LIST "costs" 60 ms (what ~20,000 connections cost on a small machine).
    proxy = await startRewritingProxy(server.port, costlyClientList(60_000), ['# Commandstats']);
  });
  after(async () => {
    await proxy?.close();
    await server?.stop();
  });

  test('spaces polls out to keep CLIENT LIST at 0.5% of the server, and MONITOR stays on between them', { timeout: 60_000 }, async () => {
    const r = resolveConfig(['--url', proxy.url, '--poll-interval', '1s', '--flush-interval', '50ms'], {});
    if (!r.ok) throw new Error(r.error);
    const store = createReconStore({ endpoint: r.config.endpoint, monitor: true, monitorMaxOmemBytes: r.config.monitorMaxOmemBytes });
    const probe = startMonitorProbe(server.port, 200);
    const engine = startEngine(r.config, store);
    let samples: Awaited<ReturnType<typeof probe.stop>> = [];
    let monitorOnAt = Infinity;
    try {
      await engine.ready;
      await waitFor(() => store.getState().monitor.phase === 'on' && store.getState().nodes[0]?.poll.clientListUsec === 60_000, 'the cost measured', 15_000);
      monitorOnAt = Date.now() + 500;
      const poll = store.getState().nodes[0]!.poll;
      assert.equal(poll.intervalMs, 60 / CLIENT_LIST_SHARE, 'one CLIENT LIST per 12 s: 0.5% of the server');
      const before = store.getState().poll.polls;
      const t0 = Date.now();
      await sleep(14_000);
      const made = store.getState().poll.polls - before;
      assert.ok(made <= 3, `${made} polls in ${((Date.now() - t0) / 1000).toFixed(1)} s (at most one early poll per interval)`);
      // The guard is not blind for having polled less often: MONITOR ran throughout.
      assert.equal(store.getState().monitor.phase, 'on');
      assert.deepEqual(store.getState().monitor.offPeriods, [], 'never held off');
    } finally {
      samples = await probe.stop();
      await engine.stop();
    }
    const open = openPeriods(samples.filter((s) => s.at >= monitorOnAt));
    assert.equal(open.length, 1, 'our MONITOR connection stayed open, seen from the server');
  });
});
