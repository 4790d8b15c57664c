// checkout-api: the busy, current web service. node-redis (the `redis` package, current major).
// Sessions and carts on every request, an order written in MULTI/EXEC now and then, and a short
// "flash sale" burst every half minute or so.
import { createClient } from 'redis';
import { TTL_S, between, chance, closeClient, every, nodeRedisOptions, packageVersion, type Service } from './common.ts';

const SKUS = ['sku-1001', 'sku-1002', 'sku-2040', 'sku-3300', 'sku-4711', 'sku-5150'];

export const checkout: Service = {
  name: 'checkout-api',
  library: 'node-redis',
  version: packageVersion('@redis/client'),
  keys: 'session:*, cart:{user}:*, order:*',
  async run(ctx) {
    const client = createClient(nodeRedisOptions(ctx.endpoint, 'checkout-api'));
    client.on('error', (err: Error) => ctx.warn(err.message));
    await client.connect();
    let burstUntil = 0;
    let orders = 0;
    try {
      await every(
        ctx,
        () => (Date.now() < burstUntil ? between(5, 15) : between(60, 160)),
        async () => {
          if (Date.now() > burstUntil + 25_000 && chance(0.01)) burstUntil = Date.now() + 3000;
          const user = `u${between(1, 400)}`;
          const session = `session:${user}`;
          if ((await client.get(session)) === null) await client.set(session, JSON.stringify({ user, at: Date.now() }), { EX: 1800 });
          const cart = `cart:{${user}}:items`;
          await client.hIncrBy(cart, SKUS[between(0, SKUS.length - 1)] as string, 1);
          await client.hGetAll(cart);
          // The first request checks out: a run of a few seconds shows its transaction too (at 8%
          // a request, 4 s of traffic had none about one time in twenty).
          if (orders === 0 || chance(0.08)) {
            orders++;
            // Checkout: the order and the cart change together, in one transaction.
            const order = `order:${Date.now()}${between(100, 999)}`;
            await client
              .multi()
              .hSet(order, { user, total: String(between(5, 400)), at: String(Date.now()) })
              .expire(order, TTL_S)
              .del(cart)
              .incr(`cart:{${user}}:checkouts`)
              .expire(`cart:{${user}}:checkouts`, TTL_S)
              .exec();
          } else {
            await client.expire(cart, TTL_S);
          }
        },
      );
    } finally {
      await closeClient(() => client.close(), () => client.destroy());
    }
  },
};
