// One client in full: who it is, what commands it sends, and the prefixes and keys it reads and
// writes (only passing ones while filters are active). ↑/↓ step to the previous or next client.
// Each figure says its lens: CLIENT LIST counters, MONITOR (with its estimate when sampled), the
// last commands polls caught (`cmd=`), and SLOWLOG/COMMANDLOG entries.
import type { ReactNode } from 'react';
import { basename } from 'node:path';
import { Box, Text } from 'ink';
import { clampDetailScroll, detailFindingLines, detailIdWidth } from '../src/ui/detail.ts';
import { useShallow } from 'zustand/react/shallow';
import { ageSeconds, idleSeconds, type ClientView } from '../src/analysis/session.ts';
import { heatBar, splitBar } from '../src/ui/bars.ts';
import { isFlagged } from '../src/ui/clients.ts';
import { keyPasses, patternMayPassAny } from '../src/ui/filters.ts';
import { formatBytes, formatCount, formatDuration, formatMs, formatRate } from '../src/ui/format.ts';
import { selectActive, selectAttribution } from '../src/ui/select.ts';
import { clientEstimate, clientScale } from '../src/analysis/lenses.ts';
import type { NodeStatus } from '../src/collect/protocol.ts';
import type { ClientAttribution } from '../src/owners/attribute.ts';
import { candidatesText, ownerText } from '../src/owners/ownerMap.ts';
import { clean, fit, wrapText } from '../src/ui/text.ts';
import { useRecon } from './context.tsx';
import { useNow } from './hooks.ts';
import { Pane } from './Pane.tsx';
import { theme, verdictMark } from './theme.ts';

export function DetailPane({
  width,
  height,
  focused,
  clock,
}: {
  readonly width: number;
  readonly height: number;
  readonly focused: boolean;
  readonly clock?: () => number;
}) {
  const { client, active, delimiter, nodes, monitorMode, scroll, attribution } = useRecon(
    useShallow((s) => ({
      scroll: s.ui.detailScroll,
      client: s.view.clients.find((c) => c.key === s.ui.detail),
      active: selectActive(s),
      delimiter: s.ui.delimiter,
      nodes: s.nodes,
      monitorMode: s.monitor.mode,
      attribution: s.ui.detail !== undefined ? selectAttribution(s).byKey.get(s.ui.detail) : undefined,
    })),
  );
  const now = useNow(1000, clock);
  const inner = Math.max(1, width - 2);
  const lines = Math.max(1, height - 2);
  if (!client) {
    return (
      <Pane title="Detail" focused={focused} width={width} height={height}>
        <Text dimColor> This client is no longer remembered. Esc closes.</Text>
      </Pane>
    );
  }
  const idW = detailIdWidth(inner);
  const cmdW = Math.min(32, Math.max(26, Math.floor(inner * 0.26)));
  const restW = Math.max(10, inner - idW - cmdW - 2);
  const title = client.name ? `${client.name} (${client.addr})` : client.addr;
  return (
    <Pane title="Detail" info={`${title} · ↑↓ other clients · PgUp PgDn scroll · Esc closes`} focused={focused} width={width} height={height}>
      <Box flexDirection="row">
        <Box width={idW} flexDirection="column" marginRight={1}>
          <Identity client={client} width={idW} lines={lines} now={now} nodes={nodes} monitorOff={monitorMode === 'off'} scroll={scroll} attribution={attribution} />
        </Box>
        <Box width={cmdW} flexDirection="column" marginRight={1}>
          <Commands client={client} width={cmdW} lines={lines} />
        </Box>
        <Box width={restW} flexDirection="column">
          <Touched client={client} width={restW} lines={lines} active={active} delimiter={delimiter} />
        </Box>
      </Box>
    </Pane>
  );
}

function Field({ label, children, width }: { readonly label: string; readonly children: string; readonly width: number }) {
  return (
    <Text wrap="truncate">
      <Text dimColor>{fit(label, 9)}</Text>
      {fit(children, Math.max(1, width - 9))}
    </Text>
  );
}

/**
 * Who is behind the connection, with the evidence: its owner's pods on a node, the service it
 * behaves like and why (each feature's similarity and what agreed), or why there is no verdict,
 * and a reverse-DNS hint, which is never a name.
 */
