/**
 * The LLM interface: a chat request in, a stream of text deltas out.
 * Shapes follow the AI SDK's stream parts (`text-delta`, `finish`).
 */
import type { CallOptions } from './call-options.js';

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

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

export type LLMStreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'finish'; reason: 'stop' | 'length' | 'abort'; usage?: Usage };

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
  /** Optional warm-up: evaluate the system prompt before the learner speaks. */
  prepare?(conversationId: string, systemPrompt: string, options: CallOptions): Promise<void>;
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
