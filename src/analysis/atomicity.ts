// Work a cluster must run on one hash slot: a multi-key call, the commands of one MULTI … EXEC,
// and one script run (the keys declared to it and the keys its commands touched). On a
// cluster-mode target, keys in two slots get CROSSSLOT (or "Script attempted to access a non
// local key"). This module follows each client's open transaction and the current script run,
// bounded, and counts the units that would fail, with the first one's keys and commands.
//
// What MONITOR shows (checked on valkey-server 8.0 and redis-server 7.0, see
// test/int-atomicity.test.ts): `MULTI` when issued; nothing while commands are queued; at `EXEC`,
// each queued command as it runs, then `EXEC`. DISCARD shows `MULTI`, `DISCARD`; EXECABORT (a queued
// command refused) and a WATCH that failed show `MULTI`, `EXEC` with nothing between. So the lines
// of one client between its `MULTI` and its `EXEC` are exactly the transaction that ran. A script
// call is shown before it runs, and its own commands follow at once as `[db lua]` lines.
import { BOUNDS } from '../bounds.ts';
import type { Classified, KeyTouch } from '../types.ts';
import { detach } from './boundedCounter.ts';
import { isCrossSlot, slotOf } from './slots.ts';

/** Keys and command names kept as the example of one unit of work. */
export const EXAMPLE_KEYS = 8;
export const EXAMPLE_COMMANDS = 8;

/** Units of work (transactions or script runs) whose keys hash to more than one slot. */
export interface CrossSlotUnits {
  readonly count: number;
  /** The first such unit: its first key, then the first key seen in each other slot. */
  readonly example: readonly string[];
  /** That unit's commands, in order (MULTI/EXEC left out; for a script, the call then its commands). */
  readonly commands: readonly string[];
}

const NONE: CrossSlotUnits = Object.freeze({ count: 0, example: Object.freeze([]), commands: Object.freeze([]) });

/** The keys of one unit of work, checked for one slot as they come, in bounded memory. */
export class SlotGroup {
  private slot = -1;
  crossSlot = false;
  readonly keys: string[] = [];
  private readonly slots: number[] = [];
  readonly commands: string[] = [];

  /** Adds one command and its keys; true when this call is what put the group across slots. */
  add(command: string, keys: readonly KeyTouch[]): boolean {
    if (this.commands.length < EXAMPLE_COMMANDS) this.commands.push(command);
    const was = this.crossSlot;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!.key;
      const s = slotOf(key);
      if (this.slot < 0) this.slot = s;
      else if (s !== this.slot) this.crossSlot = true;
      if (this.keys.length < EXAMPLE_KEYS && !this.slots.includes(s)) {
        this.slots.push(s);
        this.keys.push(detach(key));
      }
    }
    return this.crossSlot && !was;
  }
}

/** One client's record of work across slots. */
export class ClientAtomicity {
  /** Multi-key calls whose keys hash to different slots, with the first such call's keys. */
  calls: { count: number; example: readonly string[] } = { count: 0, example: [] };
  transactions: CrossSlotUnits = NONE;
  scripts: CrossSlotUnits = NONE;
  /** The transaction this client has open (between MULTI and EXEC/DISCARD), if any. */
  txn: SlotGroup | undefined;

  /** Adds another record's counts (a connection split off by mistake, folded back). */
  absorb(other: ClientAtomicity): void {
    this.calls = merged(this.calls, other.calls);
    this.transactions = merged(this.transactions, other.transactions);
    this.scripts = merged(this.scripts, other.scripts);
  }
}

function merged<T extends { count: number; example: readonly string[] }>(a: T, b: T): T {
  if (b.count === 0) return a;
  if (a.count === 0) return b;
  return { ...a, count: a.count + b.count };
}

function counted(units: CrossSlotUnits, group: SlotGroup): CrossSlotUnits {
  if (units.count > 0) return { ...units, count: units.count + 1 };
  return { count: 1, example: group.keys.slice(), commands: group.commands.slice() };
}

/** Anything the session tracks per client: a ledger record. */
export interface Owner {
  readonly atomic: ClientAtomicity;
}

/** Follows open transactions and the current script run for the whole session. */
export class Atomicity<T extends Owner = Owner> {
  /** Clients with an open transaction, oldest first, at most BOUNDS.openTransactions. */
  private readonly open = new Set<T>();
  /** The current script run; `example`: it is its client's first cross-slot run, whose example grows with it. */
  private script: { owner: T; group: SlotGroup; example: boolean } | undefined;

  /**
   * One command, after the ledger decided whose it is. `lua`: a command a script ran (its owner is
   * the script's caller). Call `startScript` after this for a script call.
   */
  command(owner: T, c: Classified, lua: boolean): void {
    const a = owner.atomic;
    if (!lua) {
      // Any client's line ends the script run before it: scripts run atomically, so their lines
      // follow the call with nothing in between.
      this.endScript();
      if (c.command === 'MULTI') {
        this.openTransaction(owner);
        return;
      }
      if (c.command === 'EXEC') {
        if (a.txn?.crossSlot) a.transactions = counted(a.transactions, a.txn);
        this.close(owner);
        return;
      }
      if (c.command === 'DISCARD') {
        this.close(owner);
        return;
      }
      // A script's declared keys are its run's (below), not a multi-key call of their own.
      if (!c.script && c.keys.length > 1 && isCrossSlot(c.keys.map((k) => k.key))) {
        a.calls = a.calls.count === 0
          ? { count: 1, example: c.keys.slice(0, EXAMPLE_KEYS).map((k) => detach(k.key)) }
          : { count: a.calls.count + 1, example: a.calls.example };
      }
    } else if (this.script !== undefined && this.script.owner === owner) {
      const run = this.script;
      const before = run.group.commands.length + run.group.keys.length;
      if (run.group.add(c.command, c.keys)) this.flagScript();
      else if (run.example && run.group.commands.length + run.group.keys.length !== before) {
        // The client's example run goes on: its example shows the whole run (bounded copies).
        a.scripts = { count: a.scripts.count, example: run.group.keys.slice(), commands: run.group.commands.slice() };
      }
    }
    a.txn?.add(c.command, c.keys);
  }

  /** A script call (EVAL, EVALSHA, FCALL, …): its run begins with the keys declared to it. */
  startScript(owner: T, c: Classified): void {
    this.endScript();
    this.script = { owner, group: new SlotGroup(), example: false };
    if (this.script.group.add(c.command, c.keys)) this.flagScript();
  }

  /** Counted as soon as it crosses slots (a run ends only with the next client's line). */
  private flagScript(): void {
    const run = this.script!;
    const a = run.owner.atomic;
    run.example = a.scripts.count === 0;
    a.scripts = counted(a.scripts, run.group);
  }

  private endScript(): void {
    this.script = undefined;
  }

  /** The connection left (or is forgotten): its open transaction ends with it, unexecuted. */
  close(owner: T): void {
    owner.atomic.txn = undefined;
    this.open.delete(owner);
    if (this.script?.owner === owner) this.endScript();
  }

  /** Open transactions now (tests and bounds). */
  get openTransactions(): number {
    return this.open.size;
  }

  private openTransaction(owner: T): void {
    this.open.delete(owner);
    owner.atomic.txn = new SlotGroup();
    this.open.add(owner);
    // A MULTI whose EXEC we never see (MONITOR paused, the line dropped) must not hold memory for
    // ever: past the bound the oldest open transaction is forgotten, unjudged.
    if (this.open.size > BOUNDS.openTransactions) {
      const oldest = this.open.values().next().value as T;
      this.close(oldest);
    }
  }
}
