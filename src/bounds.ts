// Every limit on memory the engine keeps, in one place. A migration window can last days; nothing
// the engine aggregates may grow with the number of events or distinct keys, only with these.
export const BOUNDS = {
  /** Counters in the server-wide heavy-hitter sketch (Space-Saving) of keys. */
  topKeys: 2000,
  /** Counters in each client's own key sketch. */
  topKeysPerClient: 64,
  /** Distinct command names counted per client. */
  commandsPerClient: 200,
  /** A client's last commands MONITOR showed (name and first key, no values): the detail pane's tail. */
  recentCommandsPerClient: 8,
  /** Clients remembered in the session ledger, connected or not; the oldest departed ones go first. */
  ledgerClients: 20_000,
  /** Connections remembered per address (a port reused by new connections): the latest ones. */
  connectionsPerAddress: 4,
  /** Transactions (MULTI seen, EXEC not yet) followed at once; past it the oldest is forgotten. */
  openTransactions: 10_000,
  /**
   * An address no poll has listed and MONITOR has not shown for this long, in the events' own
   * time, is marked gone (and may be forgotten). Polls do this on a live server; reading a capture
   * nothing else would, and a day of a connection-per-request fleet would stay "connected".
   */
  quietAddressMs: 5 * 60_000,
  /** Samples of lines that did not parse, kept to show what went wrong. */
  unparsedSamples: 20,
  /** Notices kept for the status bar and the headless summary; the oldest go first. */
  notices: 20,
  /** Cutover: services remembered across observations (each a few numbers), and patterns listed per service. */
  cutoverServices: 20_000,
  cutoverPatternsPerService: 64,
  /** Pattern tree (keyPatterns.ts): prefix levels recorded; deeper segments end in one `**` leaf. */
  patternDepth: 8,
  /** Pattern tree: nodes in the whole tree (leaves included); past it keys go to an OTHER bucket. */
  patternNodes: 20_000,
  /**
   * Pattern tree: distinct literal children a position keeps before it turns wild (`tenant:*:`).
   * Above the fan-out of real name sets (flags, queues, pages, services: tens), below per-user rows.
   */
  patternCollapseAfter: 48,
  /** Pattern tree: sibling prefixes with the same literal children that make their parent wild. */
  patternTwinsAfter: 8,
  /** Per-client patterns at depth 2 counted exactly (depth 1 always is); past it they share the sketch. */
  patternsPerClientShallow: 256,
  /** Per-client heavy-hitter sketch of deeper patterns and leaves (weighted Space-Saving). */
  patternsPerClientDeep: 64,
  /** Longest key kept verbatim; longer keys are cut (a key is a name, not a payload). */
  keyLength: 512,
  /** Keyspace sampler: the biggest keys kept per key pattern and database. */
  keyspaceBigKeys: 5,
  /**
   * Keyspace sampler: keys remembered (by 64-bit fingerprint, ~18 bytes each) to drop the ones SCAN
   * returns twice; past it a scan stops deduplicating (and says so). 2^20: a million-key scan is exact.
   */
  keyspaceDedupeKeys: 1_048_576,
} as const;

/** Name of the bucket that takes names beyond a bound (the pattern tree's last resort, the per-client counters'). */
export const OTHER_PREFIX = '…';

/** MONITOR lines waiting for the next flush. Beyond this the engine is not keeping up: lines are
 * dropped and counted rather than growing memory (the buffer guard then protects the server). */
export const PENDING_LINES_MAX = 2_000_000;
/** The same buffer, in characters: lines carry whole values, so their count alone bounds nothing. */
export const PENDING_CHARS_MAX = 256 * 1024 * 1024;
/** Longest line a capture may hold; beyond it the line is cut (and counted unparsed). */
export const LINE_CHARS_MAX = 64 * 1024 * 1024;

/**
 * The cheaper lenses than MONITOR (issue 13): what they keep and how much they read per poll.
 * - SLOWLOG/COMMANDLOG: at most LOG_READ_MAX entries per read (the server keeps 128 by default);
 *   the newest LOG_ENTRIES_KEPT per node for the export, LOG_RECENT_PER_CLIENT per client.
 * - CLIENT LIST `cmd=`: distinct last commands sampled per client.
 */
export const LENS_BOUNDS = {
  logReadMax: 128,
  logEntriesKept: 256,
  logRecentPerClient: 8,
  loggedCommandsPerClient: 32,
  /** Keys kept per log entry (a SLOWLOG entry holds at most 32 arguments anyway). */
  logKeysPerEntry: 8,
  sampledCommandsPerClient: 32,
  /** Commands kept from INFO commandstats (servers have a few hundred at most). */
  commandStats: 512,
  errorStats: 128,
} as const;

/**
 * Sampled MONITOR (`--monitor sampled`): on this long in every period by default (`--monitor-sample`
 * changes it), and a window ends early once it has read this many lines, so a burst cannot make
 * one window cost more than about this much of the server's output.
 */
export const SAMPLED_MONITOR = { onMs: 10_000, periodMs: 60_000, linesPerWindow: 1_000_000 } as const;
