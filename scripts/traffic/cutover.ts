// The cutover mode of the traffic generator (--to): services that move from the source to the
// target on a schedule, as a migration's repointing does, one by one. Some stay on the source, one
// starts on the target, one writes to both (the dangerous state), the rest repoint at their time.
// Real libraries (ioredis, node-redis, redis-py); bounded loops that stop at the deadline.
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { TTL_S, closeClient, every, ioredisOptions, nodeRedisOptions, type Ctx, type Endpoint } from './common.ts';

export interface CutoverStep {
  readonly name: string;
  readonly library: 'ioredis' | 'node-redis' | 'redis-py';
  /**
   * When it repoints, as a fraction of the run: null = stays on the source; 0 = on the target
   * from the start. `dual`: from then on it writes to both endpoints.
   */
  readonly moveAt: number | null;
  readonly dual?: boolean;
}

/** The schedule. A test derives the states it expects from it. */
export const CUTOVER_PLAN: readonly CutoverStep[] = [
  { name: 'cutover-billing', library: 'node-redis', moveAt: null },
  { name: 'cutover-sessions', library: 'ioredis', moveAt: 0.1 },
  { name: 'cutover-ledger', library: 'ioredis', moveAt: 0.2, dual: true },
  { name: 'cutover-reports', library: 'redis-py', moveAt: 0.25 },
  { name: 'cutover-cart', library: 'node-redis', moveAt: 0.55 },
  { name: 'cutover-newsvc', library: 'ioredis', moveAt: 0 },
];

/** A tiny facade over both Node libraries: set and get, and close. */
interface Conn {
  set(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  close(): Promise<void>;
}

async function open(step: CutoverStep, e: Endpoint, ctx: Ctx): Promise<Conn> {
  if (step.library === 'ioredis') {
    const c = new Redis({ ...ioredisOptions(e, step.name), lazyConnect: true, maxRetriesPerRequest: 1 });
    c.on('error', (err: Error) => ctx.warn(err.message));
    await c.connect();
    return {
      set: (k, v) => c.set(k, v, 'EX', TTL_S),
      get: (k) => c.get(k),
      close: () => closeClient(() => c.quit(), () => c.disconnect()),
    };
  }
  const c = createClient(nodeRedisOptions(e, step.name));
  c.on('error', (err: Error) => ctx.warn(err.message));
  await c.connect();
  return {
    set: (k, v) => c.set(k, v, { EX: TTL_S }),
    get: (k) => c.get(k),
    close: () => closeClient(() => c.quit(), () => c.disconnect()),
  };
}

/** Runs one Node service of the plan until the run stops: on the source, then (at its time) on the target. */
export async function runStep(step: CutoverStep, source: Endpoint, target: Endpoint, ctx: Ctx, startedAt: number, durationMs: number): Promise<void> {
  const moveAt = step.moveAt === null ? Infinity : startedAt + step.moveAt * durationMs;
  let onSource: Conn | undefined = step.moveAt === 0 ? undefined : await open(step, source, ctx);
  let onTarget: Conn | undefined = step.moveAt === 0 ? await open(step, target, ctx) : undefined;
  const prefix = step.name.replace(/^cutover-/, '');
  let n = 0;
  try {
    await every(ctx, () => 100, async () => {
      if (!onTarget && Date.now() >= moveAt) {
        onTarget = await open(step, target, ctx);
        // Repointed: the source connection goes, unless the service writes to both.
        if (!step.dual && onSource) {
          await onSource.close();
          onSource = undefined;
        }
      }
      n++;
      const key = `${prefix}:${n % 50}`;
      for (const c of [onSource, onTarget]) {
        if (!c) continue;
        await c.set(key, String(n));
        await c.get(`${prefix}:${(n + 13) % 50}`);
      }
    });
  } finally {
    await Promise.all([onSource?.close(), onTarget?.close()]);
  }
}
