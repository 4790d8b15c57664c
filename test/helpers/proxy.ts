// A tiny TCP proxy between redis-recon and a real server that rewrites CLIENT LIST replies, as some
// proxies do (Redis Enterprise's may hide or renumber connections), or other replies a test picks
// by how they begin (`# Commandstats`): everything else passes through byte for byte. It follows
// the RESP stream from the server, so a reply is recognised wherever it falls (a bulk or verbatim
// string whose text starts with one of `leads`), even pipelined.
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

export async function startRewritingProxy(upstreamPort: number, rewrite: (reply: string) => string, leads: readonly string[] = ['id=']): Promise<RewritingProxy> {
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
    }, leads);
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
 * except bulk (`$`) and verbatim (`=`) strings whose text starts with one of `leads` (`id=`: a
 * CLIENT LIST), which go through `rewrite`. Other bulk strings stream through without being held.
 */
export function replyScanner(rewrite: (text: string) => string, leads: readonly string[] = ['id=']): (chunk: Buffer) => Buffer {
  const leadMax = Math.max(...leads.map((l) => l.length));
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
      const skip = type === '=' ? 4 : 0; // a verbatim string's "txt:"
      const head = Math.min(len, skip + leadMax);
      if (buf.length < start + head) break;
      const text = buf.subarray(start + skip, start + head).toString();
      if (type === '!' || !leads.some((l) => text.startsWith(l))) {
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

/**
 * Pads CLIENT LIST up to `total` lines with copies of the real idle connections (new ids, new
 * addresses on 127.0.1.x, the rest as the server printed it: ages and idle times advance with the
 * originals). Where one process may not hold 30,000 sockets, this shows redis-recon 30,000
 * connections; what CLIENT LIST costs the server still follows the real ones.
 */
export const padClientList =
  (total: number, isIdleApp: (line: string) => boolean = (l) => / addr=127\.0\.0\.[2-9]:/.test(l)) =>
  (text: string): string => {
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    // By id: the server rotates its client list as it serves it, and a copy must stay the same
    // connection from one poll to the next.
    const id = (l: string): number => Number(/^id=(\d+)/.exec(l)?.[1] ?? 0);
    const templates = lines.filter(isIdleApp).sort((a, b) => id(a) - id(b));
    if (templates.length === 0 || lines.length >= total) return text;
    const extra: string[] = [];
    for (let k = 0; lines.length + extra.length < total; k++) {
      const t = templates[k % templates.length]!;
      extra.push(
        t
          .replace(/^id=\d+/, `id=${50_000_000 + k}`)
          .replace(/ addr=[^ ]+/, ` addr=127.0.1.${1 + (k % 250)}:${10_000 + Math.floor(k / 250)}`)
          .replace(/ fd=\d+/, ` fd=${100_000 + k}`),
      );
    }
    return `${lines.concat(extra).join('\n')}\n`;
  };

/** Makes every CLIENT LIST look as costly to the server as `usecPerCall` in INFO commandstats. */
export const costlyClientList =
  (usecPerCall: number) =>
  (text: string): string =>
    text.replace(/cmdstat_client\|list:calls=(\d+),usec=\d+,usec_per_call=[\d.]+/, (_m, calls: string) => `cmdstat_client|list:calls=${calls},usec=${Number(calls) * usecPerCall},usec_per_call=${usecPerCall}.00`);
