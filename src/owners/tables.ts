// The two hand-kept owner tables: a CSV of `cidr_or_ip,owner[,team]` (read with csv-parse, so
// quoted owners with commas work) and `/etc/hosts` lines (`address name [aliases…]`). Pure: each
// returns its entries and the lines it could not read, with why.
import { parse } from 'csv-parse/sync';
import { parseRange, type Range } from './addresses.ts';

export interface TableEntry {
  readonly range: Range;
  readonly name: string;
  readonly team?: string;
  readonly line: number;
}

export interface TableParse {
  readonly entries: TableEntry[];
  readonly problems: Array<{ line: number; why: string }>;
}

/** First cells that make a row a header, not an entry. */
const HEADER = /^(cidr|ip|address|addr|cidr_or_ip|network|subnet|range)$/i;

export function parseOwnerCsv(text: string): TableParse {
  const entries: TableEntry[] = [];
  const problems: Array<{ line: number; why: string }> = [];
  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, {
      bom: true,
      comment: '#',
      comment_no_infix: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (err) {
    const e = err as { lines?: number; message?: string };
    return { entries, problems: [{ line: e.lines ?? 0, why: String(e.message ?? err).split('\n')[0]! }] };
  }
  records.forEach(({ record, info }, i) => {
    const [addr = '', owner = '', team = ''] = record;
    if (record.every((c) => c === '')) return;
    if (i === 0 && HEADER.test(addr)) return;
    const range = parseRange(addr);
    if (!range) problems.push({ line: info.lines, why: `"${addr}" is not an IP address or CIDR range` });
    else if (owner === '') problems.push({ line: info.lines, why: `no owner after ${addr}` });
    else entries.push({ range, name: owner, ...(team !== '' ? { team } : {}), line: info.lines });
  });
  return { entries, problems };
}

/** `/etc/hosts`: an address, its canonical name, aliases; `#` starts a comment anywhere. */
export function parseHostsFile(text: string): TableParse {
  const entries: TableEntry[] = [];
  const problems: Array<{ line: number; why: string }> = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.replace(/#.*$/, '').trim();
    if (l === '') continue;
    const [addr = '', name] = l.split(/\s+/);
    const range = parseRange(addr);
    if (!range || !range.single) problems.push({ line: i + 1, why: `"${addr}" is not an IP address` });
    else if (!name) problems.push({ line: i + 1, why: `no host name after ${addr}` });
    else entries.push({ range, name, line: i + 1 });
  }
  return { entries, problems };
}
