/**
 * How the STT engines stop on an abort: `transcribe` returns a promise, so an aborted call
 * rejects with the signal's AbortError (a DOMException named `AbortError`, which `isAbortError`
 * in core/errors.ts recognises) — never with an EngineError.
 */

/** The error for an aborted `signal`: its reason when that is an AbortError, else a new one. */
export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('The transcription was aborted.', 'AbortError');
}

/** Throws `abortError(signal)` when the signal is aborted. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw abortError(signal);
}
