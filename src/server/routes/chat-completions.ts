/**
 * `POST /v1/chat/completions`, OpenAI-compatible, through the configured LLM engine.
 *
 * Request: `model`, `messages` (`system` / `developer` / `user` / `assistant`; content as a string
 * or an array of `{ type: 'text', text }` parts), `temperature`, `max_tokens` /
 * `max_completion_tokens`, `stop` (string or up to 4 strings), `stream`, `stream_options.include_usage`,
 * `response_format` (`text`, `json_object`, `json_schema`), function calling: `tools` (type
 * `function`: `name`, `description`, `parameters`, `strict`), `tool_choice` (`none`, `auto`,
 * `required`, `{type: 'function', function: {name}}`), `parallel_tool_calls`, assistant messages
 * with `tool_calls` and `tool` messages with `tool_call_id`
 * (https://platform.openai.com/docs/guides/function-calling). Other OpenAI fields (`top_p`,
 * `seed`, `user`, penalties...) are accepted and ignored; `n` > 1, the deprecated `functions` /
 * `function_call` and `function` messages, and non-text content parts are refused with 400.
 *
 * Models (model-names.ts): `localchat-tutor` adds the tutor persona (DEFAULT_TUTOR_PROMPT as the
 * system message unless the request has one) and passes the output through the reply filter
 * (no markdown or reasoning blocks; not for JSON output); every other name is the plain engine
 * with the messages as given, reported under the engine's own model id.
 *
 * Non-streaming: one `chat.completion` with `usage` when the engine reports token counts; function
 * calls as `message.tool_calls` (`content` null when there is no text) and `finish_reason`
 * `tool_calls`. Streaming: `chat.completion.chunk` SSE events (a first one with the role, one per
 * text delta, `delta.tool_calls` entries as OpenAI streams them: `index`, `id`, `type` and
 * `function.name` first, then `function.arguments` pieces; a last one with `finish_reason`, then
 * `usage` if `include_usage` and known), then `data: [DONE]`.
 * The LLM is aborted when the client disconnects. A failure before any output is an error
 * response (502 / 503); one mid-stream is an SSE `data: {"error": {...}}` event, then the end.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isAbortError } from '../../core/errors.js';
import type { ChatMessage, ChatRequest, LLMStreamPart, ToolCall, ToolDefinition, Usage } from '../../core/llm.js';
import type { EngineSet } from '../../engines/engine-set.js';
import { ReplyFilter } from '../../text/reply-filter.js';
import { DEFAULT_TUTOR_PROMPT } from '../../tutor/persona.js';
import { abortOnDisconnect, clientGone, sseData, streamFrom } from './http-streaming.js';
import { collectReply, startReply } from './llm-reply.js';
import { TUTOR_MODEL, isSpeechModelName } from './model-names.js';
import { engineFailure, fromZodError, invalidRequest, modelNotFound, openAIErrorHandler, requireJson } from './openai-errors.js';

export interface ChatCompletionsOptions {
  engines: EngineSet;
}

const ContentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

const FunctionName = z.string().regex(/^[\w-]{1,64}$/, 'must be 1-64 letters, digits, _ or -');

const MessageToolCall = z.looseObject({
  id: z.string().min(1),
  type: z.literal('function').optional(),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string() }),
});

const Message = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
  content: z.union([z.string(), z.array(ContentPart)]).nullish(),
  name: z.string().optional(),
  tool_calls: z.array(MessageToolCall).nullish(),
  tool_call_id: z.string().nullish(),
});

const Tool = z.looseObject({
  type: z.literal('function'),
  function: z.looseObject({
    name: FunctionName,
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});

const ToolChoiceBody = z.union([
  z.enum(['none', 'auto', 'required']),
  z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string().min(1) }) }),
]);

const ResponseFormat = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text') }),
  z.looseObject({ type: z.literal('json_object') }),
  z.looseObject({
    type: z.literal('json_schema'),
    json_schema: z.looseObject({
      name: z.string().regex(/^[\w-]{1,64}$/, 'must be 1-64 letters, digits, _ or -'),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

/** The request body (unknown fields are accepted and dropped). */
export const ChatCompletionBody = z.object({
  model: z.string().min(1),
  messages: z.array(Message).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  max_tokens: z.int().positive().nullish(),
  max_completion_tokens: z.int().positive().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  response_format: ResponseFormat.nullish(),
  n: z.int().min(1).nullish(),
  tools: z.array(Tool).nullish(),
  tool_choice: ToolChoiceBody.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  functions: z.array(z.unknown()).nullish(),
  function_call: z.unknown().optional(),
});
export type ChatCompletionBody = z.infer<typeof ChatCompletionBody>;

