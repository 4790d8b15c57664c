// What the cutover compares between the source and the target beyond their clients: how many keys
// each holds (INFO keyspace), which modules are loaded (MODULE LIST), which commands exist (COMMAND
// LIST), and whether the server runs in cluster mode (INFO cluster_enabled). Pure; never throws.

/** One endpoint's facts, as one node reports them (all optional: a server may refuse to say). */
export interface EndpointFacts {
  /** Keys over every database, from INFO keyspace (`db0:keys=12,...`). */
  readonly keys?: number;
  /** Keys per database (`db0` → 12). */
  readonly keysByDb?: Readonly<Record<string, number>>;
  /** Module names, sorted (MODULE LIST). */
  readonly modules?: readonly string[];
  /** Command names in upper case, sorted (COMMAND LIST); absent when the server would not say. */
  readonly commands?: readonly string[];
  /** INFO cluster_enabled:1. */
  readonly clusterEnabled?: boolean;
}

/** Keys per database and their sum from a parsed INFO; undefined when INFO held no keyspace section. */
export function keyspaceKeys(info: Readonly<Record<string, string>>): Pick<EndpointFacts, 'keys' | 'keysByDb'> {
  const byDb: Record<string, number> = {};
  let total = 0;
  let any = false;
  for (const [k, v] of Object.entries(info)) {
    if (!/^db\d+$/.test(k)) continue;
    const m = /(?:^|,)keys=(\d+)/.exec(v);
    if (!m) continue;
    const n = Number(m[1]);
    byDb[k] = n;
    total += n;
    any = true;
  }
  // A server with no keys prints an empty `# Keyspace` section: that is zero keys, said by the
  // server, when the INFO text had the section at all (its other fields are there).
  if (!any) return Object.keys(info).length > 0 ? { keys: 0, keysByDb: {} } : {};
  return { keys: total, keysByDb: byDb };
}

/** Module names from a MODULE LIST reply (RESP2 arrays of `name`, value pairs, or RESP3 maps). */
export function moduleNames(reply: unknown): string[] {
  if (!Array.isArray(reply)) return [];
  const names: string[] = [];
  for (const m of reply) {
    if (Array.isArray(m)) {
      for (let i = 0; i + 1 < m.length; i += 2) if (String(m[i]) === 'name') names.push(String(m[i + 1]));
    } else if (m && typeof m === 'object') {
      const n = (m as Record<string, unknown>)['name'];
      if (n !== undefined) names.push(String(n));
    }
  }
  return [...new Set(names)].sort();
}

/** Command names from a COMMAND LIST reply, upper case, sorted. */
export function commandNames(reply: unknown): string[] {
  if (!Array.isArray(reply)) return [];
  return [...new Set(reply.map((c) => String(c).toUpperCase()))].sort();
}
