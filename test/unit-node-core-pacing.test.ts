// A live collector paces the client views it sends when the session is large (each change of the
// client list costs the screen a pass and a sort over every client), but a sync or the final
// delta always carries every change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeCore, CLIENTS_PACE_MS_PER_CLIENT } from '../src/collect/nodeCore.ts';
import { parseClientLine } from '../src/parse/clientList.ts';
import { parseInfo, serverIdentity } from '../src/parse/info.ts';
import { nodeStatus } from './helpers/inProcess.ts';
import type { ClientInfo, PollResult } from '../src/types.ts';

const T0 = 1_700_000_000_000;
const info = parseInfo('# Server\r\nredis_version:7.2.4\r\nvalkey_version:8.0.1\r\nserver_name:valkey\r\nredis_mode:standalone\r\nrun_id:abc\r\nuptime_in_seconds:100\r\n# Replication\r\nrole:master\r\n');

function poll(at: number, n: number, renamed?: number): PollResult {
  const clients: ClientInfo[] = [];
  for (let i = 0; i < n; i++) {
    const name = i === renamed ? 'renamed' : `svc-${i % 20}`;
    // Ages and idle times advance with the clock, as a server prints them: only a rename changes a view.
    const age = 100 + Math.round((at - T0) / 1000);
    const line = `id=${i + 10} addr=10.0.${i >> 8}.${i & 255}:5000 laddr=10.1.0.1:6379 fd=${i + 9} name=${name} age=${age} idle=${age} flags=N db=0 sub=0 psub=0 multi=-1 qbuf=0 qbuf-free=0 obl=0 oll=0 omem=0 events=r cmd=get user=default lib-name=jedis lib-ver=5.1.0`;
    clients.push(parseClientLine(line)!);
  }
  return { startedAt: at, at, clients, unparsed: [], server: serverIdentity(info), info };
}

test('large sessions: paced deltas hold client views back; unpaced ones (sync, final) carry them', async () => {
  const N = 5000;
  let now = T0;
  let wall = 0;
  const core = new NodeCore({ nodeId: 'n', delimiter: ':', isSelf: () => false, now: () => now, wall: () => wall });
  core.pushPoll(poll(now, N));
  await core.flush();
  const first = core.delta(nodeStatus(), false, true);
  assert.equal(first.clients?.upsert.length, N, 'the first paced delta carries every client');

  // One client changes: a paced delta right after holds it back (the pace is 1 s for 5,000 clients)…
  now += 2000;
  wall += N * CLIENTS_PACE_MS_PER_CLIENT - 1;
  core.pushPoll(poll(now, N, 7));
  await core.flush();
  const paced = core.delta(nodeStatus(), false, true);
  assert.equal(paced.clients, undefined, `held back for ${N * CLIENTS_PACE_MS_PER_CLIENT} ms`);
  assert.ok(paced.totals, 'totals still go with every delta');
  // …an unpaced one (a sync for an export, the final delta) carries it at once.
  const synced = core.delta(nodeStatus());
  assert.deepEqual(synced.clients?.upsert.map((c) => c.name), ['renamed']);

  // Once the pace has passed, a paced delta carries what changed since.
  core.pushPoll(poll(now + 2000, N, 8));
  await core.flush();
  wall += N * CLIENTS_PACE_MS_PER_CLIENT;
  const later = core.delta(nodeStatus(), false, true);
  assert.deepEqual(new Set(later.clients?.upsert.map((c) => c.name)), new Set(['renamed', 'svc-7']));
});

test('small sessions: every paced delta carries what changed', async () => {
  let now = T0;
  let wall = 0;
  const core = new NodeCore({ nodeId: 'n', delimiter: ':', isSelf: () => false, now: () => now, wall: () => wall });
  core.pushPoll(poll(now, 50));
  await core.flush();
  core.delta(nodeStatus(), false, true);
  now += 2000;
  core.pushPoll(poll(now, 50, 3));
  await core.flush();
  wall += 50 * CLIENTS_PACE_MS_PER_CLIENT;
  assert.deepEqual(core.delta(nodeStatus(), false, true).clients?.upsert.map((c) => c.name), ['renamed']);
});
