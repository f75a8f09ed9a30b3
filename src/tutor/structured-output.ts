/**
 * One JSON answer from the LLM, constrained by a JSON schema (a llama.cpp grammar, or
 * `response_format: json_schema` on OpenAI-compatible servers) and validated with zod; retried
 * once when the output is not valid JSON or does not fit, then given up as `null`. Never throws
 * for bad model output, engine failures or aborts: the tutor's side channels (corrections, word
 * meanings, reports) must never break a turn.
 */
import type { z } from 'zod';
import { errorMessage, EngineError } from '../core/errors.js';
import type { ChatMessage, FinishReason, LLM } from '../core/llm.js';

/**
 * Where the tutor logs. pino's `Logger` fits. Logs carry no learner text above debug level
 * (learners' words are private: never logged above debug).
 */
export interface TutorLogger {
  warn(details: object, message: string): void;
  debug(details: object, message: string): void;
}

/** Options of a structured tutor call (corrections, word meanings, reports). */
export interface TutorCallOptions {
  /** Aborting it ends the call quietly with `null`. */
  signal: AbortSignal;
  logger?: TutorLogger;
  /** Upper bound on generated tokens per attempt; each task has a default sized to its schema. */
  maxTokens?: number;
  /**
   * KV-cache key for engines that keep one (llama.cpp). A stable id per task (e.g.
   * `'tutor-corrections'`) lets the constant system prompt stay evaluated between calls; leave it
   * out to use any free sequence.
   */
  conversationId?: string;
}

/** One structured task: its messages, JSON schema and validator. */
export interface StructuredTask<T> {
  /** Name for logs and the schema's `name` (`[a-zA-Z0-9_-]`, as OpenAI requires). */
  name: string;
  messages: ChatMessage[];
  /** JSON schema of the output (the subset both node-llama-cpp grammars and OpenAI strict mode accept). */
  schema: Record<string, unknown>;
  /** Validates the parsed JSON; its output is what the call returns. */
  validator: z.ZodType<T>;
  maxTokens: number;
}

/** Sampling temperature of the first attempt, and of the retry (a little higher, so a deterministic engine does not repeat its mistake). */
export const ATTEMPT_TEMPERATURES = [0.2, 0.6] as const;

/** Why one attempt failed. */
type AttemptFailure = 'aborted' | 'truncated' | 'invalid_json' | 'schema_mismatch' | 'engine_error';

/**
 * Runs `task` on `llm`: up to two attempts ({@link ATTEMPT_TEMPERATURES}); an attempt fails on
 * output that is cut off (`length`), not JSON, or rejected by `validator`, or on a retryable
 * engine error.
 * @returns the validated value, or `null` when both attempts failed, a non-retryable engine error
 *   occurred, or `signal` aborted (each logged at warn, except the abort, at debug)
 */
export async function generateStructured<T>(llm: LLM, task: StructuredTask<T>, options: TutorCallOptions): Promise<T | null> {
  const { signal, logger } = options;
  for (const [attempt, temperature] of ATTEMPT_TEMPERATURES.entries()) {
    if (signal.aborted) break;
    const started = performance.now();
    const outcome = await attemptOnce(llm, task, temperature, options);
    const durationMs = Math.round(performance.now() - started);
    if (outcome.ok) {
      logger?.debug({ task: task.name, attempt: attempt + 1, durationMs }, 'tutor.structured_ok');
      return outcome.value;
    }
    if (outcome.failure === 'aborted') break;
    logger?.warn(
      { task: task.name, attempt: attempt + 1, reason: outcome.failure, detail: outcome.detail, durationMs },
      'tutor.structured_invalid',
    );
    logger?.debug({ task: task.name, attempt: attempt + 1, output: outcome.output }, 'tutor.structured_invalid_output');
    if (outcome.failure === 'engine_error' && !outcome.retryable) return null;
  }
  if (signal.aborted) {
    logger?.debug({ task: task.name }, 'tutor.structured_aborted');
    return null;
  }
  logger?.warn({ task: task.name }, 'tutor.structured_gave_up');
  return null;
}

type AttemptOutcome<T> =
  | { ok: true; value: T }
  | { ok: false; failure: AttemptFailure; detail?: string; output?: string; retryable?: boolean };

async function attemptOnce<T>(
  llm: LLM,
  task: StructuredTask<T>,
  temperature: number,
  options: TutorCallOptions,
): Promise<AttemptOutcome<T>> {
  let output = '';
  let finish: FinishReason | undefined;
  try {
    const stream = llm.stream(
      {
        messages: task.messages,
        jsonSchema: { name: task.name, schema: task.schema },
        maxTokens: options.maxTokens ?? task.maxTokens,
        temperature,
        ...(options.conversationId !== undefined ? { conversationId: options.conversationId } : {}),
        // Side work: it must never take a learner's cached conversation.
        background: true,
      },
      { signal: options.signal },
    );
    for await (const part of stream) {
      if (part.type === 'text-delta') output += part.text;
      else finish = part.reason;
    }
  } catch (error) {
    if (options.signal.aborted) return { ok: false, failure: 'aborted' };
    return {
      ok: false, failure: 'engine_error', detail: errorMessage(error),
      retryable: EngineError.isInstance(error) ? error.retryable : true,
    };
  }
  if (finish === 'abort' || options.signal.aborted) return { ok: false, failure: 'aborted' };
  if (finish === 'length') return { ok: false, failure: 'truncated', detail: `${output.length} characters`, output };
  const json = parseJsonObject(output);
  if (json === undefined) return { ok: false, failure: 'invalid_json', detail: `${output.length} characters`, output };
  const result = task.validator.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { ok: false, failure: 'schema_mismatch', detail: `${issue?.path.join('.') || '(root)'}: ${issue?.message}`, output };
  }
  return { ok: true, value: result.data };
}

/**
 * Parses a model's JSON answer, tolerating what servers without a grammar add around it: code
 * fences and text before the first `{` or after the last `}`.
 * @returns the parsed value, or undefined when there is no JSON object
 */
export function parseJsonObject(text: string): unknown {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) return undefined;
  try {
    return JSON.parse(text.slice(start, end + 1)) as unknown;
  } catch {
    return undefined;
  }
}
