// Writes a file so that a reader, or a crash, never sees half of it: the new content goes to a
// temporary file beside the target and is renamed over it only once fully written and synced.
// Content may come as chunks (an export of a large fleet): they are gathered into writes of about
// WRITE_CHUNK characters, so memory holds one such piece, not the whole file.
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const WRITE_CHUNK = 1 << 16;

export async function writeFileAtomic(path: string, content: string | Iterable<string> | AsyncIterable<string>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(tmp, 'w', 0o600);
  try {
    if (typeof content === 'string') await handle.writeFile(content, 'utf8');
    else {
      // writeFile on a handle writes from its current position, so successive calls append.
      let pending = '';
      for await (const chunk of content) {
        pending += chunk;
        if (pending.length >= WRITE_CHUNK) {
          await handle.writeFile(pending, 'utf8');
          pending = '';
        }
      }
      if (pending !== '') await handle.writeFile(pending, 'utf8');
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
