// Server-sent events over fetch(): EventSource cannot send an Authorization header, and the chat
// completions stream is a POST. One parser serves the task stream, the log follow and the chat.

import { apiFetch } from './http';

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** Incremental parser for the text/event-stream format (WHATWG HTML §9.2.6). */
export class SseParser {
  private buffer = '';
  private dataLines: string[] = [];
  private eventType = '';
  private lastId: string | undefined;
  private pendingCr = false;

  constructor(private readonly onEvent: (event: SseEvent) => void) {}

  push(chunk: string): void {
    let text = chunk;
    if (this.pendingCr) {
      // a CRLF split across two chunks: the CR already ended the line
      if (text.startsWith('\n')) {
        text = text.slice(1);
      }
      this.pendingCr = false;
    }
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') {
        continue;
      }
      this.line(this.buffer.slice(start, i));
      if (c === '\r') {
        if (i + 1 === this.buffer.length) {
          this.pendingCr = true;
        } else if (this.buffer[i + 1] === '\n') {
          i++;
        }
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** End of stream: an event without its closing blank line is dropped, as the spec says. */
  end(): void {
    this.buffer = '';
    this.dataLines = [];
    this.eventType = '';
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) {
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    switch (field) {
      case 'data':
        this.dataLines.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.lastId = value;
        }
        break;
      default:
        break; // retry and unknown fields: the caller owns reconnection
    }
  }

  private dispatch(): void {
    if (this.dataLines.length === 0) {
      this.eventType = '';
      return;
    }
    const event: SseEvent = { event: this.eventType || 'message', data: this.dataLines.join('\n'), id: this.lastId };
    this.dataLines = [];
    this.eventType = '';
    this.onEvent(event);
  }
}

export interface SseRequest {
  signal: AbortSignal;
  onEvent: (event: SseEvent) => void;
  /** Called once the server answered 2xx, before the first event. */
  onOpen?: (response: Response) => void;
  init?: RequestInit;
}

/**
 * Reads an SSE response until the server closes it. Rejects with ApiError on a non-2xx answer and
 * with an AbortError when the signal fires.
 */
export async function streamSse(path: string, request: SseRequest): Promise<void> {
  const init = request.init ?? {};
  const headers = new Headers(init.headers);
  headers.set('Accept', 'text/event-stream');
  const response = await apiFetch(path, { ...init, headers, signal: request.signal });
  request.onOpen?.(response);
  if (!response.body) {
    return;
  }
  const parser = new SseParser(request.onEvent);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        break;
      }
      parser.push(value);
    }
  } finally {
    parser.end();
    if (!finished) {
      // a handler threw or the signal fired: close the connection instead of leaving it open
      reader.cancel().catch(() => undefined);
    }
  }
}
