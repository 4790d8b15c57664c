// File errors in words. Node reports them as errno codes (ENOENT, EACCES…); a person reading the
// status bar or stderr needs the sentence, not the code.
const WORDS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  EEXIST: 'already exists',
  EBUSY: 'busy',
  EIO: 'input/output error',
  ELOOP: 'too many symbolic links',
};

/** An error from the fs module as a short phrase (`no such file or directory`); the message otherwise. */
export function fileError(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const code = e?.code;
  if (code && WORDS[code]) return WORDS[code];
  return (e?.message ?? String(err)).split('\n')[0] ?? 'unknown error';
}
