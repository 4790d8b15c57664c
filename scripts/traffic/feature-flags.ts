// An unnamed client: something reads feature:flags:* but never says who it is. ioredis 5.3.2
// (the `ioredis-v5-3` alias) predates CLIENT SETINFO, and no connectionName is set, so CLIENT LIST
// shows name= and lib-name= both empty: the dashboard must find it from its address and keys alone.
import { Redis } from 'ioredis-v5-3';
import { between, chance, closeClient, every, ioredisOptions, packageVersion, pick, type Service } from './common.ts';

export const FLAGS = ['checkout-v2', 'dark-mode', 'new-search', 'one-click-buy', 'reco-engine', 'valkey-cutover'];

export const featureFlags: Service = {
  name: '',
  label: '(unnamed)',
  library: 'ioredis',
  version: packageVersion('ioredis-v5-3'),
  keys: 'feature:flags:* (read)',
  async run(ctx) {
    const client = new Redis({ ...ioredisOptions(ctx.endpoint), lazyConnect: true });
    client.on('error', (err: Error) => ctx.warn(err.message));
    await client.connect();
    try {
      // Like an app that loads every flag at boot, then rereads them now and then or one at a time.
      let booted = false;
      await every(ctx, () => between(400, 1500), async () => {
        if (!booted || chance(0.3)) {
          await client.mget(...FLAGS.map((f) => `feature:flags:${f}`));
          booted = true;
        } else await client.get(`feature:flags:${pick(FLAGS)}`);
      });
    } finally {
      await closeClient(() => client.quit(), () => client.disconnect());
    }
  },
};
