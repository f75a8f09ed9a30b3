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
 * @example
 * const llm = new OpenAICompatibleLLM({ baseURL: 'http://localhost:1234/v1', model: 'qwen2.5-7b-instruct' });
 * for await (const part of llm.stream({ messages }, { signal })) { ... }
 */
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { CallOptions } from '../../core/call-options.js';
import { EngineError, errorMessage } from '../../core/errors.js';
import type { ChatMessage, ChatRequest, LLM, LLMStreamPart, Usage } from '../../core/llm.js';
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

  constructor(options: OpenAICompatibleLLMOptions) {
    this.modelId = options.model;
    this.contextSize = options.contextSize ?? 4096;
    this.baseURL = options.baseURL.replace(/\/+$/, '');
    this.includeUsage = options.includeUsage ?? true;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
    this.client = createOpenAIClient(this.baseURL, options, 120_000);
  }

  /**
   * Streams a reply: `text-delta` parts as chunks arrive, then one `finish`. On abort it
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
    yield { type: 'finish', reason: finishReason === 'length' ? 'length' : 'stop', ...(usage ? { usage } : {}) };
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
