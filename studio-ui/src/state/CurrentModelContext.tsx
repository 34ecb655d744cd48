import { createContext, useContext, type ReactNode } from 'react';
import { chatApi } from '../api/chat';
import type { CurrentModel } from '../api/types';
import { usePolling } from '../hooks/usePolling';

interface CurrentModelState {
  current: CurrentModel | undefined;
  error: string | null;
  loading: boolean;
  refresh: () => void;
}

const CurrentModelContext = createContext<CurrentModelState | null>(null);

const fetchCurrent = (signal: AbortSignal) => chatApi.currentModel(signal);

/** The model the chat backend serves now, shared by the header, the Finetune and the Chat panels. */
export function CurrentModelProvider({ children, intervalMs = 5000 }: { children: ReactNode; intervalMs?: number }) {
  const { data, error, loading, refresh } = usePolling(fetchCurrent, intervalMs);
  return (
    <CurrentModelContext.Provider value={{ current: data, error, loading, refresh }}>
      {children}
    </CurrentModelContext.Provider>
  );
}

export function useCurrentModel(): CurrentModelState {
  const context = useContext(CurrentModelContext);
  if (!context) {
    throw new Error('useCurrentModel outside <CurrentModelProvider>');
  }
  return context;
}

/**
 * The name to show for the current model: the served name, else its display name, else its path (`current_model`
 * is the model's path or id, as in the seed).
 */
export function displayModelName(current: CurrentModel | undefined): string | null {
  if (!current || current.kind === 'none') {
    return null;
  }
  const name = current.served_model_name || current.display_name || current.current_model || current.model_path;
  return name ?? null;
}
