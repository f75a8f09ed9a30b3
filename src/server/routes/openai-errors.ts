/**
 * Errors of the OpenAI-compatible REST API, in OpenAI's shape:
 * `{ "error": { "message", "type", "param", "code" } }`.
 *
 * | status | type | when |
 * | --- | --- | --- |
 * | 400 | `invalid_request_error` | a body that fails validation, malformed JSON, a bad file |
 * | 404 | `invalid_request_error`, code `model_not_found` | an unknown model |
 * | 404 | `invalid_request_error`, code `unknown_url` | a `/v1` path LocalChat does not serve |
 * | 405 | `invalid_request_error`, code `method_not_allowed` | a `/v1` path with another method (`Allow` lists the right one) |
 * | 426 | `invalid_request_error`, code `websocket_upgrade_required` | `GET /v1/realtime` without a WebSocket upgrade |
 * | 413 | `invalid_request_error`, code `request_too_large` / `audio_too_long` | over a limit |
 * | 415 | `invalid_request_error`, code `unsupported_media_type` / `unsupported_audio` | a body or file type not handled |
 * | 502 | `server_error`, code `engine_error` | the engine failed |
 * | 503 | `server_error`, code `engine_unavailable` | the engine is loading, downloading or off |
 * | 500 | `server_error` | anything else (the message is generic; details go to the log) |
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodError } from 'zod';
import type { EngineStatus } from '../../core/engine-status.js';
import { EngineError, errorMessage } from '../../core/errors.js';
import type { EngineSet } from '../../engines/engine-set.js';

export type OpenAIErrorType = 'invalid_request_error' | 'server_error';

/** The body of an OpenAI error response. */
export interface OpenAIErrorBody {
  error: { message: string; type: OpenAIErrorType; param: string | null; code: string | null };
}

/** An error to answer with: HTTP status plus OpenAI's error fields. Thrown by the route handlers. */
export class OpenAIApiError extends Error {
  readonly status: number;
  readonly type: OpenAIErrorType;
  readonly param: string | null;
  readonly code: string | null;
  /** Extra response headers (e.g. `Retry-After`). */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    message: string,
    options: { type?: OpenAIErrorType; param?: string | null; code?: string | null; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'OpenAIApiError';
    this.status = status;
    this.type = options.type ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.headers = options.headers ?? {};
  }

  /** The response body. */
  body(): OpenAIErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** 400 `invalid_request_error`. */
export function invalidRequest(message: string, param: string | null = null, code: string | null = null): OpenAIApiError {
  return new OpenAIApiError(400, message, { param, code });
}

/** 404 `model_not_found`, naming the models that do exist for this endpoint. */
export function modelNotFound(model: string, available: readonly string[], what: string): OpenAIApiError {
  const list = available.length > 0 ? ` ${what} models here: ${available.join(', ')}.` : '';
  return new OpenAIApiError(404, `The model \`${model}\` does not exist.${list}`, { param: 'model', code: 'model_not_found' });
}

/**
 * The first validation issue as a 400: `param` is its path in OpenAI's notation
 * (`messages[0].content`), the message names it too; `code` is `missing_required_parameter` when
 * the value is absent from `input` (the body validated), else `invalid_value`.
 */
export function fromZodError(error: ZodError, input?: unknown): OpenAIApiError {
  const issue = error.issues[0];
  if (!issue) return invalidRequest('Invalid request body.');
  const param = formatPath(issue.path);
  const message = param ? `Invalid value for '${param}': ${issue.message}` : `Invalid request body: ${issue.message}`;
  const missing = issue.code === 'invalid_type' && issue.path.length > 0 && valueAt(input, issue.path) === undefined;
  return invalidRequest(message, param || null, missing ? 'missing_required_parameter' : 'invalid_value');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** `['messages', 0, 'content']` -> `messages[0].content`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/**
 * An engine failure as a 5xx: 503 `engine_unavailable` when the engine of that kind is not ready
 * (loading, downloading, failed to load: its status message says why), else 502 `engine_error`.
 */
export function engineFailure(error: unknown, engines: EngineSet, kind: EngineStatus['kind']): OpenAIApiError {
  const status = engines.status().find((entry) => entry.kind === kind);
  const message = errorMessage(error);
  if (status && status.state !== 'ready') {
    return new OpenAIApiError(503, `The ${engineName(kind)} is not ready (${status.state}): ${status.message ?? message}`, {
      code: 'engine_unavailable',
      headers: { 'retry-after': '10' },
      cause: error,
    });
  }
  const retryable = EngineError.isInstance(error) && error.retryable;
  return new OpenAIApiError(502, `The ${engineName(kind)} failed: ${message}`, { code: 'engine_error', cause: error, ...(retryable ? { headers: { 'retry-after': '1' } } : {}) });
}

/**
 * Checks that a JSON endpoint got a JSON body (Fastify would also parse `text/plain`).
 * @throws OpenAIApiError 415 `unsupported_media_type`
 */
export function requireJson(contentType: string | undefined): void {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return;
  throw new OpenAIApiError(415, `Unsupported Content-Type '${type || '(none)'}': send the body as application/json.`, { code: 'unsupported_media_type' });
}

/** 503 `engine_unavailable` with a reason. */
export function engineUnavailable(message: string): OpenAIApiError {
  return new OpenAIApiError(503, message, { code: 'engine_unavailable', headers: { 'retry-after': '10' } });
}

function engineName(kind: EngineStatus['kind']): string {
  return kind === 'llm' ? 'language model' : kind === 'tts' ? 'speech synthesis engine' : 'speech recognition engine';
}

/** Fastify's and @fastify/multipart's own errors, mapped to OpenAI's shape. */
function fromFastifyError(error: FastifyError): OpenAIApiError {
  const status = error.statusCode ?? 500;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new OpenAIApiError(413, `The request is too large: ${error.message}`, { code: 'request_too_large' });
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new OpenAIApiError(413, error.message, { code: 'request_too_large' });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new OpenAIApiError(415, `Unsupported Content-Type: ${error.message}`, { code: 'unsupported_media_type' });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return invalidRequest('The request body is empty: send a JSON object.', null, 'invalid_json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return invalidRequest(`The request body is not valid JSON: ${error.message}`, null, 'invalid_json');
  }
  if (error instanceof SyntaxError || (status === 400 && /JSON/i.test(error.message))) {
    return invalidRequest(`The request body is not valid JSON: ${error.message}`, null, 'invalid_json');
  }
  if (status >= 400 && status < 500) return new OpenAIApiError(status, error.message, { code: error.code ?? null });
  return new OpenAIApiError(500, 'The server had an error while processing your request.', { code: 'internal_error', cause: error });
}

/**
 * Error handler for the REST plugins (`app.setErrorHandler` inside each): every error becomes
 * OpenAI's error JSON. Server errors are logged with their cause; client errors at debug level.
 */
export function openAIErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const apiError = error instanceof OpenAIApiError ? error : fromFastifyError(error as FastifyError);
  if (apiError.status >= 500) request.log.warn({ err: apiError.cause ?? error, status: apiError.status }, apiError.message);
  else request.log.debug({ status: apiError.status, code: apiError.code }, apiError.message);
  if (reply.sent || reply.raw.headersSent) return reply;
  return reply.code(apiError.status).headers(apiError.headers).type('application/json; charset=utf-8').send(apiError.body());
}
