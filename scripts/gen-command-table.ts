// Regenerates data/command-table.json from real servers: starts valkey-server 8.0 and redis-server
// 7.0 on free loopback ports, reads COMMAND from each over RESP2 with node-redis, and writes the
// merged raw replies (valkey's entries first, then redis entries valkey lacks).
//
//   node --import tsx scripts/gen-command-table.ts
//
// It starts its servers with the same harness as the integration tests (test/helpers/servers.ts).

import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createClient } from 'redis';
import { mergeCommandReplies } from '../src/commands/commandInfo.ts';
import { identityFromInfo } from '../src/parse/info.ts';
import { startServer, type TestServer } from '../test/helpers/servers.ts';

async function readCommand(url: string): Promise<{ server: string; version: string; reply: unknown }> {
  const client = createClient({ url, RESP: 2, disableClientInfo: true });
  client.on('error', () => {});
  await client.connect();
  try {
    const { name, version } = identityFromInfo(String(await client.sendCommand(['INFO', 'server'])));
    const reply = await client.sendCommand(['COMMAND']);
    return { server: name, version, reply };
  } finally {
    await client.close();
  }
}

export async function generate(outFile: string): Promise<{ bytes: number; commands: number }> {
  const servers: TestServer[] = [];
  try {
    const valkey = await startServer('valkey');
    servers.push(valkey);
    const redis = await startServer('redis');
    servers.push(redis);
    const v = await readCommand(valkey.url);
    const r = await readCommand(redis.url);
    const commands = mergeCommandReplies(v.reply, r.reply);
    const body = JSON.stringify({
      generatedAt: new Date().toISOString(),
      sources: [
        { server: v.server, version: v.version },
        { server: r.server, version: r.version },
      ],
      commands,
    });
    writeFileSync(outFile, body + '\n');
    return { bytes: Buffer.byteLength(body) + 1, commands: commands.length };
  } finally {
    for (const s of servers.reverse()) await s.stop();
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'data', 'command-table.json');
  const { bytes, commands } = await generate(out);
  console.log(`wrote ${out}: ${commands} commands, ${bytes} bytes`);
}
