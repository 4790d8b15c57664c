// Writes a file so that a reader, or a crash, never sees half of it: the new content goes to a
// temporary file beside the target and is renamed over it only once fully written and synced.
// Content may come as chunks (an export of a large fleet): they are gathered into writes of about
// WRITE_CHUNK characters, so memory holds one such piece, not the whole file.
import { rmSync } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { NOT_REGULAR } from '../paths.ts';

const WRITE_CHUNK = 1 << 16;

/** Temporary files being written now: removed if the process exits before they are renamed. */
const pending = new Set<string>();
let exitHook = false;

/**
 * Removes every temporary file still being written (synchronous: called on exit and from signal
 * handlers). A process ended in the middle of an export leaves the last good file, and nothing else.
 */
export function removePendingTemps(): void {
  for (const tmp of pending) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* gone already */
    }
  }
  pending.clear();
}

export async function writeFileAtomic(path: string, content: string | Iterable<string> | AsyncIterable<string>): Promise<void> {
  // The rename would replace whatever the path names: never a device, a FIFO or a socket.
  const existing = await stat(path).catch(() => undefined);
  if (existing && !existing.isFile() && !existing.isDirectory()) throw new Error(NOT_REGULAR);
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', removePendingTemps);
  }
  pending.add(tmp);
  try {
    await writeThenRename(tmp, path, content);
  } finally {
    pending.delete(tmp);
  }
}

async function writeThenRename(tmp: string, path: string, content: string | Iterable<string> | AsyncIterable<string>): Promise<void> {
  const handle = await open(tmp, 'w', 0o600);
  try {
    if (typeof content === 'string') await handle.writeFile(content, 'utf8');
    else {
      // writeFile on a handle writes from its current position, so successive calls append.
      let buffered = '';
      for await (const chunk of content) {
        buffered += chunk;
        if (buffered.length >= WRITE_CHUNK) {
          await handle.writeFile(buffered, 'utf8');
          buffered = '';
        }
      }
      if (buffered !== '') await handle.writeFile(buffered, 'utf8');
    }
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
