// What went wrong on the command line, as one sentence: a mistyped flag gets the nearest real one,
// and nothing the user typed as a value is echoed (it may be a password).
import { closestMatch } from 'leven';

/** Long flag names the user may type (without `--`). */
export type FlagNames = readonly string[];

/** One sentence for a `parseArgs` error; `argv` is what the user typed. */
export function describeArgvError(err: unknown, argv: readonly string[], flags: FlagNames): string {
  const e = err as { code?: string; message?: string };
  const message = String(e?.message ?? err);
  if (e?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = /Unknown option '([^']+)'/.exec(message)?.[1] ?? '';
    return unknownOption(option, argv, flags);
  }
  if (e?.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /Unexpected argument '([^]*)'\. This command/.exec(message)?.[1] ?? '';
    // Never echoed: a URL may hold a password, and a stray word on a command line often is one.
    const at = argv.indexOf(arg);
    const which = at >= 0 ? `unexpected argument ${at + 1}` : 'unexpected argument';
    if (/^(redis|rediss|unix):\/\//i.test(arg)) return `${which} (a URL, not shown): did you mean --url URL?`;
    return `${which} (not shown): redis-recon takes only options, such as --url URL`;
  }
  // parseArgs' other errors name the flag, never its value; keep the first line.
  return message.split('\n')[0] ?? 'bad arguments';
}

function unknownOption(option: string, argv: readonly string[], flags: FlagNames): string {
  let typed = option.replace(/^--?/, '');
  let shown = option;
  // `-url` reaches parseArgs as the short options -u -r -l: look at the word the user typed.
  if (!option.startsWith('--')) {
    const word = argv.find((a) => a.startsWith(option) && !a.startsWith('--'));
    if (word !== undefined && word.length > 2) {
      typed = word.slice(1).split('=')[0] ?? typed;
      shown = `-${typed}`;
    }
  }
  const said = `unknown option ${shown}`;
  if (/^(pass(word)?|requirepass|auth)$/i.test(typed)) {
    return `${said}: the password goes in REDIS_PASSWORD (the environment or ./.env), never on the command line`;
  }
  const nearest = nearestFlag(typed, flags);
  return nearest ? `${said}; did you mean --${nearest}?` : said;
}

/** The flag the user most likely meant: the only one starting with what they typed, else the closest by edits. */
export function nearestFlag(typed: string, flags: FlagNames): string | undefined {
  const word = typed.toLowerCase();
  if (word.length === 0) return undefined;
  const prefixed = flags.filter((f) => f.startsWith(word));
  if (prefixed.length === 1) return prefixed[0];
  // Up to a third of the word may be wrong (--durration, --expotr), at most three edits.
  return closestMatch(word, flags, { maxDistance: Math.max(1, Math.min(3, Math.floor(word.length / 3))) });
}
