// A read that a panel shows live: loaded when the panel opens, again every `everyMs`, and at
// once after the panel changes something (reload). Errors are shown, not thrown.
import { useCallback, useEffect, useState } from 'react';

export function usePolled<T>(load: () => Promise<T>, everyMs: number, deps: unknown[]): { value: T | null; error: string | null; reload: () => void } {
  const [value, setValue] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const run = useCallback(() => {
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
  return { value, error, reload: run };
}
