// Before the services start: one short connection (traffic-seed) checks that the server answers,
// and writes the keys that some services only read (customer:*, feature:flags:*).
import { createClient } from 'redis';
import { CUSTOMERS } from './billing.ts';
import { TTL_S, errorText, nodeRedisOptions, pick, type Endpoint } from './common.ts';
import { FLAGS } from './feature-flags.ts';

/** Resolves to undefined when the server is ready, or to a reason it is not. */
export async function seed(e: Endpoint): Promise<string | undefined> {
  const client = createClient(nodeRedisOptions(e, 'traffic-seed', { reconnectStrategy: false, connectTimeout: 3000 }));
  client.on('error', () => {}); // connect() rejects with the same error
  try {
    await client.connect();
    const batch = client.multi();
    for (let i = 1; i <= CUSTOMERS; i++) {
      batch.hSet(`customer:${i}`, { name: `Customer ${i}`, plan: pick(['free', 'pro', 'enterprise']), country: pick(['DE', 'FR', 'US', 'JP']) });
      batch.expire(`customer:${i}`, TTL_S);
    }
    for (const flag of FLAGS) batch.set(`feature:flags:${flag}`, pick(['on', 'off', '10%']), { EX: TTL_S });
    await batch.execAsPipeline();
    await client.close();
    return undefined;
  } catch (err) {
    try {
      client.destroy();
    } catch {
      // never connected
    }
    const text = errorText(err);
    if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(text)) return `${text} (set REDIS_PASSWORD, and REDIS_USERNAME for an ACL user)`;
    return text;
  }
}
