/**
 * LLM over any server with an OpenAI-compatible `/v1/chat/completions` endpoint: LM Studio
 * (`http://localhost:1234/v1`), Ollama (`http://localhost:11434/v1`), llama.cpp's
 * `llama-server`, vLLM, LocalAI. Uses the official `openai` client, streaming, with the call's
 * AbortSignal.
 *
 * Errors become {@link EngineError}s with `retryable` set for timeouts, connection failures and
 * HTTP 408/409/429/5xx (the AI SDK's rule). A stream cut mid-reply throws after the deltas
 * already yielded, so the caller keeps the partial text.
 *
 * Warm-up (`prepare`): the server gets the session's system prompt with `max_tokens: 1`, so that
 * its prompt cache (llama-server's `cache_prompt`, LM Studio's and Ollama's KV cache reuse) holds
 * it before the first turn: the learner's first reply then waits only for the new tokens. Servers
 * billing per token should not get these extra requests: `warmup: 'auto'` (the default) sends
 * them only to loopback and private-network addresses.
 *
 * @example
 * const llm = new OpenAICompatibleLLM({ baseURL: 'http://localhost:1234/v1', model: 'qwen2.5-7b-instruct' });
 * for await (const part of llm.stream({ messages }, { signal })) { ... }
 */
import { randomUUID } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { CallOptions } from '../../core/call-options.js';
import { EngineError, errorMessage } from '../../core/errors.js';
import type { ChatMessage, ChatRequest, LLM, LLMStreamPart, ToolCall, Usage } from '../../core/llm.js';
import { type OpenAIClientOptions, createOpenAIClient, toEngineError } from '../openai-client-errors.js';

const ENGINE = 'openai-compatible';

/** Options of {@link OpenAICompatibleLLM}. */
export interface OpenAICompatibleLLMOptions extends OpenAIClientOptions {
  /** Base URL including `/v1`, e.g. `http://localhost:1234/v1` (LM Studio) or `http://localhost:11434/v1` (Ollama). */
  baseURL: string;
  /** Model name as the server knows it (`GET /v1/models` lists them). */
  model: string;
  /**
   * Context size the server runs the model with, in tokens; the turn keeps history within it.
   * Not discoverable through the OpenAI API. Default 4096.
   */
  contextSize?: number;
  /** Time allowed until the response headers arrive, in ms. Default 120 000 (servers may load the model first). */
  timeoutMs?: number;
  /**
   * Longest silence allowed between two chunks of a stream (and before the first), in ms; then
   * the request is cancelled with a retryable EngineError (code `timeout`). Default 120 000: a
   * CPU server may process a long prompt before its first chunk.
   */
  idleTimeoutMs?: number;
  /**
   * Retries of the request (before any output) on connection errors, 408/409/429/5xx.
   * Default 0: the caller decides, and a learner is waiting.
   */
  maxRetries?: number;
  /** Ask for token usage in the last chunk (`stream_options.include_usage`). Default true. */
  includeUsage?: boolean;
  /**
   * System-prompt warm-up in `prepare`: `on`, `off`, or `auto` (default): on for servers at
   * loopback or private-network addresses (see {@link isLocalServer}), off for others.
   */
  warmup?: LLMWarmup;
}

/** When `prepare` warms the server's prompt cache up. */
export type LLMWarmup = 'auto' | 'on' | 'off';

/**
 * Loopback, private and link-local networks (RFC 1918, RFC 6598 shared space, RFC 4193 unique
 * local, RFC 4291 link-local): servers there are the learner's own.
 */
const PRIVATE_NETWORKS = (() => {
  const list = new BlockList();
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addSubnet('10.0.0.0', 8, 'ipv4');
  list.addSubnet('172.16.0.0', 12, 'ipv4');
  list.addSubnet('192.168.0.0', 16, 'ipv4');
  list.addSubnet('100.64.0.0', 10, 'ipv4');
  list.addSubnet('169.254.0.0', 16, 'ipv4');
  list.addAddress('::1', 'ipv6');
  list.addSubnet('fc00::', 7, 'ipv6');
  list.addSubnet('fe80::', 10, 'ipv6');
  return list;
})();

