// One call for "write the inventory to this path": picks the format by extension and writes
// atomically, so an export never destroys one already written. Used by headless runs and the
// dashboard's export key alike.
import type { ReconState } from '../store.ts';
import { monitorElapsedMs } from '../store.ts';
import { buildInventory, type Inventory } from './inventory.ts';
import { formatForPath, inventoryChunks } from './formats.ts';
import { writeFileAtomic } from './writeAtomic.ts';
import { TOOL_VERSION } from '../version.ts';
import { fileErrorText } from '../fileErrors.ts';

export interface ExportContext {
  readonly includeSelf?: boolean;
  readonly target?: { id: string; title: string };
  readonly now?: () => number;
}

export type ExportResult = { ok: true; path: string; inventory: Inventory } | { ok: false; error: string; inventory: Inventory };

export function inventoryOf(state: ReconState, ctx: ExportContext): Inventory {
  const endMs = (ctx.now ?? Date.now)();
  return buildInventory(state, {
    toolVersion: TOOL_VERSION,
    endMs,
    includeSelf: ctx.includeSelf,
    monitorOnMs: monitorElapsedMs(state.monitor, endMs),
    target: ctx.target,
  });
}

export async function exportInventory(state: ReconState, path: string, ctx: ExportContext): Promise<ExportResult> {
  const inventory = inventoryOf(state, ctx);
  const format = formatForPath(path);
  if (!format) return { ok: false, error: `cannot tell the format of ${path}: use .json, .csv or .md`, inventory };
  try {
    await writeFileAtomic(path, inventoryChunks(inventory, format));
    return { ok: true, path, inventory };
  } catch (err) {
    return { ok: false, error: `cannot write ${path}: ${fileErrorText(err, 'write')}`, inventory };
  }
}
