// SLOWLOG GET / COMMANDLOG GET replies → entries. Total: any reply yields a list, nothing throws.
//
// Each entry (RESP2) is `[id, unix time s, value, [args…], client addr, client name]`: the value is
// the execution time in µs (SLOWLOG, COMMANDLOG slow) or the request/reply size in bytes
// (COMMANDLOG large-request/large-reply); addr and name are there since Redis 4.0. The server cuts
// what it keeps: at most 32 arguments, the last replaced by `... (N more arguments)`, and each
// argument at 128 bytes followed by `... (N more bytes)`.

/** Which log an entry came from: SLOWLOG is COMMANDLOG's `slow` on servers that have both. */
export type LogKind = 'slow' | 'large-request' | 'large-reply';

export interface RawLogEntry {
  readonly kind: LogKind;
  readonly id: number;
  /** Unix time in seconds, as the server stamped it. */
  readonly time: number;
  /** µs for `slow`, bytes for the `large-*` kinds. */
  readonly value: number;
  /** Arguments as logged, the server's own cuts undone where they can be (see `uncut`). */
  readonly args: readonly string[];
  /** How the server printed the client's address (`ip:port`, `[v6]:port`, `/path.sock:0`). */
  readonly addr: string;
  readonly name: string;
  /** Arguments the server left out (`... (N more arguments)`). */
  readonly argsLeftOut: number;
}

const MORE_ARGS = /^\.\.\. \((\d+) more arguments\)$/;
const MORE_BYTES = /\.\.\. \((\d+) more bytes\)$/;

const text = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'number' ? String(v) : undefined;

const int = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
};

/** An argument the server cut at 128 bytes keeps what it had, marked with `…`. */
function uncut(arg: string): string {
  const m = MORE_BYTES.exec(arg);
  return m ? `${arg.slice(0, m.index)}…` : arg;
}

/** One reply of `SLOWLOG GET n` or `COMMANDLOG GET n <kind>`, newest first as the server sends it. */
export function parseLogReply(reply: unknown, kind: LogKind): RawLogEntry[] {
  const out: RawLogEntry[] = [];
  if (!Array.isArray(reply)) return out;
  for (const e of reply) {
    if (!Array.isArray(e) || e.length < 4) continue;
    const id = int(e[0]);
    const time = int(e[1]);
    const value = int(e[2]);
    if (id === undefined || time === undefined || value === undefined || !Array.isArray(e[3])) continue;
    const args: string[] = [];
    let argsLeftOut = 0;
    for (const a of e[3] as unknown[]) {
      const t = text(a);
      if (t === undefined) continue;
      const more = MORE_ARGS.exec(t);
      if (more) argsLeftOut = Number(more[1]);
      else args.push(uncut(t));
    }
    out.push({ kind, id, time, value, args, addr: text(e[4]) ?? '', name: text(e[5]) ?? '', argsLeftOut });
  }
  return out;
}