/**
 * True when `baseURL` names a server on this machine or the local network: `localhost` (and
 * `*.localhost`), `*.local` (mDNS), a one-label name (a container or LAN host), or an IP address
 * in a loopback/private range. Names are not resolved.
 */
export function isLocalServer(baseURL: string): boolean {
  let host: string;
  try {
    host = new URL(baseURL).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const family = isIP(host);
  if (family !== 0) {
    const mapped = host.match(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/);
    if (mapped) return PRIVATE_NETWORKS.check(mapped[1]!, 'ipv4');
    return PRIVATE_NETWORKS.check(host, family === 4 ? 'ipv4' : 'ipv6');
  }
  return host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || !host.includes('.');
}

/**
 * Puts streamed `tool_calls` deltas back together. OpenAI sends, per call, a first delta with its
 * `index`, `id` and `function.name`, then deltas with the same `index` carrying pieces of
 * `function.arguments` (https://platform.openai.com/docs/api-reference/chat-streaming). Servers
 * that send a whole call in one delta, or repeat the id, are handled the same way.
 */
class ToolCallAssembler {
  private readonly calls = new Map<number, ToolCall>();

  /** The stream parts for one delta: `tool-call-start` when a call begins, `tool-call-delta` for argument text. */
  *push(delta: OpenAI.Chat.Completions.ChatCompletionChunk.Choice.Delta.ToolCall): Generator<LLMStreamPart> {
    let call = this.calls.get(delta.index);
    if (!call) {
      call = { id: delta.id || `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`, name: delta.function?.name ?? '', arguments: '' };
      this.calls.set(delta.index, call);
      yield { type: 'tool-call-start', id: call.id, name: call.name };
    } else if (!call.name && delta.function?.name) {
      call.name = delta.function.name;
    }
    const piece = delta.function?.arguments;
    if (piece) {
      call.arguments += piece;
      yield { type: 'tool-call-delta', id: call.id, argumentsDelta: piece };
    }
  }

  /** The complete calls, in index order (arguments `{}` when the server sent none). */
  finish(): ToolCall[] {
    return [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, call]) => ({ ...call, arguments: call.arguments.trim() === '' ? '{}' : call.arguments }));
  }
}

/** One of our messages as an OpenAI chat message (tool calls and tool results included). */
function toOpenAIMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId ?? '', content: message.content };
    case 'assistant':
      return message.toolCalls?.length
        ? {
            role: 'assistant',
            content: message.content === '' ? null : message.content,
            tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } })),
          }
        : { role: 'assistant', content: message.content };
    default:
      return { role: message.role, content: message.content };
  }
}

/**
 * {@link LLM} over an OpenAI-compatible chat completions server. Stateless: `conversationId` is
 * ignored (servers such as llama-server reuse their own prompt cache).
 */
export class OpenAICompatibleLLM implements LLM {
  readonly provider = ENGINE;
  readonly modelId: string;
  readonly contextSize: number;
  readonly baseURL: string;
  private readonly client: OpenAI;
  private readonly includeUsage: boolean;
  private readonly idleTimeoutMs: number;
  /** Whether `prepare` sends the warm-up request (the `warmup` option resolved). */
  readonly warmsUp: boolean;
  /** The system prompt of the last warm-up that was sent or is under way. */
  private warmedPrompt: string | undefined;

  constructor(options: OpenAICompatibleLLMOptions) {
    this.modelId = options.model;
    this.contextSize = options.contextSize ?? 4096;
    this.baseURL = options.baseURL.replace(/\/+$/, '');
    this.includeUsage = options.includeUsage ?? true;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
    this.client = createOpenAIClient(this.baseURL, options, 120_000);
    const warmup = options.warmup ?? 'auto';
    this.warmsUp = warmup === 'on' || (warmup === 'auto' && isLocalServer(this.baseURL));
  }

