/**
 * Plain audio types shared by every engine. No I/O here.
 */

/** A block of mono PCM16 audio. `samples` are signed 16-bit, `sampleRate` in Hz. */
export interface AudioChunk {
  samples: Int16Array;
  sampleRate: number;
}

/** The sample rate of everything the realtime protocol carries: PCM16 mono 24 kHz (OpenAI Realtime API). */
export const REALTIME_SAMPLE_RATE = 24_000;

/** Duration of `samples` at `sampleRate`, in milliseconds. */
export function durationMs(samples: number, sampleRate: number): number {
  return (samples / sampleRate) * 1000;
}

/**
 * Converts float samples in [-1, 1] to PCM16, clipping out-of-range values.
 * @param input float32 samples, any length
 * @returns Int16Array of the same length
 */
export function floatToPcm16(input: Float32Array): Int16Array {
  const output = new Int16Array(input.length);
  for (let i = 0; i < input.length; i++) {
    const s = Math.max(-1, Math.min(1, input[i] ?? 0));
    output[i] = s < 0 ? Math.round(s * 0x8000) : Math.round(s * 0x7fff);
  }
  return output;
}

/** Converts PCM16 to float samples in [-1, 1). */
export function pcm16ToFloat(input: Int16Array): Float32Array {
  const output = new Float32Array(input.length);
  for (let i = 0; i < input.length; i++) output[i] = (input[i] ?? 0) / 0x8000;
  return output;
}
