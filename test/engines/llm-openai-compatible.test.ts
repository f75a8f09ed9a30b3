/**
 * OpenAICompatibleLLM against a local node:http server that replays chat.completion.chunk SSE
 * streams, as LM Studio, Ollama, llama-server and vLLM send them.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError } from '../../src/core/errors.js';
import type { LLMStreamPart } from '../../src/core/llm.js';
import { OpenAICompatibleLLM, isLocalServer } from '../../src/engines/llm/openai-compatible.js';
import { startSseServer } from '../helpers/openai-sse-server.js';

type Handler = (request: IncomingMessage, response: ServerResponse, body: Record<string, unknown>) => void;

function chunk(delta: Record<string, unknown>, finishReason: string | null = null): string {
  const data = {
    id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'test-model',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
  return `data: ${JSON.stringify(data)}\n\n`;
}

function usageChunk(promptTokens: number, completionTokens: number): string {
  const data = {
    id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'test-model', choices: [],
    usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
  };
  return `data: ${JSON.stringify(data)}\n\n`;
}

function startSse(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
}

async function collect(parts: AsyncIterable<LLMStreamPart>): Promise<{ deltas: string[]; finish: LLMStreamPart | undefined; error: unknown }> {
  const deltas: string[] = [];
  let finish: LLMStreamPart | undefined;
  try {
    for await (const part of parts) {
      if (part.type === 'text-delta') deltas.push(part.text);
      else finish = part;
    }
    return { deltas, finish, error: undefined };
  } catch (error) {
    return { deltas, finish, error };
  }
}

function signal(): AbortSignal {
  return new AbortController().signal;
}

describe('OpenAICompatibleLLM', () => {
  const routes = new Map<string, Handler>();
  const requests: { path: string; body: Record<string, unknown> }[] = [];
  const closedRequests: string[] = [];
  let server: Server;
  let baseURL: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      let raw = '';
      request.on('data', (data: Buffer) => (raw += data.toString()));
      request.on('end', () => {
        const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
        const scenario = String(body.model ?? 'models');
        requests.push({ path: request.url ?? '', body });
        response.on('close', () => closedRequests.push(scenario));
        const handler = request.url === '/v1/models' ? routes.get('models') : routes.get(scenario);
        if (!handler) {
          response.writeHead(404, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: { message: `model ${scenario} not found`, type: 'not_found' } }));
          return;
        }
        handler(request, response, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const llm = (model: string): OpenAICompatibleLLM => new OpenAICompatibleLLM({ baseURL, model, contextSize: 8192 });

  it('streams deltas, then finish with usage, sending the request fields', async () => {
    routes.set('normal', (_request, response) => {
      startSse(response);
      response.write(chunk({ role: 'assistant', content: '' }));
      for (const text of ['Hello', ' there', '!']) response.write(chunk({ content: text }));
      response.write(chunk({}, 'stop'));
      response.write(usageChunk(12, 3));
      response.end('data: [DONE]\n\n');
    });
    const engine = llm('normal');
    expect(engine.provider).toBe('openai-compatible');
    expect(engine.modelId).toBe('normal');
    expect(engine.contextSize).toBe(8192);

    const { deltas, finish, error } = await collect(
      engine.stream(
        { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }], maxTokens: 50, temperature: 0.3, stop: ['\n\n'] },
        { signal: signal() },
      ),
    );
    expect(error).toBeUndefined();
    expect(deltas).toEqual(['Hello', ' there', '!']);
    expect(finish).toEqual({ type: 'finish', reason: 'stop', usage: { promptTokens: 12, completionTokens: 3 } });
    const sent = requests.findLast((request) => request.body.model === 'normal');
    expect(sent?.path).toBe('/v1/chat/completions');
    expect(sent?.body).toMatchObject({
      model: 'normal', stream: true, max_tokens: 50, temperature: 0.3, stop: ['\n\n'],
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Hi' }],
    });
    expect(sent?.body).not.toHaveProperty('response_format');
  });

  it('maps finish_reason length and sends response_format for a JSON schema', async () => {
    routes.set('json', (_request, response) => {
      startSse(response);
      response.write(chunk({ content: '{"ok":' }));
      response.write(chunk({ content: 'true}' }, 'length'));
      response.end('data: [DONE]\n\n');
    });
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] };
    const { deltas, finish } = await collect(
      llm('json').stream({ messages: [{ role: 'user', content: 'ok?' }], jsonSchema: { name: 'check', schema } }, { signal: signal() }),
    );
    expect(deltas.join('')).toBe('{"ok":true}');
    expect(finish).toEqual({ type: 'finish', reason: 'length' });
    const sent = requests.findLast((request) => request.body.model === 'json');
    expect(sent?.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'check', schema, strict: true } });
  });

  it('throws EngineError after the deltas when the server cuts the socket mid-stream', async () => {
    routes.set('cut', (_request, response) => {
      startSse(response);
      response.write(chunk({ content: 'Half' }));
      response.write(chunk({ content: ' a reply' }));
      setTimeout(() => response.socket?.destroy(), 20);
    });
    const { deltas, finish, error } = await collect(llm('cut').stream({ messages: [{ role: 'user', content: 'Hi' }] }, { signal: signal() }));
    expect(deltas).toEqual(['Half', ' a reply']);
    expect(finish).toBeUndefined();
    expect(EngineError.isInstance(error)).toBe(true);
    expect((error as EngineError).engine).toBe('openai-compatible');
    expect((error as EngineError).retryable).toBe(true);
  });

  it('throws EngineError when the stream ends cleanly but without a finish', async () => {
    routes.set('short', (_request, response) => {
      startSse(response);
      response.end(chunk({ content: 'Cut' }));
    });
    const { deltas, error } = await collect(llm('short').stream({ messages: [{ role: 'user', content: 'Hi' }] }, { signal: signal() }));
    expect(deltas).toEqual(['Cut']);
    expect(EngineError.isInstance(error)).toBe(true);
    expect((error as EngineError).code).toBe('stream_interrupted');
  });

  it('throws a retryable timeout EngineError when the server goes silent mid-stream', async () => {
    routes.set('stall', (_request, response) => {
      startSse(response);
      response.write(chunk({ content: 'Wait' }));
    });
    const engine = new OpenAICompatibleLLM({ baseURL, model: 'stall', idleTimeoutMs: 150 });
    const { deltas, error } = await collect(engine.stream({ messages: [{ role: 'user', content: 'Hi' }] }, { signal: signal() }));
    expect(deltas).toEqual(['Wait']);
    expect(EngineError.isInstance(error)).toBe(true);
    expect((error as EngineError).code).toBe('timeout');
    expect((error as EngineError).retryable).toBe(true);
    await expect.poll(() => closedRequests.includes('stall')).toBe(true);
  });

  it('maps HTTP 500 to a retryable EngineError and 400 to a final one', async () => {
    routes.set('fail500', (_request, response) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'model crashed', type: 'server_error' } }));
    });
    routes.set('fail400', (_request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { message: 'bad request', type: 'invalid_request_error' } }));
    });
    const serverError = (await collect(llm('fail500').stream({ messages: [{ role: 'user', content: 'Hi' }] }, { signal: signal() }))).error;
    expect(EngineError.isInstance(serverError)).toBe(true);
    expect((serverError as EngineError).retryable).toBe(true);
    expect((serverError as EngineError).message).toMatch(/500/);

    const clientError = (await collect(llm('fail400').stream({ messages: [{ role: 'user', content: 'Hi' }] }, { signal: signal() }))).error;
    expect(EngineError.isInstance(clientError)).toBe(true);
    expect((clientError as EngineError).retryable).toBe(false);
  });

  it('says which model to check on 404', async () => {
    const { error } = await collect(llm('no-such-model').stream({ messages: [{ role: 'user', content: 'Hi' }] }, { signal: signal() }));
    expect(EngineError.isInstance(error)).toBe(true);
    expect((error as EngineError).message).toContain('no-such-model');
    expect((error as EngineError).retryable).toBe(false);
  });

  it('gives a helpful retryable EngineError when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const url = `http://127.0.0.1:${port}/v1`;
    const engine = new OpenAICompatibleLLM({ baseURL: url, model: 'any' });
    const { deltas, error } = await collect(engine.stream({ messages: [{ role: 'user', content: 'Hi' }] }, { signal: signal() }));
    expect(deltas).toEqual([]);
    expect(EngineError.isInstance(error)).toBe(true);
    expect((error as EngineError).retryable).toBe(true);
    expect((error as EngineError).message).toContain(url);
    expect((error as EngineError).message).toMatch(/LM Studio\/Ollama running/);
  });

  it('stops on abort mid-stream with reason abort and closes the request', async () => {
    routes.set('slow', (_request, response) => {
      startSse(response);
      response.write(chunk({ content: 'First' }));
      const timer = setInterval(() => response.write(chunk({ content: ' more' })), 200);
      response.on('close', () => clearInterval(timer));
    });
    const controller = new AbortController();
    const deltas: string[] = [];
    let finish: LLMStreamPart | undefined;
    let abortedAt = 0;
    for await (const part of llm('slow').stream({ messages: [{ role: 'user', content: 'Hi' }] }, { signal: controller.signal })) {
      if (part.type === 'text-delta') {
        deltas.push(part.text);
        abortedAt = performance.now();
        controller.abort();
      } else {
        finish = part;
      }
    }
    expect(performance.now() - abortedAt).toBeLessThan(100);
    expect(deltas).toEqual(['First']);
    expect(finish).toEqual({ type: 'finish', reason: 'abort' });
    await expect.poll(() => closedRequests.includes('slow')).toBe(true);
  });

  it('finishes with abort without a request when the signal is already aborted', async () => {
    const before = requests.length;
    const controller = new AbortController();
    controller.abort();
    const { deltas, finish } = await collect(llm('normal').stream({ messages: [{ role: 'user', content: 'Hi' }] }, { signal: controller.signal }));
    expect(deltas).toEqual([]);
    expect(finish).toEqual({ type: 'finish', reason: 'abort' });
    expect(requests.length).toBe(before);
  });

  it('lists the models', async () => {
    routes.set('models', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({
        object: 'list',
        data: [
          { id: 'qwen2.5-1.5b-instruct', object: 'model', created: 0, owned_by: 'local' },
          { id: 'llama-3.2-3b-instruct', object: 'model', created: 0, owned_by: 'local' },
        ],
      }));
    });
    expect(await llm('x').listModels()).toEqual(['qwen2.5-1.5b-instruct', 'llama-3.2-3b-instruct']);
  });
});

describe('OpenAICompatibleLLM function calling', () => {
  it('sends tools, tool_choice and tool messages, and reassembles streamed tool_calls', async () => {
    const server = await startSseServer({
      reply: 'It is sunny.',
      toolCalls: [
        { id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: 'call_b', name: 'get_time', arguments: '{"zone":"CET"}' },
      ],
    });
    try {
      const llm = new OpenAICompatibleLLM({ baseURL: server.baseURL, model: 'test-model' });
      const tools = [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }, { name: 'get_time' }];
      const parts: LLMStreamPart[] = [];
      for await (const part of llm.stream({ messages: [{ role: 'user', content: 'Weather?' }], tools, toolChoice: { name: 'get_weather' }, parallelToolCalls: true }, { signal: new AbortController().signal })) parts.push(part);
      const body = server.requests.at(-1)!.body as Record<string, unknown>;
      expect(body.tools).toEqual([
        { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: tools[0]!.parameters } },
        { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
      ]);
      expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
      expect(body.parallel_tool_calls).toBe(true);
      const calls = parts.filter((part) => part.type === 'tool-call');
      expect(calls).toEqual([
        { type: 'tool-call', id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'tool-call', id: 'call_b', name: 'get_time', arguments: '{"zone":"CET"}' },
      ]);
      const deltas = parts.filter((part) => part.type === 'tool-call-delta' && part.id === 'call_a').map((part) => (part as { argumentsDelta: string }).argumentsDelta);
      expect(deltas.length).toBe(3);
      expect(deltas.join('')).toBe('{"city":"Paris"}');
      expect(parts.findIndex((part) => part.type === 'tool-call-start' && part.id === 'call_a')).toBeLessThan(parts.findIndex((part) => part.type === 'tool-call-delta'));
      expect(parts.at(-1)).toMatchObject({ type: 'finish', reason: 'tool-calls' });

      // The results go back as tool messages after the assistant's calls.
      const second: LLMStreamPart[] = [];
      const messages = [
        { role: 'user' as const, content: 'Weather?' },
        { role: 'assistant' as const, content: '', toolCalls: [{ id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
        { role: 'tool' as const, toolCallId: 'call_a', content: 'sunny' },
      ];
      for await (const part of llm.stream({ messages, tools }, { signal: new AbortController().signal })) second.push(part);
      expect((server.requests.at(-1)!.body as { messages: unknown[] }).messages).toEqual([
        { role: 'user', content: 'Weather?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_a', content: 'sunny' },
      ]);
      expect(second.filter((part) => part.type === 'text-delta').map((part) => (part as { text: string }).text).join('')).toBe('It is sunny.');
      expect(second.at(-1)).toMatchObject({ type: 'finish', reason: 'stop' });
    } finally {
      await server.close();
    }
  });
});

describe('OpenAICompatibleLLM warm-up (prepare)', () => {
  it('tells local servers from remote ones', () => {
    for (const url of ['http://localhost:1234/v1', 'http://127.0.0.1:8080/v1', 'http://[::1]:8080/v1', 'http://10.1.2.3/v1', 'http://172.20.0.5/v1', 'http://192.168.1.20:11434/v1', 'http://studio.local:1234/v1', 'http://llama:8080/v1', 'http://[fd12::1]/v1']) {
      expect(isLocalServer(url), url).toBe(true);
    }
    for (const url of ['https://api.openai.com/v1', 'https://openrouter.ai/api/v1', 'http://8.8.8.8/v1', 'http://172.32.0.1/v1', 'http://[2001:db8::1]/v1', 'not a url']) {
      expect(isLocalServer(url), url).toBe(false);
    }
  });

  it('sends the system prompt with max_tokens 1 to a local server, once per prompt', async () => {
    const server = await startSseServer({ reply: 'unused' });
    try {
      const llm = new OpenAICompatibleLLM({ baseURL: server.baseURL, model: 'm' });
      expect(llm.warmsUp).toBe(true);
      const signal = new AbortController().signal;
      await llm.prepare('c1', 'You are a friendly English tutor.', { signal });
      await llm.prepare('c2', 'You are a friendly English tutor.', { signal });
      await llm.prepare('c3', 'You are a strict English tutor.', { signal });
      expect(server.requests).toHaveLength(0);
      const warmups = server.warmups.filter((request) => request.path.endsWith('/chat/completions')).map((request) => request.body);
      expect(warmups).toEqual([
        expect.objectContaining({ model: 'm', max_tokens: 1, stream: false, messages: [{ role: 'system', content: 'You are a friendly English tutor.' }] }),
        expect.objectContaining({ max_tokens: 1, messages: [{ role: 'system', content: 'You are a strict English tutor.' }] }),
      ]);
    } finally {
      await server.close();
    }
  });

  it('sends nothing when warm-up is off, or on auto for a remote server', async () => {
    const server = await startSseServer({ reply: 'unused' });
    try {
      const off = new OpenAICompatibleLLM({ baseURL: server.baseURL, model: 'm', warmup: 'off' });
      await off.prepare('c', 'Prompt.', { signal: new AbortController().signal });
      expect(server.warmups).toHaveLength(0);
      expect(server.requests).toHaveLength(0);
      expect(new OpenAICompatibleLLM({ baseURL: 'https://api.example.com/v1', model: 'm' }).warmsUp).toBe(false);
      expect(new OpenAICompatibleLLM({ baseURL: 'https://api.example.com/v1', model: 'm', warmup: 'on' }).warmsUp).toBe(true);
    } finally {
      await server.close();
    }
  });
});
