// Two lines: the server and the poller; MONITOR and the event stream. Errors replace what they make
// stale rather than hiding at the end of a line.
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { monitorElapsedMs, type MonitorStatus } from '../src/store.ts';
import { connectedClients } from '../src/analysis/session.ts';
import { memoLast } from '../src/ui/select.ts';
import { formatBytes, formatCount, formatMs, formatRate } from '../src/ui/format.ts';
import { clean } from '../src/ui/text.ts';
import { lensSummary, type LensName } from '../src/analysis/lenses.ts';
import { useRecon } from './context.tsx';
import { useNow } from './hooks.ts';
import { theme } from './theme.ts';

const productName = (n: 'redis' | 'valkey'): string => (n === 'valkey' ? 'Valkey' : 'Redis');

/** Counted once per published view, not per frame. */
const countMemo = memoLast(connectedClients);
const lensMemo = memoLast(lensSummary);

/** The lenses as the status bar names them, in this order. */
const LENS_LABELS: ReadonlyArray<readonly [LensName, string]> = [
  ['counters', 'counters'],
  ['lastCommand', 'cmd='],
  ['slowlog', 'slowlog'],
  ['commandlog', 'commandlog'],
  ['commandstats', 'commandstats'],
  ['errorstats', 'errorstats'],
];

export function StatusBar({ clock }: { readonly clock?: () => number }) {
  const now = useNow(1000, clock);
  const { endpoint, server, poll, monitor, stream, notices, count, lenses } = useRecon(
    useShallow((s) => ({
      lenses: lensMemo(s.nodes),
      endpoint: s.endpoint,
      server: s.server,
      poll: s.poll,
      monitor: s.monitor,
      stream: s.stream,
      notices: s.notices,
      // The same count the clients pane and the export give (INFO's connected_clients counts
      // redis-recon's own connections, other instances' included, and replicas).
      count: countMemo(s.view.clients, s.ui.showSelf),
    })),
  );

  const serverText = server
    ? `${productName(server.name)} ${server.version} · ${server.mode} · ${server.role}`
    : poll.lastError
      ? 'server unreachable'
      : 'connecting…';
  const lastOk = poll.lastAt !== undefined ? `last good poll ${formatMs(Math.max(0, now - poll.lastAt))} ago` : 'no poll yet';

  return (
    <Box flexDirection="column">
      {poll.lastError ? (
        <Text wrap="truncate">
          <Text bold>{clean(endpoint)}</Text>
          <Text color={theme.bad}>
            {'  ✖ '}
            {clean(poll.lastError)}
          </Text>
          <Text dimColor>
            {' '}
            · {poll.gaveUp ? 'gave up: fix the cause and restart' : 'retrying'} · {lastOk}
            {server ? ` · ${productName(server.name)} ${server.version}` : ''}
          </Text>
        </Text>
      ) : (
        <Text wrap="truncate">
          <Text bold color={theme.focus}>
            {serverText}
          </Text>
          <Text dimColor> at </Text>
          <Text bold>{clean(endpoint)}</Text>
          {'  '}
          <Text bold>{poll.polls > 0 || count.connected > 0 ? count.connected : '-'}</Text>
          <Text dimColor> clients connected</Text>
          {count.selfLeftOut > 0 ? <Text dimColor> (+{count.selfLeftOut} redis-recon hidden)</Text> : null}
          {'  '}
          <Text bold>{formatRate(server?.opsPerSec ?? 0)}</Text>
          <Text dimColor> ops/s</Text>
          {'  '}
          <Text dimColor>{poll.lastAt !== undefined ? `polled ${formatMs(Math.max(0, now - poll.lastAt))} ago` : 'no poll yet'}</Text>
        </Text>
      )}
      <Text wrap="truncate">
        <MonitorState monitor={monitor} now={now} />
        {LENS_LABELS.some(([k]) => lenses[k] === 'on') ? (
          <Text dimColor>
            {' · '}
            {LENS_LABELS.filter(([k]) => lenses[k] === 'on').map(([, label]) => label).join(' · ')}
          </Text>
        ) : null}
        {'  '}
        <Text bold>{formatRate(stream.eventsPerSec)}</Text>
        <Text dimColor> events/s</Text>
        {'  '}
        <Text dimColor>{formatCount(stream.lines)} lines</Text>
        {stream.unparsed > 0 ? <Text color={theme.warn}> · {formatCount(stream.unparsed)} unparsed</Text> : null}
        {monitor.omem !== undefined ? (
          <Text dimColor>
            {' '}
            · server buffer {formatBytes(monitor.omem)}/{formatBytes(monitor.maxOmem)}
          </Text>
        ) : monitor.phase === 'on' && poll.polls > 1 ? (
          // A proxy (Redis Enterprise, say) may not list our MONITOR connection: the guard cannot see it.
          <Text color={theme.warn}> · server buffer unknown (our MONITOR connection is not in CLIENT LIST)</Text>
        ) : null}
        {notices.length > 0 ? (
          <Text color={theme.warn}>
            {'  ⓘ '}
            {clean(notices[notices.length - 1]!)}
          </Text>
        ) : null}
      </Text>
    </Box>
  );
}

