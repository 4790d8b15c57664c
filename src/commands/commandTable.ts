// Entry point of the command table. Here: the shipped table (data/command-table.json, written by
// scripts/gen-command-table.ts from real servers) and the live one (the server's own COMMAND reply
// merged over the shipped file). Reading replies: commandInfo.ts; compiling/classifying: compile.ts.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeCommandInfos, readCommandReply, type CommandInfo } from './commandInfo.ts';
import { CommandTable } from './compile.ts';

export { CommandTable, buildCommandTable } from './compile.ts';
export {
  readCommandReply,
  readCommandEntry,
  mergeCommandInfos,
  mergeCommandReplies,
  type CommandInfo,
  type KeySpecInfo,
  type BeginSearch,
  type FindKeys,
} from './commandInfo.ts';

export interface CommandTableFile {
  readonly generatedAt: string;
  readonly sources: ReadonlyArray<{ readonly server: string; readonly version: string }>;
  /** Raw COMMAND entries (RESP2 shape), valkey's first, then those only redis has. */
  readonly commands: unknown[];
}

export interface ServerCommandTable {
  readonly table: CommandTable;
  readonly source: 'server' | 'fallback';
  /** Why the server's own table could not be used (source 'fallback'). */
  readonly warning?: string;
}

/** Loosely a node-redis client (RESP2). */
export interface CommandSender {
  sendCommand(args: string[]): Promise<unknown>;
}

const FILE = join('data', 'command-table.json');

/** data/command-table.json, found from this module upwards (src/commands under tsx, dist/src/commands when built). */
export function fallbackCommandTablePath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, FILE);
    if (existsSync(p)) return p;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', FILE);
}

let fileCache: { file: CommandTableFile; infos: CommandInfo[] } | undefined;

function loadFile(): { file: CommandTableFile; infos: CommandInfo[] } {
  if (fileCache === undefined) {
    const file = JSON.parse(readFileSync(fallbackCommandTablePath(), 'utf8')) as CommandTableFile;
    fileCache = { file, infos: readCommandReply(file.commands) };
  }
  return fileCache;
}

/** The header and raw entries of the shipped file. */
export function readFallbackCommandFile(): CommandTableFile {
  return loadFile().file;
}

/** A classifier from the shipped file alone (replaying a capture, COMMAND forbidden, …). */
export function loadFallbackCommandTable(): CommandTable {
  return new CommandTable(loadFile().infos);
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * The server's own table merged over the shipped one: the server wins; the shipped file fills
 * commands the server does not list and key specs / subcommands a pre-7.0 server does not report.
 * When COMMAND fails (NOPERM, renamed/disabled, timeout) or its reply cannot be read, the shipped
 * table alone, with the reason.
 */
export async function commandTableFromServer(client: CommandSender): Promise<ServerCommandTable> {
  const fallback = loadFile().infos;
  let reply: unknown;
  try {
    reply = await client.sendCommand(['COMMAND']);
  } catch (err) {
    return {
      table: new CommandTable(fallback),
      source: 'fallback',
      warning: `COMMAND failed (${describe(err)}); using the shipped command table`,
    };
  }
  const infos = readCommandReply(reply);
  if (infos.length === 0) {
    return {
      table: new CommandTable(fallback),
      source: 'fallback',
      warning: 'COMMAND returned no readable entries; using the shipped command table',
    };
  }
  return { table: new CommandTable(mergeCommandInfos(infos, fallback)), source: 'server' };
}

let writes: ((command: string) => boolean) | undefined;

/**
 * Whether a command (`SET`, `CLIENT|KILL`, as CLIENT LIST's `cmd=` names it) writes, by the shipped
 * table (loaded once, about 15 ms). For figures that only have a command's name.
 */
export function writesByName(): (command: string) => boolean {
  if (!writes) {
    const table = loadFallbackCommandTable();
    const memo = new Map<string, boolean>();
    writes = (command) => {
      let w = memo.get(command);
      if (w === undefined) {
        w = table.classify(command.toLowerCase().split('|')).access === 'write';
        if (memo.size < 4096) memo.set(command, w);
      }
      return w;
    };
  }
  return writes;
}
