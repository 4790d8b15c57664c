// Numbers as a glance should read them: short, fixed-ish width, unit included.
import bytes from 'bytes';

/** 999, 12.3k, 123k, 1.2M, 45G. Negative and non-finite values read as 0. */
export function formatCount(n: number): string {
  if (!(n > 0) || !Number.isFinite(n)) return '0';
  if (n < 1000) return String(Math.round(n));
  const units = ['k', 'M', 'G', 'T'];
  let v = n;
  let u = -1;
  while (v >= 999.5 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

/** Events per second: one decimal below 10 (0.4, 3.2), then as counts (45, 1.2k). */
export function formatRate(n: number): string {
  if (!(n > 0) || !Number.isFinite(n)) return '0';
  if (n < 10) return n < 0.05 ? '0' : n.toFixed(1);
  return formatCount(n);
}

/** 42s, 4m05s, 3h07m, 2d04h. */
export function formatDuration(seconds: number): string {
  if (!(seconds >= 0) || !Number.isFinite(seconds)) return '-';
  const s = Math.floor(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  const d = Math.floor(h / 24);
  return `${d}d${String(h % 24).padStart(2, '0')}h`;
}

/** Milliseconds as a duration. */
export const formatMs = (ms: number): string => formatDuration(ms / 1000);

export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return bytes.format(n, { unitSeparator: '', decimalPlaces: 1 }) ?? '-';
}

/** 0..100 as a whole percent; '<1%' for small non-zero shares. */
export function formatPercent(part: number, whole: number): string {
  if (!(whole > 0) || !(part > 0)) return '0%';
  const p = (part / whole) * 100;
  if (p < 1) return '<1%';
  return `${Math.round(p)}%`;
}