export function attributionLines(c: ClientView, a: ClientAttribution | undefined, width: number): { text: string; color?: string; bold?: boolean }[] {
  if (!a) return [];
  const out: { text: string; color?: string; bold?: boolean }[] = [];
  const push = (text: string, style: { color?: string; bold?: boolean } = {}): void => {
    for (const l of wrapText(text, width)) out.push({ text: l, ...style });
  };
  if (c.name === '') {
    if (a.likely) {
      const l = a.likely;
      push(`likely ${l.service} (${l.score.toFixed(2)})${l.runnerUp ? `; next ${l.runnerUp.service} ${l.runnerUp.score.toFixed(2)}` : ''}`, { bold: true });
      // The behaviour, feature by feature; then the context, which only ever takes the score down.
      const minor: string[] = [];
      const agreed: string[] = [];
      for (const f of l.evidence) {
        if (f.factor !== undefined) {
          if (f.factor < 1) push(`${f.feature.padEnd(8)} ×${f.factor.toFixed(2)} ${f.detail}`);
          else agreed.push(f.detail);
        } else if (f.weight < 0.1) minor.push(`${f.feature} ${f.similarity.toFixed(2)}`);
        else push(`${f.feature.padEnd(8)} ${f.similarity.toFixed(2)} ${f.detail}`);
      }
      if (minor.length > 0) push(minor.join(' · '));
      if (agreed.length > 0) push(agreed.join('; '));
      if (l.owner) push(l.owner);
    } else if (a.unknownService) {
      push(`${a.unknownService}: like no named service`, { bold: true });
      if (a.note) push(a.note);
    } else if (a.note) push(a.note);
  }
  if (a.owner?.kind === 'node' && a.owner.candidates) push(`${a.owner.name} runs ${candidatesText(a.owner)}`);
  if (a.dns) push('name' in a.dns ? `≈ ${a.dns.name} (reverse DNS: a hint, not a name)` : `reverse DNS: ${a.dns.none}`);
  return out;
}

function Identity({
  client: c,
  width,
  lines,
  now,
  nodes,
  monitorOff,
  scroll,
  attribution,
}: {
  readonly client: ClientView;
  readonly width: number;
  readonly lines: number;
  readonly now: number;
  readonly nodes: readonly NodeStatus[];
  readonly monitorOff: boolean;
  readonly scroll: number;
  readonly attribution?: ClientAttribution;
}) {
  const v = verdictMark(c.library?.verdict);
  const lib = c.libName === undefined ? '(server does not report it)' : c.libName === '' ? '(none sent)' : `${c.libName} ${c.libVer ?? ''}`;
  const age = ageSeconds(c, now);
  const idle = idleSeconds(c, now);
  const owner = attribution?.owner;
  const rows: Array<[string, string] | 'lib'> = [
    ['name', c.name || '(unnamed)'],
    ...(owner ? [['owner', `${ownerText(owner)}${owner.team ? `  team ${owner.team}` : ''}  (${basename(owner.source)})`] as [string, string]] : []),
    ['address', `${c.addr}${c.id ? `  id ${c.id}` : ''}`],
    'lib',
    ['user', `${c.user ?? '-'}  db ${c.db}`],
    ['state', c.connected ? `connected${c.flags ? `  flags ${c.flags}` : ''}` : `gone (last seen ${formatMs(Math.max(0, now - c.lastSeen))} ago)`],
    ['age', `${age !== undefined ? formatDuration(age) : '-'}  idle ${c.connected && idle !== undefined ? formatDuration(idle) : '-'}`],
    ['last cmd', c.lastCommand ?? '-'],
    ...lensRows(c, nodes, now, monitorOff),
    ['seen', `first ${formatMs(Math.max(0, now - c.firstSeen))} ago${c.listed ? '' : '  (MONITOR only)'}`],
    ['out buf', formatBytes(c.omem)],
  ];
  // What will fail comes first, each message once; then who the client is. The column scrolls.
  const findings = detailFindingLines(c, width);
  const all: Array<{ key: string; el: ReactNode }> = [];
  if (findings.length > 0) {
    all.push({ key: 'fh', el: <Text bold>Findings</Text> });
    findings.forEach((l, i) =>
      all.push({
        key: `f${i}`,
        el: (
          <Text wrap="truncate" color={l.severity === 'error' ? theme.bad : l.severity === 'warning' ? theme.warn : undefined} dimColor={l.severity === 'info'}>
            {clean(l.text)}
          </Text>
        ),
      }),
    );
  }
  // Who is behind it (owner files, the service it behaves like, reverse DNS), with the evidence.
  attributionLines(c, attribution, width).forEach((l, i) =>
    all.push({
      key: `w${i}`,
      el: (
        <Text wrap="truncate" color={l.color} dimColor={!l.color && !l.bold} bold={l.bold}>
          {clean(l.text)}
        </Text>
      ),
    }),
  );
  all.push({ key: 'ch', el: <Text bold>Client</Text> });
  for (const r of rows) {
    all.push(
      r === 'lib'
        ? {
            key: 'lib',
            el: (
              <Text wrap="truncate">
                <Text dimColor>{fit('library', 9)}</Text>
                <Text color={isFlagged(c) ? v.color : undefined}>{fit(lib, Math.max(1, width - 9))}</Text>
              </Text>
            ),
          }
        : {
            key: r[0],
            el: (
              <Field label={r[0]} width={width}>
                {r[1]}
              </Field>
            ),
          },
    );
  }
  // A live tail of its last commands, from MONITOR when it runs (names and first keys, no values).
  const recent = c.recent ?? [];
  if (recent.length > 0) {
    all.push({ key: 'th', el: <Text bold>Last commands <Text dimColor>(MONITOR, newest first)</Text></Text> });
    recent.forEach((r, i) =>
      all.push({
        key: `t${i}`,
        el: (
          <Text wrap="truncate">
            <Text dimColor>{fit(`${formatMs(Math.max(0, now - r.at))}`, 6, 'right')} </Text>
            <Text bold>{clean(r.command)}</Text> {clean(r.key)}
          </Text>
        ),
      }),
    );
  }
  const first = clampDetailScroll(scroll, all.length, lines);
  const shown = all.slice(first, first + lines);
  return (
    <>
      {shown.map((l, i) =>
        // The last line says there is more below, where there is.
        i === shown.length - 1 && first + lines < all.length ? (
          <Text key="more" dimColor wrap="truncate">
            {`… ${all.length - first - lines + 1} more lines (PgDn)`}
          </Text>
        ) : (
          <Box key={l.key}>{l.el}</Box>
        ),
      )}
    </>
  );
}

