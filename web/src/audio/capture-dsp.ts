/**
 * Microphone signal processing for the capture worklet, as plain code (no Web Audio types) so it
 * runs, and is tested, outside a worklet:
 *
 * - `StreamResampler`: any input rate -> 24 kHz, streaming. Downsampling averages each output
 *   period of input (an area / box filter: cheap, no ringing, enough anti-aliasing for speech);
 *   upsampling interpolates linearly.
 * - `CaptureFramer`: cuts the 24 kHz stream into 32 ms frames and gives each frame as PCM16 at
 *   24 kHz (what the realtime protocol sends) and as floats at 16 kHz (what Silero VAD reads:
 *   512 samples, exactly its v5 frame). Both come from the same samples, so VAD decisions line up
 *   with the audio sent to the millisecond.
 */

/** Rate of the audio sent to the server (OpenAI Realtime API `audio/pcm`), Hz. */
export const CAPTURE_RATE = 24_000;
/** Rate Silero VAD runs at, Hz. */
export const VAD_RATE = 16_000;
/** One frame: 32 ms. */
export const FRAME_MS = 32;
/** Samples per frame at 24 kHz. */
export const FRAME_SAMPLES = (CAPTURE_RATE * FRAME_MS) / 1000;
/** Samples per frame at 16 kHz (Silero v5 wants exactly 512). */
export const VAD_FRAME_SAMPLES = (VAD_RATE * FRAME_MS) / 1000;

export interface CaptureFrame {
  /** PCM16 mono at 24 kHz, `FRAME_SAMPLES` long. */
  pcm: Int16Array;
  /** Floats in -1..1 at 16 kHz, `VAD_FRAME_SAMPLES` long. */
  vad: Float32Array;
  /** Root mean square of the frame, 0-1 (full scale = 1). */
  rms: number;
  /** Largest absolute sample, 0-1. */
  peak: number;
}

/** Streaming resampler from `inputRate` to `outputRate` (mono floats). */
export class StreamResampler {
  /** Input samples per output sample. */
  private readonly ratio: number;
  // Downsampling: the weighted sum of the output sample being built, and where its period ends,
  // in input samples from the start of the next input sample.
  private accumulator = 0;
  private edge: number;
  // Upsampling: the previous input sample and the position of the next output between it and the
  // next input sample (0-1).
  private previous = 0;
  private position = 0;
  private primed = false;

  constructor(inputRate: number, outputRate: number) {
    if (!(inputRate > 0) || !(outputRate > 0)) throw new RangeError(`sample rates must be > 0 (got ${inputRate} -> ${outputRate})`);
    this.ratio = inputRate / outputRate;
    this.edge = this.ratio;
  }

  /** Resamples the next piece of the stream; the output length varies by at most one sample. */
  process(input: Float32Array): Float32Array {
    return this.ratio >= 1 ? this.downsample(input) : this.upsample(input);
  }

  private downsample(input: Float32Array): Float32Array {
    const ratio = this.ratio;
    const output = new Float32Array(Math.ceil((input.length + 1) / ratio) + 1);
    let count = 0;
    let accumulator = this.accumulator;
    let edge = this.edge;
    for (let index = 0; index < input.length; index++) {
      const sample = input[index] ?? 0;
      // This input sample spans [0, 1) relative to itself; `edge` is where the output period ends.
      let start = 0;
      while (edge <= 1) {
        accumulator += sample * (edge - start);
        output[count++] = accumulator / ratio;
        accumulator = 0;
        start = edge;
        edge += ratio;
      }
      accumulator += sample * (1 - start);
      edge -= 1;
    }
    this.accumulator = accumulator;
    this.edge = edge;
    return output.subarray(0, count);
  }

  private upsample(input: Float32Array): Float32Array {
    const step = this.ratio;
    const output = new Float32Array(Math.ceil(input.length / step) + 2);
    let count = 0;
    let index = 0;
    if (!this.primed && input.length > 0) {
      this.previous = input[0] ?? 0;
      this.primed = true;
      index = 1;
    }
    for (; index < input.length; index++) {
      const next = input[index] ?? 0;
      while (this.position < 1) {
        output[count++] = this.previous + (next - this.previous) * this.position;
        this.position += step;
      }
      this.position -= 1;
      this.previous = next;
    }
    return output.subarray(0, count);
  }
}

/** Float (-1..1) to PCM16, clipped. */
export function floatToPcm16(sample: number): number {
  const clipped = sample < -1 ? -1 : sample > 1 ? 1 : sample;
  return clipped < 0 ? Math.round(clipped * 32768) : Math.round(clipped * 32767);
}

/**
 * 24 kHz -> 16 kHz for one frame: output sample j averages input [1.5 j, 1.5 j + 1.5), i.e.
 * (x[3m] + x[3m+1] / 2) / 1.5 and (x[3m+1] / 2 + x[3m+2]) / 1.5 for j = 2m and 2m + 1.
 */
export function downsample24To16(input: Float32Array, output: Float32Array = new Float32Array((input.length / 3) * 2)): Float32Array {
  for (let m = 0; m * 3 + 2 < input.length; m++) {
    const a = input[3 * m] ?? 0;
    const b = input[3 * m + 1] ?? 0;
    const c = input[3 * m + 2] ?? 0;
    output[2 * m] = (a + b / 2) / 1.5;
    output[2 * m + 1] = (b / 2 + c) / 1.5;
  }
  return output;
}

/** Turns the microphone's stream (any rate) into 32 ms `CaptureFrame`s. */
export class CaptureFramer {
  private readonly resampler: StreamResampler;
  private readonly block = new Float32Array(FRAME_SAMPLES);
  private filled = 0;

  constructor(inputRate: number) {
    this.resampler = new StreamResampler(inputRate, CAPTURE_RATE);
  }

  /** Feeds input samples; returns the frames they completed (often none). */
  push(input: Float32Array): CaptureFrame[] {
    const resampled = this.resampler.process(input);
    const frames: CaptureFrame[] = [];
    let offset = 0;
    while (offset < resampled.length) {
      const take = Math.min(FRAME_SAMPLES - this.filled, resampled.length - offset);
      this.block.set(resampled.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === FRAME_SAMPLES) {
        frames.push(makeFrame(this.block));
        this.filled = 0;
      }
    }
    return frames;
  }
}

function makeFrame(block: Float32Array): CaptureFrame {
  const pcm = new Int16Array(block.length);
  let sum = 0;
  let peak = 0;
  for (let index = 0; index < block.length; index++) {
    const sample = block[index] ?? 0;
    pcm[index] = floatToPcm16(sample);
    sum += sample * sample;
    const magnitude = Math.abs(sample);
    if (magnitude > peak) peak = magnitude;
  }
  return { pcm, vad: downsample24To16(block), rms: Math.sqrt(sum / block.length), peak: Math.min(1, peak) };
}

/**
 * Input level for a meter, 0-1: the frame's RMS on a dB scale from -60 dBFS (0) to -6 dBFS (1).
 */
export function levelFromRms(rms: number): number {
  if (!(rms > 0)) return 0;
  const db = 20 * Math.log10(rms);
  return Math.max(0, Math.min(1, (db + 60) / 54));
}
