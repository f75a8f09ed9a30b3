/**
 * Options every engine call takes. The signal is required: one AbortController per response
 * reaches every stage, so cancel, barge-in and disconnect stop all work at once.
 */
export interface CallOptions {
  /** Aborting it stops the call quietly: an abort is not an error. */
  signal: AbortSignal;
}
