import { useCallback, useEffect, useRef, useState } from 'react';
import { chatApi } from '../api/chat';
import { errorMessage } from '../api/http';
import type { ChatMessage } from '../api/types';
import { isAbort } from './usePolling';

export interface ChatEntry {
  id: number;
  role: 'user' | 'assistant';
  content: string;
  /** The model that answered (assistant entries). */
  model?: string;
  status: 'streaming' | 'done' | 'stopped' | 'error';
  error?: string;
}

/** The history sent with the next question: finished exchanges only, errors left out. */
export function historyOf(entries: ChatEntry[]): ChatMessage[] {
  return entries
    .filter((e) => e.status !== 'error' && e.content.length > 0)
    .map((e) => ({ role: e.role, content: e.content }));
}

/**
 * A streaming conversation with the chat backend. `model` is what the request names (the served
 * name or the gateway alias); each answer records the model that really answered.
 */
export function useChat(model: string) {
  const [entries, setEntries] = useState<ChatEntry[]>([]);
  const [streaming, setStreaming] = useState(false);
  const controller = useRef<AbortController | null>(null);
  const nextId = useRef(1);
  const latest = useRef<ChatEntry[]>([]);

  useEffect(() => {
    latest.current = entries;
  }, [entries]);

  useEffect(() => () => controller.current?.abort(), []);

  const update = (id: number, change: (entry: ChatEntry) => ChatEntry) =>
    setEntries((current) => current.map((e) => (e.id === id ? change(e) : e)));

  const send = useCallback(
    async (text: string) => {
      const question = text.trim();
      if (!question || controller.current) {
        return;
      }
      const abort = new AbortController();
      controller.current = abort;
      const userEntry: ChatEntry = { id: nextId.current++, role: 'user', content: question, status: 'done' };
      const answerId = nextId.current++;
      const history: ChatMessage[] = historyOf([...latest.current, userEntry]);
      setEntries((current) => [
        ...current,
        userEntry,
        { id: answerId, role: 'assistant', content: '', status: 'streaming' },
      ]);
      setStreaming(true);
      try {
        await chatApi.streamChat(history, model, abort.signal, {
          onModel: (name) => update(answerId, (e) => ({ ...e, model: name })),
          onDelta: (delta) => update(answerId, (e) => ({ ...e, content: e.content + delta })),
        });
        update(answerId, (e) => ({ ...e, status: 'done' }));
      } catch (cause) {
        if (isAbort(cause)) {
          update(answerId, (e) => ({ ...e, status: 'stopped' }));
        } else {
          update(answerId, (e) => ({ ...e, status: 'error', error: errorMessage(cause) }));
        }
      } finally {
        if (controller.current === abort) {
          controller.current = null;
          setStreaming(false);
        }
      }
    },
    [model],
  );

  const stop = useCallback(() => controller.current?.abort(), []);

  const reset = useCallback(() => {
    controller.current?.abort();
    controller.current = null;
    setStreaming(false);
    setEntries([]);
  }, []);

  return { entries, streaming, send, stop, reset };
}
