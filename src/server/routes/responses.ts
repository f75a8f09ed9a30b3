/**
 * A subset of OpenAI's Responses API (https://platform.openai.com/docs/api-reference/responses):
 * `POST /v1/responses`, `GET /v1/responses/:id`, `DELETE /v1/responses/:id`, through the
 * configured LLM engine. The Vercel AI SDK's default provider (`openai('model')`) and
 * `client.responses.create()` of the `openai` package speak it.
 *
 * Request: `model` (as for chat completions: `localchat-tutor` adds the tutor persona, any other
 * name is the plain engine), `input` (a string, or a list of items: messages with role `user` /
 * `assistant` / `system` / `developer` and content as a string or `input_text` / `output_text`
 * parts, `function_call` and `function_call_output` items), `instructions` (a system message
 * first; not carried over to later responses, as OpenAI does), `previous_response_id` (continues a
 * response stored by this process: its input and output come before the new input),
 * `max_output_tokens`, `temperature`, `text.format` (`text`, `json_object`, `json_schema`),
 * function `tools` (`{type: 'function', name, description, parameters, strict}`), `tool_choice`,
 * `parallel_tool_calls`, `stream`, `store` (default true). Other fields (`top_p`, `metadata`,
 * `user`, `reasoning`, `truncation`...) are accepted and ignored; non-function tools and
 * non-text input parts are refused with 400.
 *
 * Output: a `message` item with one `output_text` part, and a `function_call` item per call;
 * `status` `completed`, or `incomplete` with `incomplete_details.reason` `max_output_tokens`.
 * Streaming: OpenAI's events with `sequence_number` (`response.created`, `response.in_progress`,
 * `response.output_item.added`, `response.content_part.added`, `response.output_text.delta`,
 * `response.output_text.done`, `response.content_part.done`,
 * `response.function_call_arguments.delta` / `.done`, `response.output_item.done`, then
 * `response.completed` or `response.incomplete`); an engine failure after the first event is a
 * `response.failed` event.
 *
 * Stored responses live in memory (the last {@link MAX_STORED_RESPONSES}), for
 * `previous_response_id` and `GET`; they are lost when the server stops.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isAbortError } from '../../core/errors.js';
import type { ChatMessage, LLMStreamPart, ToolCall, Usage } from '../../core/llm.js';
import type { EngineSet } from '../../engines/engine-set.js';
import { ReplyFilter } from '../../text/reply-filter.js';
import { type ChatCompletionBody, planChat } from './chat-completions.js';
import { abortOnDisconnect, clientGone, streamFrom } from './http-streaming.js';
import { collectReply, startReply } from './llm-reply.js';
import { OpenAIApiError, engineFailure, fromZodError, invalidRequest, openAIErrorHandler, requireJson } from './openai-errors.js';

export interface ResponsesOptions {
  engines: EngineSet;
}

/** Stored responses kept for `previous_response_id` and `GET`, oldest dropped first. */
export const MAX_STORED_RESPONSES = 200;

const InputPart = z.looseObject({ type: z.string(), text: z.string().optional() });

const MessageItem = z.looseObject({
  type: z.literal('message').optional(),
  role: z.enum(['user', 'assistant', 'system', 'developer']),
  content: z.union([z.string(), z.array(InputPart)]),
});
const FunctionCallItem = z.looseObject({
  type: z.literal('function_call'),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});
const FunctionCallOutputItem = z.looseObject({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(InputPart)]),
});
const OtherItem = z.looseObject({ type: z.string(), role: z.undefined().optional() });
const InputItem = z.union([MessageItem, FunctionCallItem, FunctionCallOutputItem, OtherItem]);

const FunctionTool = z.looseObject({
  type: z.string(),
  name: z.string().optional(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

/** The request body (unknown fields are accepted and dropped). */
export const ResponseBody = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(InputItem).min(1)]),
  instructions: z.string().nullish(),
  previous_response_id: z.string().nullish(),
  max_output_tokens: z.int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  stream: z.boolean().nullish(),
  store: z.boolean().nullish(),
  text: z.looseObject({
    format: z.looseObject({
      type: z.enum(['text', 'json_object', 'json_schema']),
      name: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }).nullish(),
  }).nullish(),
  tools: z.array(FunctionTool).nullish(),
  tool_choice: z.union([
    z.enum(['none', 'auto', 'required']),
    z.looseObject({ type: z.literal('function'), name: z.string().min(1) }),
  ]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
});
export type ResponseBody = z.infer<typeof ResponseBody>;

