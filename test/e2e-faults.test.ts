// The fault suite, in a real terminal (tmux): the dashboard recording a live session is ended by
// closing its terminal (SIGHUP), by SIGTERM and by SIGINT, and must finish its recording, give the
// terminal back, and exit 128+n without a word of "internal error"; a wrong password must say so
// where MONITOR's state shows. A small session leader stands in for the shell: it runs the CLI,
// passes a hangup on to it as a shell does to its jobs, and writes down how the CLI ended.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { terminal } from './helpers/tmux.ts';
import { startServer, waitFor, type TestServer } from './helpers/servers.ts';
import { CLI, waitForStopHandlers } from './helpers/cli.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'recon-e2e-faults-'));
const LEADER = join(dir, 'leader.mjs');
writeFileSync(
  LEADER,
  `import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const [exitFile, pidFile, ...cmd] = process.argv.slice(2);
const child = spawn(cmd[0], cmd.slice(1), { stdio: 'inherit' });
writeFileSync(pidFile, String(child.pid));
// A shell whose terminal hangs up passes SIGHUP on to its jobs.
process.on('SIGHUP', () => child.kill('SIGHUP'));
process.on('SIGINT', () => {});
child.on('exit', (code, signal) => {
  writeFileSync(exitFile, JSON.stringify({ code, signal }));
  process.exit(0);
});
`,
);

let server: TestServer;
before(async () => {
  server = await startServer('valkey', ['--requirepass', 'e2e-faults-pw']);
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Ended {
  readonly code: number | null;
  readonly signal: string | null;
}

/** Starts the dashboard under the leader in a fresh tmux server; returns how to reach it. */
function dashboard(name: string, args: string[], password = 'e2e-faults-pw') {
  const term = terminal(`faults-${name}`);
  const exitFile = join(dir, `${name}.exit`);
  const pidFile = join(dir, `${name}.pid`);
  term.start(['env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', 'TERM=xterm-256color', process.execPath, LEADER, exitFile, pidFile, process.execPath, ...CLI, '--url', server.url, '--monitor', 'on', ...args], {
    cwd: ROOT,
    env: { REDIS_PASSWORD: password, RECON_ENV_FILE: '/nonexistent/.env' },
  });
  return {
    term,
    pid: async (): Promise<number> => Number(await waitFor(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8'), 'the CLI started', 20_000)),
    ended: (): Promise<Ended> => waitFor(() => existsSync(exitFile) && (JSON.parse(readFileSync(exitFile, 'utf8')) as Ended), 'the CLI ended', 15_000),
  };
}

const whole = (rec: string): string[] => gunzipSync(readFileSync(rec)).toString('utf8').trim().split('\n');

describe('the dashboard ended by a signal', { concurrency: true }, () => {
  test('its terminal closed (SIGHUP): the recording is finished and it exits 129, quietly', async () => {
    const rec = join(dir, 'hup.jsonl.gz');
    const d = dashboard('hup', ['--poll-interval', '250ms', '--record', rec]);
    try {
      await waitForStopHandlers(await d.pid());
      await d.term.waitScreen((s) => /MONITOR on/.test(s), 'MONITOR on', 20_000);
      await new Promise((r) => setTimeout(r, 1500));
      d.term.kill(); // tmux kill-server: the pane's terminal hangs up
      const ended = await d.ended();
      assert.deepEqual(ended, { code: 129, signal: null }, 'not 139 (an assertion restoring a dead terminal), not 70');
      const records = whole(rec);
      assert.ok(records.length > 2 && records.every((l) => JSON.parse(l)), 'gzip -t passes: the recording was finished');
    } finally {
      d.term.kill();
    }
  });

  for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    test(`${sig}: the terminal is given back, the recording finished, exit ${code}`, async () => {
      const rec = join(dir, `${sig}.jsonl.gz`);
      const d = dashboard(sig, ['--poll-interval', '250ms', '--record', rec]);
      try {
        const pid = await d.pid();
        await waitForStopHandlers(pid);
        await d.term.waitScreen((s) => /MONITOR on/.test(s), 'MONITOR on', 20_000);
        assert.ok(d.term.altScreen());
        process.kill(pid, sig);
        assert.deepEqual(await d.ended(), { code, signal: null });
        assert.equal(d.term.altScreen(), false, 'back on the main screen');
        const screen = d.term.screen();
        assert.doesNotMatch(screen, /internal error|Assertion/);
        assert.ok(whole(rec).length > 2);
      } finally {
        d.term.kill();
      }
    });
  }

  test('a wrong password: MONITOR says it never started and why, instead of "connecting" for ever', async () => {
    const d = dashboard('wrongpw', ['--poll-interval', '250ms'], 'not-the-password');
    try {
      const s = await d.term.waitScreen((x) => /MONITOR error/.test(x), 'MONITOR error', 20_000);
      assert.match(s, /not started: authentication failed/);
      assert.doesNotMatch(s, /MONITOR connecting|not-the-password/);
      d.term.keys('q');
      assert.deepEqual(await d.ended(), { code: 0, signal: null });
    } finally {
      d.term.kill();
    }
  });
});
