/** Data hooks: load on change of `deps`, optionally again every `intervalMs` while the tab is visible. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
}

export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[], intervalMs?: number): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const loadRef = useRef(load);
  loadRef.current = load;
  const controller = useRef<AbortController | null>(null);

  const reload = useCallback(async () => {
    controller.current?.abort();
    const c = new AbortController();
    controller.current = c;
    setLoading(true);
    try {
      const value = await loadRef.current(c.signal);
      if (!c.signal.aborted) {
        setData(value);
        setError(undefined);
      }
    } catch (err) {
      if (!c.signal.aborted && (err as Error).name !== 'AbortError') setError(err);
    } finally {
      if (!c.signal.aborted) setLoading(false);
    }
  }, []);

  useEffect(() => {
    void reload();
    if (!intervalMs) return () => controller.current?.abort();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void reload();
    }, intervalMs);
    return () => {
      clearInterval(timer);
      controller.current?.abort();
    };
  }, deps);

  return { data, error, loading, reload };
}