type OutputItem =
  | { type: 'message'; id: string; status: 'completed' | 'incomplete'; role: 'assistant'; content: { type: 'output_text'; text: string; annotations: []; logprobs: [] }[] }
  | { type: 'function_call'; id: string; call_id: string; name: string; arguments: string; status: 'completed' };

interface StoredResponse {
  /** The response object as returned. */
  object: Record<string, unknown>;
  /** The conversation up to and including this response's output (instructions excluded). */
  history: ChatMessage[];
}

/** Chat-completions messages of the input items (see the module header). */
function inputMessages(input: ResponseBody['input']): ChatCompletionBody['messages'] {
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  const messages: ChatCompletionBody['messages'] = [];
  input.forEach((item, index) => {
    const type = item.type ?? 'message';
    if (type === 'message' && 'role' in item && item.role) {
      const message = item as z.infer<typeof MessageItem>;
      messages.push({ role: message.role, content: partsText(message.content, `input[${index}].content`) });
    } else if (type === 'function_call') {
      const call = item as z.infer<typeof FunctionCallItem>;
      const toolCall = { id: call.call_id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } };
      const last = messages.at(-1);
      // Consecutive calls are one assistant turn (parallel calls).
      if (last?.role === 'assistant' && last.tool_calls?.length) last.tool_calls.push(toolCall);
      else messages.push({ role: 'assistant', content: null, tool_calls: [toolCall] });
    } else if (type === 'function_call_output') {
      const output = item as z.infer<typeof FunctionCallOutputItem>;
      messages.push({ role: 'tool', tool_call_id: output.call_id, content: partsText(output.output, `input[${index}].output`) });
    } else {
      throw invalidRequest(`Input items of type '${type}' are not supported: send messages, function_call and function_call_output items.`, `input[${index}].type`, 'unsupported_value');
    }
  });
  return messages;
}

/** Text parts (`input_text`, `output_text`, `text`) joined by newlines. */
function partsText(content: string | z.infer<typeof InputPart>[], param: string): string {
  if (typeof content === 'string') return content;
  return content
    .map((part, index) => {
      if (!['input_text', 'output_text', 'text'].includes(part.type) || typeof part.text !== 'string') {
        throw invalidRequest(`Only text content is supported; got '${part.type}'.`, `${param}[${index}]`, 'unsupported_value');
      }
      return part.text;
    })
    .join('\n');
}

/** Our messages back as chat-completions messages (for a stored history). */
function toChatBodyMessage(message: ChatMessage): ChatCompletionBody['messages'][number] {
  if (message.role === 'tool') return { role: 'tool', tool_call_id: message.toolCallId ?? '', content: message.content };
  if (message.role === 'assistant' && message.toolCalls?.length) {
    return {
      role: 'assistant', content: message.content || null,
      tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } })),
    };
  }
  return { role: message.role, content: message.content };
}

function openAIUsage(usage: Usage | undefined): Record<string, unknown> | null {
  if (usage?.promptTokens === undefined || usage.completionTokens === undefined) return null;
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: usage.cachedPromptTokens ?? 0 },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}

/**
 * Fastify plugin: the Responses API routes. Register with `app.register(responsesRoutes, { engines })`.
 */
