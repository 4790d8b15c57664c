// Owner maps from the files people already have: kubectl pods and nodes (`-o wide`, in the column
// layouts of several kubectl versions, IPv4 and IPv6, squeezed spacing, no headers), a CSV of
// addresses and CIDR ranges, /etc/hosts. The most specific owner wins; a node's address lists the
// pods on that node; unreadable files are refused in words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKubectl, workloadOf } from '../src/owners/kubectl.ts';
import { parseHostsFile, parseOwnerCsv } from '../src/owners/tables.ts';
import { buildOwnerMap, candidatesText, formatOf, loadOwnerFiles, ownerText, type OwnerMap } from '../src/owners/ownerMap.ts';
import { canonicalIp, parseRange } from '../src/owners/addresses.ts';

const FIXTURES = new URL('fixtures/owners/', import.meta.url);
const fixture = (name: string): string => readFileSync(new URL(name, FIXTURES), 'utf8');
const mapOf = (...names: string[]): OwnerMap => {
  const r = buildOwnerMap(names.map((n) => ({ path: n, text: fixture(n) })));
  if (!r.ok) throw new Error(r.error);
  return r.map;
};

test('pod names give their workload: Deployment, CronJob, StatefulSet, DaemonSet, static pods', () => {
  assert.equal(workloadOf('checkout-api-7f9c8d6b5-x2x7q'), 'checkout-api');
  assert.equal(workloadOf('coredns-5dd5756b68-7x9zq'), 'coredns');
  assert.equal(workloadOf('invoice-sweep-28472520-7xk2p'), 'invoice-sweep', 'a CronJob run');
  assert.equal(workloadOf('cart-worker-0'), 'cart-worker');
  assert.equal(workloadOf('cart-worker-12'), 'cart-worker');
  assert.equal(workloadOf('fluent-bit-wqnhl'), 'fluent-bit', 'a DaemonSet suffix without a digit still goes');
  assert.equal(workloadOf('node-exporter-prometheus-node-exporter-x8gkq'), 'node-exporter-prometheus-node-exporter');
  assert.equal(workloadOf('etcd-ip-10-0-1-23.ec2.internal', 'ip-10-0-1-23.ec2.internal'), 'etcd', 'a static pod is <name>-<node>');
  assert.equal(workloadOf('redis'), 'redis', 'a bare pod is its own owner');
  assert.equal(workloadOf('api-server'), 'api-server', 'a word is not a generated suffix');
});

test('kubectl get pods -A -o wide (1.29): namespaces, "2 (3d ago)" restarts, finished and pending pods', () => {
  const k = parseKubectl(fixture('pods-A-wide-1.29.txt'));
  assert.deepEqual(k.problems, []);
  assert.equal(k.pods.length, 17);
  const x2 = k.pods.find((p) => p.pod === 'checkout-api-7f9c8d6b5-x2x7q')!;
  assert.deepEqual(
    { ns: x2.namespace, ip: x2.ip, node: x2.node, owner: x2.owner, status: x2.status, finished: x2.finished },
    { ns: 'shop', ip: '10.0.1.57', node: 'ip-10-0-1-23.ec2.internal', owner: 'checkout-api', status: 'Running', finished: false },
    'the restart count with "(3d ago)" does not shift the columns after it',
  );
  const done = k.pods.find((p) => p.pod.startsWith('invoice-sweep-28472520'))!;
  assert.equal(done.finished, true);
  const pending = k.pods.find((p) => p.status === 'Pending')!;
  assert.equal(pending.ip, undefined);
  assert.equal(pending.node, undefined);
});

test('kubectl 1.10 layout (no NAMESPACE, no NOMINATED NODE), squeezed IPv6 output, --no-headers', () => {
  const old = parseKubectl(fixture('pods-wide-1.10.txt'));
  assert.deepEqual(old.problems, []);
  assert.deepEqual(old.pods.map((p) => [p.pod, p.ip, p.node, p.owner, p.namespace]), [
    ['checkout-api-5b8c7d9f6-r2fgt', '172.17.0.5', 'minikube', 'checkout-api', undefined],
    ['checkout-api-5b8c7d9f6-wxk7m', '172.17.0.6', 'minikube', 'checkout-api', undefined],
    ['reports-worker-3', '172.17.0.9', 'minikube', 'reports-worker', undefined],
  ]);
  const v6 = parseKubectl(fixture('pods-ipv6-squeezed.txt'));
  assert.deepEqual(v6.problems, []);
  assert.deepEqual(v6.pods.map((p) => [p.ip, p.node, p.owner, p.finished]), [
    ['fd00:10:244:1::5', 'kind-worker', 'checkout-api', false],
    ['fd00:10:244:2::a', 'kind-worker2', 'feature-flags', false],
  ]);
  const bare = parseKubectl(fixture('pods-no-headers.txt'));
  assert.deepEqual(bare.problems, []);
  assert.deepEqual(bare.pods.map((p) => [p.namespace, p.owner, p.ip]), [
    ['shop', 'checkout-api', '10.0.1.57'],
    ['shop', 'cart-worker', '10.0.2.17'],
  ]);
});

