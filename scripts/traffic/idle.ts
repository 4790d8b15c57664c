// admin-console: a small connection pool that is open all day and does next to nothing: each
// connection only PINGs every 10-20 s. The dashboard should show them connected but idle.
import { createClient } from 'redis';
import { between, closeClient, every, nodeRedisOptions, packageVersion, type Service } from './common.ts';

const POOL = 2;

export const idle: Service = {
  name: 'admin-console',
  label: `admin-console ×${POOL}`,
  library: 'node-redis',
  version: packageVersion('@redis/client'),
  keys: '(none: PING only)',
  async run(ctx) {
    const clients = Array.from({ length: POOL }, () => createClient(nodeRedisOptions(ctx.endpoint, 'admin-console')));
    for (const c of clients) c.on('error', (err: Error) => ctx.warn(err.message));
    try {
      await Promise.all(clients.map((c) => c.connect()));
      await Promise.all(clients.map((c) => every(ctx, () => between(10_000, 20_000), () => c.ping())));
    } finally {
      await Promise.all(clients.map((c) => closeClient(() => c.close(), () => c.destroy())));
    }
  },
};
