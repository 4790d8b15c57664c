// Who is behind each connection, over the merged client list (every node's clients): its owner from
// the `--hosts` files, a reverse-DNS hint, and for an unnamed connection the named service it
// behaves like (`likely checkout-api (0.92)`) or, when it is like none, the unknown service it
// shares with the unnamed connections that behave like it. One pure function, memoised on its
// inputs, so the dashboard pays only when clients change; the exports call it too.
import type { ClientView } from '../analysis/session.ts';
import { serviceOf } from '../analysis/serviceName.ts';
import { compare, eventsOf, FINGERPRINT, mergeProfiles, passes, profileOf, screen, signals, type Comparison, type FeatureScore, type Profile } from './fingerprint.ts';
import { ownerText, type OwnerMap, type OwnerMatch } from './ownerMap.ts';
import type { DnsHint } from './reverseDns.ts';

export interface Likely {
  readonly service: string;
  readonly score: number;
  /** Feature by feature: how alike, how much it counts, what agreed. */
  readonly evidence: readonly FeatureScore[];
  /** The next closest service, which it beat by at least the margin. */
  readonly runnerUp?: { readonly service: string; readonly score: number };
  /** What the owner map says about it: the node it comes from runs that service's pods, or none. */
  readonly owner?: string;
}

export interface ClientAttribution {
  readonly owner: OwnerMatch | null;
  /** Unnamed connections only. */
  readonly likely: Likely | null;
  /** `unknown service N`: an unnamed connection like no named service, grouped with its look-alikes. */
  readonly unknownService: string | null;
  /** Why an unnamed connection got no `likely`, in words. */
  readonly note?: string;
  /** The closest named service, match or not (the figures in the tests and the note). */
  readonly closest?: { readonly service: string; readonly score: number; readonly gated?: string };
  /** Reverse DNS (with --resolve), for an address no owner file names: a hint, never a name. */
  readonly dns?: DnsHint;
}

export interface UnknownService {
  readonly label: string;
  readonly clients: readonly string[];
  readonly ips: readonly string[];
  readonly libraries: readonly string[];
  /** Its busiest key patterns and commands. */
  readonly patterns: readonly string[];
  readonly commands: readonly string[];
  readonly events: number;
}

export interface Attributions {
  readonly byKey: ReadonlyMap<string, ClientAttribution>;
  readonly unknownServices: readonly UnknownService[];
}

export interface AttributionInput {
  readonly clients: readonly ClientView[];
  readonly owners: OwnerMap | null;
  readonly dns: ReadonlyMap<string, DnsHint>;
}

const NONE: ClientAttribution = { owner: null, likely: null, unknownService: null };

/**
 * Each named service's profile, merged over its connections' and kept while they are the same
 * views (a profile is worked out once per view): at a poll a few of
 * 30,000 connections change, and merging every service again was two thirds of the attribution.
 */
const mergedProfiles = new Map<string, { readonly list: readonly ClientView[]; readonly merged: Profile }>();

function serviceProfile(name: string, list: readonly ClientView[]): Profile {
  if (list.length === 1) return profileOf(list[0]!);
  const hit = mergedProfiles.get(name);
  if (hit && hit.list.length === list.length && hit.list.every((c, i) => c === list[i])) return hit.merged;
  const merged = mergeProfiles(list.map(profileOf));
  mergedProfiles.set(name, { list, merged });
  return merged;
}

const tooLittleNote = (events: number): string =>
  `too little traffic to tell: ${events} command${events === 1 ? '' : 's'} of its own, ${FINGERPRINT.minEvents} needed`;
const tooLittleShared: ClientAttribution[] = [];
/** The attribution of an unnamed connection with `events` (< minEvents) commands and nothing else known. */
function tooLittle(events: number): ClientAttribution {
  return (tooLittleShared[events] ??= Object.freeze({ ...NONE, note: tooLittleNote(events) }));
}
export const EMPTY_ATTRIBUTIONS: Attributions = { byKey: new Map(), unknownServices: [] };

const byScore = (a: { score: number }, b: { score: number }): number => b.score - a.score;

/** Keys of a map's largest counts. */
const topKeys = <K>(m: ReadonlyMap<K, number>, n: number): K[] =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k]) => k);

