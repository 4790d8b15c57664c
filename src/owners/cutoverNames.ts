// Names for the cutover's unnamed connections from what the owner files and behaviour say, on each
// side: the same order the clients pane uses (an owner file's exact answer, a pod or a host; then
// the named service it behaves like; then a range's owner). Pure; memoised on its inputs.
import type { ClientView } from '../analysis/session.ts';
import type { NameHook } from '../analysis/cutover.ts';
import { attribute, attributionOf, type Attributions, type ClientAttribution } from './attribute.ts';
import type { OwnerMap } from './ownerMap.ts';
import type { DnsHint } from './reverseDns.ts';

export interface Owners {
  readonly map: OwnerMap | null;
  readonly dns: ReadonlyMap<string, DnsHint>;
}

function nameFrom(a: ClientAttribution | undefined): ReturnType<NameHook> {
  if (!a) return undefined;
  if (a.owner && (a.owner.kind === 'pod' || a.owner.kind === 'host')) return { service: a.owner.name, matchedBy: 'owner' };
  if (a.likely) return { service: a.likely.service, matchedBy: 'likely' };
  if (a.owner && a.owner.kind === 'network') return { service: a.owner.name, matchedBy: 'owner' };
  return undefined;
}

const hook = (attributions: Attributions): NameHook => (c) => nameFrom(attributions.byKey.get(c.key));

let lastTarget: { clients: readonly ClientView[]; owners: Owners; value: Attributions } | undefined;

/** Hooks for both sides: the source's attributions are the clients pane's (shared memo), the target's its own. */
export function cutoverNames(source: readonly ClientView[], target: readonly ClientView[], owners: Owners): { source: NameHook; target: NameHook } {
  const src = attributionOf({ view: { clients: source }, owners });
  if (!lastTarget || lastTarget.clients !== target || lastTarget.owners.map !== owners.map || lastTarget.owners.dns !== owners.dns) {
    lastTarget = { clients: target, owners, value: attribute({ clients: target, owners: owners.map, dns: owners.dns }) };
  }
  return { source: hook(src), target: hook(lastTarget.value) };
}
