// A read that a panel shows live: loaded when the panel opens, again every `everyMs`, and at
// once after the panel changes something (reload). Errors are shown, not thrown. `hold` stops
// the reads while the panel removes the thing it reads (a read then would only fail), and
// `release` resumes them if the removal did not go through.
import { useCallback, useEffect, useRef, useState } from 'react';

export interface Polled<T> {
  value: T | null;
  error: string | null;
  reload: () => void;
  hold: () => void;
  release: () => void;
}

export function usePolled<T>(load: () => Promise<T>, everyMs: number, deps: unknown[]): Polled<T> {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const held = useRef(false);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(() => {
    if (held.current) return;
    load().then(
      (v) => {
        setValue(v);
        setError(null);
      },
      (e: Error) => setError(e.message),
    );
  }, deps);
  useEffect(() => {
    run();
    const timer = setInterval(run, everyMs);
    return () => clearInterval(timer);
  }, [run, everyMs]);
  const hold = useCallback(() => void (held.current = true), []);
  const release = useCallback(() => void (held.current = false), []);
  return { value, error, reload: run, hold, release };
}
