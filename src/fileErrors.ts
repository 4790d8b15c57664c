// File errors in words, for every message about a file the user named (--export, --record,
// --replay, --monitor-log, --client-list, --libraries, --target, TLS files): "no such directory",
// not ENOENT. One table, shared by every caller.
import { getSystemErrorMap } from 'node:util';

/** What the user was doing with the file: for a write, a missing path means a missing directory. */
export type FileOp = 'read' | 'write';

const WORDS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  ENAMETOOLONG: 'file name too long',
  ELOOP: 'too many symbolic links',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EIO: 'input/output error',
  EBUSY: 'file is busy',
  EEXIST: 'already exists',
  ETXTBSY: 'file is busy',
};

/** The error as a few words ("no such file", "permission denied"); never an errno code alone. */
export function fileErrorText(err: unknown, op: FileOp = 'read'): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code === 'ENOENT') return op === 'write' ? 'no such directory' : 'no such file';
  if (code !== undefined && WORDS[code]) return WORDS[code];
  // Any other system error: libuv's own description ("connection reset by peer"), never the code.
  if (typeof e?.errno === 'number') {
    const described = getSystemErrorMap().get(e.errno)?.[1];
    if (described) return described;
  }
  const message = String(e?.message ?? err ?? 'unknown error').split('\n')[0] ?? '';
  // "ENOSYS: function not implemented, open 'x'" → "function not implemented".
  return /^E[A-Z]+: ([^,]+)/.exec(message)?.[1] ?? message;
}
