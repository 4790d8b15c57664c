// The CLIENT LIST padding proxy of the many-connections measurement, on a thread of its own. On the
// measuring thread, rewriting a 20,000-line reply into 30,000 lines at every poll (~0.1-0.2 s) kept
// it from reading the dashboard's frames: the key presses "during polls" were timed late by the
// proxy's own work, not the dashboard's.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { padClientList, startRewritingProxy } from './proxy.ts';

export interface ProxyThread {
  readonly url: string;
  close(): Promise<void>;
}

export async function startPaddingProxyThread(upstreamPort: number, total: number): Promise<ProxyThread> {
  const self = new URL(import.meta.url);
  // A worker does not inherit tsx's loader hooks: it registers them before importing this file.
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(self.href)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: { upstreamPort, total } });
  const url = await new Promise<string>((resolve, reject) => {
    worker.once('message', (m: { url: string }) => resolve(m.url));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the proxy thread exited (${code}) before it listened`)));
  });
  return {
    url,
    async close() {
      await worker.terminate();
    },
  };
}

if (!isMainThread && parentPort && (workerData as { upstreamPort?: number } | undefined)?.upstreamPort !== undefined) {
  const { upstreamPort, total } = workerData as { upstreamPort: number; total: number };
  const proxy = await startRewritingProxy(upstreamPort, padClientList(total));
  parentPort.postMessage({ url: proxy.url });
}
