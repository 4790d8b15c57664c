// What connections did: per-client counts (commands, reads and writes, key patterns, top keys,
// databases, rate) and the server-wide aggregates (pattern tree, key sketch, totals), updated in
// place for each MONITOR event. Every structure is bounded (src/bounds.ts). Who the event belongs
// to is decided before (ledger.ts); whether its keys are an access is decided here.
import { BOUNDS } from '../bounds.ts';
import type { Classified } from '../types.ts';
import { BoundedCounter } from './boundedCounter.ts';
import { ClientPatterns } from './clientPatterns.ts';
import { PatternTree } from './patternTree.ts';
import { EwmaRate } from './rate.ts';
import { keyHash, SpaceSaving } from './spaceSaving.ts';

/** Databases counted per client (the busiest ones; more would say nothing new). */
const DBS_PER_CLIENT = 16;

export class ClientActivity {
  events = 0;
  reads = 0;
  writes = 0;
  /** Smoothed ops/s, the same moving average the prefix tree uses, so the column does not flicker. */
  readonly rate = new EwmaRate();
  /** The rate last published, rounded: a view is rebuilt only when what it shows changes. */
  shownRate = 0;
  readonly commands = new BoundedCounter(BOUNDS.commandsPerClient);
  /** Reads and writes per key pattern: depth 1 and 2 exact, deeper ones in a sketch. */
  readonly patterns = new ClientPatterns();
  readonly keys = new SpaceSaving(BOUNDS.topKeysPerClient, { admission: 'randomized' });
  private readonly dbCounts = new Map<number, number>();
  /** Events in `lastDb` not yet in dbCounts: a connection stays in one database, and three map operations per event were 2% of a capture's time. */
  private lastDb = -1;
  private lastDbPending = 0;
  /** The last commands (a ring: name, first key, time in ms), for the detail pane's tail. */
  private readonly recentCmd: string[] = [];
  private readonly recentKey: string[] = [];
  private readonly recentAt: number[] = [];
  private recentNext = 0;

  remember(command: string, key: string, at: number): void {
    const i = this.recentNext;
    this.recentCmd[i] = command;
    this.recentKey[i] = key;
    this.recentAt[i] = at;
    this.recentNext = (i + 1) % BOUNDS.recentCommandsPerClient;
  }

  /** The last commands, newest first. */
  recent(): Array<{ command: string; key: string; at: number }> {
    const out: Array<{ command: string; key: string; at: number }> = [];
    const n = this.recentCmd.length;
    for (let k = 1; k <= n; k++) {
      const i = (this.recentNext - k + n) % n;
      out.push({ command: this.recentCmd[i]!, key: this.recentKey[i]!, at: this.recentAt[i]! });
    }
    return out;
  }

  /**
   * Adds what `other` counted (a connection the ledger split off by mistake, folded back into the
   * one it was). Key counts past the sketch's capacity stay approximate, as the sketch always is.
   */
  absorb(other: ClientActivity): void {
    this.events += other.events;
    this.reads += other.reads;
    this.writes += other.writes;
    for (const e of other.commands.entries()) this.commands.add(e.key, e.count);
    this.patterns.absorb(other.patterns);
    for (const k of other.keys.top()) this.keys.offer(k.key, k.count);
    for (const [db, n] of other.dbs) this.countDb(db, n);
  }

  /** Events per database (the DBS_PER_CLIENT first seen). */
  get dbs(): ReadonlyMap<number, number> {
    this.settleDb();
    return this.dbCounts;
  }

  countDb(db: number, n = 1): void {
    if (db !== this.lastDb) {
      this.settleDb();
      this.lastDb = db;
    }
    this.lastDbPending += n;
  }

  private settleDb(): void {
    const db = this.lastDb;
    const n = this.lastDbPending;
    if (n === 0) return;
    this.lastDbPending = 0;
    const dbs = this.dbCounts;
    if (dbs.has(db) || dbs.size < DBS_PER_CLIENT) dbs.set(db, (dbs.get(db) ?? 0) + n);
  }
}

export class ServerActivity {
  /** Traffic per key pattern: the heatmap. */
  readonly tree: PatternTree;
  readonly keys = new SpaceSaving(BOUNDS.topKeys, { admission: 'randomized' });
  readonly rate = new EwmaRate();
  events = 0;
  reads = 0;
  writes = 0;
  keyed = 0;

  constructor(readonly delimiter: string) {
    this.tree = new PatternTree(delimiter);
  }
}

/**
 * Counts one event for `client` and for the server. A script call (EVAL, EVALSHA, FCALL and their
 * _RO forms) counts as a command but neither reads nor writes, and its declared keys are not
 * counted: the `[lua]` lines that follow it are the script's accesses, counted with their own read
 * or write sense (counting both read every script key twice, once as a write). Our own
 * connections' commands (`self`) count as commands only.
 */
export function countEvent(client: ClientActivity, server: ServerActivity, c: Classified, db: number, self = false, atMs?: number): void {
  client.countDb(db);
  client.events++;
  client.commands.add(c.command);
  server.events++;
  if (atMs !== undefined && !self) {
    const k = c.keys[0]?.key ?? '';
    client.remember(c.command, k.length > 120 ? k.slice(0, 120) : k, atMs);
  }
  // redis-recon's own connections (the keyspace sampler's TYPE, MEMORY USAGE… on every key it
  // inspects) are never traffic: no reads, writes or key patterns from them.
  if (c.script || self) return;
  if (c.access === 'read') {
    client.reads++;
    server.reads++;
  } else if (c.access === 'write') {
    client.writes++;
    server.writes++;
  }
  const keys = c.keys;
  for (let i = 0; i < keys.length; i++) {
    const touch = keys[i]!;
    const key = touch.key.length > BOUNDS.keyLength ? touch.key.slice(0, BOUNDS.keyLength) : touch.key;
    server.keyed++;
    // The key's pattern chain, counted for the server and (through the leaf's handle, used at
    // once) for the client: no substring is made per prefix.
    client.patterns.add(server.tree.add(key, touch.write), touch.write);
    // One copy of a new key serves both sketches: kept strings outlive young collections, so
    // on streams of one-off keys every extra copy is old-generation garbage.
    // Hashed once for both sketches (they share the hash function).
    const hash = keyHash(key);
    const held = server.keys.offer(key, 1, false, hash);
    client.keys.offer(held ?? key, 1, held !== undefined, hash);
  }
}

/** Two significant digits, and nothing below 0.01/s: a decaying average settles instead of redrawing forever. */
export function roundRate(r: number): number {
  if (!(r >= 0.01)) return 0;
  const scale = 10 ** (Math.floor(Math.log10(r)) - 1);
  return Math.round(r / scale) * scale;
}
