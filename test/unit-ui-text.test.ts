// Terminal widths as Ink measures them (string-width), and wrapping that always ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import stringWidth from 'string-width';
import { displayWidth, fit, wrapText } from '../src/ui/text.ts';

test('wrapText: a character wider than the line becomes … and the wrap ends (it never returned)', () => {
  assert.deepEqual(wrapText('中', 1), ['…']);
  assert.deepEqual(wrapText('中文', 1), ['…', '…']);
  assert.deepEqual(wrapText('👍🏽 ok', 1), ['…', 'o', 'k']);
  assert.deepEqual(wrapText('a中b', 1), ['a', '…', 'b']);
  assert.deepEqual(wrapText('中文 x', 2), ['中', '文', 'x']);
});

test('widths agree with string-width, which Ink lays lines out with: emoji, flags, combining marks, ZWJ', () => {
  for (const s of ['👍', '👍🏽', '🇫🇷', 'e\u0301', '\u0301', '👨‍👩‍👧', '✅', '☕', 'a\u200bb', '日本', 'é', '⌚']) {
    assert.equal(displayWidth(s), stringWidth(s), JSON.stringify(s));
  }
  // A cut never splits a grapheme: the emoji with its skin tone goes whole, or not at all.
  assert.equal(fit('👍🏽👍🏽', 3), '👍🏽…');
  assert.equal(fit('e\u0301e\u0301e\u0301', 2), 'e\u0301…');
});

test('fit and wrapText: every cell and line is within its width by string-width, whatever the text', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.integer({ min: 1, max: 12 }), (s, w) => {
      assert.equal(stringWidth(fit(s, w)), w);
      assert.equal(stringWidth(fit(s, w, 'left', 'middle')), w);
      for (const line of wrapText(s, w)) assert.ok(stringWidth(line) <= w, `${JSON.stringify(line)} > ${w}`);
    }),
  );
});
