import { describe, expect, it } from 'vitest';
import { apiError, sseStream, stubFetch } from '../test/fetchStub';
import { chatApi } from './chat';

const chunk = (content: string, model = 'served-model') =>
  JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta: { content } }] });

describe('chatApi.streamChat', () => {
  it('streams the deltas and reports the model from the X-Studio-Model header', async () => {
    let stream!: ReturnType<typeof sseStream>;
    const { calls } = stubFetch({
      'POST /v1/chat/completions': (call) => {
        stream = sseStream(call.signal, { 'X-Studio-Model': 'task-42-lora' });
        return stream.response;
      },
    });
    const deltas: string[] = [];
    const models: string[] = [];
    const done = chatApi.streamChat([{ role: 'user', content: 'hi' }], 'sage-chat', new AbortController().signal, {
      onModel: (m) => models.push(m),
      onDelta: (d) => deltas.push(d),
    });
    await expect.poll(() => stream).toBeDefined();
    stream.raw(`data: ${chunk('Hel')}\n\n`);
    stream.raw(`data: ${chunk('lo')}\n\ndata: [DONE]\n\n`);
    stream.close();
    await expect(done).resolves.toBe('task-42-lora');
    expect(deltas.join('')).toBe('Hello');
    expect(models).toEqual(['task-42-lora']);
    expect(JSON.parse(calls[0].body as string)).toEqual({
      model: 'sage-chat',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
  });

  it('falls back to the model field of the chunks without the header', async () => {
    let stream!: ReturnType<typeof sseStream>;
    stubFetch({
      'POST /v1/chat/completions': (call) => {
        stream = sseStream(call.signal);
        return stream.response;
      },
    });
    const done = chatApi.streamChat([], 'sage-chat', new AbortController().signal, {
      onModel: () => undefined,
      onDelta: () => undefined,
    });
    await expect.poll(() => stream).toBeDefined();
    stream.raw(`data: ${chunk('x', 'Qwen/Qwen2.5-0.5B-Instruct')}\n\ndata: [DONE]\n\n`);
    stream.close();
    await expect(done).resolves.toBe('Qwen/Qwen2.5-0.5B-Instruct');
  });

  it('rejects with the error a chunk carries', async () => {
    let stream!: ReturnType<typeof sseStream>;
    stubFetch({
      'POST /v1/chat/completions': (call) => {
        stream = sseStream(call.signal);
        return stream.response;
      },
    });
    const done = chatApi.streamChat([], 'm', new AbortController().signal, {
      onModel: () => undefined,
      onDelta: () => undefined,
    });
    await expect.poll(() => stream).toBeDefined();
    stream.raw(`data: ${JSON.stringify({ error: { code: 'engine_down', message: 'model server crashed' } })}\n\n`);
    await expect(done).rejects.toThrow('model server crashed');
  });

  it('stops when aborted', async () => {
    let stream!: ReturnType<typeof sseStream>;
    stubFetch({
      'POST /v1/chat/completions': (call) => {
        stream = sseStream(call.signal);
        return stream.response;
      },
    });
    const abort = new AbortController();
    const done = chatApi.streamChat([], 'm', abort.signal, { onModel: () => undefined, onDelta: () => undefined });
    await expect.poll(() => stream).toBeDefined();
    stream.raw(`data: ${chunk('partial')}\n\n`);
    abort.abort();
    await expect(done).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('reports a 503 during a switch with the gateway message', async () => {
    stubFetch({
      'POST /v1/chat/completions': () => apiError(503, 'switching', 'the chat backend is switching models'),
    });
    await expect(
      chatApi.streamChat([], 'm', new AbortController().signal, { onModel: () => undefined, onDelta: () => undefined }),
    ).rejects.toMatchObject({ status: 503, message: 'the chat backend is switching models' });
  });
});
