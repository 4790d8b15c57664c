// edge-gateway: a per-IP rate limiter written as a Lua script, on current ioredis. It calls
// EVALSHA and falls back to EVAL when the server does not know the script yet (first call, or after
// a restart), and an older code path still sends EVAL every time: MONITOR shows both, plus the
// script's own INCR/EXPIRE as [db lua] lines. The IPs are documentation addresses, only key names.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { between, chance, closeClient, every, ioredisOptions, packageVersion, type Service } from './common.ts';

const LIMIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n`;
const LIMIT_SHA = createHash('sha1').update(LIMIT).digest('hex');
const WINDOW_S = '60';

export const rateLimiter: Service = {
  name: 'edge-gateway',
  library: 'ioredis',
  version: packageVersion('ioredis'),
  keys: 'ratelimit:<ip> (EVAL/EVALSHA)',
  async run(ctx) {
    const client = new Redis({ ...ioredisOptions(ctx.endpoint, 'edge-gateway'), lazyConnect: true });
    client.on('error', (err: Error) => ctx.warn(err.message));
    await client.connect();
    try {
      await every(ctx, () => between(20, 90), async () => {
        const key = `ratelimit:203.0.113.${between(1, 40)}`;
        if (chance(0.05)) return client.eval(LIMIT, 1, key, WINDOW_S);
        try {
          return await client.evalsha(LIMIT_SHA, 1, key, WINDOW_S);
        } catch (err) {
          if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
          return client.eval(LIMIT, 1, key, WINDOW_S);
        }
      });
    } finally {
      await closeClient(() => client.quit(), () => client.disconnect());
    }
  },
};