export const responsesRoutes: FastifyPluginAsync<ResponsesOptions> = async (app: FastifyInstance, options) => {
  const { engines } = options;
  const stored = new Map<string, StoredResponse>();
  app.setErrorHandler(openAIErrorHandler);

  const notFound = (id: string): OpenAIApiError =>
    new OpenAIApiError(404, `No response with id '${id}' (responses are kept in memory by this server process only).`, { param: 'previous_response_id', code: 'response_not_found' });

  app.get('/v1/responses/:id', async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const entry = stored.get(request.params.id);
    if (!entry) throw new OpenAIApiError(404, `No response with id '${request.params.id}'.`, { code: 'response_not_found' });
    return entry.object;
  });

  app.delete('/v1/responses/:id', async (request: FastifyRequest<{ Params: { id: string } }>) => {
    if (!stored.delete(request.params.id)) throw new OpenAIApiError(404, `No response with id '${request.params.id}'.`, { code: 'response_not_found' });
    return { id: request.params.id, object: 'response', deleted: true };
  });

  app.post('/v1/responses', async (request: FastifyRequest, reply: FastifyReply) => {
    requireJson(request.headers['content-type']);
    const parsed = ResponseBody.safeParse(request.body);
    if (!parsed.success) throw fromZodError(parsed.error, request.body);
    const body = parsed.data;

    const previous = body.previous_response_id ? stored.get(body.previous_response_id) : undefined;
    if (body.previous_response_id && !previous) throw notFound(body.previous_response_id);
    const tools = (body.tools ?? []).map((tool, index) => {
      if (tool.type !== 'function' || !tool.name) {
        throw invalidRequest(`Only function tools are supported; got '${tool.type}'.`, `tools[${index}].type`, 'unsupported_value');
      }
      return {
        type: 'function' as const,
        function: {
          name: tool.name,
          ...(tool.description ? { description: tool.description } : {}),
          ...(tool.parameters ? { parameters: tool.parameters } : {}),
          ...(tool.strict !== undefined && tool.strict !== null ? { strict: tool.strict } : {}),
        },
      };
    });
    const format = body.text?.format;
    const newMessages = inputMessages(body.input);
    const chatBody: ChatCompletionBody = {
      model: body.model,
      messages: [
        ...(body.instructions ? [{ role: 'system' as const, content: body.instructions }] : []),
        ...(previous?.history.map(toChatBodyMessage) ?? []),
        ...newMessages,
      ],
      ...(body.temperature !== undefined && body.temperature !== null ? { temperature: body.temperature } : {}),
      ...(body.max_output_tokens ? { max_tokens: body.max_output_tokens } : {}),
      ...(format && format.type !== 'text'
        ? {
            response_format: format.type === 'json_schema'
              ? { type: 'json_schema' as const, json_schema: { name: format.name ?? 'response', ...(format.schema ? { schema: format.schema } : {}) } }
              : { type: 'json_object' as const },
          }
        : {}),
      ...(tools.length ? { tools } : {}),
      ...(body.tool_choice
        ? { tool_choice: typeof body.tool_choice === 'string' ? body.tool_choice : { type: 'function' as const, function: { name: body.tool_choice.name } } }
        : {}),
      ...(body.parallel_tool_calls !== undefined && body.parallel_tool_calls !== null ? { parallel_tool_calls: body.parallel_tool_calls } : {}),
    };
    const plan = planChat(chatBody, engines);
    // The history to store: everything but the instructions (OpenAI does not carry them over).
    const historyBefore = body.instructions ? plan.request.messages.slice(1) : plan.request.messages;

    const controller = abortOnDisconnect(reply);
    const { signal } = controller;
    const llm = engines.llm();
    const id = `resp_${randomUUID().replaceAll('-', '')}`;
    const messageId = `msg_${randomUUID().replaceAll('-', '')}`;
    const createdAt = Math.floor(Date.now() / 1000);
    const filter = plan.filter ? new ReplyFilter() : null;
    const store = body.store !== false;

    const responseObject = (status: 'in_progress' | 'completed' | 'incomplete' | 'failed', output: OutputItem[], extra: { usage?: Usage; error?: unknown; incomplete?: boolean } = {}): Record<string, unknown> => ({
      id,
      object: 'response',
      created_at: createdAt,
      status,
      error: extra.error ?? null,
      incomplete_details: extra.incomplete ? { reason: 'max_output_tokens' } : null,
      instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      model: plan.model,
      output,
      parallel_tool_calls: body.parallel_tool_calls ?? true,
      previous_response_id: body.previous_response_id ?? null,
      store,
      temperature: body.temperature ?? null,
      text: { format: format ?? { type: 'text' } },
      tool_choice: body.tool_choice ?? 'auto',
      tools: body.tools ?? [],
      top_p: null,
      truncation: 'disabled',
      usage: openAIUsage(extra.usage),
      metadata: {},
    });

    /** Stores the finished response and returns its object. */
    const finish = (text: string, calls: ToolCall[], last: LLMStreamPart | undefined): Record<string, unknown> => {
      const incomplete = last?.type === 'finish' && last.reason === 'length';
      const output: OutputItem[] = [];
      if (text !== '' || calls.length === 0) {
        output.push({ type: 'message', id: messageId, status: incomplete ? 'incomplete' : 'completed', role: 'assistant', content: [{ type: 'output_text', text, annotations: [], logprobs: [] }] });
      }
      for (const call of calls) output.push({ type: 'function_call', id: `fc_${call.id}`, call_id: call.id, name: call.name, arguments: call.arguments, status: 'completed' });
      const object = responseObject(incomplete ? 'incomplete' : 'completed', output, { ...(last?.type === 'finish' && last.usage ? { usage: last.usage } : {}), incomplete });
      if (store) {
        const assistant: ChatMessage = { role: 'assistant', content: text, ...(calls.length ? { toolCalls: calls } : {}) };
        stored.set(id, { object, history: [...historyBefore, assistant] });
        while (stored.size > MAX_STORED_RESPONSES) stored.delete(stored.keys().next().value!);
      }
      return object;
    };

    const started = await startReply(llm, plan.request, signal, engines);
    if (!started) return clientGone(reply);
    const { first, iterator } = started;

    if (body.stream !== true) {
      const whole = await collectReply(started, filter, signal, engines);
      if (!whole) return clientGone(reply);
      return finish(whole.text, whole.toolCalls, whole.last);
    }

    let sequence = 0;
    const event = (type: string, data: Record<string, unknown>): string =>
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`;

    async function* events(): AsyncGenerator<string> {
      let text = '';
      let last: LLMStreamPart | undefined;
      const calls: ToolCall[] = [];
      let messageOpen = false;
      let messageIndex = 0;
      let outputIndex = 0;
      /** Output index and argument text of each call announced. */
      const open = new Map<string, { index: number; name: string }>();
      let settled = false;
      const openMessage = function* (): Generator<string> {
        if (messageOpen) return;
        messageOpen = true;
        messageIndex = outputIndex++;
        yield event('response.output_item.added', { output_index: messageIndex, item: { type: 'message', id: messageId, status: 'in_progress', role: 'assistant', content: [] } });
        yield event('response.content_part.added', { item_id: messageId, output_index: messageIndex, content_index: 0, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
      };
      const closeCall = function* (call: ToolCall): Generator<string> {
        const entry = open.get(call.id)!;
        const item = { type: 'function_call', id: `fc_${call.id}`, call_id: call.id, name: call.name, arguments: call.arguments, status: 'completed' };
        yield event('response.function_call_arguments.done', { item_id: item.id, output_index: entry.index, name: call.name, arguments: call.arguments });
        yield event('response.output_item.done', { output_index: entry.index, item });
      };
      try {
        for (let step = first; !step.done; step = await iterator.next()) {
          const part = step.value;
          last = part;
          if (part.type === 'text-delta') {
            const delta = filter ? filter.push(part.text) : part.text;
            if (!delta) continue;
            yield* openMessage();
            text += delta;
            yield event('response.output_text.delta', { item_id: messageId, output_index: messageIndex, content_index: 0, delta, logprobs: [] });
          } else if (part.type === 'tool-call-start' || (part.type === 'tool-call' && !open.has(part.id))) {
            const index = outputIndex++;
            open.set(part.id, { index, name: part.name });
            yield event('response.output_item.added', {
              output_index: index,
              item: { type: 'function_call', id: `fc_${part.id}`, call_id: part.id, name: part.name, arguments: '', status: 'in_progress' },
            });
            if (part.type === 'tool-call') {
              yield event('response.function_call_arguments.delta', { item_id: `fc_${part.id}`, output_index: index, delta: part.arguments });
              calls.push(part);
              yield* closeCall(part);
            }
          } else if (part.type === 'tool-call-delta') {
            const entry = open.get(part.id);
            if (entry && part.argumentsDelta) yield event('response.function_call_arguments.delta', { item_id: `fc_${part.id}`, output_index: entry.index, delta: part.argumentsDelta });
          } else if (part.type === 'tool-call') {
            calls.push(part);
            yield* closeCall(part);
          }
        }
        settled = true;
      } catch (error) {
        settled = true;
        if (signal.aborted || isAbortError(error)) return;
        engines.reportFailure('llm', error);
        request.log.warn({ err: error }, 'the LLM failed mid-response');
        const failure = engineFailure(error, engines, 'llm');
        yield event('response.failed', { response: responseObject('failed', [], { error: { code: failure.code ?? 'server_error', message: failure.message } }) });
        return;
      } finally {
        if (!settled) {
          controller.abort();
          await iterator.return?.();
        }
      }
      if (signal.aborted) return;
      engines.reportSuccess('llm');
      const rest = filter?.flush();
      if (rest) {
        yield* openMessage();
        text += rest;
        yield event('response.output_text.delta', { item_id: messageId, output_index: messageIndex, content_index: 0, delta: rest, logprobs: [] });
      }
      if (calls.length === 0) yield* openMessage();
      const object = finish(text, calls, last);
      if (messageOpen) {
        const message = (object.output as OutputItem[]).find((item) => item.type === 'message')!;
        yield event('response.output_text.done', { item_id: messageId, output_index: messageIndex, content_index: 0, text, logprobs: [] });
        yield event('response.content_part.done', { item_id: messageId, output_index: messageIndex, content_index: 0, part: { type: 'output_text', text, annotations: [], logprobs: [] } });
        yield event('response.output_item.done', { output_index: messageIndex, item: message });
      }
      yield event(object.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: object });
    }

    reply
      .code(200)
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no');
    const created = event('response.created', { response: responseObject('in_progress', []) }) + event('response.in_progress', { response: responseObject('in_progress', []) });
    return reply.send(streamFrom(created, events()));
  });
};
