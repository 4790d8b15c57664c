// The capture feed, with partitions that take their chunks late and in their own order, as worker
// threads do: every line arrives once, intact, each partition's lines in the capture's order. A
// regular file is read into pooled shared buffers: one used again while a partition still held it
// would show here as lines overwritten before they were read. A read that fails says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { feedCapture, type CaptureInput } from '../src/collect/captureFeed.ts';
import { LINE_CHARS_MAX } from '../src/bounds.ts';
import type { CollectorHost } from '../src/collect/host.ts';
import type { ToCollector } from '../src/collect/protocol.ts';

/** 9 MB of lines from 50 connections (and scripts), each line unique. */
function capture(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 90_000; i++) {
    const src = i % 7 === 3 ? 'lua' : `10.0.${i % 5}.${i % 10}:${40000 + (i % 50)}`;
    lines.push(`1700000000.${String(i % 1e6).padStart(6, '0')} [0 ${src}] "set" "user:${i}" "${'v'.repeat(i % 61)}"`);
  }
  return lines;
}

/** Partitions that hold what they are sent and read it only when `drain` takes it, oldest first. */
function lateHosts(k: number) {
  const queues: Array<Array<{ buf: Uint8Array; offsets: Int32Array }>> = Array.from({ length: k }, () => []);
  const got: string[][] = Array.from({ length: k }, () => []);
  let ended = 0;
  const hosts = queues.map(
    (q) =>
      ({
        send(msg: ToCollector) {
          if (msg.t === 'lines') q.push({ buf: msg.buf, offsets: msg.offsets });
          if (msg.t === 'end') ended++;
        },
      }) as unknown as CollectorHost,
  );
  /** One partition (the next with something waiting, by `pick`) reads its oldest chunk. */
  const drainOne = (pick: number, taken: (p: number) => void): boolean => {
    for (let j = 0; j < k; j++) {
      const p = (pick + j) % k;
      const chunk = queues[p]!.shift();
      if (!chunk) continue;
      const b = Buffer.from(chunk.buf.buffer, chunk.buf.byteOffset, chunk.buf.byteLength);
      for (let i = 0; i < chunk.offsets.length; i += 2) got[p]!.push(b.toString('latin1', chunk.offsets[i]!, chunk.offsets[i + 1]!));
      taken(p);
      return true;
    }
    return false;
  };
  return { hosts, got, drainOne, ended: () => ended };
}

async function feedAll(input: CaptureInput, k: number) {
  const late = lateHosts(k);
  const feed = feedCapture(input, late.hosts);
  let done = false;
  void feed.finished.then(() => (done = true));
  let turn = 0;
  // Partitions take chunks at uneven paces while the feed reads ahead as far as it may.
  while (!done || late.drainOne(0, () => {})) {
    await new Promise((r) => setImmediate(r));
    turn++;
    const p = turn % 3 === 0 ? 1 % k : 0;
    late.drainOne(p, (q) => feed.taken(q));
  }
  await feed.finished;
  return { ...late, feed };
}

function assertWhole(lines: string[], got: string[][]): void {
  assert.equal(got.flat().length, lines.length, 'every line once');
  assert.deepEqual([...got.flat()].sort(), [...lines].sort(), 'every line intact');
  for (const part of got) {
    const idx = part.map((l) => Number(/"user:(\d+)"/.exec(l)![1]));
    assert.deepEqual(idx, [...idx].sort((a, b) => a - b), "a partition's lines in the capture's order");
  }
}

test('a regular file: read into shared buffers used again only once every partition took its lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recon-feed-'));
  try {
    const lines = capture();
    const file = join(dir, 'cap.txt');
    writeFileSync(file, lines.join('\n') + '\n');
    for (const k of [1, 2, 3]) {
      const { got, feed, ended } = await feedAll({ file }, k);
      assertWhole(lines, got);
      assert.equal(feed.lines, lines.length);
      assert.equal(feed.failure, undefined);
      assert.equal(ended(), k, 'every partition told the capture ended');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a line past the longest kept, in a file or a stream: it is cut, and every line after it arrives intact', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recon-feed-'));
  try {
    const lines = capture();
    const file = join(dir, 'cap.txt');
    const fd = openSync(file, 'w');
    writeSync(fd, lines.slice(0, 1000).join('\n') + '\n');
    const mb = Buffer.alloc(1 << 20, 'x');
    for (let written = 0; written <= LINE_CHARS_MAX; written += mb.length) writeSync(fd, mb);
    writeSync(fd, '\n' + lines.slice(1000).join('\n') + '\n');
    closeSync(fd);
    // Read as a file, and as a stream (stdin) in megabyte chunks.
    const asStream = Readable.from((async function* () {
      const whole = readFileSync(file);
      for (let at = 0; at < whole.length; at += 1 << 20) yield whole.subarray(at, at + (1 << 20));
    })());
    for (const input of [{ file }, asStream]) {
      const { got, feed } = await feedAll(input, 2);
      const cut = got.flat().filter((l) => l.startsWith('xxx'));
      assert.deepEqual(cut.map((l) => l.length), [LINE_CHARS_MAX], 'the long line, cut once');
      assertWhole(lines, got.map((part) => part.filter((l) => !l.startsWith('xxx'))));
      assert.equal(feed.failure, undefined);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a stream (stdin, a FIFO) in chunks of any size, the last line without a newline', async () => {
  const lines = capture();
  const text = Buffer.from(lines.join('\n'), 'latin1');
  const sizes = [1, 7, 100, 65_536, 1_500_000];
  const pieces: Buffer[] = [];
  for (let at = 0, i = 0; at < text.length; i++) {
    const n = sizes[i % sizes.length]!;
    pieces.push(text.subarray(at, at + n));
    at += n;
  }
  const { got, feed } = await feedAll(Readable.from(pieces), 2);
  assertWhole(lines, got);
  assert.equal(feed.failure, undefined);
});

test('a read that fails ends the capture with the reason, in words', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'recon-feed-'));
  try {
    // Opening a directory succeeds; reading it fails (EISDIR), as a disk error would mid-file.
    const { feed, got } = await feedAll({ file: dir }, 2);
    assert.equal(got.flat().length, 0);
    assert.equal(feed.failure, 'reading the capture failed: is a directory');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
