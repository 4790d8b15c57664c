// Two lines: the server and the poller; MONITOR and the event stream. Errors replace what they make
// stale rather than hiding at the end of a line.
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { monitorElapsedMs, type MonitorStatus } from '../src/store.ts';
import { connectedClients } from '../src/analysis/session.ts';
import { memoLast, selectNodeRows } from '../src/ui/select.ts';
import type { NodeRow } from '../src/ui/nodes.ts';
import { formatBytes, formatCount, formatMs, formatRate } from '../src/ui/format.ts';
import { clean } from '../src/ui/text.ts';
import { lensSummary, type LensName } from '../src/analysis/lenses.ts';
import { useRecon } from './context.tsx';
import { countsText, selectCutover } from '../src/ui/cutover.ts';
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
  const { endpoint, server, poll, monitor, stream, notices, count, nodes, columns, narrowed, lenses, target, ended, cutover, writingBoth, targetError } = useRecon(
    useShallow((s) => ({
      target: s.target,
      ended: s.ended,
      lenses: lensMemo(s.nodes),
      // A cutover session (--to): the services' state counts.
      cutover: s.to ? countsText(selectCutover(s).counts) : undefined,
      writingBoth: s.to ? selectCutover(s).counts.both > 0 : false,
      targetError: s.to?.error,
      // A cluster (or a recording of one): one row per node, for the per-node summary.
      nodes: s.nodes.length > 1 || s.cluster ? selectNodeRows(s) : undefined,
      columns: s.ui.viewport.columns,
      narrowed: s.ui.nodeFilter,
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
    ? nodes
      ? `${productName(server.name)} ${server.version} · cluster`
      : `${productName(server.name)} ${server.version} · ${server.mode} · ${server.role}`
    : poll.lastError
      ? 'server unreachable'
      : 'connecting…';
  // A cluster's ops/s is its primaries' (a replica's count includes the writes it replays from its
  // primary, which would count them twice); each node's own is in the nodes view.
  const opsPerSec = nodes ? nodes.reduce((n, r) => n + (r.role === 'primary' ? r.opsPerSec : 0), 0) : server?.opsPerSec ?? 0;
  const narrowKeys = narrowed?.kind === 'node' ? new Set([narrowed.key]) : narrowed?.kind === 'shard' ? new Set(nodes?.filter((r) => r.slots === narrowed.slots).map((r) => r.key)) : undefined;
  const lastOk = poll.lastAt !== undefined ? `last good poll ${formatMs(Math.max(0, now - poll.lastAt))} ago` : 'no poll yet';

  return (
    <Box flexDirection="column">
      {poll.lastError && !nodes ? (
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
          {nodes ? <NodeDots rows={nodes} columns={columns} narrowed={narrowKeys} /> : null}
          {target ? <TargetLabel target={target} /> : null}
          <Text dimColor>{nodes ? ' via ' : ' at '}</Text>
          <Text bold>{clean(endpoint)}</Text>
          {'  '}
          <Text bold>{poll.polls > 0 || count.connected > 0 ? count.connected : '-'}</Text>
          <Text dimColor> clients connected</Text>
          {count.selfLeftOut > 0 ? <Text dimColor> (+{count.selfLeftOut} redis-recon hidden)</Text> : null}
          {'  '}
          <Text bold>{formatRate(opsPerSec)}</Text>
          <Text dimColor> ops/s</Text>
          {'  '}
          <Text dimColor>{poll.lastAt !== undefined ? `polled ${formatMs(Math.max(0, now - poll.lastAt))} ago` : 'no poll yet'}</Text>
        </Text>
      )}
      <Text wrap="truncate">
        {ended ? (
          <Text>
            <Text color={theme.warn} bold>
              ■ {clean(ended.summary)}
            </Text>
            <Text dimColor>{ended.restartable ? ' · r replays it from the start' : ' · the run is over: q quits'}</Text>
          </Text>
        ) : (
          <MonitorState monitor={monitor} now={now} />
        )}
        {nodes ? <MonitorCount rows={nodes} /> : null}
        {LENS_LABELS.some(([k]) => lenses[k] === 'on') ? (
          <Text dimColor>
            {' · '}
            {LENS_LABELS.filter(([k]) => lenses[k] === 'on').map(([, label]) => label).join(' · ')}
          </Text>
        ) : null}
        {cutover !== undefined ? (
          <Text>
            {'  '}
            <Text dimColor>cutover </Text>
            {targetError ? <Text color={theme.bad}>target ✖ </Text> : null}
            <Text color={writingBoth ? theme.bad : undefined}>{cutover}</Text>
          </Text>
        ) : null}
        {'  '}
        {/* Paused, stopped or ended, nothing flows: a rate would read as live. */}
        <Text bold>{monitor.phase === 'on' && monitor.desired === 'on' && !ended ? formatRate(stream.eventsPerSec) : '–'}</Text>
        <Text dimColor> events/s</Text>
        {'  '}
        <Text dimColor>{formatCount(stream.lines)} lines</Text>
        {stream.unparsed > 0 ? <Text color={theme.warn}> · {formatCount(stream.unparsed)} unparsed</Text> : null}
        {monitor.omem !== undefined ? (
          <Text dimColor>
            {' '}
            · server buffer {formatBytes(monitor.omem)}/{formatBytes(monitor.maxOmem)}
          </Text>
        ) : monitor.phase === 'on' && poll.polls > 1 && !ended ? (
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

/** The migration target the findings are for, right after the server: it must never be cut off. */
function TargetLabel({ target }: { readonly target: { readonly id: string; readonly title: string } }) {
  return (
    <Text>
      <Text dimColor> → target </Text>
      <Text bold color={theme.warn}>
        {clean(target.id)}
      </Text>
    </Text>
  );
}

/** How one node shows in the status bar: a glyph and a colour for its state and MONITOR's. */
export function nodeGlyph(r: NodeRow): { glyph: string; color: string; dim?: boolean } {
  if (r.state === 'down') return { glyph: '✖', color: theme.bad };
  if (r.state === 'unwatched') return { glyph: '·', color: theme.muted, dim: true };
  if (r.monitor === 'on') return { glyph: '●', color: theme.good };
  if (r.monitor === 'standby' || r.monitor === 'off') return { glyph: '○', color: theme.muted };
  if (r.monitor === 'error') return { glyph: '●', color: theme.bad };
  return { glyph: '◌', color: theme.warn };
}

/**
 * The nodes of a cluster in one run of glyphs: primaries then replicas, in shard order (● MONITOR on,
 * ○ off on a replica, ◌ held or connecting, ✖ unreachable). Below 120 columns `3P ●●● 3R ○○○`; wider,
 * the words; from 150 columns each node with its label and connections.
 */
function NodeDots({ rows, columns, narrowed }: { readonly rows: readonly NodeRow[]; readonly columns: number; readonly narrowed?: ReadonlySet<string> }) {
  const present = rows.filter((r) => r.state !== 'gone');
  const groups: Array<[string, NodeRow[]]> = [
    ['primar', present.filter((r) => r.role === 'primary')],
    ['replica', present.filter((r) => r.role !== 'primary')],
  ];
  const gone = rows.length - present.length;
  return (
    <Text>
      {groups.map(([word, list]) =>
        list.length === 0 ? null : (
          <Text key={word}>
            <Text dimColor>
              {' · '}
              {columns >= 120 ? `${list.length} ${word === 'primar' ? (list.length === 1 ? 'primary' : 'primaries') : list.length === 1 ? 'replica' : 'replicas'} ` : `${list.length}${word === 'primar' ? 'P' : 'R'} `}
            </Text>
            {list.map((r, i) => {
              const g = nodeGlyph(r);
              const lit = narrowed?.has(r.key) === true;
              return (
                <Text key={r.key}>
                  {columns >= 150 && i > 0 ? ' ' : ''}
                  <Text color={g.color} dimColor={g.dim} inverse={lit} bold={lit}>
                    {g.glyph}
                    {columns >= 150 ? r.label : ''}
                  </Text>
                  {columns >= 150 ? <Text dimColor>{` ${r.connected}c`}</Text> : null}
                </Text>
              );
            })}
          </Text>
        ),
      )}
      {gone > 0 ? <Text dimColor>{` +${gone} gone`}</Text> : null}
    </Text>
  );
}

/** On how many nodes MONITOR runs, after MONITOR's own state. */
function MonitorCount({ rows }: { readonly rows: readonly NodeRow[] }) {
  const watched = rows.filter((r) => r.state !== 'gone' && r.state !== 'unwatched');
  const on = watched.filter((r) => r.monitor === 'on').length;
  const standby = watched.filter((r) => r.monitor === 'standby').length;
  const down = watched.filter((r) => r.state === 'down');
  return (
    <Text>
      <Text dimColor>
        {' · on '}
        {on}/{watched.length} nodes{standby > 0 ? ` (${standby} replicas off)` : ''}
      </Text>
      {down.length > 0 ? <Text color={theme.bad}>{` · ${down.map((r) => r.label).join(' ')} unreachable`}</Text> : null}
    </Text>
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
