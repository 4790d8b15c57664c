// search-cache: a read-through cache in front of a search engine, on iovalkey (the Valkey fork of
// ioredis). It names its connection but, unlike ioredis, never sends CLIENT SETINFO: the server
// sees no lib-name, and the dashboard has to say it cannot tell the library.
import { Valkey } from 'iovalkey';
import { between, closeClient, every, ioredisOptions, packageVersion, pick, type Service } from './common.ts';

const TERMS = ['boots', 'rain jacket', 'tent', 'headlamp', 'stove', 'socks', 'backpack', 'map', 'compass', 'gloves'];

export const searchCache: Service = {
  name: 'search-cache',
  library: 'iovalkey',
  version: packageVersion('iovalkey'),
  keys: 'search:q:*',
  async run(ctx) {
    const client = new Valkey({ ...ioredisOptions(ctx.endpoint, 'search-cache'), lazyConnect: true });
    client.on('error', (err: Error) => ctx.warn(err.message));
    await client.connect();
    try {
      await every(ctx, () => between(30, 120), async () => {
        const key = `search:q:${pick(TERMS).replace(/ /g, '-')}:p${between(1, 3)}`;
        if ((await client.get(key)) === null) {
          await client.set(key, JSON.stringify({ hits: between(0, 900) }), 'EX', between(30, 300));
        }
      });
    } finally {
      await closeClient(() => client.quit(), () => client.disconnect());
    }
  },
};
