// The pattern panel, in place of the libraries while open: the heatmap's selected pattern in full:
// what lies under it (keys, bytes, types, encodings, TTL buckets, hash-field expiry, the biggest
// keys seen), who reads and writes it, and how far the keyspace sampler got. It follows the
// heatmap's selection; Esc (or i) closes it.
import { Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import { accessOf } from '../src/analysis/patternAccess.ts';
import { formatBytes, formatCount, formatMs } from '../src/ui/format.ts';
import { keyspaceStatusLine, longEstimate } from '../src/ui/keyspace.ts';
import { selectPatternAccess, selectSelectedHeatRow } from '../src/ui/select.ts';
import { fit, wrapText } from '../src/ui/text.ts';
import { ttlText, typesText } from '../src/export/keyspace.ts';
import { monitorElapsedMs } from '../src/store.ts';
import { useRecon } from './context.tsx';
import { Pane } from './Pane.tsx';
import { theme } from './theme.ts';

interface Line {
  readonly label?: string;
  readonly text: string;
  readonly color?: string;
  readonly dim?: boolean;
}

export function PatternPane({ width, height, clock }: { readonly width: number; readonly height: number; readonly clock?: () => number }) {
  const { row, keyspace, access, monitorMs } = useRecon(
    useShallow((s) => {
      const r = selectSelectedHeatRow(s);
      return {
        row: r,
        keyspace: s.view.keyspace,
        access: selectPatternAccess(s),
        monitorMs: monitorElapsedMs(s.monitor, (clock ?? Date.now)()),
      };
    }),
  );
  const inner = Math.max(1, width - 2);
  const lines = Math.max(1, height - 2);
  const out: Line[] = [];
  const push = (label: string | undefined, text: string, extra: Omit<Line, 'label' | 'text'> = {}): void => {
    const labelW = label === undefined ? 0 : 9;
    const wrapped = wrapText(text, Math.max(1, inner - labelW));
    wrapped.forEach((t, i) => out.push({ label: i === 0 ? label : label === undefined ? undefined : '', text: t, ...extra }));
    if (wrapped.length === 0) out.push({ label, text: '', ...extra });
  };
  if (!row) {
    push(undefined, 'No pattern selected: the heatmap is empty.', { dim: true });
  } else {
    const k = keyspace?.rows.get(row.pattern);
    const a = accessOf(access, row.pattern);
    push('pattern', row.pattern, { color: theme.focus });
    if (k) {
      push('keys', longEstimate(k.keys, (n) => Math.round(n).toLocaleString('en')));
      push('bytes', k.bytes ? longEstimate(k.bytes, (n) => formatBytes(n)) : 'unknown (MEMORY USAGE refused)');
      push('types', typesText(k.types));
      const enc = typesText(k.encodings);
      if (enc !== '-') push('encoding', enc);
      push('TTL', ttlText(k.ttl));
      if (k.hashesChecked > 0) {
        push(
          'fields',
          k.hashesExpiring > 0
            ? `${k.hashesExpiring} of ${k.hashesChecked} hashes checked have expiring fields (Redis 7.4 hash-field expiry): Valkey 8 has none`
            : `no expiring fields in ${k.hashesChecked} hashes checked`,
          k.hashesExpiring > 0 ? { color: theme.warn } : {},
        );
      }
    } else push('keys', keyspace ? 'none sampled here' : 'not sampled (K starts the sampler)', { dim: true });
    const traffic = row.reads + row.writes;
    if (traffic > 0) push('traffic', `R ${formatCount(row.reads)}  W ${formatCount(row.writes)}`);
    else if (monitorMs > 0) push('traffic', `none in ${formatMs(monitorMs)} of MONITOR: cleanup rather than migration?`, { color: theme.warn });
    else push('traffic', 'unknown (MONITOR has not run)', { dim: true });
    push('readers', a.readers.join(', ') || '-');
    push('writers', a.writers.join(', ') || '-');
    if (k && k.bigKeys.length > 0) {
      out.push({ text: 'Biggest keys seen', dim: false });
      const bw = 8;
      const tw = 6;
      for (const b of k.bigKeys) out.push({ text: `${fit(b.key, Math.max(4, inner - bw - tw - 2), 'left', 'middle')} ${fit(b.type, tw)} ${fit(formatBytes(b.bytes), bw, 'right')}` });
    }
  }
  const status = keyspaceStatusLine(keyspace?.summary);
  const statusLines = wrapText(status, inner);
  const body = out.slice(0, Math.max(0, lines - statusLines.length));
  return (
    <Pane title="Pattern" info="Esc closes" focused={false} width={width} height={height}>
      {body.map((l, i) => (
        <Text key={i} wrap="truncate" color={l.color} dimColor={l.dim}>
          {l.label !== undefined ? <Text dimColor>{fit(l.label, 9)}</Text> : null}
          {l.text}
        </Text>
      ))}
      {statusLines.map((l, i) => (
        <Text key={`s${i}`} wrap="truncate" dimColor>
          {l}
        </Text>
      ))}
    </Pane>
  );
}
