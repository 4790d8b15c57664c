// Splits a byte stream (a `redis-cli monitor` capture, stdin, a recording) into lines, handed on in
// batches so the consumer's per-batch work is amortised. Bytes are decoded as UTF-8: recordings are
// JSON lines holding keys as written (`café:ключ:1`), and a capture's MONITOR text is ASCII (the
// server escapes every other byte as \xHH), which UTF-8 reads the same. The decoder keeps a
// character split across two chunks whole.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { LINE_CHARS_MAX } from '../bounds.ts';

export interface LineStats {
  readonly lines: number;
  readonly bytes: number;
}

export async function readLines(
  input: Readable,
  onBatch: (lines: string[]) => void | Promise<void>,
  batchSize = 16_384,
): Promise<LineStats> {
  let carry = '';
  /** Inside a line already cut at LINE_CHARS_MAX: its rest is dropped up to the next newline. */
  let skipping = false;
  let batch: string[] = [];
  let lines = 0;
  let bytes = 0;
  const decoder = new StringDecoder('utf8');
  for await (const chunk of input) {
    const buf = chunk as Buffer | string;
    bytes += buf.length;
    let text = carry + (typeof buf === 'string' ? buf : decoder.write(buf));
    if (skipping) {
      const nl = text.indexOf('\n');
      if (nl < 0) {
        carry = '';
        continue;
      }
      text = text.slice(nl + 1);
      skipping = false;
    }
    let from = 0;
    for (let nl = text.indexOf('\n', from); nl >= 0; nl = text.indexOf('\n', from)) {
      const end = nl > from && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      batch.push(text.slice(from, end));
      from = nl + 1;
      if (batch.length >= batchSize) {
        lines += batch.length;
        await onBatch(batch);
        batch = [];
      }
    }
    carry = text.slice(from);
    if (carry.length > LINE_CHARS_MAX) {
      // A file with no newline (not a capture, or one cut oddly) must not grow memory without end.
      batch.push(carry.slice(0, LINE_CHARS_MAX));
      carry = '';
      skipping = true;
    }
  }
  // A capture cut mid-line still yields its last, partial line: the parser decides what it is.
  if (!skipping) carry += decoder.end();
  if (carry.length > 0) batch.push(carry.endsWith('\r') ? carry.slice(0, -1) : carry);
  if (batch.length > 0) {
    lines += batch.length;
    await onBatch(batch);
  }
  return { lines, bytes };
}
