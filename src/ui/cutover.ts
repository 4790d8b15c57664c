// What the cutover pane and the status bar show, as plain values: one row per service (state,
// both sides, how it was matched, how long since the source last saw it), the state counts, the
// keys on both sides, the real target's verdicts. No React here.
import type { ReconState } from '../store.ts';
import { CUTOVER_STATES, stateCounts, type CutoverService, type CutoverState } from '../analysis/cutover.ts';
import { endpointFacts, sessionVerdicts } from '../export/cutover.ts';
import type { TargetVerdict } from '../analysis/targetVerdicts.ts';
import { memoLast } from './select.ts';

export interface CutoverRow {
  readonly service: string;
  readonly state: CutoverState;
  readonly matchedBy: string;
  readonly source: CutoverService['source'];
  readonly target: CutoverService['target'];
}

export interface CutoverSummary {
  readonly rows: readonly CutoverRow[];
  readonly counts: Readonly<Record<CutoverState, number>>;
  readonly keys: { readonly source?: number; readonly target?: number };
  readonly verdicts: readonly TargetVerdict[];
}

/** Short words for the status bar, in the order the states are counted. */
export const STATE_SHORT: Readonly<Record<CutoverState, string>> = { 'source only': 'on source', moving: 'moving', both: 'BOTH', 'target only': 'target only', done: 'done' };

/** The status bar's cutover counts: `2 on source · 1 moving · 1 BOTH · 0 target only · 3 done`. */
export function countsText(counts: Readonly<Record<CutoverState, number>>): string {
  return CUTOVER_STATES.map((s) => `${counts[s]} ${STATE_SHORT[s]}`).join(' · ');
}

const summaryMemo = memoLast(
  (services: readonly CutoverService[], nodes: ReconState['nodes'], to: ReconState['to'], view: ReconState['view'], server: ReconState['server']): CutoverSummary => ({
    rows: services,
    counts: stateCounts(services),
    keys: { source: endpointFacts(nodes).keys, target: to ? endpointFacts(to.nodes).keys : undefined },
    verdicts: sessionVerdicts({ nodes, to, view, server }),
  }),
);

/** Recomputed once per publish (the services array changes identity then), not per frame. */
export function selectCutover(s: ReconState): CutoverSummary {
  return summaryMemo(s.cutover, s.nodes, s.to, s.view, s.server);
}

/** `12s ago`, `4m ago`, or `-` when never seen. */
export function agoText(at: number | undefined, now: number): string {
  if (at === undefined) return '-';
  const s = Math.max(0, Math.round((now - at) / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}
