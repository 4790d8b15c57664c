// Placeholder until the dashboard issue lands: the engine is usable headless today.
import type { Config } from '../src/config.ts';

export async function runDashboard(_config: Config): Promise<number> {
  process.stderr.write('redis-recon: the dashboard is not built yet; use --headless --duration 60s --export out.json\n');
  return 1;
}
