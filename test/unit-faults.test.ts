// The pieces the fault suite (int-faults, e2e-faults) leans on, each on its own: when MONITOR counts
// as off and why, the errors a user reads, reconnect pacing, the one escape for every reader, the
// export's and the summary's account of what MONITOR missed, record times a replay believes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MonitorGate } from '../src/collect/monitorGate.ts';
import { describeError, reconnectDelay } from '../src/sources/connect.ts';
import { escapeControls } from '../src/escape.ts';
import { clean } from '../src/ui/text.ts';
import { monitorOff } from '../src/export/inventory.ts';
import { renderInventory } from '../src/export/formats.ts';
import type { ExportClient, Inventory } from '../src/export/inventory.ts';
import { incompleteNotes } from '../src/headless.ts';
import { plausibleTime } from '../src/collect/replay.ts';
import { signalExitCode } from '../src/signals.ts';
import { unwritablePath } from '../src/paths.ts';
import type { Config } from '../src/config.ts';

function gateAt(): { gate: MonitorGate; at: (t: number) => void } {
  const clock = { t: 0 };
  return { gate: new MonitorGate('on', () => clock.t), at: (t) => (clock.t = t) };
}

test('MONITOR off: start-up is no gap; a lost connection is one until MONITOR streams again, reopening included', () => {
  const { gate, at } = gateAt();
  gate.connection('connecting');
  at(100);
  gate.connection('on');
  assert.deepEqual(gate.status({ guard: 'idle' }).offPeriods, [], 'connecting at start-up is no gap');
  at(1000);
  gate.connection('reconnecting', 'connection to x lost (closed by the server or the network); reconnecting');
  at(1500);
  gate.connection('reconnecting', 'x stopped accepting connections (restarting?); reconnecting');
  at(2000);
  gate.connection('off');
  gate.connection('connecting');
  at(2300);
  gate.connection('on');
  assert.deepEqual(gate.status({ guard: 'idle' }).offPeriods, [
    { from: 1000, to: 2300, why: 'connection to x lost (closed by the server or the network); reconnecting' },
  ]);
});

test('MONITOR off: a hold and the reopening after it are one period, with the hold\'s first words', () => {
  const { gate, at } = gateAt();
  gate.connection('on');
  at(1000);
  gate.hold('blind', 'buffer guard: no CLIENT LIST answer for 5s');
  gate.connection('off');
  at(1250);
  gate.hold('blind', 'buffer guard: no CLIENT LIST answer for 6s');
  at(3000);
  gate.release('blind');
  gate.connection('connecting');
  at(3050);
  gate.connection('on');
  assert.deepEqual(gate.status({ guard: 'idle' }).offPeriods, [{ from: 1000, to: 3050, why: 'buffer guard: no CLIENT LIST answer for 5s' }]);
});

test('MONITOR off: the user\'s pause and the end of the run are no gaps; an error before MONITOR ever ran is one', () => {
  const { gate, at } = gateAt();
  gate.connection('on');
  at(1000);
  gate.setDesired('paused', 'paused by you');
  gate.connection('off');
  at(2000);
  gate.setDesired('on');
  gate.connection('connecting');
  at(2100);
  gate.connection('on');
  at(3000);
  gate.connection('off');
  gate.setDesired('off', 'the run ended');
  assert.deepEqual(gate.status({ guard: 'idle' }).offPeriods, []);

  const denied = gateAt();
  denied.at(50);
  denied.gate.connection('error', 'permission denied for MONITOR');
  denied.at(900);
  denied.gate.setDesired('off', 'the run ended');
  assert.deepEqual(denied.gate.status({ guard: 'idle' }).offPeriods, [{ from: 50, to: 900, why: 'permission denied for MONITOR' }]);
});

test('MONITOR off: past the bound the oldest periods merge, keeping how long MONITOR was really off', () => {
  const { gate, at } = gateAt();
  gate.connection('on');
  for (let i = 0; i < 60; i++) {
    at(i * 1000);
    gate.connection('reconnecting', 'lost');
    at(i * 1000 + 10);
    gate.connection('on');
  }
  const periods = gate.status({ guard: 'idle' }).offPeriods;
  assert.equal(periods.length, 50);
  const total = monitorOff(periods, 60_000);
  assert.equal(total.monitorOffSeconds, 0.6, '60 gaps of 10 ms, not the spans between them');
  assert.equal(periods[0]!.offMs, 110);
  assert.match(periods[0]!.why, /^lost \(and more\)$/);
});

