// `redis-recon --help`: the options from the SETTINGS table (the one source for parsing, help and
// .env.example), then examples and the exit codes. No example carries a secret.
import { SETTINGS } from './config.ts';

const EXAMPLES: ReadonlyArray<readonly [command: string, what: string]> = [
  ['redis-recon --url rediss://cache.example.com:6380 --target elasticache-valkey-cluster', 'The dashboard against a TLS server; the password comes from REDIS_PASSWORD or ./.env.'],
  ['redis-recon --url redis://10.0.0.5:6379 --headless --duration 10m --export inventory.md', 'No screen: ten minutes of traffic, then the summary for the migration ticket.'],
  ['redis-recon --url redis://10.0.0.5:6379 --record session.jsonl.gz', 'Watch and record the session (keys, not values) to replay later.'],
  ['redis-recon --replay session.jsonl.gz --speed 10', 'Replay a recording ten times faster.'],
  ['redis-recon --url redis://10.0.0.5:6379 --hosts pods.txt --hosts nodes.txt', 'Name the pods and nodes behind client addresses (files saved from `kubectl get pods -A -o wide` and `kubectl get nodes -o wide`).'],
  ['redis-recon --monitor-log capture.txt --client-list clients.txt --headless --export inventory.json', 'Read a `redis-cli monitor > capture.txt` capture without a server.'],
];

const EXIT_CODES: ReadonlyArray<readonly [code: string, meaning: string]> = [
  ['0', 'done'],
  ['1', 'bad flags or settings (a --target, --libraries or --hosts file, a --record path that cannot be written)'],
  ['2', 'cannot connect, authenticate, or read the source (server, recording, capture, TLS files)'],
  ['3', 'an output cannot be written: the --export file (checked before the run, and when writing it), or the --record file stopped (a full disk)'],
  ['4', 'done, but incomplete: MONITOR was off for part of the window although wanted (its connection lost, a safety hold), or lines were dropped; the export and stderr say when and why'],
  ['70', 'internal error, a bug (RECON_DEBUG=1 shows the stack)'],
  ['128+n', 'stopped by signal n: 130 SIGINT, 143 SIGTERM, 129 SIGHUP (the recording is finished and a headless run still writes its export first)'],
];

export function helpText(): string {
  const lines = ['Usage: redis-recon [options]', '', 'Options (flag / environment variable):'];
  for (const s of SETTINGS) {
    const short = 'short' in s ? `-${s.short}, ` : '';
    const flag = s.flag ? `${short}--${s.flag}${s.arg ? ` ${s.arg}` : ''}` : '';
    const env = s.env ? `${s.env}` : '';
    lines.push(`  ${[flag, env].filter(Boolean).join(' / ')}`, `      ${s.help}`);
  }
  lines.push('', 'Settings are also read from ./.env (or RECON_ENV_FILE); flags beat the environment.');
  lines.push('', 'Examples:');
  for (const [command, what] of EXAMPLES) lines.push(`  ${command}`, `      ${what}`);
  lines.push('', 'Exit codes:');
  for (const [code, meaning] of EXIT_CODES) lines.push(`  ${code.padEnd(6)}${meaning}`);
  return lines.join('\n');
}
