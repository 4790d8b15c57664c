import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { readLines } from '../src/sources/lineReader.ts';
import { LINE_CHARS_MAX } from '../src/bounds.ts';

const collect = async (chunks: Array<string | Buffer>, batchSize?: number) => {
  const out: string[] = [];
  const stats = await readLines(Readable.from(chunks), (b) => void out.push(...b), batchSize);
  return { out, stats };
};

test('lines split across chunks, CRLF, a last line without newline, small batches', async () => {
  const { out, stats } = await collect(['a\r\nb', 'c\nd', 'e\n', 'last'], 2);
  assert.deepEqual(out, ['a', 'bc', 'de', 'last']);
  assert.equal(stats.lines, 4);
});

test('lines are UTF-8, as recordings are written: a key with accents and Cyrillic stays itself', async () => {
  const { out } = await collect([Buffer.from('{"k":["café:ключ:1"]}\nnext\n', 'utf8')]);
  assert.deepEqual(out, ['{"k":["café:ключ:1"]}', 'next']);
});

test('a character split across two chunks is decoded whole', async () => {
  const bytes = Buffer.from('ключ\n', 'utf8');
  const { out } = await collect([bytes.subarray(0, 3), bytes.subarray(3)]);
  assert.deepEqual(out, ['ключ']);
});

test('a line longer than the cap is cut and the rest of it skipped, so memory stays bounded', async () => {
  const piece = 'x'.repeat(8 * 1024 * 1024);
  const chunks = Array.from({ length: LINE_CHARS_MAX / piece.length + 2 }, () => piece);
  const { out } = await collect([...chunks, 'tail-of-long\nnext\n']);
  assert.equal(out.length, 2);
  assert.equal(out[0]!.length, LINE_CHARS_MAX);
  assert.equal(out[1], 'next');
});
