// Small hooks: the terminal's size (followed through resizes) and a clock for "n seconds ago".
import { useEffect, useState } from 'react';
import { useStdout } from 'ink';

export interface Size {
  readonly columns: number;
  readonly rows: number;
}

const read = (out: NodeJS.WriteStream): Size => ({ columns: out.columns || 80, rows: out.rows || 24 });

/** The terminal size, updated on every 'resize' of Ink's stdout. */
export function useTerminalSize(): Size {
  const { stdout } = useStdout();
  const [size, setSize] = useState<Size>(() => read(stdout));
  useEffect(() => {
    const onResize = (): void => {
      const next = read(stdout);
      setSize((prev) => (prev.columns === next.columns && prev.rows === next.rows ? prev : next));
    };
    onResize();
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

/** Wall time, refreshed every `everyMs` (ages and elapsed times tick without data arriving). */
export function useNow(everyMs = 1000, clock: () => number = Date.now): number {
  const [now, setNow] = useState(clock);
  useEffect(() => {
    const t = setInterval(() => setNow(clock()), everyMs);
    t.unref?.();
    return () => clearInterval(t);
  }, [everyMs, clock]);
  return now;
}
