/**
 * Guards a streaming engine call against hangs: if the first part does not arrive within
 * `firstMs`, or the next one within `idleMs`, the call is aborted (through its own signal, so
 * the engine stops working) and an `EngineError` with code `timeout` (retryable) is thrown.
 * Aborting the caller's signal aborts the call too, and then the iteration just ends.
 */
import { EngineError } from '../core/errors.js';

export interface TimeoutOptions {
  signal: AbortSignal;
  /** ms allowed until the first part. */
  firstMs: number;
  /** ms allowed between parts. */
  idleMs: number;
  /** Engine name for the error. */
  engine: string;
  /** What was being waited for, for the message (e.g. "the first word"). */
  what?: string;
}

export async function* withTimeouts<T>(start: (signal: AbortSignal) => AsyncIterable<T>, options: TimeoutOptions): AsyncGenerator<T> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal.reason);
  options.signal.addEventListener('abort', onAbort, { once: true });
  if (options.signal.aborted) controller.abort(options.signal.reason);
  const iterator = start(controller.signal)[Symbol.asyncIterator]();
  let first = true;
  try {
    while (true) {
      const limit = first ? options.firstMs : options.idleMs;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), limit);
      });
      const next = await Promise.race([iterator.next(), timeout]).finally(() => clearTimeout(timer));
      if (next === 'timeout') {
        controller.abort(new Error('timeout'));
        throw new EngineError(options.engine, `${options.engine} did not answer within ${Math.round(limit / 1000)} s${options.what ? ` (waiting for ${options.what})` : ''}`, {
          retryable: true,
          code: 'timeout',
        });
      }
      if (next.done) return;
      first = false;
      yield next.value;
    }
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    controller.abort();
    // Let the engine's generator run its cleanup (`finally`) even when the consumer stopped early.
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}