/** How one request is served: the engine request plus what to report and how to filter. */
interface ChatPlan {
  request: ChatRequest;
  /** `model` in the responses. */
  model: string;
  /** Apply the reply filter (tutor persona, text output). */
  filter: boolean;
  stream: boolean;
  includeUsage: boolean;
}

/**
 * Turns a validated body into the engine request (see the module header for the rules).
 * @throws OpenAIApiError 400 for what the engines cannot do (images, n > 1, legacy functions) or
 *   inconsistent tool fields, 404 for a speech model name
 */
export function planChat(body: ChatCompletionBody, engines: EngineSet): ChatPlan {
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw invalidRequest('Only n = 1 is supported.', 'n', 'unsupported_value');
  if (body.functions || body.function_call !== undefined) {
    throw invalidRequest('The deprecated `functions` / `function_call` are not supported: send `tools` and `tool_choice`.', body.functions ? 'functions' : 'function_call', 'unsupported_parameter');
  }
  if (isSpeechModelName(engines, body.model)) {
    throw modelNotFound(body.model, [engines.llm().modelId, TUTOR_MODEL], 'Chat');
  }
  const tools = planTools(body);
  const messages: ChatMessage[] = body.messages.map((message, index) => {
    if (message.role === 'function') {
      throw invalidRequest('`function` messages are deprecated and not supported: answer a tool call with a `tool` message.', `messages[${index}].role`, 'unsupported_value');
    }
    if (message.role === 'tool') {
      if (!message.tool_call_id) throw invalidRequest("A 'tool' message needs the 'tool_call_id' of the call it answers.", `messages[${index}].tool_call_id`, 'missing_required_parameter');
      return { role: 'tool', toolCallId: message.tool_call_id, content: messageText(message.content, index), ...(message.name ? { name: message.name } : {}) };
    }
    if (message.role === 'assistant' && message.tool_calls?.length) {
      return {
        role: 'assistant',
        content: messageText(message.content, index),
        toolCalls: message.tool_calls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments })),
      };
    }
    return { role: message.role === 'developer' ? 'system' : message.role, content: messageText(message.content, index) };
  });
  const answered = new Set(messages.flatMap((message) => message.toolCalls?.map((call) => call.id) ?? []));
  messages.forEach((message, index) => {
    if (message.role === 'tool' && !answered.has(message.toolCallId!)) {
      throw invalidRequest(`messages[${index}] answers the tool call '${message.toolCallId}', which no earlier assistant message made.`, `messages[${index}].tool_call_id`, 'invalid_value');
    }
  });
  const tutor = body.model === TUTOR_MODEL;
  if (tutor && !messages.some((message) => message.role === 'system')) messages.unshift({ role: 'system', content: DEFAULT_TUTOR_PROMPT });

  const request: ChatRequest = { messages, ...tools };
  if (body.temperature !== undefined && body.temperature !== null) request.temperature = body.temperature;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens !== undefined && maxTokens !== null) request.maxTokens = maxTokens;
  const stop = typeof body.stop === 'string' ? [body.stop] : (body.stop ?? []);
  if (stop.some((entry) => entry.length > 0)) request.stop = stop.filter((entry) => entry.length > 0);
  const format = body.response_format;
  if (format?.type === 'json_schema') {
    request.jsonSchema = { name: format.json_schema.name, schema: format.json_schema.schema ?? { type: 'object' } };
  } else if (format?.type === 'json_object') {
    request.jsonSchema = { name: 'json_object', schema: { type: 'object' } };
  }
  return {
    request,
    model: tutor ? TUTOR_MODEL : engines.llm().modelId,
    filter: tutor && !request.jsonSchema,
    stream: body.stream === true,
    includeUsage: body.stream_options?.include_usage === true,
  };
}

