/**
 * Abort helpers for the models module: an abort surfaces as the signal's AbortError (a
 * DOMException named `AbortError`, which `isAbortError` in core/errors.ts recognises).
 */

/** The error to throw for an aborted `signal`: its reason when that is an AbortError, else a new one. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('The model download was aborted.', 'AbortError');
}

/** Throws `abortError(signal)` when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal);
}
