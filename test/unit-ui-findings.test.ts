import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildFindingRows } from '../src/ui/findings.ts';
import type { ClientView } from '../src/analysis/session.ts';
import type { Finding } from '../src/audit/findings.ts';

const client = (findings: Finding[]): ClientView => ({ findings }) as unknown as ClientView;
const f = (code: Finding['code'], severity: Finding['severity']): Finding => ({ code, severity, message: code, count: 1 });

test('findings are summed per code, counting each client once, worst severity and most clients first', () => {
  const rows = buildFindingRows([
    client([f('no-client-name', 'warning'), f('unsupported-command', 'warning'), f('unsupported-command', 'error')]),
    client([f('no-client-name', 'warning')]),
    client([f('library-outdated', 'error')]),
    client([]),
    { findings: undefined } as unknown as ClientView,
  ]);
  assert.deepEqual(
    rows.map((r) => [r.code, r.severity, r.clients]),
    [
      ['library-outdated', 'error', 1],
      ['unsupported-command', 'error', 1],
      ['no-client-name', 'warning', 2],
    ],
  );
  assert.ok(rows.every((r) => r.label.length > 0));
});
