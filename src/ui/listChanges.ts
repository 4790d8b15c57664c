// What changed between two versions of a client list. The collectors replace a connection's view
// object when it changes and keep the others (the merger keeps each node's order), so two lists a
// poll apart differ at a few places: comparing them place by place costs pointer checks, and the
// roll-ups then work on the few objects that came and went instead of on 30,000 connections.

export interface ListChanges<T> {
  /** In the new list, not in the old one (a changed item's new object), in the new list's order. */
  readonly came: readonly T[];
  /** In the old list, not in the new one (a changed item's old object). */
  readonly gone: readonly T[];
}

const NOTHING: ListChanges<never> = { came: [], gone: [] };

/**
 * A tracker fed each new version of a list; answers what came and went since the one before, by
 * object identity. Work is proportional to the places where the lists differ (an item inserted near
 * the start shifts the rest: correct still, as slow as a full comparison). Items of one list must
 * be distinct objects.
 */
export function listChanges<T extends object>(): (list: readonly T[]) => ListChanges<T> {
  let last: readonly T[] = [];
  return (list) => {
    if (list === last) return NOTHING;
    const was: T[] = [];
    const now: T[] = [];
    const n = Math.min(list.length, last.length);
    for (let i = 0; i < n; i++) {
      const a = last[i]!;
      const b = list[i]!;
      if (a !== b) {
        was.push(a);
        now.push(b);
      }
    }
    for (let i = n; i < last.length; i++) was.push(last[i]!);
    for (let i = n; i < list.length; i++) now.push(list[i]!);
    last = list;
    if (was.length === 0 || now.length === 0) return { came: now, gone: was };
    // An object at another place in the other list (an insertion shifted it) did not change.
    const inWas = new Set(was);
    const inNow = new Set(now);
    return { came: now.filter((x) => !inWas.has(x)), gone: was.filter((x) => !inNow.has(x)) };
  };
}

/**
 * What stays the same across a connection's versions: its ledger key (the collectors prefix it with
 * their node, so it is unique in a cluster's merged list too). A member without a key is only itself.
 */
export const sameClient = (c: { readonly key?: string }): unknown => c.key ?? c;