/** MONITOR's state in words, with its elapsed time and budget. */
export function monitorWords(m: MonitorStatus, now: number): { icon: string; label: string; color: string; detail: string } {
  const elapsed = formatMs(Math.max(0, monitorElapsedMs(m, now)));
  const budget = m.budgetMs !== undefined ? ` of ${formatMs(m.budgetMs)} budget` : '';
  const time = `${elapsed}${budget}`;
  const reason = m.reason ? clean(m.reason) : '';
  if (m.phase === 'error') return { icon: '✖', label: 'error', color: theme.bad, detail: reason };
  // Sampled: on for a while in every period; between windows it is waiting, not paused.
  if (m.desired === 'on' && m.mode === 'sampled' && m.sample && (m.phase === 'on' || m.hold === 'duty')) {
    const label = `sampled ${sampleText(m.sample)}`;
    return m.phase === 'on'
      ? { icon: '◐', label, color: theme.good, detail: `on · ${time}` }
      : { icon: '◐', label, color: theme.good, detail: `between samples · ${time}` };
  }
  if (m.desired === 'on') {
    if (m.phase === 'on') return { icon: '●', label: 'on', color: theme.good, detail: time };
    if (m.phase === 'reconnecting') return { icon: '◌', label: 'reconnecting', color: theme.warn, detail: reason };
    return { icon: '◌', label: 'connecting', color: theme.warn, detail: time };
  }
  if (m.desired === 'paused') {
    if (reason === '' || reason === 'paused by you') {
      return { icon: '‖', label: 'paused by you', color: theme.warn, detail: `after ${time} · p resumes` };
    }
    const guard = reason.startsWith('buffer guard');
    return { icon: '‖', label: guard ? 'paused by the buffer guard' : 'paused', color: theme.warn, detail: `${reason} · ${time}` };
  }
  // desired off: never started (--no-monitor), or stopped by its budget or at the end of the run.
  if (m.phase === 'off' && m.onBeforeMs === 0 && m.onSince === undefined) {
    return { icon: '○', label: 'off', color: theme.muted, detail: reason };
  }
  const byBudget = reason.startsWith('budget');
  return { icon: '■', label: byBudget ? 'stopped by its budget' : 'stopped', color: theme.bad, detail: `${reason} · ${time}` };
}

/** A duty cycle as people write it: `10s/60s`. */
export const sampleText = (d: { readonly onMs: number; readonly periodMs: number }): string => `${Math.round(d.onMs / 1000)}s/${Math.round(d.periodMs / 1000)}s`;

function MonitorState({ monitor, now }: { readonly monitor: MonitorStatus; readonly now: number }) {
  const w = monitorWords(monitor, now);
  return (
    <Text>
      <Text color={w.color} bold>
        {w.icon} MONITOR {w.label}
      </Text>
      {w.detail ? <Text dimColor> {w.detail}</Text> : null}
    </Text>
  );
}
