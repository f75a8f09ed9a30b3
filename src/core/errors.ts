/**
 * One error family for the whole app. Each subclass has a marker so `isInstance` works across
 * module copies (the AI SDK's pattern).
 */

export class LocalChatError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalChatError';
    this.code = code;
  }
}

/** An engine (LLM, TTS, STT) failed. `retryable` is true for timeouts, 408/409/429/5xx. */
export class EngineError extends LocalChatError {
  readonly engine: string;
  readonly retryable: boolean;
  constructor(engine: string, message: string, options?: { cause?: unknown; retryable?: boolean; code?: string }) {
    super(options?.code ?? 'engine_error', message, options);
    this.name = 'EngineError';
    this.engine = engine;
    this.retryable = options?.retryable ?? false;
  }
  static isInstance(error: unknown): error is EngineError {
    return error instanceof Error && error.name === 'EngineError';
  }
}

/** A model file is missing, corrupt or failed to load. `path` names the file, `fix` what to do. */
export class ModelLoadError extends LocalChatError {
  readonly path: string;
  readonly fix: string;
  constructor(path: string, message: string, fix: string, options?: { cause?: unknown }) {
    super('model_load_error', message, options);
    this.name = 'ModelLoadError';
    this.path = path;
    this.fix = fix;
  }
  static isInstance(error: unknown): error is ModelLoadError {
    return error instanceof Error && error.name === 'ModelLoadError';
  }
}

/** A client sent something the protocol does not allow. `code` goes into the `error` event. */
export class ProtocolError extends LocalChatError {
  readonly eventId?: string;
  constructor(code: string, message: string, eventId?: string) {
    super(code, message);
    this.name = 'ProtocolError';
    this.eventId = eventId;
  }
  static isInstance(error: unknown): error is ProtocolError {
    return error instanceof Error && error.name === 'ProtocolError';
  }
}

/** A configuration value is invalid. `key` names it. */
export class ConfigError extends LocalChatError {
  readonly key: string;
  constructor(key: string, message: string) {
    super('config_error', message);
    this.name = 'ConfigError';
    this.key = key;
  }
  static isInstance(error: unknown): error is ConfigError {
    return error instanceof Error && error.name === 'ConfigError';
  }
}

/** True when `error` is an abort (DOMException AbortError, or our signal's reason). */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'APIUserAbortError');
}

/** Message of any thrown value. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
