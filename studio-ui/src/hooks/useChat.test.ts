import { act, renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { sseStream, stubFetch } from '../test/fetchStub';
import { historyOf, useChat } from './useChat';

const chunk = (content: string) => `data: ${JSON.stringify({ model: 'm', choices: [{ delta: { content } }] })}\n\n`;

describe('useChat', () => {
  it('streams an answer, records who answered, and sends the history with the next question', async () => {
    const streams: ReturnType<typeof sseStream>[] = [];
    const { calls } = stubFetch({
      'POST /v1/chat/completions': (call) => {
        const stream = sseStream(call.signal, { 'X-Studio-Model': 'ft-task-1' });
        streams.push(stream);
        return stream.response;
      },
    });
    const { result } = renderHook(() => useChat('sage-chat'));
    act(() => void result.current.send('  first question '));
    await waitFor(() => expect(streams).toHaveLength(1));
    act(() => {
      streams[0].raw(chunk('Hello'));
      streams[0].raw(chunk(' there'));
      streams[0].raw('data: [DONE]\n\n');
      streams[0].close();
    });
    await waitFor(() => expect(result.current.streaming).toBe(false));
    expect(result.current.entries.map((e) => [e.role, e.content, e.status, e.model])).toEqual([
      ['user', 'first question', 'done', undefined],
      ['assistant', 'Hello there', 'done', 'ft-task-1'],
    ]);

    act(() => void result.current.send('second'));
    await waitFor(() => expect(streams).toHaveLength(2));
    expect(JSON.parse(calls[1].body as string).messages).toEqual([
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'Hello there' },
      { role: 'user', content: 'second' },
    ]);
  });

  it('stop aborts the request and keeps the partial answer marked stopped', async () => {
    let stream!: ReturnType<typeof sseStream>;
    stubFetch({
      'POST /v1/chat/completions': (call) => {
        stream = sseStream(call.signal);
        return stream.response;
      },
    });
    const { result } = renderHook(() => useChat('m'));
    act(() => void result.current.send('question'));
    await waitFor(() => expect(stream).toBeDefined());
    act(() => stream.raw(chunk('partial')));
    await waitFor(() => expect(result.current.entries[1].content).toBe('partial'));
    act(() => result.current.stop());
    await waitFor(() => expect(result.current.streaming).toBe(false));
    expect(result.current.entries[1].status).toBe('stopped');
    expect(stream.closed).toBe(true);
  });

  it('a new conversation clears it and closes the running stream; unmounting closes it too', async () => {
    const streams: ReturnType<typeof sseStream>[] = [];
    stubFetch({
      'POST /v1/chat/completions': (call) => {
        const stream = sseStream(call.signal);
        streams.push(stream);
        return stream.response;
      },
    });
    const { result, unmount } = renderHook(() => useChat('m'));
    act(() => void result.current.send('one'));
    await waitFor(() => expect(streams).toHaveLength(1));
    act(() => result.current.reset());
    expect(result.current.entries).toEqual([]);
    expect(streams[0].closed).toBe(true);

    act(() => void result.current.send('two'));
    await waitFor(() => expect(streams).toHaveLength(2));
    unmount();
    expect(streams[1].closed).toBe(true);
  });

  it('leaves failed answers out of the history', () => {
    expect(
      historyOf([
        { id: 1, role: 'user', content: 'a', status: 'done' },
        { id: 2, role: 'assistant', content: '', status: 'error', error: 'no backend' },
      ]),
    ).toEqual([{ role: 'user', content: 'a' }]);
  });
});
