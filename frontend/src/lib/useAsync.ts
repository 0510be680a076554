/** Loads data for a view: {data, error, loading, reload, refresh}. */
import { useCallback, useEffect, useRef, useState } from 'react';

export interface AsyncState<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  /** Loads again but keeps showing the current data meanwhile (live updates: no loading flash). */
  refresh: () => void;
}

export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): AsyncState<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const quiet = useRef(false);
  // The caller lists the load function's inputs in deps (like useCallback).
  const run = useCallback(load, deps);
  useEffect(() => {
    let live = true;
    if (!quiet.current) {
      setLoading(true);
      setError(undefined);
    }
    quiet.current = false;
    run().then(
      (d) => {
        if (live) {
          setData(d);
          setLoading(false);
        }
      },
      (e: unknown) => {
        if (live) {
          setError(e);
          setLoading(false);
        }
      },
    );
    return () => {
      live = false;
    };
  }, [run, tick]);
  return {
    data,
    error,
    loading,
    reload: () => setTick((t) => t + 1),
    refresh: () => {
      quiet.current = true;
      setTick((t) => t + 1);
    },
  };
}
