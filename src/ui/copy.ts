// `y` copies the selected value (k9s/lazygit style) through the terminal: an OSC 52 sequence asks the
// terminal to put text on the clipboard, which works over ssh and inside tmux (set-clipboard on).
// The text is server data: control characters are escaped first, so what lands on the clipboard
// cannot carry a terminal sequence, and base64 keeps it from ending the OSC early.
import { clean } from './text.ts';

/** Longest text copied: terminals cap OSC 52 (xterm at about 100 kB of base64). */
export const COPY_MAX = 64 * 1024;

/** The OSC 52 sequence that puts `text` on the clipboard; inside tmux, wrapped to pass through. */
export function osc52(text: string, inTmux = false): string {
  const body = `\x1b]52;c;${Buffer.from(clean(text).slice(0, COPY_MAX), 'utf8').toString('base64')}\x07`;
  return inTmux ? `\x1bPtmux;${body.replace(/\x1b/g, '\x1b\x1b')}\x1b\\` : body;
}
