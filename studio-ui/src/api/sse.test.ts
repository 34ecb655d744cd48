import { describe, expect, it } from 'vitest';
import { sseStream, stubFetch } from '../test/fetchStub';
import { SseParser, streamSse, type SseEvent } from './sse';

function parse(chunks: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  chunks.forEach((c) => parser.push(c));
  parser.end();
  return events;
}

describe('SseParser', () => {
  it('dispatches named events and defaults the type to message', () => {
    expect(parse(['event: task\ndata: {"a":1}\n\ndata: plain\n\n'])).toEqual([
      { event: 'task', data: '{"a":1}', id: undefined },
      { event: 'message', data: 'plain', id: undefined },
    ]);
  });

  it('joins multi-line data and ignores comments and unknown fields', () => {
    expect(parse([': keep-alive\nretry: 10\ndata: one\ndata:two\nfoo: bar\n\n'])).toEqual([
      { event: 'message', data: 'one\ntwo', id: undefined },
    ]);
  });

  it('reassembles events split anywhere across chunks, CRLF included', () => {
    const text = 'event: log\r\ndata: line 1\r\n\r\nevent: log\r\ndata: line 2\r\n\r\n';
    for (let cut = 1; cut < text.length; cut++) {
      expect(parse([text.slice(0, cut), text.slice(cut)]).map((e) => e.data)).toEqual(['line 1', 'line 2']);
    }
  });

  it('drops an event whose blank line never came', () => {
    expect(parse(['data: complete\n\ndata: cut off'])).toHaveLength(1);
  });

  it('keeps the last id on later events', () => {
    expect(parse(['id: 7\ndata: a\n\ndata: b\n\n']).map((e) => e.id)).toEqual(['7', '7']);
  });
});

describe('streamSse', () => {
  it('sends the bearer token and delivers events until the server closes', async () => {
    localStorage.setItem('sage.studio.token', 'secret-token');
    let stream!: ReturnType<typeof sseStream>;
    const { calls } = stubFetch({
      'GET /events': (call) => {
        stream = sseStream(call.signal);
        return stream.response;
      },
    });
    const events: SseEvent[] = [];
    const done = streamSse('/events', { signal: new AbortController().signal, onEvent: (e) => events.push(e) });
    await expect.poll(() => stream).toBeDefined();
    stream.send('task', { id: 1 });
    stream.close();
    await done;
    expect(events).toEqual([{ event: 'task', data: '{"id":1}', id: undefined }]);
    expect(calls[0].headers.get('Authorization')).toBe('Bearer secret-token');
    expect(calls[0].headers.get('Accept')).toBe('text/event-stream');
  });

  it('rejects with the server message on an error answer', async () => {
    stubFetch({
      'GET /events': () =>
        new Response(JSON.stringify({ error: { code: 'unauthorized', message: 'token expired' } }), { status: 401 }),
    });
    await expect(
      streamSse('/events', { signal: new AbortController().signal, onEvent: () => undefined }),
    ).rejects.toMatchObject({
      status: 401,
      code: 'unauthorized',
      message: 'token expired',
    });
  });

  it('closes the connection when a handler throws', async () => {
    let stream!: ReturnType<typeof sseStream>;
    stubFetch({
      'GET /events': (call) => {
        stream = sseStream(call.signal);
        return stream.response;
      },
    });
    const done = streamSse('/events', {
      signal: new AbortController().signal,
      onEvent: () => {
        throw new Error('bad event');
      },
    });
    await expect.poll(() => stream).toBeDefined();
    stream.send('task', 'x');
    await expect(done).rejects.toThrow('bad event');
    expect(stream.closed).toBe(true);
  });
});
