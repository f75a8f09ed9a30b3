/**
 * A local OpenAI-compatible chat completions server (SSE, `chat.completion.chunk`,
 * `data: [DONE]`) that streams a reply word by word and can cut the socket after N words, like a
 * server that dies mid-reply. Also answers `GET /v1/models`, and prompt-cache warm-ups
 * (`max_tokens: 1`, not streamed) with a one-token JSON completion.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SseServerOptions {
  reply: string;
  model?: string;
  /** Destroy the socket after this many words (of the first request only when `cutOnce`). */
  cutAfterWords?: number;
  cutOnce?: boolean;
  wordDelayMs?: number;
  /** Send the headers, then nothing (a server that hangs), for the first N requests. */
  stallRequests?: number;
  /** Answer the first N chat requests with HTTP 500. */
  failRequests?: number;
  /**
   * Function calls streamed instead of the reply when the request has `tools` and its last
   * message is not a `tool` result: per call a delta with `index`, `id`, `type` and the name,
   * then the arguments in three pieces (as OpenAI streams them); finish reason `tool_calls`.
   */
  toolCalls?: { id: string; name: string; arguments: string }[];
}

export interface SseServer {
  baseURL: string;
  /** Every request but the warm-ups, in order. */
  requests: { path: string; body: unknown }[];
  /** Prompt-cache warm-ups (`max_tokens: 1`, not streamed), in order. */
  warmups: { path: string; body: unknown }[];
  close(): Promise<void>;
}

export async function startSseServer(options: SseServerOptions): Promise<SseServer> {
  const requests: SseServer['requests'] = [];
  const warmups: SseServer['warmups'] = [];
  const model = options.model ?? 'test-model';
  let cuts = 0;
  let chatRequests = 0;
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (data) => (body += data));
    request.on('end', async () => {
      const parsedBody = (body ? JSON.parse(body) : undefined) as { stream?: boolean; max_tokens?: number } | undefined;
      // A prompt-cache warm-up (`max_tokens: 1`, not streamed): answered with one token in a
      // plain JSON completion, kept apart from the requests the options and tests count.
      if (parsedBody && parsedBody.stream !== true && parsedBody.max_tokens === 1) {
        warmups.push({ path: request.url ?? '', body: parsedBody });
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ id: 'chatcmpl-warm', object: 'chat.completion', created: 0, model, choices: [{ index: 0, message: { role: 'assistant', content: 'O' }, finish_reason: 'length' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
        return;
      }
      requests.push({ path: request.url ?? '', body: parsedBody });
      if (request.url?.endsWith('/models')) {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ object: 'list', data: [{ id: model, object: 'model', created: 0, owned_by: 'test' }] }));
        return;
      }
      chatRequests++;
      if (options.failRequests !== undefined && chatRequests <= options.failRequests) {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'model crashed', type: 'server_error' } }));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      if (options.stallRequests !== undefined && chatRequests <= options.stallRequests) {
        response.flushHeaders();
        return;
      }
      const parsed = (body ? JSON.parse(body) : {}) as { tools?: unknown[]; messages?: { role: string }[] };
      if (options.toolCalls && parsed.tools?.length && parsed.messages?.at(-1)?.role !== 'tool') {
        const send = (delta: unknown, finish: string | null): void => {
          response.write(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
        };
        send({ role: 'assistant', content: null }, null);
        for (const [index, call] of options.toolCalls.entries()) {
          send({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }, null);
          const third = Math.ceil(call.arguments.length / 3);
          for (let at = 0; at < call.arguments.length; at += third) {
            send({ tool_calls: [{ index, function: { arguments: call.arguments.slice(at, at + third) } }] }, null);
          }
        }
        send({}, 'tool_calls');
        response.end('data: [DONE]\n\n');
        return;
      }
      const words = options.reply.split(/(?<=\s)/);
      const cut = options.cutAfterWords !== undefined && !(options.cutOnce && cuts > 0);
      for (const [index, word] of words.entries()) {
        if (cut && index === options.cutAfterWords) {
          cuts++;
          response.socket?.destroy();
          return;
        }
        const chunk = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta: { content: word }, finish_reason: null }] };
        response.write(`data: ${JSON.stringify(chunk)}\n\n`);
        if (options.wordDelayMs) await new Promise((resolve) => setTimeout(resolve, options.wordDelayMs));
      }
      response.write(`data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      response.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    warmups,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