  /**
   * Warm-up: asks the server for one token after `context` (the system prompt, or the system
   * prompt and history ending with the last reply; non-streamed, `max_tokens: 1`), so that its
   * prompt cache holds that prefix when the next turn comes. Skipped when warm-up is off, and when
   * the same context was the last one sent (the cache still has it unless another conversation
   * evicted it). Best effort: a failure is thrown for the caller to log, nothing is retried.
   * `conversationId` is not used: the server's cache is keyed by the prompt itself.
   * @throws EngineError when the request fails (an abort resolves quietly)
   */
  async prepare(_conversationId: string, context: string | readonly ChatMessage[], options: CallOptions): Promise<void> {
    const messages: ChatMessage[] = typeof context === 'string' ? [{ role: 'system', content: context }] : [...context];
    if (!this.warmsUp || messages.every((message) => message.content.trim() === '') || options.signal.aborted) return;
    const key = JSON.stringify(messages);
    if (this.warmedPrompt === key) return;
    this.warmedPrompt = key;
    try {
      await this.client.chat.completions.create(
        { model: this.modelId, messages: messages.map(toOpenAIMessage), max_tokens: 1, stream: false },
        { signal: options.signal },
      );
    } catch (error) {
      this.warmedPrompt = undefined;
      if (options.signal.aborted) return;
      throw this.toEngineError(error);
    }
  }

  /**
   * Streams a reply: `text-delta` parts as chunks arrive, then one `finish`. With `tools`, they
   * (and `toolChoice`, `parallelToolCalls`) go to the server as OpenAI's `tools` /
   * `tool_choice` / `parallel_tool_calls`; streamed `tool_calls` deltas come back as
   * `tool-call-start` / `tool-call-delta` parts, then one `tool-call` per call and a `finish`
   * with reason `tool-calls`. Servers without function calling answer as they do (often 400). On abort it
   * finishes with reason `abort` (the HTTP request is cancelled).
   * @throws EngineError when the request fails, the server answers with an error, or the
   *   stream breaks off before the reply finished (after the deltas already yielded)
   */
  async *stream(request: ChatRequest, options: CallOptions): AsyncGenerator<LLMStreamPart> {
    const { signal } = options;
    if (signal.aborted) {
      yield { type: 'finish', reason: 'abort' };
      return;
    }
    const body: ChatCompletionCreateParamsStreaming = {
      model: this.modelId,
      messages: request.messages.map(toOpenAIMessage),
      stream: true,
      ...(this.includeUsage ? { stream_options: { include_usage: true } } : {}),
      ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.stop?.length ? { stop: request.stop } : {}),
      ...(request.tools?.length
        ? {
            tools: request.tools.map((tool) => ({
              type: 'function' as const,
              function: {
                name: tool.name,
                ...(tool.description !== undefined ? { description: tool.description } : {}),
                parameters: tool.parameters ?? { type: 'object', properties: {} },
                ...(tool.strict !== undefined ? { strict: tool.strict } : {}),
              },
            })),
            ...(request.toolChoice !== undefined
              ? {
                  tool_choice: typeof request.toolChoice === 'string'
                    ? request.toolChoice
                    : { type: 'function' as const, function: { name: request.toolChoice.name } },
                }
              : {}),
            ...(request.parallelToolCalls !== undefined ? { parallel_tool_calls: request.parallelToolCalls } : {}),
          }
        : {}),
      ...(request.jsonSchema
        ? {
            response_format: {
              type: 'json_schema' as const,
              json_schema: { name: request.jsonSchema.name, schema: request.jsonSchema.schema, strict: true },
            },
          }
        : {}),
    };

