// The capture splitter: every line goes to exactly one partition, a connection's lines always to the
// same one (the one its address hashes to, as a saved CLIENT LIST's entry does), a script's own lines
// with the call before them, in order; lines cut by a chunk end carry over whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lineOwnerBytes, partitionOf, splitLines } from '../src/collect/splitter.ts';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const linesOf = (buf: Buffer, offsets: Int32Array): string[] => {
  const out: string[] = [];
  for (let i = 0; i < offsets.length; i += 2) out.push(buf.toString('latin1', offsets[i]!, offsets[i + 1]!));
  return out;
};

test('a line goes to the partition its address hashes to, the same hash a CLIENT LIST address gets', () => {
  for (const addr of ['10.0.0.7:40000', '[::1]:6379', 'unix:/tmp/redis.sock', '127.0.0.1:5']) {
    const line = `1700000000.000001 [0 ${addr}] "get" "k"`;
    const b = bytes(line);
    for (const k of [1, 2, 3, 4]) assert.equal(lineOwnerBytes(b, 0, b.length, k, -1), partitionOf(addr, 0, addr.length, k), `${addr} / ${k}`);
  }
});

test('script lines follow their call; lines without a source go to partition 0 (-1)', () => {
  const b = bytes('1700000000.000001 [0 lua] "get" "k"');
  assert.equal(lineOwnerBytes(b, 0, b.length, 4, 3), 3);
  const junk = bytes('this is not a monitor line');
  assert.equal(lineOwnerBytes(junk, 0, junk.length, 4, 3), -1);
  // An argument holding `] "` must not be taken for the end of the source.
  const tricky = bytes('1700000000.000001 [0 10.0.0.1:5] "set" "a] \\"b" "v"');
  assert.equal(lineOwnerBytes(tricky, 0, tricky.length, 7, -1), partitionOf('10.0.0.1:5', 0, 10, 7));
});

test('splitLines: CRLF and LF, the incomplete tail left for the next chunk, the final tail taken at the end', () => {
  const text = 'OK\r\n1.000001 [0 1.1.1.1:1] "get" "a"\r\n1.000002 [0 lua] "get" "b"\n1.000003 [0 2.2.2.2:2] "get" "c';
  const b = bytes(text);
  const state = { previous: 0 };
  const first = splitLines(b, b.length, 2, state, false);
  assert.equal(first.lines, 3);
  assert.equal(b.toString('latin1', first.rest), '1.000003 [0 2.2.2.2:2] "get" "c');
  const all = first.offsets.flatMap((o) => linesOf(b, o));
  assert.deepEqual(all.sort(), ['1.000001 [0 1.1.1.1:1] "get" "a"', '1.000002 [0 lua] "get" "b"', 'OK'].sort());
  // The script's line is in the same partition as the call before it.
  const owner = partitionOf('1.1.1.1:1', 0, 9, 2);
  assert.ok(linesOf(b, first.offsets[owner]!).includes('1.000002 [0 lua] "get" "b"'));
  const tail = b.subarray(first.rest);
  const last = splitLines(tail, tail.length, 2, state, true);
  assert.equal(last.lines, 1);
  assert.equal(last.rest, tail.length);
});

test('any chunking of a capture gives every line once, each connection\'s lines in order in one partition', () => {
  const line = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 999 })).map(([c, n]) => (c === 5 ? `1.${n} [0 lua] "get" "s${n}"` : `1.${n} [0 10.0.0.${c}:4000${c}] "get" "k${n}"`));
  fc.assert(
    fc.property(fc.array(line, { minLength: 1, maxLength: 60 }), fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 4 }), (drawn, cuts, k) => {
      // Each line made unique (its position as a last argument), so order can be checked by text.
      const lines = drawn.map((l, i) => `${l} "#${i}"`);
      const text = lines.join('\n') + '\n';
      const whole = bytes(text);
      const got: string[][] = Array.from({ length: k }, () => []);
      const state = { previous: 0 };
      let carry = Buffer.alloc(0);
      let at = 0;
      for (let i = 0; at < whole.length; i++) {
        const step = cuts[i % cuts.length]!;
        const chunk = Buffer.concat([carry, whole.subarray(at, at + step)]);
        at += step;
        const s = splitLines(chunk, chunk.length, k, state, at >= whole.length);
        s.offsets.forEach((o, p) => got[p]!.push(...linesOf(chunk, o)));
        carry = Buffer.from(chunk.subarray(s.rest));
      }
      assert.deepEqual(got.flat().sort(), [...lines].sort(), 'every line once');
      for (const part of got) {
        // Within a partition, the lines keep the capture's order.
        const idx = part.map((l) => lines.indexOf(l));
        assert.deepEqual(idx, [...idx].sort((a, b) => a - b));
      }
    }),
    { numRuns: 300 },
  );
});
