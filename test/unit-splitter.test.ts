// The capture splitter: every line goes to exactly one partition, a connection's lines always to the
// same one (a listed address to its CLIENT LIST entry's; new ones in turn), a script's own lines
// with the call before them, in order; lines cut by a chunk end carry over whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { partitionOf, sourceHash, splitLines, splitState } from '../src/collect/splitter.ts';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const linesOf = (buf: Buffer, offsets: Int32Array): string[] => {
  const out: string[] = [];
  for (let i = 0; i < offsets.length; i += 2) out.push(buf.toString('latin1', offsets[i]!, offsets[i + 1]!));
  return out;
};

const ownersOf = (text: string, k: number, listed: string[] = []): Map<string, number> => {
  const b = bytes(text);
  const split = splitLines(b, b.length, splitState(k, listed), true);
  const owner = new Map<string, number>();
  split.offsets.forEach((o, p) => {
    for (const line of linesOf(b, o)) owner.set(line, p);
  });
  return owner;
};

test('a listed address goes to the partition its CLIENT LIST entry goes to (partitionOf), whatever the timestamp form', () => {
  const addrs = ['10.0.0.7:40000', '[::1]:6379', 'unix:/tmp/redis.sock', '127.0.0.1:5', '10.1.2.3:6', '10.1.2.4:7', ''];
  for (const k of [2, 3, 4]) {
    // Well-formed `%ld.%06ld` stamps take the fast path; RESP's `+`, short stamps and no fraction do not.
    const forms = ['1700000000.000001', '+1700000000.000001', '1.5', '1700000000'];
    const lines = addrs.flatMap((a, i) => forms.map((ts) => `${ts} [${i} ${a}] "get" "k"`));
    const owner = ownersOf(lines.join('\n'), k, addrs);
    for (const a of addrs) {
      for (const ts of forms) {
        const line = lines.find((l) => l.startsWith(`${ts} [`) && l.includes(` ${a}] `))!;
        assert.equal(owner.get(line), partitionOf(a, 0, a.length, k), `${a} / ${ts} / ${k}`);
      }
    }
  }
});

test('new addresses take turns: a burst of connections is split evenly, each keeping its partition', () => {
  const burst = Array.from({ length: 40 }, (_, i) => `10.0.0.1:${30000 + i}`);
  // Each connection's first command in a burst, then much more from each.
  const lines = [...burst, ...burst, ...burst].map((a, i) => `1700000000.${String(i).padStart(6, '0')} [0 ${a}] "get" "k${i}"`);
  for (const k of [2, 3]) {
    const owner = ownersOf(lines.join('\n'), k);
    const per = new Array<number>(k).fill(0);
    for (const p of owner.values()) per[p]!++;
    for (const n of per) assert.ok(Math.abs(n - lines.length / k) <= 3, `partition sizes ${per.join('/')} for ${k}`);
    for (const a of burst) {
      const mine = new Set(lines.filter((l) => l.includes(` ${a}] `)).map((l) => owner.get(l)));
      assert.equal(mine.size, 1, `${a}'s lines in one partition`);
    }
  }
});

test('script lines follow their call; lines without a source go to partition 0', () => {
  const text = ['1.000001 [0 10.0.0.1:1] "evalsha" "x" "0"', '1.000002 [0 lua] "get" "k"', '1.000003 [0 10.0.0.2:2] "evalsha" "x" "0"', '1.000004 [0 lua] "get" "j"', 'this is not a monitor line'].join('\n');
  const owner = ownersOf(text, 2);
  assert.notEqual(owner.get('1.000001 [0 10.0.0.1:1] "evalsha" "x" "0"'), owner.get('1.000003 [0 10.0.0.2:2] "evalsha" "x" "0"'));
  assert.equal(owner.get('1.000002 [0 lua] "get" "k"'), owner.get('1.000001 [0 10.0.0.1:1] "evalsha" "x" "0"'));
  assert.equal(owner.get('1.000004 [0 lua] "get" "j"'), owner.get('1.000003 [0 10.0.0.2:2] "evalsha" "x" "0"'));
  assert.equal(owner.get('this is not a monitor line'), 0);
  // An argument holding `] "` must not be taken for the end of the source.
  const tricky = '1700000000.000001 [0 10.0.0.1:5] "set" "a] \\"b" "v"';
  const b = bytes(tricky);
  assert.equal(sourceHash(b, 0, b.length), sourceHash(bytes('1700000000.000001 [0 10.0.0.1:5] "get" "k"'), 0, 42));
});

test('splitLines: CRLF and LF, the incomplete tail left for the next chunk, the final tail taken at the end', () => {
  const text = 'OK\r\n1.000001 [0 1.1.1.1:1] "get" "a"\r\n1.000002 [0 lua] "get" "b"\n1.000003 [0 2.2.2.2:2] "get" "c';
  const b = bytes(text);
  const state = splitState(2);
  const first = splitLines(b, b.length, state, false);
  assert.equal(first.lines, 3);
  assert.equal(b.toString('latin1', first.rest), '1.000003 [0 2.2.2.2:2] "get" "c');
  const all = first.offsets.flatMap((o) => linesOf(b, o));
  assert.deepEqual(all.sort(), ['1.000001 [0 1.1.1.1:1] "get" "a"', '1.000002 [0 lua] "get" "b"', 'OK'].sort());
  // The script's line is in the same partition as the call before it.
  const owner = first.offsets.findIndex((o) => linesOf(b, o).includes('1.000001 [0 1.1.1.1:1] "get" "a"'));
  assert.ok(linesOf(b, first.offsets[owner]!).includes('1.000002 [0 lua] "get" "b"'));
  const tail = b.subarray(first.rest);
  const last = splitLines(tail, tail.length, state, true);
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
      const state = splitState(k);
      let carry = Buffer.alloc(0);
      let at = 0;
      for (let i = 0; at < whole.length; i++) {
        const step = cuts[i % cuts.length]!;
        const chunk = Buffer.concat([carry, whole.subarray(at, at + step)]);
        at += step;
        const s = splitLines(chunk, chunk.length, state, at >= whole.length);
        s.offsets.forEach((o, p) => got[p]!.push(...linesOf(chunk, o)));
        carry = Buffer.from(chunk.subarray(s.rest));
      }
      assert.deepEqual(got.flat().sort(), [...lines].sort(), 'every line once');
      for (const part of got) {
        // Within a partition, the lines keep the capture's order.
        const idx = part.map((l) => lines.indexOf(l));
        assert.deepEqual(idx, [...idx].sort((a, b) => a - b));
      }
      // A connection's lines are all in one partition.
      const home = new Map<string, number>();
      got.forEach((part, p) => {
        for (const l of part) {
          const addr = /\[0 (\S+)\]/.exec(l)![1]!;
          if (addr === 'lua') continue;
          assert.equal(home.get(addr) ?? p, p, `${addr} in one partition`);
          home.set(addr, p);
        }
      });
    }),
    { numRuns: 300 },
  );
});
