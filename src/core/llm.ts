/**
 * The LLM interface: a chat request in, a stream of text deltas (and function calls) out.
 * Shapes follow the AI SDK's stream parts (`text-delta`, `tool-call`, `finish`) and OpenAI's
 * function calling (https://platform.openai.com/docs/guides/function-calling).
 */
import type { CallOptions } from './call-options.js';

export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

/** A function call the model made (OpenAI's `tool_calls[]` entry of type `function`). */
export interface ToolCall {
  /** Unique within the conversation; a `tool` message answers it by this id (e.g. `call_abc123`). */
  id: string;
  /** The function's name, one of {@link ChatRequest.tools}. */
  name: string;
  /** The arguments as JSON text (an object), as the model produced them; may be invalid JSON. */
  arguments: string;
}

export interface ChatMessage {
  role: ChatRole;
  /** The text; `''` for an assistant message that only calls tools. For `tool`: the function's result. */
  content: string;
  /** `assistant` only: the function calls the model made in this message, in order. */
  toolCalls?: ToolCall[];
  /** `tool` only: the {@link ToolCall.id} this message answers. */
  toolCallId?: string;
  /** `tool` only: the called function's name, when known (some chat templates need it). */
  name?: string;
}

/** A function the model may call (OpenAI's `tools[]` entry of type `function`). */
export interface ToolDefinition {
  /** 1-64 letters, digits, `_` or `-`. */
  name: string;
  description?: string;
  /** JSON schema of the arguments object; absent means no arguments (`{type:'object',properties:{}}`). */
  parameters?: Record<string, unknown>;
  /** OpenAI's strict mode: arguments must match `parameters` exactly (engines that constrain output always do). */
  strict?: boolean;
}

/**
 * Whether and which function the model must call: `auto` (default when tools are given: the
 * model decides), `none` (never), `required` (at least one call), or one named function.
 */
export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export interface ChatRequest {
  messages: ChatMessage[];
  /** Sampling temperature, 0-2. Engine default when absent. */
  temperature?: number;
  /** Upper bound on generated tokens. */
  maxTokens?: number;
  /** Strings that end generation when produced. */
  stop?: string[];
  /**
   * A JSON schema the output must follow (grammar for llama.cpp, `response_format: json_schema`
   * for OpenAI-compatible servers).
   */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  /**
   * Key of a conversation whose context (KV cache) the engine may keep between calls, so a new
   * turn evaluates only the new tokens. Engines without such a cache ignore it.
   */
  conversationId?: string;
  /**
   * A side task (a correction card, a word meaning, a report, an API call with no conversation):
   * engines with a KV cache per conversation run it on a sequence kept for side work, so it never
   * takes a learner's cached conversation away. `conversationId` then only names the task, so its
   * constant prompt prefix can stay cached between calls.
   */
  background?: boolean;
  /** Functions the model may call. Absent or empty: plain text generation. */
  tools?: ToolDefinition[];
  /** See {@link ToolChoice}; only meaningful with `tools`. Default `auto`. */
  toolChoice?: ToolChoice;
  /** Allow more than one call in one reply (OpenAI's `parallel_tool_calls`). Default true. */
  parallelToolCalls?: boolean;
}

export interface Usage {
  /** Tokens of the whole prompt. */
  promptTokens?: number;
  /**
   * Of those, tokens the engine did not evaluate because its cache held them (measured by the
   * engine, e.g. llama.cpp's token meter or a server's `cached_tokens`), when it knows.
   */
  cachedPromptTokens?: number;
  completionTokens?: number;
}

/** Why a reply ended: `tool-calls` when the model stopped to have its function calls run. */
export type FinishReason = 'stop' | 'length' | 'abort' | 'tool-calls';

/**
 * What a stream yields. Function calls: optionally `tool-call-start` and `tool-call-delta` parts
 * while the arguments are generated (engines that stream them), then always one complete
 * `tool-call` part per call (same `id`), before the `finish` part with reason `tool-calls`.
 * A consumer that needs only whole calls reads the `tool-call` parts and ignores the others.
 */
export type LLMStreamPart =
  | { type: 'text-delta'; text: string }
  | ({ type: 'tool-call-start'; id: string; name: string } & NotFinish)
  | ({ type: 'tool-call-delta'; id: string; argumentsDelta: string } & NotFinish)
  | ({ type: 'tool-call' } & ToolCall & NotFinish)
  | { type: 'finish'; reason: FinishReason; usage?: Usage };

/**
 * `reason` and `usage` are never set on tool-call parts; declared so that code written before
 * they existed (`if (part.type !== 'text-delta') usage = part.usage`) still type-checks.
 */
interface NotFinish {
  reason?: undefined;
  usage?: undefined;
}

export interface LLM {
  readonly provider: string;
  readonly modelId: string;
  /** Context size in tokens; the turn keeps history within it. */
  readonly contextSize: number;
  /**
   * Streams a reply. Ends with one `finish` part. On abort it stops quietly with reason `abort`.
   * @throws EngineError when the engine fails (before or during the stream)
   */
  stream(request: ChatRequest, options: CallOptions): AsyncIterable<LLMStreamPart>;
  /**
   * Optional: evaluate a conversation's prompt before its next turn (its system prompt before the
   * first; its system prompt and history, ending with the last reply, between turns), so the turn
   * itself evaluates only the new message. Resolves quietly on abort.
   */
  prepare?(conversationId: string, context: string | readonly ChatMessage[], options: CallOptions): Promise<void>;
  /**
   * Exact token count of `text` with the model's tokenizer, when the engine has one at hand
   * (history budgeting then uses it instead of {@link estimateTokens}).
   */
  countTokens?(text: string): number;
  /** Forget a conversation's cached context. */
  release?(conversationId: string): void;
  dispose?(): Promise<void>;
}

/** Rough token estimate for budgeting history when no tokenizer is at hand: ~4 characters a token (OpenAI's rule of thumb for English). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
