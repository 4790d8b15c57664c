// Terminal text: what a string costs in columns, and how to make it fit a cell exactly. Everything
// the dashboard draws from the server (names, keys, library strings) passes through `clean` first:
// MONITOR decodes escapes into real bytes, and a key holding ESC or a newline must never reach the
// terminal as a control sequence.

/** C0 controls, DEL and C1 controls become visible `\xHH` escapes. */
export function clean(text: string): string {
  // Fast path: most names and keys are plain printable text.
  // eslint-disable-next-line no-control-regex
  if (!/[\u0000-\u001f\u007f-\u009f]/.test(text)) return text;
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Columns one code point takes: 0 for combining marks and zero-width characters, 2 for wide ones. */
export function charWidth(cp: number): number {
  if (cp < 0x300) return 1;
  if (
    (cp >= 0x300 && cp <= 0x36f) ||
    (cp >= 0x1ab0 && cp <= 0x1aff) ||
    (cp >= 0x1dc0 && cp <= 0x1dff) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x20d0 && cp <= 0x20ff) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    (cp >= 0xfe20 && cp <= 0xfe2f) ||
    cp === 0xfeff
  ) {
    return 0;
  }
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Columns the (already cleaned) text takes on screen. */
export function displayWidth(text: string): number {
  let w = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x300) {
      w++;
      continue;
    }
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++;
    w += charWidth(cp);
  }
  return w;
}

/** The longest head of `text` that fits in `width` columns. */
function head(text: string, width: number): string {
  let w = 0;
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    const cw = charWidth(cp);
    if (w + cw > width) break;
    w += cw;
    i += cp > 0xffff ? 2 : 1;
  }
  return text.slice(0, i);
}

/** The longest tail of `text` that fits in `width` columns. */
function tail(text: string, width: number): string {
  const cps = Array.from(text);
  let w = 0;
  let i = cps.length;
  while (i > 0) {
    const cw = charWidth(cps[i - 1]!.codePointAt(0)!);
    if (w + cw > width) break;
    w += cw;
    i--;
  }
  return cps.slice(i).join('');
}

export type Align = 'left' | 'right';
export type Cut = 'end' | 'middle' | 'start';

/**
 * Exactly `width` columns: cleaned, cut with an ellipsis where it does not fit (at the end, in the
 * middle for keys, whose both ends matter, or at the start), and padded.
 */
export function fit(text: string, width: number, align: Align = 'left', cut: Cut = 'end'): string {
  if (width <= 0) return '';
  const t = clean(text);
  let w = displayWidth(t);
  let out = t;
  if (w > width) {
    if (width === 1) out = '…';
    else if (cut === 'middle') {
      const left = Math.ceil((width - 1) / 2);
      const h = head(t, left);
      out = `${h}…${tail(t, width - 1 - displayWidth(h))}`;
    } else if (cut === 'start') out = `…${tail(t, width - 1)}`;
    else out = `${head(t, width - 1)}…`;
    w = displayWidth(out);
  }
  const pad = ' '.repeat(Math.max(0, width - w));
  return align === 'right' ? pad + out : out + pad;
}

/** Word-wrapped lines of at most `width` columns (words longer than a line are cut). */
export function wrapText(text: string, width: number): string[] {
  if (width <= 0) return [];
  const lines: string[] = [];
  let cur = '';
  for (const word of clean(text).split(/\s+/).filter(Boolean)) {
    let w = word;
    while (displayWidth(w) > width) {
      if (cur) {
        lines.push(cur);
        cur = '';
      }
      const h = head(w, width);
      lines.push(h);
      w = w.slice(h.length);
    }
    if (cur === '') cur = w;
    else if (displayWidth(cur) + 1 + displayWidth(w) <= width) cur += ` ${w}`;
    else {
      lines.push(cur);
      cur = w;
    }
  }
  if (cur) lines.push(cur);
  return lines;
}