test('kubectl get nodes -o wide: internal and external addresses; OS images with spaces do not matter', () => {
  const k = parseKubectl(fixture('nodes-wide-1.29.txt'));
  assert.deepEqual(k.problems, []);
  assert.deepEqual(k.nodes.map((n) => [n.node, n.ips]), [
    ['ip-10-0-1-23.ec2.internal', ['10.0.1.23']],
    ['ip-10-0-2-48.ec2.internal', ['10.0.2.48', '54.210.33.17']],
  ]);
});

test('kubectl output without -o wide, and rows that do not fit, are refused with the line', () => {
  const narrow = parseKubectl('NAME                           READY   STATUS    RESTARTS   AGE\ncheckout-api-7f9c8d6b5-x2x7q   1/1     Running   0          5d\n');
  assert.match(narrow.problems[0]!.why, /without -o wide has no IP column/);
  const nodes = parseKubectl('NAME       STATUS   ROLES           AGE   VERSION\nminikube   Ready    control-plane   10d   v1.28.3\n');
  assert.match(nodes.problems[0]!.why, /kubectl get nodes -o wide/);
  const bad = parseKubectl(`${fixture('pods-wide-1.10.txt')}checkout-api-5b8c7d9f6-zzzzz 1/1 Running 0 3d 172.17.0.300 minikube\n`);
  assert.deepEqual(bad.problems, [{ line: 5, why: '"172.17.0.300" in the IP column is not an address' }]);
  const chatter = parseKubectl('No resources found in default namespace.\n');
  assert.deepEqual(chatter, { pods: [], nodes: [], problems: [] });
});

test('CSV: addresses and CIDR ranges (IPv4 and IPv6), a header, comments, quoted owners, a team column', () => {
  const t = parseOwnerCsv(fixture('owners.csv'));
  assert.deepEqual(t.problems, []);
  assert.deepEqual(t.entries.map((e) => [e.range.text, e.name, e.team ?? null, e.line]), [
    ['10.8.0.0/16', 'vpn-users', 'it', 3],
    ['10.0.64.0/18', 'batch-subnet', 'data', 4],
    ['10.0.64.10', 'reports, nightly', 'data', 5],
    ['10.0.64.0/24', 'etl-cluster', 'data', 6],
    ['fd00:abcd::/32', 'ipv6-lab', 'platform', 7],
    ['192.0.2.7', 'legacy-vm', null, 8],
  ]);
  const bad = parseOwnerCsv('10.0.0.0/33,too-wide\n10.0.0.1,\n');
  assert.deepEqual(bad.problems, [
    { line: 1, why: '"10.0.0.0/33" is not an IP address or CIDR range' },
    { line: 2, why: 'no owner after 10.0.0.1' },
  ]);
});

test('/etc/hosts: canonical names, aliases and trailing comments ignored, IPv6 lines', () => {
  const t = parseHostsFile(fixture('hosts'));
  assert.deepEqual(t.problems, []);
  assert.deepEqual(t.entries.map((e) => [e.range.text, e.name]), [
    ['127.0.0.1', 'localhost'],
    ['127.0.1.1', 'bastion.internal'],
    ['::1', 'localhost'],
    ['ff02::1', 'ip6-allnodes'],
    ['10.20.0.14', 'cron-box.internal'],
  ]);
  assert.match(parseHostsFile('10.0.0.0/8 net\n').problems[0]!.why, /not an IP address/);
});

test('each file is recognised by what it holds', () => {
  assert.equal(formatOf(fixture('pods-A-wide-1.29.txt')), 'kubectl');
  assert.equal(formatOf(fixture('pods-no-headers.txt')), 'kubectl');
  assert.equal(formatOf(fixture('nodes-wide-1.29.txt')), 'kubectl');
  assert.equal(formatOf(fixture('owners.csv')), 'csv');
  assert.equal(formatOf(fixture('hosts')), 'hosts');
  assert.equal(formatOf('{"not": "an owner", "file": 1}\n'), 'csv', 'a comma: read as CSV, which then says which line is wrong');
  assert.equal(formatOf('hello world\n'), undefined);
});

test('addresses meet in one form: IPv4-mapped IPv6, zone ids, compressed IPv6', () => {
  assert.equal(canonicalIp('::ffff:10.0.1.57'), '10.0.1.57');
  assert.equal(canonicalIp('fd00:10:244:1:0:0:0:5'), 'fd00:10:244:1::5');
  assert.equal(canonicalIp('fe80::1%eth0'), 'fe80::1');
  assert.equal(canonicalIp('10.1'), undefined, 'shorthand IPv4 is no address in an owner file');
  assert.equal(canonicalIp('/var/run/redis.sock'), undefined);
  assert.equal(parseRange('10.0.64.77/24')!.text, '10.0.64.0/24', 'host bits cleared');
});

