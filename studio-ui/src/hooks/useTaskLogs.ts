import { useEffect, useState } from 'react';
import { finetuneApi } from '../api/finetune';
import { errorMessage } from '../api/http';
import { isAbort } from './usePolling';

const MAX_LINES = 2000;
const TAIL = 500;

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines;
}

/**
 * A task's log: with `follow`, the SSE stream (`log` events, the tail first), falling back to
 * fetching the tail every `pollMs` when the stream is unavailable; without, the tail once.
 */
export function useTaskLogs(
  taskId: string | undefined,
  follow: boolean,
  pollMs = 3000,
): { lines: string[]; error: string | null } {
  const [lines, setLines] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => setLines([]), [taskId]);

  useEffect(() => {
    if (!taskId) {
      return undefined;
    }
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setError(null);

    const fetchTail = async () => {
      try {
        const text = await finetuneApi.logTail(taskId, TAIL, controller.signal);
        setLines(splitLines(text));
        setError(null);
      } catch (cause) {
        if (!isAbort(cause)) {
          setError(errorMessage(cause));
        }
      }
    };

    const poll = async () => {
      await fetchTail();
      if (!controller.signal.aborted) {
        timer = setTimeout(() => void poll(), pollMs);
      }
    };

    if (!follow) {
      void fetchTail();
    } else {
      let opened = false;
      finetuneApi
        .followLogs(taskId, TAIL, controller.signal, (event) => {
          if (event.event !== 'log') {
            return;
          }
          if (!opened) {
            opened = true;
            setLines([]);
          }
          setLines((current) => {
            const next = current.concat(splitLines(event.data));
            return next.length > MAX_LINES ? next.slice(next.length - MAX_LINES) : next;
          });
        })
        .then(
          // the server ends the stream when the task finished: one last tail makes the log complete
          () => void fetchTail(),
          (cause: unknown) => {
            if (!isAbort(cause)) {
              void poll();
            }
          },
        );
    }
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [taskId, follow, pollMs]);

  return { lines, error };
}
