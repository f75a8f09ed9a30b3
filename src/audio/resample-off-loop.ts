/**
 * Whole-buffer sample-rate conversion that keeps the event loop free: `resample` (./resample.ts,
 * wavefile's windowed sinc, ~11 ms per second of audio on one core) run in the worker pool for
 * buffers of more than a quarter of a second, on the calling thread for shorter ones (where the
 * trip to a worker would cost more than it saves). Same output as `resample`.
 */
import { runTask } from '../workers/pool.js';
import { resample } from './resample.js';

/** Shorter buffers are converted in place, seconds. */
const INLINE_SECONDS = 0.25;

/**
 * Converts mono PCM16 from `fromRate` to `toRate`; the input is copied to the worker, not moved.
 * @returns the input itself when the rates are equal
 * @throws RangeError for an invalid rate; an AbortError when `signal` aborts first
 */
export async function resampleOffLoop(samples: Int16Array, fromRate: number, toRate: number, options: { signal?: AbortSignal } = {}): Promise<Int16Array> {
  if (fromRate === toRate || samples.length <= fromRate * INLINE_SECONDS) return resample(samples, fromRate, toRate);
  for (const rate of [fromRate, toRate]) {
    if (!Number.isFinite(rate) || rate <= 0) throw new RangeError(`Invalid sample rate: ${rate}`);
  }
  const copy = samples.slice();
  return runTask<Int16Array>('resampleTask', { samples: copy, fromRate, toRate }, { signal: options.signal, transferList: [copy.buffer] });
}
