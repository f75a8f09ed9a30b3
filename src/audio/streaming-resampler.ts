/**
 * A streaming sample-rate converter for audio that goes out while it is being made: libsamplerate
 * (Erik de Castro Lopo's Secret Rabbit Code, `SRC_SINC_FASTEST`: band-limited sinc, ~97 dB SNR)
 * compiled to WebAssembly by `@alexanderolsen/libsamplerate-js`, through its stateful "full" API.
 * Pieces pushed one after another join exactly as if the whole stream had been converted at once,
 * so a long TTS chunk can be sent in short slices, each as soon as it is converted (~1 ms for
 * 250 ms of audio on one core, against ~20 ms to convert a 2.6 s sentence in one go).
 *
 * For one-shot conversion of a whole buffer, `resample` (./resample.ts) needs no async set-up.
 */
import libsamplerate from '@alexanderolsen/libsamplerate-js';
import { floatToPcm16, pcm16ToFloat } from '../core/audio.js';

const { create, ConverterType } = libsamplerate;

type Converter = Awaited<ReturnType<typeof create>>;

export class StreamingResampler {
  private constructor(
    private readonly converter: Converter,
    readonly fromRate: number,
    readonly toRate: number,
  ) {}

  /**
   * @param fromRate input sample rate, Hz
   * @param toRate output sample rate, Hz
   * @throws RangeError for a rate outside 1-192,000 Hz
   */
  static async create(fromRate: number, toRate: number): Promise<StreamingResampler> {
    for (const rate of [fromRate, toRate]) {
      if (!Number.isInteger(rate) || rate < 1 || rate > 192_000) throw new RangeError(`Invalid sample rate: ${rate}`);
    }
    const converter = await create(1, fromRate, toRate, { converterType: ConverterType.SRC_SINC_FASTEST });
    return new StreamingResampler(converter, fromRate, toRate);
  }

  /**
   * Converts the next piece of the stream (mono PCM16 at `fromRate`) and returns the output it
   * completes. The filter holds back a few ms of output until more input arrives: over a stream
   * the output lags the input by that much, and its last ms stay inside at the end.
   */
  push(samples: Int16Array): Int16Array {
    if (samples.length === 0) return new Int16Array(0);
    return floatToPcm16(this.converter.full(pcm16ToFloat(samples)));
  }

  dispose(): void {
    this.converter.destroy();
  }

  /**
   * A resampler from a small per-process pool, or null when all of them are in use. Creating one
   * compiles WASM state (3-30 ms of main-thread time), and each holds a fixed 26 MB WASM heap that
   * is not returned to the system after `dispose()`: so at most `MAX_LIVE` exist, and they are
   * reused. When null, convert whole chunks with `resample` instead. Give it back with
   * {@link StreamingResampler.release}.
   */
  static async acquire(fromRate: number, toRate: number): Promise<StreamingResampler | null> {
    const free = pool.get(`${fromRate}>${toRate}`)?.pop();
    if (free) return free;
    if (live >= MAX_LIVE) return null;
    live++;
    try {
      return await StreamingResampler.create(fromRate, toRate);
    } catch (error) {
      live--;
      throw error;
    }
  }

  /**
   * Returns a resampler to the pool. Its filter is first run on silence, so the held-back tail of
   * this stream does not leak into the next one.
   */
  static release(resampler: StreamingResampler): void {
    resampler.push(new Int16Array(Math.ceil(resampler.fromRate * FLUSH_SECONDS)));
    const key = `${resampler.fromRate}>${resampler.toRate}`;
    const free = pool.get(key) ?? [];
    free.push(resampler);
    pool.set(key, free);
  }
}

/** Silence run through a released resampler: longer than libsamplerate's sinc filter memory. */
const FLUSH_SECONDS = 0.02;
/** Streaming resamplers alive at once (each holds 26 MB): enough for the turns a CPU can voice at once. */
const MAX_LIVE = 4;
let live = 0;
const pool = new Map<string, StreamingResampler[]>();
