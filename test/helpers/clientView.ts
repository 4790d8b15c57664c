// A client view for tests that set the scene by hand: one connection, every count empty; a test
// names what it needs on top.
import type { ClientView } from '../../src/analysis/views.ts';

export function clientView(p: Partial<ClientView> = {}): ClientView {
  return {
    key: '1',
    addr: '10.0.0.5:4000',
    ip: '10.0.0.5',
    name: '',
    db: 0,
    connected: true,
    listed: true,
    self: false,
    firstSeen: 0,
    lastSeen: 0,
    events: 0,
    reads: 0,
    writes: 0,
    opsPerSec: 0,
    commands: [],
    prefixes: [],
    topKeys: [],
    dbs: [],
    crossSlot: { count: 0, example: [] },
    crossSlotTransactions: { count: 0, example: [], commands: [] },
    crossSlotScripts: { count: 0, example: [], commands: [] },
    ...p,
  } as ClientView;
}
