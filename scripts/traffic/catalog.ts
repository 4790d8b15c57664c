// catalog-indexer: a batch-minded service on current ioredis. Pipelines of HSET/HGETALL on
// product:* and ZADD/ZRANGE on rank:*, a batch every second or so and a bigger reindex now and then.
import { Redis } from 'ioredis';
import { TTL_S, between, chance, closeClient, every, ioredisOptions, packageVersion, type Service } from './common.ts';

const RANKS = ['rank:bestsellers', 'rank:trending', 'rank:new'];

export const catalog: Service = {
  name: 'catalog-indexer',
  library: 'ioredis',
  version: packageVersion('ioredis'),
  keys: 'product:*, rank:*',
  async run(ctx) {
    const client = new Redis({ ...ioredisOptions(ctx.endpoint, 'catalog-indexer'), lazyConnect: true });
    client.on('error', (err: Error) => ctx.warn(err.message));
    await client.connect();
    try {
      await every(ctx, () => between(700, 1500), async () => {
        const size = chance(0.1) ? 60 : between(4, 10); // sometimes a full reindex batch
        const batch = client.pipeline();
        for (let i = 0; i < size; i++) {
          const id = between(1, 500);
          const key = `product:${id}`;
          batch.hset(key, 'title', `Product ${id}`, 'price', String(between(1, 300)), 'stock', String(between(0, 50)));
          batch.expire(key, TTL_S);
          batch.zadd(RANKS[id % RANKS.length] as string, String(between(1, 10_000)), key);
        }
        for (const rank of RANKS) batch.expire(rank, TTL_S);
        await batch.exec();
        const top = await client.zrange(RANKS[between(0, RANKS.length - 1)] as string, '0', '9');
        const read = client.pipeline();
        for (const key of top.slice(0, 5)) read.hgetall(key);
        await read.exec();
      });
    } finally {
      await closeClient(() => client.quit(), () => client.disconnect());
    }
  },
};