/**
 * Each lens in its own rows: CLIENT LIST counters (totals over the window, per second over the last
 * poll interval), what MONITOR saw, and, sampled, its estimate: never one in place of the other.
 */
function lensRows(c: ClientView, nodes: readonly NodeStatus[], now: number, monitorOff: boolean): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  // Where the server prints no counters, no row: the status bar says which lenses run.
  if (c.counters && c.counterRates) {
    rows.push(['counters', `${formatCount(c.counters.commands)} cmds  ${formatRate(c.counterRates.commands)}/s`]);
    rows.push(['net', `in ${formatBytes(c.counters.netIn)}  out ${formatBytes(c.counters.netOut)}`]);
  }
  const scale = c.events > 0 ? clientScale(c, nodes, now) : undefined;
  const seen = `${formatCount(c.events)} seen  R ${formatCount(c.reads)} W ${formatCount(c.writes)}`;
  rows.push(['MONITOR', monitorOff && c.events === 0 ? 'off' : scale === undefined ? `${seen}  ${formatRate(c.opsPerSec)}/s` : seen]);
  if (scale !== undefined) rows.push(['estimate', `~${formatCount(clientEstimate(c, scale).events)} (sampled ×${scale.toFixed(1)})`]);
  return rows;
}

function Commands({ client, width, lines }: { readonly client: ClientView; readonly width: number; readonly lines: number }) {
  const total = client.commands.reduce((s, [, n]) => s + n, 0);
  const max = client.commands[0]?.[1] ?? 0;
  const barW = Math.max(0, Math.min(10, width - 22));
  const nameW = Math.max(4, width - barW - 8);
  // The cheaper lenses get the lower part when they saw anything: the last commands polls caught,
  // and the command-log entries (newest first).
  const sampled = client.sampledCommands ?? [];
  const logged = [...(client.logged?.recent ?? [])].reverse();
  const logLabel = client.logged?.lens === 'commandlog' ? 'COMMANDLOG' : 'SLOWLOG';
  const body = Math.max(0, lines - 1);
  // MONITOR's list keeps at least half (or all it needs); each lens section is a heading and at
  // least one row, or nothing.
  const wantS = sampled.length ? sampled.length + 1 : 0;
  const wantL = logged.length ? logged.length + 1 : 0;
  const monitorNeeds = Math.max(1, client.commands.length);
  const room = Math.max(0, body - Math.min(monitorNeeds, Math.ceil(body / 2)));
  let sampledLines = wantL === 0 ? Math.min(wantS, room) : Math.min(wantS, Math.max(2, Math.ceil(room / 2)));
  if (sampledLines < 2) sampledLines = 0;
  let logLines = Math.min(wantL, room - sampledLines);
  if (logLines < 2) logLines = 0;
  const monitorLines = Math.max(0, body - sampledLines - logLines);
  return (
    <>
      <Text bold wrap="truncate">
        Commands <Text dimColor>(MONITOR: {formatCount(total)} seen)</Text>
      </Text>
      {client.commands.length === 0 ? <Text dimColor>none seen by MONITOR</Text> : null}
      {client.commands.slice(0, monitorLines).map(([name, n]) => (
        <Text key={name} wrap="truncate">
          {fit(name, nameW)} <Text bold>{fit(formatCount(n), 6, 'right')}</Text> <Text color={theme.read}>{heatBar(n, max, barW)}</Text>
        </Text>
      ))}
      {sampledLines > 0 ? (
        <Text bold wrap="truncate">
          Last cmd <Text dimColor>(CLIENT LIST, polls)</Text>
        </Text>
      ) : null}
      {sampled.slice(0, Math.max(0, sampledLines - 1)).map(([name, n]) => (
        <Text key={`s${name}`} wrap="truncate">
          {fit(name, nameW)} <Text bold>{fit(formatCount(n), 6, 'right')}</Text>
        </Text>
      ))}
      {logLines > 0 ? (
        <Text bold wrap="truncate">
          {logLabel} <Text dimColor>({formatCount(client.logged?.entries ?? 0)} entries)</Text>
        </Text>
      ) : null}
      {logged.slice(0, Math.max(0, logLines - 1)).map((e) => (
        <Text key={`l${e.kind}${e.id}`} wrap="truncate">
          {fit(`${e.command} ${e.keys.join(' ')}`, Math.max(4, width - 9))}{' '}
          <Text dimColor>{fit(e.kind === 'slow' ? `${formatCount(e.value)}µs` : formatBytes(e.value), 8, 'right')}</Text>
        </Text>
      ))}
    </>
  );
}

