// The keyspace sampler's settings: defaults, the budget's range, the sample size (`100k`, `all`),
// the plan's file types, and what they do not go with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../src/config.ts';

const ok = (argv: string[], env: Record<string, string> = {}) => {
  const r = resolveConfig(argv, env);
  if (!r.ok) throw new Error(r.error);
  return r.config;
};
const refused = (argv: string[], env: Record<string, string> = {}): string => {
  const r = resolveConfig(argv, env);
  assert.equal(r.ok, false, `${argv.join(' ')} should be refused`);
  return r.ok ? '' : r.error;
};

test('defaults: off, 2,000 keys/s, the whole keyspace, no plan', () => {
  const c = ok([]);
  assert.equal(c.keyspace, false);
  assert.equal(c.keyspaceRate, 2000);
  assert.equal(c.keyspaceSample, 0);
  assert.equal(c.planFile, undefined);
});

test('flags and variables; sizes read 100k, 1.5M and all', () => {
  const c = ok(['--keyspace', '--keyspace-rate', '5k', '--keyspace-sample', '100k', '--plan', '~/plan.md']);
  assert.equal(c.keyspace, true);
  assert.equal(c.keyspaceRate, 5000);
  assert.equal(c.keyspaceSample, 100_000);
  assert.match(c.planFile!, /\/plan\.md$/);
  assert.doesNotMatch(c.planFile!, /^~/);
  const e = ok([], { RECON_KEYSPACE: '1', RECON_KEYSPACE_RATE: '500', RECON_KEYSPACE_SAMPLE: '1.5M', RECON_PLAN: 'p.toml' });
  assert.equal(e.keyspace, true);
  assert.equal(e.keyspaceRate, 500);
  assert.equal(e.keyspaceSample, 1_500_000);
  assert.equal(ok(['--keyspace-sample', 'all']).keyspaceSample, 0);
});

test('out of range or unreadable numbers are refused with the range', () => {
  assert.match(refused(['--keyspace-rate', '0']), /--keyspace-rate: "0" is not a number from 1 to 100,000/);
  assert.match(refused(['--keyspace-rate', '1M']), /from 1 to 100,000/);
  assert.match(refused(['--keyspace-sample', 'lots']), /--keyspace-sample: "lots" is not a number .* \(or all\)/);
  assert.match(refused(['--plan', 'plan.txt']), /--plan plan\.txt: the file name must end in \.md, \.json or \.toml/);
});

test('headless --keyspace needs no --duration (it lasts as long as the scan); a recording or capture cannot be sampled', () => {
  assert.equal(ok(['--headless', '--keyspace']).headless, true);
  assert.match(refused(['--headless']), /--headless needs --duration .* or --keyspace/);
  assert.match(refused(['--keyspace', '--replay', 'x.jsonl.gz']), /--keyspace samples a live server/);
  assert.match(refused(['--keyspace', '--monitor-log', 'x.txt']), /--keyspace samples a live server/);
});