test('what MONITOR missed while on (CLIENT PAUSE on Valkey) is on record with no time off', () => {
  const { gate } = gateAt();
  gate.connection('on');
  gate.missed(1000, 6000, 'CLIENT PAUSE ran on the server');
  const off = monitorOff(gate.status({ guard: 'idle' }).offPeriods, 10_000);
  assert.equal(off.monitorOffSeconds, 0);
  assert.deepEqual(off.monitorOff, [{ from: new Date(1000).toISOString(), to: new Date(6000).toISOString(), seconds: 0, why: 'CLIENT PAUSE ran on the server' }]);
});

const cfg = (over: Partial<Config['tls']> = {}, password = 'pw-secret'): Pick<Config, 'endpoint' | 'auth' | 'connectTimeoutMs' | 'tls'> => ({
  endpoint: 'cache.example:6380',
  auth: { password },
  connectTimeoutMs: 5000,
  tls: { enabled: true, insecure: false, ...over },
});
const err = (message: string, code?: string): Error => Object.assign(new Error(message), code ? { code } : {});

test('errors name the fix: mutual TLS, a certificate for another name, an expired one, a key for another certificate', () => {
  assert.equal(
    describeError(err('alert certificate required', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), cfg()),
    'cache.example:6380 requires a client certificate (mutual TLS): pass --tls-cert and --tls-key',
  );
  assert.match(describeError(err('x', 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), cfg({ certFile: 'c.pem', keyFile: 'k.pem' })), /refused our client certificate .*signed by a CA the server trusts/);
  assert.match(
    describeError(err("Hostname/IP does not match certificate's altnames", 'ERR_TLS_CERT_ALTNAME_INVALID'), cfg()),
    /^the TLS certificate of cache\.example:6380 is not for cache\.example \(ERR_TLS_CERT_ALTNAME_INVALID\): .*--tls-servername NAME$/,
  );
  assert.match(describeError(err('certificate has expired', 'CERT_HAS_EXPIRED'), cfg()), /has expired/);
  assert.match(describeError(err('key values mismatch', 'ERR_OSSL_X509_KEY_VALUES_MISMATCH'), cfg()), /^--tls-key does not belong to --tls-cert/);
  assert.match(describeError(err('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN'), cfg()), /--tls-ca/);
});

test('a connection that had been up and was dropped is a lost connection, never a TLS mismatch', () => {
  const plain = cfg({ enabled: false });
  assert.match(describeError(err('Socket closed unexpectedly'), plain), /use rediss:\/\/ or --tls/, 'on the first connect, a plain client on a TLS port is hung up on');
  const dropped = describeError(err('Socket closed unexpectedly'), plain, { established: true });
  assert.equal(dropped, 'connection to cache.example:6380 lost (closed by the server or the network); reconnecting');
  assert.match(describeError(err('connect ECONNREFUSED', 'ECONNREFUSED'), plain, { established: true }), /stopped accepting connections \(restarting\?\); reconnecting/);
  assert.doesNotMatch(describeError(err('timed out', 'ETIMEDOUT'), cfg(), { established: true }), /drop --tls/);
  assert.doesNotMatch(describeError(err('WRONGPASS pw-secret'), plain), /pw-secret/);
});

test('reconnects: at once, then quickly for about ten seconds, then each second, then the maximum', () => {
  assert.equal(reconnectDelay(0, 10_000), 0);
  assert.deepEqual([1, 2, 3, 4, 5, 40].map((r) => reconnectDelay(r, 10_000)), [50, 100, 200, 250, 250, 250]);
  assert.equal(reconnectDelay(41, 10_000), 1000);
  assert.equal(reconnectDelay(101, 10_000), 10_000);
  assert.equal(reconnectDelay(5, 100), 100, 'never above the maximum');
});

