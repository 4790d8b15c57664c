// legacy-billing: the service nobody has touched in years. node-redis 4 (the `redis-v4` alias,
// @redis/client 1.6.x): the old library the migration report should flag. Looks up a customer,
// writes an invoice, at a slow steady pace.
import { createClient } from 'redis-v4';
import { TTL_S, between, closeClient, every, nodeRedisOptions, packageVersion, type Service } from './common.ts';

export const CUSTOMERS = 200;

export const billing: Service = {
  name: 'legacy-billing',
  library: 'node-redis',
  version: `${packageVersion('@redis/client', 'redis-v4')} (redis@${packageVersion('redis-v4')})`,
  keys: 'customer:* (read), invoice:* (write)',
  async run(ctx) {
    const client = createClient(nodeRedisOptions(ctx.endpoint, 'legacy-billing'));
    client.on('error', (err: Error) => ctx.warn(err.message));
    await client.connect();
    let invoice = between(10_000, 90_000);
    try {
      await every(ctx, () => between(200, 600), async () => {
        const customer = `customer:${between(1, CUSTOMERS)}`;
        const profile = await client.hGetAll(customer);
        const id = `invoice:${++invoice}`;
        await client.hSet(id, { customer, plan: profile.plan ?? 'unknown', amount: String(between(10, 900)), at: String(Date.now()) });
        await client.expire(id, TTL_S);
      });
    } finally {
      await closeClient(() => client.quit(), () => client.disconnect());
    }
  },
};
