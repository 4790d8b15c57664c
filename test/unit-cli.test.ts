// The CLI's conventions, without a server: file errors in words, bounds on durations and sizes,
// the export path checked before a run, the nearest flag for a typo, and the help's closing part.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileErrorText } from '../src/fileErrors.ts';

const errOf = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
};

test('file errors are words, not errno codes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recon-cli-'));
  const missing = errOf(() => readFileSync(join(dir, 'absent.json')));
  assert.equal(fileErrorText(missing), 'no such file');
  assert.equal(fileErrorText(missing, 'write'), 'no such directory');
  assert.equal(fileErrorText(errOf(() => readFileSync(dir))), 'is a directory');
  const eacces = Object.assign(new Error("EACCES: permission denied, open '/x'"), { code: 'EACCES', errno: -13 });
  assert.equal(fileErrorText(eacces), 'permission denied');
  // A code the table does not name: the system's own description, never the bare code.
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -constants.errno.ECONNRESET });
  assert.equal(fileErrorText(reset), 'connection reset by peer');
  assert.equal(fileErrorText(new Error("ENOSYS: function not implemented, open 'x'\nmore")), 'function not implemented');
});