/**
 * `tools`, `tool_choice` and `parallel_tool_calls` as the engine request's fields.
 * @throws OpenAIApiError 400 for `tool_choice` without tools, a named function that is not among them, or duplicate names
 */
function planTools(body: ChatCompletionBody): Pick<ChatRequest, 'tools' | 'toolChoice' | 'parallelToolCalls'> {
  const tools = body.tools ?? [];
  const choice = body.tool_choice ?? undefined;
  if (tools.length === 0) {
    if (choice !== undefined && choice !== 'none' && choice !== 'auto') {
      throw invalidRequest("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", 'tool_choice', 'invalid_value');
    }
    return {};
  }
  const names = new Set<string>();
  const definitions: ToolDefinition[] = tools.map((tool, index) => {
    const { name, description, parameters, strict } = tool.function;
    if (names.has(name)) throw invalidRequest(`Duplicate function name '${name}' in tools.`, `tools[${index}].function.name`, 'invalid_value');
    names.add(name);
    return {
      name,
      ...(description ? { description } : {}),
      ...(parameters ? { parameters } : {}),
      ...(strict !== undefined && strict !== null ? { strict } : {}),
    };
  });
  const plan: Pick<ChatRequest, 'tools' | 'toolChoice' | 'parallelToolCalls'> = { tools: definitions };
  if (typeof choice === 'object') {
    if (!names.has(choice.function.name)) {
      throw invalidRequest(`Invalid value for 'tool_choice': no function named '${choice.function.name}' in tools.`, 'tool_choice.function.name', 'invalid_value');
    }
    plan.toolChoice = { name: choice.function.name };
  } else if (choice !== undefined) {
    plan.toolChoice = choice;
  }
  if (body.parallel_tool_calls !== undefined && body.parallel_tool_calls !== null) plan.parallelToolCalls = body.parallel_tool_calls;
  return plan;
}

/** A message's content as text: a string, or the text parts joined by newlines. */
function messageText(content: z.infer<typeof Message>['content'], index: number): string {
  if (content === undefined || content === null) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part, partIndex) => {
      if (part.type !== 'text' || typeof part.text !== 'string') {
        throw invalidRequest(
          `Only text content parts are supported; got '${part.type}'.`,
          `messages[${index}].content[${partIndex}]`,
          'unsupported_value',
        );
      }
      return part.text;
    })
    .join('\n');
}

/** OpenAI's `usage` from the engine's, when both counts are known. */
function openAIUsage(usage: Usage | undefined): { prompt_tokens: number; completion_tokens: number; total_tokens: number } | undefined {
  if (usage?.promptTokens === undefined || usage.completionTokens === undefined) return undefined;
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.promptTokens + usage.completionTokens };
}

type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls';

function finishReason(part: LLMStreamPart | undefined): OpenAIFinishReason {
  if (part?.type !== 'finish') return 'stop';
  return part.reason === 'length' ? 'length' : part.reason === 'tool-calls' ? 'tool_calls' : 'stop';
}

