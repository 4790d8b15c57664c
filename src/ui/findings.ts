// The migration findings across every client shown, one row per finding code: how many clients
// it concerns, worst first. What the per-client detail pane lists, summed for the whole server.
import type { ClientView } from '../analysis/session.ts';
import type { FindingCode, Severity } from '../audit/findings.ts';

export interface FindingRow {
  readonly code: FindingCode;
  readonly severity: Severity;
  readonly clients: number;
  readonly label: string;
}

const LABELS: Readonly<Record<FindingCode, string>> = {
  'library-outdated': 'library below the supported minimum',
  'library-missing': 'no lib-name: library cannot be identified',
  'library-unknown': 'library the knowledge base cannot judge',
  'unsupported-command': 'commands the target lacks or blocks',
  'cross-slot': 'multi-key calls across hash slots',
  'cross-slot-transaction': 'transactions (MULTI … EXEC) across hash slots',
  'cross-slot-script': 'script runs across hash slots',
  'select-db': 'a non-zero database on a cluster target',
  'no-client-name': 'no client name: service unknown',
};

const RANK: Readonly<Record<Severity, number>> = { error: 0, warning: 1, info: 2 };

export function buildFindingRows(clients: readonly ClientView[]): FindingRow[] {
  const byCode = new Map<FindingCode, { severity: Severity; clients: number }>();
  for (const c of clients) {
    for (const code of new Set((c.findings ?? []).map((f) => f.code))) {
      const worst = (c.findings ?? []).filter((f) => f.code === code).sort((a, b) => RANK[a.severity] - RANK[b.severity])[0]!.severity;
      const r = byCode.get(code);
      if (!r) byCode.set(code, { severity: worst, clients: 1 });
      else {
        r.clients++;
        if (RANK[worst] < RANK[r.severity]) r.severity = worst;
      }
    }
  }
  return [...byCode]
    .map(([code, r]) => ({ code, severity: r.severity, clients: r.clients, label: LABELS[code] }))
    .sort((a, b) => RANK[a.severity] - RANK[b.severity] || b.clients - a.clients || a.code.localeCompare(b.code));
}
