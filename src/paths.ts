// File paths the user names: `~` expanded as a shell would (a value from .env or `--export=~/x`
// never passes through one), and an output path checked before a run starts rather than after it.
import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileErrorText } from './fileErrors.ts';

/** `~` and `~/…` (or `~\…`) become the home directory; `~user` and everything else stay as given. */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === '~') return home;
  if (path.startsWith('~/') || path.startsWith('~\\')) return join(home, path.slice(2));
  return path;
}

/** Why an export may not replace what its path names. */
export const NOT_REGULAR = 'is not a regular file (an export replaces the file it names)';

/**
 * Why a file could not be written at `path`, in words, or undefined when it can: its directory
 * exists and is writable and the path is not a directory. Files are written to a temporary file
 * beside the target and renamed into place, so it is the directory that must be writable.
 */
export function unwritablePath(path: string, opts: { replaces?: boolean } = {}): string | undefined {
  const target = resolve(path);
  try {
    const st = statSync(target);
    if (st.isDirectory()) return 'is a directory';
    // An export is renamed over the path it names: over a device, a FIFO or a socket that would
    // replace the node itself (as root, /dev/stdout or /dev/full).
    if (opts.replaces && !st.isFile()) return NOT_REGULAR;
  } catch (err) {
    // Missing (or under a file): the directory check below says which directory is wrong.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return fileErrorText(err, 'write');
  }
  const dir = dirname(target);
  try {
    if (!statSync(dir).isDirectory()) return `not a directory: ${dir}`;
    accessSync(dir, constants.W_OK);
  } catch (err) {
    return `${fileErrorText(err, 'write')}: ${dir}`;
  }
  return undefined;
}
