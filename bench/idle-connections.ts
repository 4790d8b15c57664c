// Tens of thousands of idle connections (issue 9): what CLIENT LIST costs the server and how far
// apart the dashboard spaces its polls, key press to frame latency while it polls, and its RSS.
// The real dashboard runs in a pty (test/helpers/pty-driver.py) against a valkey-server on
// loopback that holds `--real` idle connections, opened by helper processes from 127.0.0.2-5.
// One process may hold at most `ulimit -n` sockets; where that is below 30,000 (20,000 on the
// machine this was measured on, with no CAP_SYS_RESOURCE to raise it), `--total` pads CLIENT LIST
// with copies of the real idle lines through a proxy, so the dashboard sees 30,000 connections while
// the server's cost follows the real ones.
//
//   node --import tsx bench/idle-connections.ts [--real 19800] [--total 30000] [--seconds 60] [--sort-seconds 20] [--root DIR] [--node-arg=--cpu-prof …]
import { parseArgs } from 'node:util';
import { manyClients, percentile } from '../test/helpers/manyClients.ts';

const { values } = parseArgs({
  options: {
    real: { type: 'string', default: '19800' },
    total: { type: 'string', default: '30000' },
    seconds: { type: 'string', default: '60' },
    'sort-seconds': { type: 'string', default: '20' },
    root: { type: 'string' },
    // Node flags for the dashboard, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes.
    'node-arg': { type: 'string', multiple: true },
  },
});

const r = await manyClients({
  real: Number(values.real),
  total: Number(values.total),
  pressSeconds: Number(values.seconds),
  sortSeconds: Number(values['sort-seconds']),
  ...(values.root ? { root: values.root } : {}),
  ...(values['node-arg'] ? { nodeArgs: values['node-arg'] } : {}),
  log: (l) => console.error(l),
});
const lat = (xs: number[]) => ({
  n: xs.length,
  p50: Math.round(percentile(xs, 50)),
  p95: Math.round(percentile(xs, 95)),
  max: Math.round(Math.max(...xs)),
});
const of = (key: string, poll?: boolean) => r.presses.filter((p) => p.key === key && (poll === undefined || p.duringPoll === poll)).map((p) => p.latencyMs);
console.log(
  JSON.stringify(
    {
      checkout: values.root ?? '.',
      realConnections: r.real,
      shownOnScreen: r.shown,
      clientListUsecPerCall: { median: percentile(r.clientListUsec, 50), max: Math.max(...r.clientListUsec), polls: r.clientListUsec.length },
      pollGapMs: { median: percentile(r.pollGapsMs, 50), min: Math.min(...r.pollGapsMs), max: Math.max(...r.pollGapsMs) },
      clientListShareOfServer: +(percentile(r.clientListUsec, 50) / 1000 / percentile(r.pollGapsMs, 50)).toFixed(4),
      firstFullScreenS: r.firstFullScreenMs / 1000,
      keyPressToFrameMs: {
        pageDown: { all: lat(of('PgDn')), duringPolls: lat(of('PgDn', true)) },
        sortWholeTable: { all: lat(of('s')), duringPolls: lat(of('s', true)) },
      },
      rssMiB: r.rssMiB,
      exitCode: r.exitCode,
    },
    null,
    2,
  ),
);
process.exit(0);