test('the most specific owner wins: a pod over a range, a narrower range over a wider one', () => {
  const m = mapOf('pods-A-wide-1.29.txt', 'nodes-wide-1.29.txt', 'owners.csv', 'hosts');
  const pod = m.lookup('10.0.1.57')!;
  assert.deepEqual(
    { name: pod.name, kind: pod.kind, ns: pod.namespace, pod: pod.pod, node: pod.node, match: pod.match, source: pod.source },
    { name: 'checkout-api', kind: 'pod', ns: 'shop', pod: 'checkout-api-7f9c8d6b5-x2x7q', node: 'ip-10-0-1-23.ec2.internal', match: '10.0.1.57', source: 'pods-A-wide-1.29.txt:8' },
    'a finished pod that had the same address does not make it ambiguous',
  );
  assert.equal(ownerText(pod), 'shop/checkout-api');
  assert.equal(m.lookup('::ffff:10.0.1.57')?.name, 'checkout-api', 'as a dual-stack listener prints it');
  assert.equal(m.lookup('10.0.64.10')?.name, 'reports, nightly', 'an exact address over any range');
  assert.equal(m.lookup('10.0.64.99')?.name, 'etl-cluster', '/24 over /18');
  const wide = m.lookup('10.0.100.1')!;
  assert.deepEqual([wide.name, wide.team, wide.kind, wide.match, wide.source], ['batch-subnet', 'data', 'network', '10.0.64.0/18', 'owners.csv:4']);
  assert.equal(ownerText(wide), 'batch-subnet (10.0.64.0/18)');
  assert.equal(m.lookup('fd00:abcd:1::7')?.name, 'ipv6-lab');
  assert.equal(m.lookup('10.20.0.14')?.name, 'cron-box.internal');
  assert.equal(m.lookup('203.0.113.9'), null);
  assert.equal(m.lookup('/tmp/redis.sock'), null);
  assert.equal(m.lookup('10.0.2.17')?.name, 'cart-worker');
  assert.match(m.describe(), /17 pods, 2 nodes, 11 addresses and ranges/);
});

test("a node's address is one of its pods, and lists them (hostNetwork pods share it too)", () => {
  const both = mapOf('pods-A-wide-1.29.txt', 'nodes-wide-1.29.txt');
  const node = both.lookup('10.0.1.23')!;
  assert.equal(node.kind, 'node');
  assert.equal(node.name, 'ip-10-0-1-23.ec2.internal');
  assert.equal(ownerText(node), 'a pod on ip-10-0-1-23.ec2.internal');
  assert.deepEqual(
    node.candidates!.map((c) => `${c.namespace}/${c.owner}×${c.pods}`),
    [
      'shop/checkout-api×2', 'kube-system/aws-node×1', 'shop/cart-worker×1', 'kube-system/coredns×1', 'kube-system/etcd×1',
      'logging/fluent-bit×1', 'kube-system/kube-proxy×1', 'monitoring/node-exporter-prometheus-node-exporter×1',
    ],
    'running pods only: the finished CronJob run is not there',
  );
  assert.match(candidatesText(node, 2), /^shop\/checkout-api ×2, kube-system\/aws-node and 6 more$/);
  assert.equal(both.lookup('54.210.33.17')?.name, 'ip-10-0-2-48.ec2.internal', 'the external address too');
  // Without the nodes file, an address several running pods share on one node is that node's.
  const pods = mapOf('pods-A-wide-1.29.txt');
  assert.equal(pods.lookup('10.0.1.23')?.kind, 'node');
  assert.equal(pods.lookup('10.0.2.48')?.kind, 'node');
  // Without the pods file, a node is still a node, with no list.
  const nodes = mapOf('nodes-wide-1.29.txt');
  assert.equal(nodes.lookup('10.0.1.23')?.candidates, undefined);
});

test('files that cannot be read or parsed are refused in words, before any run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'recon-owners-'));
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const err = (paths: string[]): string => {
    const r = loadOwnerFiles(paths);
    assert.equal(r.ok, false);
    return (r as { error: string }).error;
  };
  assert.equal(err([join(dir, 'absent.txt')]), `cannot read --hosts ${join(dir, 'absent.txt')}: no such file`);
  assert.equal(err([dir]), `cannot read --hosts ${dir}: is a directory`);
  const csv = write('bad.csv', 'cidr,owner\n10.0.0.0/8,corp\n10.0.0.999,oops\nnot-an-ip,x\n');
  assert.equal(err([csv]), `--hosts ${csv} line 3: "10.0.0.999" is not an IP address or CIDR range (and 1 more line)`);
  const empty = write('empty.txt', '# nothing yet\n');
  assert.match(err([empty]), /no addresses in it \(expected kubectl get pods\/nodes -o wide output, a CSV/);
  const prose = write('notes.txt', 'these are my notes\n');
  assert.match(err([prose]), /cannot tell what it holds/);
  const ok = loadOwnerFiles([write('good.csv', '10.0.0.0/8,corp\n'), new URL('pods-wide-1.10.txt', FIXTURES).pathname]);
  assert.ok(ok.ok && ok.map.lookup('172.17.0.9')?.name === 'reports-worker' && ok.map.lookup('10.1.1.1')?.name === 'corp');
});
