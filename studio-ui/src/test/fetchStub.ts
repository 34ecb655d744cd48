import { vi } from 'vitest';

export interface Call {
  method: string;
  url: string;
  headers: Headers;
  body: unknown;
  signal: AbortSignal | null | undefined;
}

type Handler = (call: Call) => Response | Promise<Response>;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

export function apiError(status: number, code: string, message: string, details: unknown[] = []): Response {
  return json({ error: { code, message, details } }, status);
}

/** An SSE response the test writes to: `send` an event, `close` the stream; it errors when the request aborts. */
export function sseStream(signal?: AbortSignal | null, headers: Record<string, string> = {}) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      closed = true;
    },
  });
  signal?.addEventListener('abort', () => {
    if (!closed) {
      closed = true;
      controller.error(new DOMException('aborted', 'AbortError'));
    }
  });
  return {
    response: new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream', ...headers } }),
    raw: (text: string) => controller.enqueue(encoder.encode(text)),
    send: (event: string, data: unknown) =>
      controller.enqueue(
        encoder.encode(`event: ${event}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`),
      ),
    close: () => {
      closed = true;
      controller.close();
    },
    get closed() {
      return closed;
    },
  };
}

/** Replaces fetch: each call goes to the first route whose "METHOD path" prefix matches. */
export function stubFetch(routes: Record<string, Handler>) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    const method = (init.method ?? 'GET').toUpperCase();
    const call: Call = { method, url, headers: new Headers(init.headers), body: init.body, signal: init.signal };
    calls.push(call);
    if (init.signal?.aborted) {
      throw new DOMException('aborted', 'AbortError');
    }
    const key = Object.keys(routes).find((route) => `${method} ${url}`.startsWith(route));
    if (!key) {
      return apiError(404, 'not_found', `no route for ${method} ${url}`);
    }
    return routes[key](call);
  });
  vi.stubGlobal('fetch', fetchMock);
  return {
    calls,
    fetchMock,
    count: (prefix: string) => calls.filter((c) => `${c.method} ${c.url}`.startsWith(prefix)).length,
  };
}
