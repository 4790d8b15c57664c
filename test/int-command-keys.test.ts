// classify() against the servers' own answer: for each argv, the keys the table finds must be what
// `COMMAND GETKEYS argv` says on a real valkey-server 8.0 and a real redis-server 7.0 (started here on
// free loopback ports, no persistence, stopped in `after`). Where GETKEYS errors (no key arguments,
// bad numkeys) the expectation is [].
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { startServer, type ServerKind, type TestServer } from './helpers/servers.ts';
import { commandTableFromServer } from '../src/commands/commandTable.ts';

const BATTERY: string[][] = [
  // point 2 of the brief
  ['GET', 'k'],
  ['SET', 'k', 'v', 'EX', '10'],
  ['MSET', 'a', '1', 'b', '2', 'c', '3'],
  ['MGET', 'a', 'b', 'c'],
  ['DEL', 'a', 'b'],
  ['UNLINK', 'a', 'b', 'c'],
  ['EXISTS', 'a'],
  ['RENAME', 'a', 'b'],
  ['COPY', 'a', 'b', 'REPLACE'],
  ['SMOVE', 's', 'd', 'm'],
  ['LMOVE', 's', 'd', 'LEFT', 'RIGHT'],
  ['BLMOVE', 's', 'd', 'LEFT', 'RIGHT', '0'],
  ['RPOPLPUSH', 's', 'd'],
  ['BLPOP', 'a', 'b', '0'],
  ['BLMPOP', '0', '2', 'a', 'b', 'LEFT', 'COUNT', '3'],
  ['LMPOP', '1', 'a', 'RIGHT'],
  ['ZMPOP', '2', 'a', 'b', 'MIN'],
  ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '1'],
  ['EVAL', 'return 1', '2', 'k1', 'k2', 'arg'],
  ['EVAL', 'return 1', '0'],
  ['EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '1', 'k1'],
  ['EVAL_RO', 'return 1', '1', 'k1', 'x'],
  ['FCALL', 'f', '2', 'k1', 'k2'],
  ['FCALL_RO', 'f', '1', 'k1'],
  ['XREAD', 'COUNT', '2', 'STREAMS', 's1', 's2', '0', '0'],
  ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 's1', 's2', '>', '>'],
  ['ZUNIONSTORE', 'd', '2', 'a', 'b', 'WEIGHTS', '1', '2'],
  ['ZINTERSTORE', 'd', '1', 'a'],
  ['ZDIFFSTORE', 'd', '2', 'a', 'b'],
  ['ZUNION', '2', 'a', 'b', 'WITHSCORES'],
  ['ZINTER', '2', 'a', 'b'],
  ['SORT', 'k', 'BY', 'w_*', 'LIMIT', '0', '10', 'GET', '#', 'ALPHA', 'STORE', 'dst'],
  ['SORT', 'k', 'DESC'],
  ['GEORADIUS', 'g', '0', '0', '10', 'km', 'STORE', 'dst'],
  ['MIGRATE', '127.0.0.1', '1', 'k', '0', '100'],
  ['MIGRATE', '127.0.0.1', '1', '', '0', '100', 'COPY', 'KEYS', 'a', 'b'],
  ['OBJECT', 'ENCODING', 'k'],
  ['MEMORY', 'USAGE', 'k'],
  ['PFMERGE', 'd', 'a', 'b'],
  ['BITOP', 'AND', 'd', 'a', 'b'],
  ['SUBSCRIBE', 'ch1', 'ch2'],
  ['PUBLISH', 'ch', 'msg'],
  // a few others
  ['hset', 'h', 'f', 'v', 'f2', 'v2'],
  ['GETEX', 'k', 'PX', '100'],
  ['BITFIELD', 'b', 'GET', 'u8', '0'],
  ['XADD', 's', '*', 'f', 'v'],
  ['XGROUP', 'CREATE', 's', 'g', '$'],
  ['GEOSEARCHSTORE', 'd', 's', 'FROMMEMBER', 'm', 'BYRADIUS', '1', 'km'],
  ['ZRANGESTORE', 'd', 's', '0', '-1'],
  ['BZPOPMIN', 'a', 'b', '1'],
  ['WATCH', 'a', 'b'],
  ['LCS', 'a', 'b'],
  ['PING'],
  ['CLIENT', 'SETNAME', 'x'],
  ['SPUBLISH', 'ch', 'msg'],
];

async function getKeys(client: { sendCommand(args: string[]): Promise<unknown> }, argv: string[]): Promise<string[]> {
  try {
    const r = await client.sendCommand(['COMMAND', 'GETKEYS', ...argv]);
    return Array.isArray(r) ? r.map(String) : [];
  } catch {
    return [];
  }
}

for (const kind of ['valkey', 'redis'] as ServerKind[]) {
  describe(`classify() keys equal COMMAND GETKEYS on ${kind}`, { timeout: 10_000 }, () => {
    let server: TestServer | undefined;
    let client: ReturnType<typeof createClient> | undefined;

    before(async () => {
      server = await startServer(kind);
      client = createClient({ url: server.url, RESP: 2, disableClientInfo: true });
      client.on('error', () => {});
      await client.connect();
    });

    after(async () => {
      await client?.close().catch(() => {});
      await server?.stop();
    });

    it('reads the table from the server', async () => {
      const { source, warning } = await commandTableFromServer(client!);
      assert.equal(source, 'server', warning);
    });

    it(`agrees on ${BATTERY.length} argv`, async () => {
      const { table } = await commandTableFromServer(client!);
      const mismatches: string[] = [];
      for (const argv of BATTERY) {
        const expected = await getKeys(client!, argv);
        const got = table.classify(argv).keys.map((k) => k.key);
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          mismatches.push(`${argv.join(' ')}: classify ${JSON.stringify(got)} vs GETKEYS ${JSON.stringify(expected)}`);
        }
      }
      assert.deepEqual(mismatches, []);
    });
  });
}
