/**
 * Sample-rate conversion of mono PCM, through wavefile's resampler (rochars/wavefile 11,
 * `WaveFile#toSampleRate`): interpolation plus a Butterworth IIR low-pass filter at the lower
 * Nyquist frequency against aliasing and imaging.
 */
import wavefile from 'wavefile';

import type { AudioChunk } from '../core/audio.js';

const { WaveFile } = wavefile;

/**
 * Interpolation methods of wavefile's resampler. `sinc` (windowed sinc, 6 taps each side, with the
 * IIR low-pass) is the default: the flattest passband it offers (a 7 kHz tone keeps 95% of its
 * RMS at 22,050 -> 24,000 Hz; cubic 87%, linear 73%), at ~11 ms per second of PCM16 audio on
 * one core of a 2-core machine (float ~17 ms); `cubic` ~6 ms; `linear` and `point` skip the filter.
 */
export type ResampleMethod = 'point' | 'linear' | 'cubic' | 'sinc';

export interface ResampleOptions {
  /** Interpolation method; default `sinc`. */
  method?: ResampleMethod;
}

/**
 * Converts mono PCM from one sample rate to another.
 *
 * Output length is `floor(samples.length * toRate / fromRate)`. Int16 input stays PCM16 (clipped
 * to the int16 range); float input stays float, clipped to `[-1, 1]` (it is carried as 32-bit
 * integers, which wavefile packs ~5x faster than 32-bit floats).
 * When the rates are equal the input is returned as is (not copied).
 *
 * @param samples mono samples, PCM16 or float
 * @param fromRate sample rate of `samples`, Hz
 * @param toRate wanted sample rate, Hz
 * @throws RangeError when a rate is not a positive finite number
 */
export function resample(samples: Int16Array, fromRate: number, toRate: number, options?: ResampleOptions): Int16Array;
export function resample(
  samples: Float32Array,
  fromRate: number,
  toRate: number,
  options?: ResampleOptions,
): Float32Array;
export function resample(
  samples: Int16Array | Float32Array,
  fromRate: number,
  toRate: number,
  options: ResampleOptions = {},
): Int16Array | Float32Array {
  for (const rate of [fromRate, toRate]) {
    if (!Number.isFinite(rate) || rate <= 0) throw new RangeError(`Invalid sample rate: ${rate}`);
  }
  if (fromRate === toRate) return samples;
  if (samples instanceof Int16Array) {
    if (samples.length === 0) return new Int16Array(0);
    const wav = resampleWithWavefile(samples, '16', fromRate, toRate, options);
    return wav.getSamples(false, Int16Array) as unknown as Int16Array;
  }
  if (samples.length === 0) return new Float32Array(0);
  // Float goes through 32-bit integers: wavefile packs '32f' about 5x slower than '32'.
  const scaled = new Int32Array(samples.length);
  for (let i = 0; i < samples.length; i++) scaled[i] = Math.round(clip(samples[i] ?? 0) * INT32_SCALE);
  const resampled = resampleWithWavefile(scaled, '32', fromRate, toRate, options).getSamples(false, Float64Array);
  const output = new Float32Array(resampled.length);
  for (let i = 0; i < resampled.length; i++) output[i] = (resampled[i] ?? 0) / INT32_SCALE;
  return output;
}

const INT32_SCALE = 0x7fffffff;

function clip(value: number): number {
  return value < -1 ? -1 : value > 1 ? 1 : value;
}

function resampleWithWavefile(
  samples: Int16Array | Int32Array,
  bitDepth: '16' | '32',
  fromRate: number,
  toRate: number,
  options: ResampleOptions,
): InstanceType<typeof WaveFile> {
  const wav = new WaveFile();
  wav.fromScratch(1, fromRate, bitDepth, samples);
  wav.toSampleRate(toRate, { method: options.method ?? 'sinc' });
  return wav;
}

/**
 * Resamples an audio chunk to `toRate` Hz; returns the chunk itself when it is already there.
 * Each call filters its chunk alone: resample whole sentences rather than tiny slices, or the
 * filter's start-up transient repeats at every slice boundary.
 */
export function resampleChunk(chunk: AudioChunk, toRate: number, options?: ResampleOptions): AudioChunk {
  if (chunk.sampleRate === toRate) return chunk;
  return { samples: resample(chunk.samples, chunk.sampleRate, toRate, options), sampleRate: toRate };
}