test('one escape for screen and files: C0, DEL, C1, bidi controls and invisible characters; emoji and joiners stay', () => {
  assert.equal(clean, escapeControls, 'the screen uses the very same function');
  assert.equal(escapeControls('a\u001b[2Jb\u0007\u007f\u009b'), 'a\\x1b[2Jb\\x07\\x7f\\x9b');
  assert.equal(escapeControls('\u202etxt.exe'), '\\u202etxt.exe');
  for (const c of ['\u061c', '\u200e', '\u200f', '\u202a', '\u2066', '\u2069', '\u200b', '\u2060', '\ufeff', '\u00ad', '\u2028']) {
    assert.match(escapeControls(`x${c}y`), /^x\\(x|u)[0-9a-f]+y$/, JSON.stringify(c));
  }
  for (const keep of ['plain:key', 'café', '日本', '👨‍👩‍👧', 'ﻻ', 'a\u200cb', 'e\u0301']) assert.equal(escapeControls(keep), keep);
});

function inventory(over: Partial<Inventory['window']> = {}, keys: string[] = []): Inventory {
  const client: ExportClient = {
    id: '1', addr: '10.0.0.1:1', ip: '10.0.0.1', name: 'svc', libName: null, libVer: null, user: null, db: 0, connected: true, listed: true,
    firstSeen: '', lastSeen: '', ageSeconds: 1, idleSeconds: 0, lastCommand: null, events: 1, commands: { GET: 1 }, reads: 1, writes: 0,
    prefixes: keys.map((k) => ({ prefix: k, reads: 1, writes: 0 })), topKeys: keys.map((key) => ({ key, count: 1 })), dbs: [], library: null, findings: [], sharedBy: null, node: null,
  };
  return {
    formatVersion: 1, tool: { name: 'redis-recon', version: 't' }, endpoint: 'e', server: null, target: null,
    window: { start: '2026-01-01T00:00:00.000Z', end: '2026-01-01T00:00:40.000Z', monitorEvents: 1, unparsedLines: 0, droppedLines: 0, monitorOnSeconds: 36, monitorOffSeconds: 0, monitorOff: [], ...over },
    nodes: [], cluster: null,
    clients: [client], prefixes: keys.map((prefix) => ({ prefix, kind: 'leaf' as const, reads: 1, writes: 0, count: 1 })), topKeys: [],
    summary: { clients: 1, connected: 1, unnamed: 0, services: 1, libraries: { ok: 0, outdated: 0, unknown: 0, missing: 0, unavailable: 0 }, findings: {}, selfLeftOut: 0 },
  };
}

test('Markdown and CSV: server text escaped the screen\'s way, never a raw control or bidi character', () => {
  const inv = inventory({}, ['evil\u001b[2J:', 'bell\u0007:', 'c1\u009b:', '\u202eexe:', 'pipe|nl\n:']);
  for (const format of ['md', 'csv'] as const) {
    const text = renderInventory(inv, format);
    assert.doesNotMatch(text, /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e]/, format);
    assert.ok(text.includes('evil\\x1b[2J:') && text.includes('\\u202eexe:'), format);
  }
  assert.ok(renderInventory(inv, 'md').includes('pipe\\|nl\\x0a:'), 'a cell keeps its pipe escaped and its newline visible');
  assert.ok(renderInventory(inv, 'json').includes('"evil\\u001b[2J:"'), 'the JSON keeps the key exactly (JSON escapes it itself)');
});