/** OpenAI's `tool_calls` entry for a finished call. */
function openAIToolCall(call: ToolCall): { id: string; type: 'function'; function: { name: string; arguments: string } } {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

/**
 * Fastify plugin: `POST /v1/chat/completions`. Register with
 * `app.register(chatCompletionsRoutes, { engines })`.
 */
export const chatCompletionsRoutes: FastifyPluginAsync<ChatCompletionsOptions> = async (app: FastifyInstance, options) => {
  const { engines } = options;
  app.setErrorHandler(openAIErrorHandler);

  app.post('/v1/chat/completions', async (request: FastifyRequest, reply: FastifyReply) => {
    requireJson(request.headers['content-type']);
    const parsed = ChatCompletionBody.safeParse(request.body);
    if (!parsed.success) throw fromZodError(parsed.error, request.body);
    const plan = planChat(parsed.data, engines);
    const controller = abortOnDisconnect(reply);
    const { signal } = controller;
    const llm = engines.llm();
    const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
    const created = Math.floor(Date.now() / 1000);
    const filter = plan.filter ? new ReplyFilter() : null;

    const started = await startReply(llm, plan.request, signal, engines);
    if (!started) return clientGone(reply);
    const { first, iterator } = started;

    if (!plan.stream) {
      const whole = await collectReply(started, filter, signal, engines);
      if (!whole) return clientGone(reply);
      const { text, toolCalls, last } = whole;
      const usage = openAIUsage(last?.type === 'finish' ? last.usage : undefined);
      return {
        id,
        object: 'chat.completion',
        created,
        model: plan.model,
        choices: [{
          index: 0,
          message: {
            role: 'assistant',
            content: toolCalls.length > 0 && text === '' ? null : text,
            refusal: null,
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls.map(openAIToolCall) } : {}),
          },
          logprobs: null,
          finish_reason: finishReason(last),
        }],
        ...(usage ? { usage } : {}),
      };
    }

    const chunk = (delta: { role?: 'assistant'; content?: string; tool_calls?: unknown[] }, finish: OpenAIFinishReason | null) =>
      sseData({ id, object: 'chat.completion.chunk', created, model: plan.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });

    async function* events(): AsyncGenerator<string> {
      let last: LLMStreamPart | undefined;
      let settled = false;
      /** Index in `tool_calls` of each call id announced so far. */
      const callIndex = new Map<string, number>();
      try {
        for (let step = first; !step.done; step = await iterator.next()) {
          const part = step.value;
          last = part;
          if (part.type === 'tool-call-start') {
            const index = callIndex.size;
            callIndex.set(part.id, index);
            yield chunk({ tool_calls: [{ index, id: part.id, type: 'function', function: { name: part.name, arguments: '' } }] }, null);
          } else if (part.type === 'tool-call-delta') {
            const index = callIndex.get(part.id);
            if (index !== undefined && part.argumentsDelta) yield chunk({ tool_calls: [{ index, function: { arguments: part.argumentsDelta } }] }, null);
          } else if (part.type === 'tool-call') {
            // Engines that do not stream arguments announce a call only when it is complete.
            if (!callIndex.has(part.id)) {
              const index = callIndex.size;
              callIndex.set(part.id, index);
              yield chunk({ tool_calls: [{ index, id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } }] }, null);
            }
          } else if (part.type === 'text-delta') {
            const text = filter ? filter.push(part.text) : part.text;
            if (text) yield chunk({ content: text }, null);
          }
        }
        settled = true;
      } catch (error) {
        settled = true;
        if (signal.aborted || isAbortError(error)) return;
        engines.reportFailure('llm', error);
        const failure = engineFailure(error, engines, 'llm');
        request.log.warn({ err: error }, 'the LLM failed mid-stream');
        yield sseData(failure.body());
        return;
      } finally {
        // Closed early (the client went away): stop the LLM.
        if (!settled) {
          controller.abort();
          await iterator.return?.();
        }
      }
      if (signal.aborted) return;
      engines.reportSuccess('llm');
      const rest = filter?.flush();
      if (rest) yield chunk({ content: rest }, null);
      yield chunk({}, finishReason(last));
      const usage = openAIUsage(last?.type === 'finish' ? last.usage : undefined);
      if (plan.includeUsage && usage) yield sseData({ id, object: 'chat.completion.chunk', created, model: plan.model, choices: [], usage });
      yield 'data: [DONE]\n\n';
    }

    reply
      .code(200)
      .header('content-type', 'text/event-stream; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-accel-buffering', 'no');
    return reply.send(streamFrom(chunk({ role: 'assistant', content: '' }, null), events()));
  });
};
