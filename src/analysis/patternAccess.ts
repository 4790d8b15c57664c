// Who reads and who writes each key pattern: the services (client names; an unnamed connection by
// its address) behind each pattern, from the clients' own per-pattern counts. Each client's patterns
// are renamed through the tree the heatmap (and the keyspace rows) use, so the three agree even
// where another node's or the keyspace sampler's collapse decisions renamed them. Cost: one pass over
// the clients' patterns (bounded per client); callers memoise it on the clients and the tree.
import type { ClientView } from './views.ts';
import type { PatternTreeReader } from './patternTree.ts';

/** Service → operations, for one pattern. */
export interface PatternAccess {
  readonly readers: Map<string, number>;
  readonly writers: Map<string, number>;
}

/** How a client is named in lists of services: its name, or `(unnamed) addr`. */
export const serviceOf = (c: Pick<ClientView, 'name' | 'addr'>): string => (c.name !== '' ? c.name : `(unnamed) ${c.addr}`);

/** Every pattern a client counted (leaves and prefixes), with the services that read and wrote it. */
export function accessByPattern(clients: readonly ClientView[], tree: Pick<PatternTreeReader, 'canonical'>, includeSelf = false): Map<string, PatternAccess> {
  const out = new Map<string, PatternAccess>();
  for (const c of clients) {
    if (c.self && !includeSelf) continue;
    const who = serviceOf(c);
    for (const p of c.prefixes) {
      const name = tree.canonical(p.prefix);
      let a = out.get(name);
      if (!a) out.set(name, (a = { readers: new Map(), writers: new Map() }));
      if (p.reads > 0) a.readers.set(who, (a.readers.get(who) ?? 0) + p.reads);
      if (p.writes > 0) a.writers.set(who, (a.writers.get(who) ?? 0) + p.writes);
    }
  }
  return out;
}

/** Readers and writers of one pattern, busiest first. */
export function accessOf(map: ReadonlyMap<string, PatternAccess>, pattern: string): { readers: string[]; writers: string[] } {
  const a = map.get(pattern);
  const order = (m: Map<string, number> | undefined): string[] =>
    m ? [...m].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([n]) => n) : [];
  return { readers: order(a?.readers), writers: order(a?.writers) };
}