function Touched({
  client,
  width,
  lines,
  active,
  delimiter,
}: {
  readonly client: ClientView;
  readonly width: number;
  readonly lines: number;
  readonly active: readonly string[];
  readonly delimiter: string;
}) {
  const prefixes = client.prefixes.filter((p) => patternMayPassAny(p.prefix, active, delimiter));
  const keys = client.topKeys.filter((k) => keyPasses(k.key, active, delimiter));
  const avail = Math.max(0, lines - 2);
  const pLines = Math.min(prefixes.length, Math.max(Math.ceil(avail / 2), avail - keys.length));
  const kLines = Math.max(0, avail - pLines);
  const barW = Math.max(0, Math.min(10, width - 30));
  const countW = 6;
  const nameW = Math.max(4, width - barW - countW * 2 - 3);
  const maxP = prefixes.reduce((m, p) => Math.max(m, p.reads + p.writes), 0);
  const maxK = keys[0]?.count ?? 0;
  const filtered = active.length > 0 ? ' (passing the filters)' : '';
  return (
    <>
      <Text bold wrap="truncate">
        Prefixes <Text color={theme.read}>reads</Text>/<Text color={theme.write}>writes</Text>
        <Text dimColor>{filtered}</Text>
      </Text>
      {prefixes.length === 0 ? <Text dimColor>none</Text> : null}
      {prefixes.slice(0, pLines).map((p) => {
        const b = splitBar(p.reads + p.writes, maxP, p.reads, p.writes, barW);
        return (
          <Text key={p.prefix} wrap="truncate">
            {fit(p.prefix, nameW, 'left', 'middle')} <Text color={theme.read}>{fit(formatCount(p.reads), countW, 'right')}</Text>{' '}
            <Text color={theme.write}>{fit(formatCount(p.writes), countW, 'right')}</Text>{' '}
            <Text color={theme.read}>{b.read}</Text>
            <Text color={theme.write}>{b.write}</Text>
          </Text>
        );
      })}
      {kLines > 0 ? (
        <Text bold wrap="truncate">
          Top keys<Text dimColor>{filtered}</Text>
        </Text>
      ) : null}
      {keys.slice(0, Math.max(0, kLines - 1)).map((k) => (
        <Text key={k.key} wrap="truncate">
          {fit(k.key, nameW + countW + 1, 'left', 'middle')} <Text bold>{fit(formatCount(k.count), countW, 'right')}</Text>{' '}
          <Text color={theme.read}>{heatBar(k.count, maxK, barW)}</Text>
        </Text>
      ))}
    </>
  );
}
