// One table line from placed columns: each cell fitted to its width, coloured on its own, one space
// between cells. A line is a single <Text> so Yoga lays out one node per row, not one per cell.
import { Text } from 'ink';
import type { PlacedColumn } from '../src/ui/layout.ts';
import { fit, type Cut } from '../src/ui/text.ts';

export interface Cell {
  readonly text: string;
  readonly color?: string;
  readonly bold?: boolean;
  readonly dim?: boolean;
  readonly cut?: Cut;
}

export interface LineProps<Id extends string> {
  readonly columns: readonly PlacedColumn<Id>[];
  readonly cells: Readonly<Partial<Record<Id, Cell | string>>>;
  /** Leading pointer column ('›' for the selection). */
  readonly pointer?: string;
  readonly inverse?: boolean;
  readonly dim?: boolean;
  readonly bold?: boolean;
  readonly color?: string;
}

export function Line<Id extends string>({ columns, cells, pointer = ' ', inverse, dim, bold, color }: LineProps<Id>) {
  return (
    <Text wrap="truncate" inverse={inverse} dimColor={dim} bold={bold} color={color}>
      {pointer}
      {columns.map((c, i) => {
        const raw = cells[c.id];
        const cell: Cell = typeof raw === 'string' ? { text: raw } : (raw ?? { text: '' });
        const text = fit(cell.text, c.w, c.align ?? 'left', cell.cut ?? 'end');
        const sep = i < columns.length - 1 ? ' ' : '';
        return cell.color || cell.bold || cell.dim ? (
          <Text key={c.id} color={cell.color} bold={cell.bold} dimColor={cell.dim}>
            {text}
            {sep}
          </Text>
        ) : (
          text + sep
        );
      })}
    </Text>
  );
}

/** The header line of a table: column titles, dim, with the sorted column marked. */
export function HeaderLine<Id extends string>({
  columns,
  sorted,
}: {
  readonly columns: readonly PlacedColumn<Id>[];
  readonly sorted?: { id: Id; desc: boolean };
}) {
  const cells: Partial<Record<Id, Cell>> = {};
  for (const c of columns) {
    const mark = sorted && sorted.id === c.id ? (sorted.desc ? '↓' : '↑') : '';
    const title = c.align === 'right' ? `${mark}${c.title}` : `${c.title}${mark}`;
    cells[c.id] = { text: title, bold: mark !== '', color: mark !== '' ? 'cyan' : undefined };
  }
  return <Line columns={columns} cells={cells} dim={!sorted} />;
}
