/**
 * What the OpenAI-compatible engines (LLM, STT, TTS) share about the official `openai` client:
 * building it with LocalChat's defaults, and turning its errors into {@link EngineError}s that
 * say what to check. `retryable` follows the AI SDK's rule: timeouts, connection failures and
 * HTTP 408/409/429/5xx.
 *
 * @example
 * const client = createOpenAIClient(baseURL, options, 60_000);
 * try { ... } catch (error) {
 *   throw toEngineError('openai-compatible', error, { server: `the speech server at ${baseURL}`, unreachable: 'is it running?' });
 * }
 */
import OpenAI from 'openai';

import { EngineError, errorMessage } from '../core/errors.js';

/** Client settings every OpenAI-compatible engine takes (each documents its own defaults). */
export interface OpenAIClientOptions {
  /** Bearer token. Default `'not-needed'` (local servers ignore it; the client requires one). */
  apiKey?: string;
  /** The client's request timeout, ms. Default the engine's `defaultTimeoutMs`. */
  timeoutMs?: number;
  /** Retries on connection errors, 408/409/429/5xx. Default 0: the caller decides, and a learner is waiting. */
  maxRetries?: number;
  /** Extra HTTP headers on every request. */
  headers?: Record<string, string>;
}

/**
 * An `openai` client for `baseURL` (including `/v1`) with LocalChat's defaults: a placeholder
 * API key, no retries, `defaultTimeoutMs` unless `options.timeoutMs` is given.
 */
export function createOpenAIClient(baseURL: string, options: OpenAIClientOptions, defaultTimeoutMs: number): OpenAI {
  return new OpenAI({
    baseURL,
    apiKey: options.apiKey ?? 'not-needed',
    timeout: options.timeoutMs ?? defaultTimeoutMs,
    maxRetries: options.maxRetries ?? 0,
    ...(options.headers ? { defaultHeaders: options.headers } : {}),
  });
}

/** What {@link toEngineError} puts into its messages. */
export interface ClientErrorContext {
  /** The server, lower case, e.g. `the speech server at http://localhost:8880/v1`. */
  server: string;
  /** What to check when the server cannot be reached, e.g. `is it running?`. */
  unreachable: string;
  /**
   * A sentence added after an HTTP error's message, by status, e.g. for 404 `Is the model "x"
   * available there?`. 401 and 403 default to `Check the API key.`
   */
  statusHints?: Partial<Record<number, string>>;
}

/**
 * An {@link EngineError} for an error thrown by the `openai` client, saying what to check:
 * - `APIConnectionTimeoutError`: code `timeout`, retryable;
 * - `APIConnectionError`: code `connection_failed`, retryable, with the errno code
 *   ({@link connectionFailureReason}) and `context.unreachable`;
 * - any other `APIError` (`APIUserAbortError` included): code `http_<status>` (retryable per
 *   {@link isRetryableStatus}) or `server_error` without a status, plus the status's hint;
 * - anything else: `engine_error`, not retryable.
 */
export function toEngineError(engine: string, error: unknown, context: ClientErrorContext): EngineError {
  const { server } = context;
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new EngineError(engine, `Timed out waiting for ${server}: is the model still loading?`, {
      cause: error, retryable: true, code: 'timeout',
    });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return new EngineError(engine, `Could not reach ${server} (${connectionFailureReason(error)}): ${context.unreachable}`, {
      cause: error, retryable: true, code: 'connection_failed',
    });
  }
  if (error instanceof OpenAI.APIError) {
    const status = error.status;
    const hints: Partial<Record<number, string>> = { 401: 'Check the API key.', 403: 'Check the API key.', ...context.statusHints };
    const hint = status !== undefined ? hints[status] : undefined;
    const answered = status !== undefined ? `answered HTTP ${status}` : 'reported an error';
    return new EngineError(engine, `${capitalize(server)} ${answered}: ${error.message}.${hint ? ` ${hint}` : ''}`, {
      cause: error, retryable: isRetryableStatus(status), code: status !== undefined ? `http_${status}` : 'server_error',
    });
  }
  return new EngineError(engine, `Request to ${server} failed: ${errorMessage(error)}`, { cause: error });
}

/** True for the HTTP statuses worth retrying: 408, 409, 429 and 5xx (the AI SDK's rule). */
export function isRetryableStatus(status: number | undefined): boolean {
  return status !== undefined && (status === 408 || status === 409 || status === 429 || status >= 500);
}

/**
 * Why a connection failed: the innermost cause's code (ECONNREFUSED, ENOTFOUND, ...) or message,
 * up to five causes deep, since the outer "fetch failed" says nothing.
 */
export function connectionFailureReason(error: unknown): string {
  let current: unknown = error;
  let reason = errorMessage(error);
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    reason = typeof code === 'string' ? code : current.message;
    current = current.cause;
  }
  return reason;
}

/** `text` with its first letter upper-cased, to start a sentence with `the … server`. */
export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
