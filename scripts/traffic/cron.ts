// cleanup-cron: a scheduled job that opens a fresh connection every few seconds, scans for stale
// sessions, touches a few keys and disconnects. Its short lives fill the dashboard's ledger of
// departed connections. node-redis 4, like the rest of the old batch tooling.
import { createClient } from 'redis-v4';
import { between, closeClient, every, nodeRedisOptions, packageVersion, type Service } from './common.ts';

export const cron: Service = {
  name: 'cleanup-cron',
  label: 'cleanup-cron (short-lived)',
  library: 'node-redis',
  version: packageVersion('@redis/client', 'redis-v4'),
  keys: 'session:* (SCAN, TTL), cron:last-run',
  async run(ctx) {
    await every(ctx, () => between(3000, 6000), async () => {
      // A cron job that cannot connect just fails this round: no reconnecting in the background.
      const client = createClient(nodeRedisOptions(ctx.endpoint, 'cleanup-cron', { reconnectStrategy: false, connectTimeout: 2000 }));
      client.on('error', (err: Error) => ctx.warn(err.message));
      try {
        await client.connect();
        const { keys } = await client.scan(0, { MATCH: 'session:*', COUNT: 100 });
        for (const key of keys.slice(0, 5)) await client.ttl(key);
        await client.set('cron:last-run', String(Date.now()), { EX: 3600 });
      } finally {
        await closeClient(() => client.quit(), () => client.disconnect());
      }
    });
  },
};
