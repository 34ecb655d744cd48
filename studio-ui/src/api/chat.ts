import type { GatedSwitchRequest } from './evaluation';
import { ApiError, getJson, sendJson } from './http';
import { streamSse } from './sse';
import type { ChatMessage, CurrentModel, SwitchOperation, SwitchRequest, SwitchResult } from './types';

/** The gateway's stable alias for whatever model the chat backend serves now. */
export const CHAT_MODEL_ALIAS = 'sage-chat';

export type { SwitchRequest };

export interface ChatStreamHandlers {
  /** The model that answers, as soon as it is known (header first, then the chunks' `model`). */
  onModel: (model: string) => void;
  onDelta: (text: string) => void;
}

interface CompletionChunk {
  model?: string;
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  error?: { message?: string; code?: string };
}

export const chatApi = {
  currentModel: (signal?: AbortSignal) => getJson<CurrentModel>('/api/finetune/current-model', signal),
  /** `require_evaluation` / `force`: the evaluation gate (409 `evaluation_missing` / `evaluation_worse`). */
  startSwitch: (request: GatedSwitchRequest) => sendJson<SwitchOperation>('POST', '/api/chat/switch', request),
  getSwitch: (id: string, signal?: AbortSignal) =>
    getJson<SwitchOperation>(`/api/chat/switch/${encodeURIComponent(id)}`, signal),
  /** The seed's blocking switch: answers once the switch finished. */
  switchModel: (modelPath: string) =>
    sendJson<SwitchResult>('POST', `/api/finetune/switch-model?model_path=${encodeURIComponent(modelPath)}`),

  /**
   * Streams one assistant answer from /v1/chat/completions. Resolves with the model that answered
   * once the stream ends ([DONE] or close); rejects with an AbortError when `signal` fires.
   */
  async streamChat(
    messages: ChatMessage[],
    model: string,
    signal: AbortSignal,
    handlers: ChatStreamHandlers,
  ): Promise<string> {
    let answeredBy = '';
    const noteModel = (name: string | null | undefined) => {
      if (name && name !== answeredBy) {
        answeredBy = name;
        handlers.onModel(name);
      }
    };
    await streamSse('/v1/chat/completions', {
      signal,
      init: {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ model, messages, stream: true }),
      },
      onOpen: (response) => noteModel(response.headers.get('X-Studio-Model')),
      onEvent: (event) => {
        if (event.data === '[DONE]') {
          return;
        }
        const chunk = JSON.parse(event.data) as CompletionChunk;
        if (chunk.error) {
          throw new ApiError(502, chunk.error.code ?? 'stream_error', chunk.error.message ?? 'the model server failed');
        }
        if (!answeredBy) {
          noteModel(chunk.model);
        }
        const text = chunk.choices?.[0]?.delta?.content;
        if (text) {
          handlers.onDelta(text);
        }
      },
    });
    return answeredBy;
  },
};
