// Commands a collector sends outside the poller (the cluster topology and the command table on the
// poll connection, the keyspace sampler on its own, MONITOR's connection set-up), counted by their
// INFO commandstats name so the command mix leaves every one of redis-recon's own calls out. Left
// in, the sampler's HPEXPIRETIME on Redis 7.4 reads as a command the Valkey target lacks.
import type { Redis } from '../sources/connect.ts';
import { statName } from '../sources/poller.ts';

export class OwnCalls {
  private readonly counts: Record<string, number> = {};

  add(name: string, n = 1): void {
    this.counts[name] = (this.counts[name] ?? 0) + n;
  }

  /** One command as sent (its first two arguments name it). */
  sent(args: ReadonlyArray<string | Buffer>): void {
    this.add(statName(args.slice(0, 2).map(String)));
  }

  /** What node-redis sends when one of our connections opens: its name and library (SETINFO twice). */
  opened(): void {
    this.add('client|setname');
    this.add('client|setinfo', 2);
  }

  /** The counts so far, with `more` added (a copy). */
  with(more: Readonly<Record<string, number>> = {}): Record<string, number> {
    const out = { ...this.counts };
    for (const [k, v] of Object.entries(more)) out[k] = (out[k] ?? 0) + v;
    return out;
  }
}

/**
 * The poll client as code outside the poller sees it: every `sendCommand` counted first. A proxy,
 * so those callers keep the client type they already take.
 */
export function countedClient(client: Redis, own: OwnCalls): Redis {
  return new Proxy(client, {
    get(target, key) {
      if (key === 'sendCommand') {
        return (args: Array<string | Buffer>, ...rest: unknown[]) => {
          own.sent(args);
          return Reflect.apply(target.sendCommand, target, [args, ...rest]) as unknown;
        };
      }
      const v = Reflect.get(target, key, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
