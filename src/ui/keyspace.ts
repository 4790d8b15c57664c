// The keyspace sampler's figures as the dashboard prints them: short, marked `~` when estimated,
// and a status in a few words. Pure.
import type { Estimate, KeyspaceSummary } from '../analysis/keyspaceEstimate.ts';
import { formatBytes, formatCount, formatMs } from './format.ts';

/** `12.3k`, `~12.3k` (estimated), `-` when unknown. */
export function shortEstimate(e: Estimate | null | undefined, fmt: (n: number) => string): string {
  if (!e) return '-';
  return `${e.exact ? '' : '~'}${fmt(e.value)}`;
}

export const shortKeys = (e: Estimate | null | undefined): string => shortEstimate(e, formatCount);
export const shortBytes = (e: Estimate | null | undefined): string => shortEstimate(e, (n) => formatBytes(n));

/** `20,000` or `~20.0k (19.5k–20.5k)`, `1.8MB` or `~1.8MB (1.7MB–1.9MB)`. */
export function longEstimate(e: Estimate | null | undefined, fmt: (n: number) => string): string {
  if (!e) return 'unknown';
  return e.exact ? fmt(e.value) : `~${fmt(e.value)} (${fmt(e.low)}–${fmt(e.high)})`;
}

/** How far the scan got: of the sample size when one is set, else of the keyspace. */
export function progress(s: KeyspaceSummary): number {
  if (s.complete) return 1;
  const of = s.limit > 0 ? Math.min(s.limit, s.dbsize || s.limit) : s.dbsize;
  return of > 0 ? Math.min(1, s.sampled / of) : 0;
}

/** A few words for the heatmap's title: `keyspace 45% · 2.0k/s`, `keyspace: all 265k keys`. */
export function keyspaceBadge(s: KeyspaceSummary | undefined): string {
  if (!s) return '';
  const pct = `${Math.floor(progress(s) * 100)}%`;
  switch (s.phase) {
    case 'starting':
      return 'keyspace: starting';
    case 'running':
      return `keyspace ${pct} · ${formatCount(s.rate)}/s${s.pace < 1 ? ' (slowed)' : ''}`;
    case 'held':
      return `keyspace ${pct} held`;
    case 'done':
      return s.complete ? `keyspace: all ${formatCount(s.sampled)} keys` : `keyspace: ${formatCount(s.sampled)}-key sample`;
    case 'stopped':
      return `keyspace stopped at ${pct}`;
    case 'error':
      return 'keyspace failed';
    default:
      return '';
  }
}

/** One line on the sampler for the pattern panel. */
export function keyspaceStatusLine(s: KeyspaceSummary | undefined): string {
  if (!s) return 'Keyspace not sampled: press K to start the sampler.';
  const read = `${formatCount(s.sampled)} of ${formatCount(s.dbsize)} keys`;
  const figures = s.complete ? 'counts' : '~ estimates, 99% intervals';
  switch (s.phase) {
    case 'starting':
      return 'Sampler starting (it waits for the next poll).';
    case 'running':
      return `Sampling: ${read} in ${formatMs(s.elapsedMs)}, ${formatCount(s.rate)} keys/s of ${formatCount(s.budget)}${s.pace < 1 ? ` (slowed: ${s.reason ?? 'the server is busier'})` : ''}; ${figures}.`;
    case 'held':
      return `Sampler held: ${s.reason ?? 'the server should be spared'} (${read}).`;
    case 'done':
      return `${s.complete ? 'Whole keyspace read' : 'Sample size reached'}: ${read} in ${formatMs(s.elapsedMs)}; ${figures}.`;
    case 'stopped':
      return `Sampler stopped (${s.reason ?? 'by you'}): ${read}; ${figures}. K resumes.`;
    case 'error':
      return `Sampler failed: ${s.reason ?? 'error'}.`;
    default:
      return 'Keyspace not sampled: press K to start the sampler.';
  }
}
