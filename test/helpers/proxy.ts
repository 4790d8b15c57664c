// A tiny TCP proxy between redis-recon and a real server that rewrites CLIENT LIST replies, as some
// proxies do (Redis Enterprise's may hide or renumber connections): everything else passes through
// byte for byte. It follows the RESP stream from the server, so a CLIENT LIST reply is recognised
// wherever it falls (a bulk or verbatim string whose text starts with `id=`), even pipelined.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface RewritingProxy {
  readonly port: number;
  readonly url: string;
  /** CLIENT LIST replies rewritten so far. */
  readonly rewritten: number;
  close(): Promise<void>;
}

/** Drops the lines of CLIENT LIST that `hide` matches. */
export const hideLines =
  (hide: (line: string) => boolean) =>
  (text: string): string =>
    text
      .split('\n')
      .filter((l) => l === '' || !hide(l))
      .join('\n');

export async function startRewritingProxy(upstreamPort: number, rewrite: (clientList: string) => string): Promise<RewritingProxy> {
  const sockets = new Set<Socket>();
  let rewritten = 0;
  const server: Server = createServer((down) => {
    const up = createConnection({ host: '127.0.0.1', port: upstreamPort });
    sockets.add(down);
    sockets.add(up);
    const end = (): void => {
      down.destroy();
      up.destroy();
      sockets.delete(down);
      sockets.delete(up);
    };
    down.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    down.pipe(up);
    const scan = replyScanner((text) => {
      rewritten++;
      return rewrite(text);
    });
    up.on('data', (chunk: Buffer) => {
      const out = scan(chunk);
      if (out.length > 0 && !down.write(out)) {
        up.pause();
        down.once('drain', () => up.resume());
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get rewritten() {
      return rewritten;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const CRLF = Buffer.from('\r\n');

/**
 * Follows a server's RESP2/RESP3 replies chunk by chunk and returns what to forward: the same bytes,
 * except bulk (`$`) and verbatim (`=`) strings whose text starts with `id=` (a CLIENT LIST), which
 * go through `rewrite`. Other bulk strings stream through without being held.
 */
export function replyScanner(rewrite: (text: string) => string): (chunk: Buffer) => Buffer {
  let buf: Buffer = Buffer.alloc(0);
  /** Bytes of a bulk string still to pass through untouched. */
  let passing = 0;
  return (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      if (passing > 0) {
        const n = Math.min(passing, buf.length);
        out.push(buf.subarray(0, n));
        buf = buf.subarray(n);
        passing -= n;
        if (passing > 0) break;
      }
      if (buf.length === 0) break;
      const eol = buf.indexOf(CRLF);
      if (eol < 0) break;
      const type = String.fromCharCode(buf[0]!);
      if (type !== '$' && type !== '=' && type !== '!') {
        out.push(buf.subarray(0, eol + 2));
        buf = buf.subarray(eol + 2);
        continue;
      }
      const len = Number(buf.subarray(1, eol).toString());
      if (len < 0) {
        out.push(buf.subarray(0, eol + 2));
        buf = buf.subarray(eol + 2);
        continue;
      }
      const start = eol + 2;
      const lead = type === '=' ? 7 : 3; // "txt:id=" or "id="
      if (buf.length < start + Math.min(len, lead)) break;
      const text = buf.subarray(start + (type === '=' ? 4 : 0), start + Math.min(len, lead)).toString();
      if (type === '!' || text !== 'id=') {
        out.push(buf.subarray(0, start));
        buf = buf.subarray(start);
        passing = len + 2;
        continue;
      }
      if (buf.length < start + len + 2) break;
      const whole = buf.subarray(start, start + len).toString();
      const prefix = type === '=' ? whole.slice(0, 4) : '';
      const body = Buffer.from(prefix + rewrite(whole.slice(prefix.length)));
      out.push(Buffer.from(`${type}${body.length}\r\n`), body, CRLF);
      buf = buf.subarray(start + len + 2);
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  };
}
