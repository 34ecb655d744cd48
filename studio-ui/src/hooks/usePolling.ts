import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../api/http';

export interface Polled<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  /** Fetches again now (e.g. after an action changed the answer). */
  refresh: () => void;
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/**
 * Calls `fetcher` now and every `intervalMs` while mounted (never overlapping: the next round is
 * scheduled when the previous one ends). Unmounting aborts the request in flight and the timer.
 */
export function usePolling<T>(fetcher: (signal: AbortSignal) => Promise<T>, intervalMs: number): Polled<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;

  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const round = async () => {
      try {
        const value = await fetcherRef.current(controller.signal);
        if (!controller.signal.aborted) {
          setData(value);
          setError(null);
        }
      } catch (cause) {
        if (!controller.signal.aborted && !isAbort(cause)) {
          setError(errorMessage(cause));
        }
      } finally {
        if (!controller.signal.aborted) {
          setLoading(false);
          timer = setTimeout(round, intervalMs);
        }
      }
    };
    void round();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [intervalMs, generation]);

  const refresh = useCallback(() => setGeneration((g) => g + 1), []);
  return { data, error, loading, refresh };
}
