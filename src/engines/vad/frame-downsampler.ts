/**
 * Streaming 24 kHz -> 16 kHz conversion of PCM16 for Silero VAD, in whole 32 ms frames, through
 * our resampler (src/audio/resample.ts: windowed sinc plus a forward-backward Butterworth
 * low-pass). That resampler works on one block at a time, and its filter starts and ends each
 * block cold: resampled in bare 32 ms blocks, speech gets a click at every block edge (errors up
 * to ~7,000 LSB on LibriVox speech). So each block is resampled with 8 ms of the audio before it
 * and 8 ms after it, and only its middle is kept: the result matches resampling the whole stream
 * at once to within 1 LSB on LibriVox speech (2 LSB on a chirp up to 6 kHz), for ~1.5x the work
 * of bare blocks.
 *
 * Alignment is exact: the resampler maps output sample i of an N-sample input to input position
 * i * (N - 1) / floor(N * 2 / 3) (wavefile's `Interpolator`), which is exactly 1.5 * i when
 * N = 3m + 1; every window here has that length, so 16 kHz sample j is 24 kHz position 1.5 * j
 * across block boundaries too.
 */
import { resample } from '../../audio/resample.js';
import type { PcmHistory } from './pcm-history.js';

/** Input rate, Hz: the realtime protocol's PCM16 rate. */
export const INPUT_RATE = 24_000;
/** Silero VAD's rate, Hz. */
export const MODEL_RATE = 16_000;
/** Samples of one Silero frame at 16 kHz (32 ms; Silero v5 takes exactly 512 at 16 kHz). */
export const FRAME_SAMPLES = 512;
/** The same frame at the 24 kHz input rate. */
export const INPUT_FRAME_SAMPLES = (FRAME_SAMPLES * INPUT_RATE) / MODEL_RATE;
/** Frame length, ms. */
export const FRAME_MS = (FRAME_SAMPLES / MODEL_RATE) * 1000;

/** Audio before a block fed to the resampler and then dropped, in 24 kHz samples (8 ms; a multiple of 3). */
export const CONTEXT_SAMPLES = 192;
/** Audio after a block, likewise (8 ms): a frame is ready once this much audio follows it. */
export const LOOKAHEAD_SAMPLES = 192;

/**
 * How many frames, from frame `nextFrame` on, can be computed from audio up to `end` (24 kHz
 * positions): each needs its own 768 samples plus `LOOKAHEAD_SAMPLES` + 1 after them.
 */
export function framesReady(end: number, nextFrame: number): number {
  return Math.max(0, Math.floor((end - LOOKAHEAD_SAMPLES - 1) / INPUT_FRAME_SAMPLES) - nextFrame);
}

/**
 * Frames `[firstFrame, firstFrame + count)` at 16 kHz, as float samples in [-1, 1) — what Silero
 * takes. Frame k covers 24 kHz positions `[768k, 768k + 768)`. Audio before the history's start
 * reads as silence; the caller keeps `CONTEXT_SAMPLES` before `768 * firstFrame` and makes sure
 * `framesReady` allows `count` frames.
 * @returns `count * FRAME_SAMPLES` samples
 */
export function downsampleFrames(history: PcmHistory, firstFrame: number, count: number): Float32Array {
  const from = firstFrame * INPUT_FRAME_SAMPLES - CONTEXT_SAMPLES;
  // Length 3m + 1 (context, blocks and lookahead are multiples of 3): see the module comment.
  const to = (firstFrame + count) * INPUT_FRAME_SAMPLES + LOOKAHEAD_SAMPLES + 1;
  const resampled = resample(history.read(from, to), INPUT_RATE, MODEL_RATE);
  const skip = (CONTEXT_SAMPLES * MODEL_RATE) / INPUT_RATE;
  const output = new Float32Array(count * FRAME_SAMPLES);
  for (let i = 0; i < output.length; i++) output[i] = (resampled[skip + i] ?? 0) / 0x8000;
  return output;
}
