import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { clientFindings, type ClientAuditInput, type Finding } from '../src/audit/findings.ts';
import { mergeLibraries, shippedLibraries } from '../src/audit/libraries.ts';
import { loadTarget } from '../src/audit/targets.ts';

const kb = shippedLibraries();
const ec = loadTarget('elasticache-valkey');
const ecCluster = loadTarget('elasticache-valkey-cluster');
const serverless = loadTarget('elasticache-valkey-serverless');
const valkey8 = loadTarget('valkey-8');

const base: ClientAuditInput = {
  name: 'service1-writer',
  libName: 'go-redis(,go1.24.13)',
  libVer: '9.17.2',
  db: 0,
  commands: { GET: 120, SET: 40 },
  libraryFieldsShown: true,
};
const codes = (fs: Finding[]) => fs.map((f) => f.code);

describe('clientFindings', () => {
  test('a named, current client using core commands has nothing to report', () => {
    assert.deepEqual(clientFindings(base, ec, kb), []);
    assert.deepEqual(clientFindings(base, ecCluster, kb), []);
  });

  test('the field notes before alignment: no name, no lib-name → two warnings', () => {
    const fs = clientFindings({ ...base, name: '', libName: '', libVer: '' }, ec, kb);
    assert.deepEqual(codes(fs).sort(), ['library-missing', 'no-client-name']);
    assert.ok(fs.every((f) => f.severity === 'warning'));
    assert.ok(fs.every((f) => f.count === 1));
  });

  test('outdated library: error where the maintainers dropped the line, warning where the floor is inferred', () => {
    const node4 = clientFindings({ ...base, libName: 'node-redis', libVer: '1.5.12' }, ec, kb);
    assert.deepEqual(codes(node4), ['library-outdated']);
    assert.equal(node4[0]!.severity, 'error');
    assert.equal(node4[0]!.example, 'node-redis 1.5.12');
    const lettuce = clientFindings({ ...base, libName: 'Lettuce', libVer: '6.3.2.RELEASE/abc123' }, ec, kb);
    assert.equal(lettuce[0]!.code, 'library-outdated');
    assert.equal(lettuce[0]!.severity, 'warning');
  });

  test('unknown library is info; a pre-7.2 server gives no library finding at all', () => {
    const custom = clientFindings({ ...base, name: 'monitor-v2-prod', libName: 'python-socket-monitor', libVer: '1.0' }, ec, kb);
    assert.deepEqual(custom.map((f) => [f.code, f.severity]), [['library-unknown', 'info']]);
    const old = clientFindings({ ...base, libName: undefined, libVer: undefined, libraryFieldsShown: false }, ec, kb);
    assert.deepEqual(old, []);
  });

  test('commands the target lacks or blocks: one finding each, with the call count, errors first', () => {
    const fs = clientFindings(
      { ...base, commands: { GET: 10, HEXPIRE: 5, 'CONFIG|GET': 2, 'JSON.GET': 9, 'FT.PROFILE': 1, 'JSON.SET': 0 } },
      valkey8,
      kb,
    );
    assert.deepEqual(
      fs.map((f) => [f.example, f.severity, f.count]),
      [
        ['HEXPIRE', 'error', 5],
        ['FT.PROFILE', 'error', 1],
        ['JSON.GET', 'warning', 9],
      ],
    );
    assert.ok(fs.every((f) => f.code === 'unsupported-command'));
    assert.match(fs[0]!.message, /Valkey 8/);
    const onEc = clientFindings({ ...base, commands: { 'CONFIG|GET': 2, MONITOR: 1 } }, ec, kb);
    assert.deepEqual(onEc.map((f) => f.example), ['CONFIG|GET']);
    assert.match(onEc[0]!.message, /blocked/);
    const onServerless = clientFindings({ ...base, commands: { MONITOR: 1, 'client|kill': 3 } }, serverless, kb);
    assert.deepEqual(onServerless.map((f) => [f.example, f.severity]), [['MONITOR', 'error'], ['CLIENT|KILL', 'warning']]);
    assert.match(onServerless[1]!.message, /unverified/);
  });

  test('cross-slot calls matter only on cluster-mode targets', () => {
    const input: ClientAuditInput = {
      ...base,
      crossSlot: { count: 12, example: ['user:1', 'user:2', 'a'.repeat(300), 'x', 'y', 'z'] },
    };
    assert.deepEqual(clientFindings(input, ec, kb), []);
    const fs = clientFindings(input, ecCluster, kb);
    assert.equal(fs.length, 1);
    assert.equal(fs[0]!.code, 'cross-slot');
    assert.equal(fs[0]!.severity, 'error');
    assert.equal(fs[0]!.count, 12);
    assert.ok(fs[0]!.example!.startsWith('user:1 user:2 '));
    assert.ok(fs[0]!.example!.length < 250, 'long keys and long lists are cut');
    assert.match(fs[0]!.example!, /\(\+2\)$/);
    assert.deepEqual(clientFindings({ ...base, crossSlot: { count: 0, example: [] } }, ecCluster, kb), []);
  });

  test('a numbered database on cluster-mode targets, counted by SELECT calls', () => {
    const input = { ...base, db: 3, commands: { ...base.commands, SELECT: 4 } };
    assert.deepEqual(clientFindings(input, ec, kb), []);
    const sls = clientFindings(input, serverless, kb);
    assert.deepEqual(sls.map((f) => [f.code, f.severity, f.count]), [['select-db', 'error', 4]]);
    const cl = clientFindings(input, ecCluster, kb);
    assert.deepEqual(cl.map((f) => [f.code, f.severity]), [['select-db', 'warning']]);
  });

  test('severity order is error, warning, info; ties keep their order', () => {
    const fs = clientFindings(
      { name: '', libName: 'node-redis', libVer: '1.5.12', db: 1, commands: { SCAN: 3, VADD: 1 }, crossSlot: { count: 1, example: ['a', 'b'] }, libraryFieldsShown: true },
      ecCluster,
      kb,
    );
    const ranks = fs.map((f) => ({ error: 0, warning: 1, info: 2 })[f.severity]);
    assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b));
    assert.deepEqual(codes(fs), ['library-outdated', 'unsupported-command', 'cross-slot', 'no-client-name', 'select-db', 'unsupported-command']);
  });

  test('a user override changes the verdict', () => {
    const strict = mergeLibraries(kb, { families: [{ id: 'go-redis', minimum: '9.18.0' }] });
    const fs = clientFindings(base, ec, strict);
    assert.deepEqual(codes(fs), ['library-outdated']);
    assert.equal(fs[0]!.severity, 'error', 'go-redis minimumSource stays "maintainers" unless overridden');
  });
});
