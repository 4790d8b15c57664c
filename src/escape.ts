// Text from the server (client names, keys, prefixes, library strings, error messages) made safe
// for whatever shows it to a person: the dashboard, the Markdown and the CSV export alike. MONITOR
// decodes escapes into real bytes, and any application can name its connection anything, so a key
// may hold ESC (a `cat` of a report would run the sequence), BEL, C1 controls, a right-to-left
// override that shows `txt.exe` as `exe.txt`, or invisible characters that make two names look the
// same. Each becomes a visible escape. One function, used everywhere text reaches a reader.

/**
 * Characters that are escaped: C0 controls, DEL and C1 controls; the bidirectional controls
 * (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069); invisible format characters (soft hyphen,
 * U+180E, zero-width space, word joiner and the invisible operators U+2060–U+2064, U+FEFF,
 * U+FFF9–U+FFFB); and the line and paragraph separators U+2028–U+2029. The zero-width joiner and
 * non-joiner (U+200C–U+200D) stay: emoji sequences and several scripts need them, and they reorder
 * nothing.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]/;
// eslint-disable-next-line no-control-regex
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');

/** Each unsafe character as `\xHH` (up to U+00FF) or `\uHHHH`; everything else as it is. */
export function escapeControls(text: string): string {
  // Fast path: most names and keys are plain printable text.
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