test('an incomplete window: the Markdown says so first, the notes say how long and why, a complete one says nothing', () => {
  const off = [
    { from: '2026-01-01T00:00:05.000Z', to: '2026-01-01T00:00:08.200Z', seconds: 3.2, why: 'connection to e lost (closed by the server or the network); reconnecting' },
    { from: '2026-01-01T00:00:10.000Z', to: '2026-01-01T00:00:16.000Z', seconds: 0, why: 'CLIENT PAUSE ran on the server' },
  ];
  const inv = inventory({ monitorOffSeconds: 3.2, monitorOff: off });
  const md = renderInventory(inv, 'md');
  assert.match(md, /- \*\*Incomplete\*\*: MONITOR was off for 3\.2s of the window: the counts below are short by what ran then\n  - 2026-01-01T00:00:05\.000Z to 2026-01-01T00:00:08\.200Z \(off 3\.2s\): connection to e lost/);
  assert.match(md, /  - 2026-01-01T00:00:10\.000Z to 2026-01-01T00:00:16\.000Z: CLIENT PAUSE ran on the server\n/);
  assert.deepEqual(incompleteNotes(inv), [
    'redis-recon: note: incomplete: MONITOR was off for 3.2s of the 40s window; commands run then are not counted',
    'redis-recon: note:   off 3.2s from 2026-01-01T00:00:05.000Z: connection to e lost (closed by the server or the network); reconnecting',
    'redis-recon: note:   2026-01-01T00:00:10.000Z to 2026-01-01T00:00:16.000Z: CLIENT PAUSE ran on the server',
  ]);
  assert.deepEqual(incompleteNotes(inventory({ droppedLines: 7 })), ['redis-recon: note: incomplete: 7 MONITOR line(s) dropped because redis-recon fell behind']);
  assert.deepEqual(incompleteNotes(inventory()), []);
  assert.doesNotMatch(renderInventory(inventory(), 'md'), /Incomplete/);
});

test('a replay believes record times within a year of its start, not before it, not forged', () => {
  const start = Date.UTC(2026, 0, 1);
  assert.ok(plausibleTime(start + 3600_000, start));
  assert.ok(plausibleTime(start - 1000, start), 'a poll a moment before the header');
  for (const bad of [1e16, -5e15, start - 3600_000, Number.NaN, Infinity, start + 500 * 86_400_000]) assert.equal(plausibleTime(bad, start), false, String(bad));
});

test('signals end a run with 128+n; an export never replaces a device', () => {
  assert.deepEqual([signalExitCode('SIGHUP'), signalExitCode('SIGINT'), signalExitCode('SIGTERM')], [129, 130, 143]);
  assert.match(unwritablePath('/dev/null', { replaces: true }) ?? '', /^is not a regular file/);
  assert.equal(unwritablePath('/dev/null'), undefined, 'a recording may go to a device');
});

test('MONITOR off: a lost connection back within the same millisecond is still a gap', () => {
  const { gate, at } = gateAt();
  gate.connection('connecting');
  at(100);
  gate.connection('on');
  at(1000);
  gate.connection('reconnecting', 'connection to x lost (closed by the server or the network); reconnecting');
  gate.connection('on');
  assert.deepEqual(gate.status({ guard: 'idle' }).offPeriods, [{ from: 1000, to: 1000, why: 'connection to x lost (closed by the server or the network); reconnecting' }]);
});

test('MONITOR off: the windows of --monitor sampled are the plan, not gaps; a hidden connection\'s duty cycle is a gap', () => {
  const sampled = gateAt();
  sampled.gate.setDuty({ onMs: 1000, offMs: 4000 }, 'sampled (--monitor sampled)', true);
  sampled.gate.connection('on');
  for (const t of [500, 1000, 1001, 3000, 5000, 5001, 6500]) {
    sampled.at(t);
    sampled.gate.connection(sampled.gate.shouldRun() ? 'on' : 'off');
  }
  assert.deepEqual(sampled.gate.status({ guard: 'watching' }).offPeriods, [], 'sampled windows leave no off period');

  const hidden = gateAt();
  hidden.gate.setDuty({ onMs: 1000, offMs: 4000 }, 'buffer guard cannot see our MONITOR connection');
  hidden.gate.connection('on');
  for (const t of [500, 1000, 1001, 3000, 5000, 5001, 6500]) {
    hidden.at(t);
    hidden.gate.connection(hidden.gate.shouldRun() ? 'on' : 'off');
  }
  const off = hidden.gate.status({ guard: 'hidden' }).offPeriods;
  // Off from 1000 to 5000, on again, and off again from the next window's end (still open at 6500).
  assert.deepEqual(off.map((p) => [p.from, p.to]), [[1000, 5000], [6500, undefined]], JSON.stringify(off));
  assert.match(off[0]!.why, /buffer guard cannot see/);
});
