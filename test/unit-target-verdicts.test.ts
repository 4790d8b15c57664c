// The real target's verdicts: from its own answers, never a profile's assumptions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientView } from '../src/analysis/views.ts';
import { compareVersions, targetVerdicts } from '../src/analysis/targetVerdicts.ts';
import type { ServerIdentity } from '../src/types.ts';
import { clientView } from './helpers/clientView.ts';

const view = (p: Partial<ClientView>): ClientView => clientView({ name: 'svc', ...p });
const server = (name: 'redis' | 'valkey', version: string, mode = 'standalone'): ServerIdentity => ({ name, version, redisVersion: version, mode, role: 'master' });

test('commands the source ran that the target lacks, by service, with their calls', () => {
  const clients = [
    view({ name: 'search', commands: [['FT.SEARCH', 40], ['GET', 3]] }),
    view({ name: 'jobs', commands: [['FT.SEARCH', 2], ['CLIENT|SETNAME', 1]] }),
  ];
  const v = targetVerdicts(clients, { server: server('redis', '7.0.15') }, { server: server('valkey', '8.0.1'), facts: { commands: ['CLIENT', 'GET', 'SET'] } });
  const miss = v.filter((x) => x.code === 'missing-command');
  assert.deepEqual(miss.map((x) => [x.subject, x.calls, x.services]), [['FT.SEARCH', 42, ['jobs', 'search']]]);
  assert.ok(v.some((x) => x.code === 'other-engine'));
});

test('without the target\'s command list nothing is assumed missing', () => {
  const v = targetVerdicts([view({ commands: [['FT.SEARCH', 4]] })], {}, { facts: {} });
  assert.deepEqual(v, []);
});

test('a cluster-mode target turns cross-slot traffic and numbered databases into errors; a standalone one does not', () => {
  const clients = [view({ name: 'cart', crossSlot: { count: 5, example: ['a', 'b'] }, dbs: [[0, 3], [2, 7]] })];
  const onCluster = targetVerdicts(clients, {}, { facts: { clusterEnabled: true } });
  assert.deepEqual(onCluster.map((x) => [x.code, x.calls, x.services]), [['select-db', 7, ['cart']], ['cross-slot', 5, ['cart']]]);
  assert.deepEqual(targetVerdicts(clients, {}, { facts: { clusterEnabled: false } }), []);
});

test('an older target and a module the target lacks are said', () => {
  const v = targetVerdicts([], { server: server('valkey', '8.1.0'), facts: { modules: ['bf', 'search'] } }, { server: server('valkey', '8.0.1'), facts: { modules: ['bf'] } });
  assert.deepEqual(v.map((x) => [x.code, x.subject]), [['missing-module', 'search'], ['older-version', '8.1.0 → 8.0.1']]);
  assert.ok(compareVersions('7.0.15', '7.2.4') < 0);
  assert.equal(compareVersions('8.0', '8.0.0'), 0);
});
