// Two lines: the server and the poller; MONITOR and the event stream. Errors replace what they make
// stale rather than hiding at the end of a line.
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { monitorElapsedMs, type MonitorStatus } from '../src/store.ts';
import { connectedClients } from '../src/analysis/session.ts';
import { memoLast } from '../src/ui/select.ts';
import { formatBytes, formatCount, formatMs, formatRate } from '../src/ui/format.ts';
import { clean } from '../src/ui/text.ts';
import { useRecon } from './context.tsx';
import { useNow } from './hooks.ts';
import { theme } from './theme.ts';

const productName = (n: 'redis' | 'valkey'): string => (n === 'valkey' ? 'Valkey' : 'Redis');

/** Counted once per published view, not per frame. */
const countMemo = memoLast(connectedClients);

export function StatusBar({ clock }: { readonly clock?: () => number }) {
  const now = useNow(1000, clock);
  const { endpoint, server, poll, monitor, stream, notices, count } = useRecon(
    useShallow((s) => ({
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
/** Who holds MONITOR off, in the status bar's words. */
const HOLD_WORDS: Readonly<Record<NonNullable<MonitorStatus['hold']>, string>> = {
  guard: 'the buffer guard',
  blind: 'the buffer guard',
  health: 'the health gate',
  stall: 'the watchdog',
  backlog: 'the watchdog',
  duty: 'its duty cycle',
};

export function monitorWords(m: MonitorStatus, now: number): { icon: string; label: string; color: string; detail: string } {
  const elapsed = formatMs(Math.max(0, monitorElapsedMs(m, now)));
  const budget = m.budgetMs !== undefined ? ` of ${formatMs(m.budgetMs)} budget` : '';
  const time = `${elapsed}${budget}`;
  const reason = m.reason ? clean(m.reason) : '';
  if (m.phase === 'error') return { icon: '✖', label: 'error', color: theme.bad, detail: reason };
  if (m.desired === 'on') {
    if (m.phase === 'on') return { icon: '●', label: 'on', color: theme.good, detail: time };
    if (m.phase === 'reconnecting') return { icon: '◌', label: 'reconnecting', color: theme.warn, detail: reason };
    // Held off by a safety check, not by the user: it comes back by itself.
    if (m.hold !== undefined) return { icon: '‖', label: `held off by ${HOLD_WORDS[m.hold]}`, color: theme.warn, detail: `${reason} · back by itself · ${time}` };
    return { icon: '◌', label: 'connecting', color: theme.warn, detail: time };
  }
  if (m.desired === 'paused') {
    if (reason === '' || reason === 'paused by you') {
      return { icon: '‖', label: 'paused by you', color: theme.warn, detail: `after ${time} · p resumes` };
    }
    return { icon: '‖', label: 'paused', color: theme.warn, detail: `${reason} · ${time}` };
  }
  // desired off: never started (--no-monitor), or stopped by its budget or at the end of the run.
  if (m.phase === 'off' && m.onBeforeMs === 0 && m.onSince === undefined) {
    return { icon: '○', label: 'off', color: theme.muted, detail: reason };
  }
  const byBudget = reason.startsWith('budget');
  // The key is the dashboard's to mention: the same reason reaches headless summaries, which have no keys.
  return { icon: '■', label: byBudget ? 'stopped by its budget' : 'stopped', color: theme.bad, detail: `${reason} · ${time}${byBudget ? ' · p for another' : ''}` };
}

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