class SignalIndex<T> {
  private readonly map = new Map<string, T[]>();
  add(p: Profile, item: T): void {
    for (const s of signals(p)) {
      let l = this.map.get(s);
      if (!l) this.map.set(s, (l = []));
      l.push(item);
    }
  }
  /** Items sharing at least one signal with `p`, each once, in the order they were added. */
  candidates(p: Profile): T[] {
    const seen = new Set<T>();
    for (const s of signals(p)) for (const item of this.map.get(s) ?? []) seen.add(item);
    return [...seen];
  }
}

export function attribute(input: AttributionInput): Attributions {
  const { clients, owners, dns } = input;
  const byKey = new Map<string, ClientAttribution>();
  const base = (c: ClientView): ClientAttribution => {
    const owner = owners?.lookup(c.ip) ?? null;
    const hint = owner || dns.size === 0 ? undefined : dns.get(c.ip);
    return owner || hint ? { ...NONE, owner, ...(hint ? { dns: hint } : {}) } : NONE;
  };

  // The named services, each one profile over its connections; each connection's answer set once
  // (at 30,000 connections a second pass over the map was a third of the attribution).
  const named = new Map<string, ClientView[]>();
  const busy = new Map<ClientView, number>();
  for (const c of clients) {
    if (c.self) continue;
    const known = base(c);
    // An entry standing for several connections mixes them: neither a reference nor judged.
    if (c.sharedBy !== undefined) byKey.set(c.key, known);
    else if (c.name !== '') {
      byKey.set(c.key, known);
      const s = c.service ?? serviceOf(c.name);
      let l = named.get(s);
      if (!l) named.set(s, (l = []));
      l.push(c);
    } else {
      const events = eventsOf(c);
      // Most of 30,000 idle connections land here: one shared answer per count when nothing else is known.
      if (events < FINGERPRINT.minEvents) byKey.set(c.key, known === NONE ? tooLittle(events) : { ...known, note: tooLittleNote(events) });
      else {
        byKey.set(c.key, known);
        busy.set(c, events);
      }
    }
  }
  for (const name of mergedProfiles.keys()) if (!named.has(name)) mergedProfiles.delete(name);
  const services = new Map<string, Profile>();
  const index = new SignalIndex<string>();
  for (const [name, list] of named) {
    // A service too quiet to be a reference needs no profile (idle pools are most connections).
    let events = 0;
    for (const c of list) events += eventsOf(c);
    if (events < FINGERPRINT.minEvents) continue;
    const p = serviceProfile(name, list);
    services.set(name, p);
    index.add(p, name);
  }

  // The busiest unnamed connections are judged; the others say why not.
  const judged = [...busy.keys()].sort((a, b) => busy.get(b)! - busy.get(a)!);
  for (const c of judged.slice(FINGERPRINT.maxJudged)) {
    byKey.set(c.key, { ...byKey.get(c.key)!, note: `not judged: only the ${FINGERPRINT.maxJudged} busiest unnamed connections are` });
  }

  // Each judged connection against the services it shares a key pattern (or, keyless, a command) with.
  const unmatched: ClientView[] = [];
  for (const c of judged.slice(0, FINGERPRINT.maxJudged)) {
    const p = profileOf(c);
    // The gates first, cheaply; the full comparison (with its words) only for those that pass.
    let firstGated: { service: string; why: string } | undefined;
    const viable = index
      .candidates(p)
      .flatMap((service) => {
        const why = screen(p, services.get(service)!);
        if (why) {
          firstGated ??= { service, why };
          return [];
        }
        const cmp = compare(p, services.get(service)!);
        return [{ service, cmp, score: cmp.score }];
      })
      .sort(byScore);
    const best = viable[0];
    const second = viable[1];
    const closest = best
      ? { service: best.service, score: best.score }
      : firstGated
        ? { service: firstGated.service, score: compare(p, services.get(firstGated.service)!).score, gated: firstGated.why }
        : undefined;
    const prev = byKey.get(c.key)!;
    if (best && passes(best.cmp) && (!second || best.score - second.score >= FINGERPRINT.margin)) {
      byKey.set(c.key, { ...prev, likely: likelyOf(best.service, best.cmp, second, prev.owner), ...(closest ? { closest } : {}) });
      continue;
    }
    const note = !closest
      ? 'no named service touches the same keys'
      : best && passes(best.cmp)
        ? `ambiguous: ${best.service} ${best.score.toFixed(2)} and ${second!.service} ${second!.score.toFixed(2)} are too close`
        : closest.gated
          ? `closest ${closest.service}: ${closest.gated}`
          : `closest ${closest.service} ${closest.score.toFixed(2)}, below ${FINGERPRINT.threshold.toFixed(2)}`;
    byKey.set(c.key, { ...prev, note, ...(closest ? { closest } : {}) });
    unmatched.push(c);
  }

  // Unnamed connections alike no named service: grouped around their oldest member, so a group
  // keeps its number as long as that connection is remembered.
  unmatched.sort((a, b) => a.firstSeen - b.firstSeen || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const groups: Array<{ leader: Profile; members: ClientView[] }> = [];
  const groupIndex = new SignalIndex<number>();
  for (const c of unmatched) {
    const p = profileOf(c);
    let bestGroup = -1;
    let bestScore = -1;
    for (const g of groupIndex.candidates(p)) {
      if (screen(p, groups[g]!.leader)) continue;
      const cmp = compare(p, groups[g]!.leader);
      if (passes(cmp) && cmp.score > bestScore) [bestGroup, bestScore] = [g, cmp.score];
    }
    if (bestGroup >= 0) groups[bestGroup]!.members.push(c);
    else {
      groupIndex.add(p, groups.length);
      groups.push({ leader: p, members: [c] });
    }
  }
  const unknownServices: UnknownService[] = groups.map((g, i) => {
    const label = `unknown service ${i + 1}`;
    for (const c of g.members) byKey.set(c.key, { ...byKey.get(c.key)!, unknownService: label });
    const all = mergeProfiles(g.members.map(profileOf));
    return {
      label,
      clients: g.members.map((c) => c.key),
      ips: [...new Set(g.members.map((c) => c.ip))],
      libraries: [...new Set(g.members.map((c) => [c.libName, c.libVer].filter(Boolean).join(' ')).filter(Boolean))],
      patterns: topKeys(all.keys, 3),
      commands: topKeys(all.commands, 4),
      events: all.events,
    };
  });
  return { byKey, unknownServices };
}

function likelyOf(service: string, cmp: Comparison, second: { service: string; score: number } | undefined, owner: OwnerMatch | null): Likely {
  // A node's pod list agrees or not; it never changes the score (names and workloads may differ).
  let said: string | undefined;
  if (owner?.kind === 'node' && owner.candidates) {
    const hit = owner.candidates.find((c) => c.owner === service || serviceOf(c.owner) === service);
    said = hit ? `${owner.name} runs ${service} (${hit.pods} pod${hit.pods === 1 ? '' : 's'})` : `the pods file lists no ${service} pod on ${owner.name}`;
  } else if (owner?.kind === 'pod') {
    said = owner.name === service || serviceOf(owner.name) === service ? `its address is ${ownerText(owner)}'s pod` : `but its address is ${ownerText(owner)}'s pod`;
  }
  return {
    service,
    score: cmp.score,
    evidence: cmp.features,
    ...(second ? { runnerUp: { service: second.service, score: second.score } } : {}),
    ...(said ? { owner: said } : {}),
  };
}

/** What a client shows when nothing is known about it. */
export const noAttribution = (): ClientAttribution => NONE;

/** The inputs the memo compares (by identity): the store's state has them all. */
export interface AttributionSource {
  readonly view: { readonly clients: readonly ClientView[] };
  readonly owners: { readonly map: OwnerMap | null; readonly dns: ReadonlyMap<string, DnsHint> };
}

let last: { clients: readonly ClientView[]; map: OwnerMap | null; dns: ReadonlyMap<string, DnsHint>; value: Attributions } | undefined;

/** attribute() over the store's state, recomputed only when the clients, the map or the hints changed. */
export function attributionOf(s: AttributionSource): Attributions {
  const { clients } = s.view;
  const { map, dns } = s.owners;
  if (last && last.clients === clients && last.map === map && last.dns === dns) return last.value;
  const value = attribute({ clients, owners: map, dns });
  last = { clients, map, dns, value };
  return value;
}