    // Cancels the request on the caller's abort, or when the server goes silent too long.
    const idle = new AbortController();
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdleTimer = (): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => idle.abort(), this.idleTimeoutMs);
    };
    const idleError = (): EngineError =>
      new EngineError(ENGINE, `The LLM server at ${this.baseURL} sent nothing for ${this.idleTimeoutMs} ms`, {
        retryable: true, code: 'timeout',
      });
    const requestSignal = AbortSignal.any([signal, idle.signal]);

    let finishReason: string | undefined;
    let usage: Usage | undefined;
    const toolCalls = new ToolCallAssembler();
    try {
      armIdleTimer();
      let chunks: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>;
      try {
        chunks = await this.client.chat.completions.create(body, { signal: requestSignal });
      } catch (error) {
        if (signal.aborted) {
          yield { type: 'finish', reason: 'abort' };
          return;
        }
        if (idle.signal.aborted) throw idleError();
        throw this.toEngineError(error);
      }

      try {
        for await (const chunk of chunks) {
          // The clock runs only while we wait for the server, not while the caller is busy.
          clearTimeout(idleTimer);
          if (signal.aborted) break;
          const choice = chunk.choices[0];
          const text = choice?.delta?.content;
          if (choice?.finish_reason) finishReason = choice.finish_reason;
          if (chunk.usage) {
            usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
            const cached = chunk.usage.prompt_tokens_details?.cached_tokens;
            if (typeof cached === 'number') usage.cachedPromptTokens = cached;
          }
          // llama.cpp's llama-server adds `timings` (prompt_n: tokens evaluated, cache_n: reused
          // from its cache) to the last chunk: tools/server/README.md in ggml-org/llama.cpp.
          const timings = (chunk as { timings?: { prompt_n?: number; cache_n?: number } }).timings;
          if (usage && typeof timings?.cache_n === 'number') usage.cachedPromptTokens = timings.cache_n;
          if (text) yield { type: 'text-delta', text };
          for (const delta of choice?.delta?.tool_calls ?? []) yield* toolCalls.push(delta);
          armIdleTimer();
        }
      } catch (error) {
        if (signal.aborted) {
          yield { type: 'finish', reason: 'abort' };
          return;
        }
        if (idle.signal.aborted) throw idleError();
        throw this.toEngineError(error, { midStream: true });
      }
    } finally {
      clearTimeout(idleTimer);
    }
    if (signal.aborted) {
      yield { type: 'finish', reason: 'abort' };
      return;
    }
    if (idle.signal.aborted) throw idleError();
    if (finishReason === undefined) {
      throw new EngineError(ENGINE, `The LLM server at ${this.baseURL} closed the stream before the reply finished`, {
        retryable: true, code: 'stream_interrupted',
      });
    }
    const calls = toolCalls.finish();
    for (const call of calls) yield { type: 'tool-call', ...call };
    const reason = finishReason === 'length' ? 'length' : calls.length > 0 || finishReason === 'tool_calls' ? 'tool-calls' : 'stop';
    yield { type: 'finish', reason, ...(usage ? { usage } : {}) };
  }

  /**
   * Ids of the models the server offers (`GET /v1/models`), for health checks and `doctor`.
   * @throws EngineError when the server cannot be reached or answers with an error
   */
  async listModels(options?: Partial<CallOptions>): Promise<string[]> {
    try {
      const ids: string[] = [];
      for await (const model of this.client.models.list(options?.signal ? { signal: options.signal } : undefined)) {
        ids.push(model.id);
      }
      return ids;
    } catch (error) {
      throw this.toEngineError(error);
    }
  }

  /** An EngineError that says what to check; outside the client's own errors, mid-stream is a broken stream. */
  private toEngineError(error: unknown, context: { midStream?: boolean } = {}): EngineError {
    const server = `the LLM server at ${this.baseURL}`;
    if (context.midStream && !(error instanceof OpenAI.APIError)) {
      return new EngineError(ENGINE, `The stream from ${server} broke off: ${errorMessage(error)}`, {
        cause: error, retryable: true, code: 'stream_interrupted',
      });
    }
    return toEngineError(ENGINE, error, {
      server,
      unreachable: 'is LM Studio/Ollama running?',
      statusHints: { 404: `Is the model "${this.modelId}" available there (GET /v1/models), and does the URL end in /v1?` },
    });
  }
}
