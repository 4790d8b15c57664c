// Reads the server's command logs incrementally, by entry id: SLOWLOG on every server, COMMANDLOG
// (slow, large-request, large-reply) where it exists (Valkey 8.1+; it is tried once, and a refusal
// or an unknown command is remembered, never retried). Each read costs one `GET 1` per log when
// nothing is new, and at most LENS_BOUNDS.logReadMax entries when something is. Server settings
// (slowlog-log-slower-than, slowlog-max-len) are never changed: the log is what the owner keeps.
//
// Ids grow for the life of the server: a `SLOWLOG RESET` by someone else empties the log but keeps
// counting, so the next read simply finds fewer entries than the ids say (counted as `missed`); a
// restart starts ids again (a new run_id, or the newest id going back) and the reader starts over.
import { LENS_BOUNDS } from '../bounds.ts';
import { parseLogReply, type LogKind, type RawLogEntry } from '../parse/commandLog.ts';
import type { LensState, PollLogs } from '../types.ts';

export type { LensState };

export type Send = (args: string[]) => Promise<unknown>;

export type LogRead = PollLogs & { readonly entries: RawLogEntry[] };

const COMMANDLOG_KINDS: readonly LogKind[] = ['slow', 'large-request', 'large-reply'];

/** The server does not have the command, or will not let us run it: asking again will not help. */
export function refusal(err: unknown): 'absent' | 'refused' | undefined {
  const m = String((err as Error)?.message ?? err);
  if (/unknown command|unknown subcommand|invalid command/i.test(m)) return 'absent';
  if (/NOPERM|not allowed|not supported|disabled|unsupported|forbidden/i.test(m)) return 'refused';
  return undefined;
}

export class CommandLogReader {
  private slowlog: LensState = 'pending';
  private commandlog: LensState = 'pending';
  private readonly lastId = new Map<LogKind, number>();
  private runId: string | undefined;
  private missed = 0;

  /** One incremental read; transient errors (a timeout, a dropped connection) just skip this poll. */
  async read(send: Send, runId?: string): Promise<LogRead> {
    if (runId !== undefined && this.runId !== undefined && runId !== this.runId) this.lastId.clear();
    if (runId !== undefined) this.runId = runId;
    const entries: RawLogEntry[] = [];
    if (this.commandlog === 'pending') {
      try {
        await send(['COMMANDLOG', 'LEN', 'slow']);
        this.commandlog = 'on';
      } catch (err) {
        const r = refusal(err);
        if (r) this.commandlog = r;
      }
    }
    try {
      if (this.commandlog === 'on') {
        // SLOWLOG is COMMANDLOG's `slow` where both exist: reading both would count entries twice.
        for (const kind of COMMANDLOG_KINDS) entries.push(...(await this.readOne(send, (n) => ['COMMANDLOG', 'GET', String(n), kind], kind)));
      } else if (this.slowlog === 'pending' || this.slowlog === 'on') {
        entries.push(...(await this.readOne(send, (n) => ['SLOWLOG', 'GET', String(n)], 'slow')));
        this.slowlog = 'on';
      }
    } catch (err) {
      const r = refusal(err);
      if (r && this.commandlog === 'on') this.commandlog = r;
      else if (r) this.slowlog = r;
    }
    return { entries, slowlog: this.commandlog === 'on' ? 'on' : this.slowlog, commandlog: this.commandlog, missed: this.missed };
  }

  private async readOne(send: Send, args: (n: number) => string[], kind: LogKind): Promise<RawLogEntry[]> {
    const head = parseLogReply(await send(args(1)), kind);
    const newest = head[0]?.id;
    if (newest === undefined) return [];
    let last = this.lastId.get(kind);
    // Ids went back: the server restarted (before a poll could show the new run_id).
    if (last !== undefined && newest < last) last = undefined;
    if (last === newest) return [];
    const want = last === undefined ? LENS_BOUNDS.logReadMax : Math.min(LENS_BOUNDS.logReadMax, newest - last);
    const got = want <= 1 ? head : parseLogReply(await send(args(want)), kind);
    const fresh = got.filter((e) => last === undefined || e.id > last);
    if (last !== undefined) this.missed += Math.max(0, newest - last - fresh.length);
    let top = newest;
    for (const e of fresh) if (e.id > top) top = e.id;
    this.lastId.set(kind, top);
    return fresh.reverse();
  }
}
