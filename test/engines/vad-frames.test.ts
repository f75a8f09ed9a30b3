/**
 * The Silero VAD's audio plumbing: the 24 kHz history buffer and the frame downsampler, which
 * must turn a stream pushed in arbitrary pieces into the same 16 kHz signal as resampling the
 * whole stream at once (no clicks at block edges, no drift).
 */
import { describe, expect, it } from 'vitest';

import { resample } from '../../src/audio/resample.js';
import {
  FRAME_SAMPLES,
  INPUT_FRAME_SAMPLES,
  LOOKAHEAD_SAMPLES,
  downsampleFrames,
  framesReady,
} from '../../src/engines/vad/frame-downsampler.js';
import { PcmHistory } from '../../src/engines/vad/pcm-history.js';

/** A chirp from 100 Hz to 6 kHz with harmonics: broadband like speech, and deterministic. */
function chirp(samples: number, rate: number): Int16Array {
  let phase = 0;
  return Int16Array.from({ length: samples }, (_, i) => {
    const frequency = 100 + (5_900 * i) / samples;
    phase += (2 * Math.PI * frequency) / rate;
    return Math.round(6_000 * Math.sin(phase) + 3_000 * Math.sin(3 * phase + 1));
  });
}

describe('PcmHistory', () => {
  it('reads absolute positions across appends and discards, with silence outside', () => {
    const history = new PcmHistory();
    const stream = Int16Array.from({ length: 10_000 }, (_, i) => (i % 2000) - 1000);
    for (let offset = 0; offset < stream.length; offset += 700) history.append(stream.subarray(offset, offset + 700));
    expect(history.end).toBe(10_000);
    history.discardBefore(6_000);
    expect(history.start).toBe(6_000);
    history.append(Int16Array.of(7, 8, 9)); // compacts in place
    expect(history.end).toBe(10_003);
    expect(Array.from(history.read(9_998, 10_005))).toEqual([stream[9_998], stream[9_999], 7, 8, 9, 0, 0]);
    expect(Array.from(history.read(5_998, 6_002))).toEqual([0, 0, stream[6_000], stream[6_001]]);
    history.discardBefore(1_000); // already gone: no-op
    expect(history.start).toBe(6_000);
    history.clear();
    expect([history.start, history.end]).toEqual([0, 0]);
  });
});

describe('downsampleFrames', () => {
  it('matches resampling the whole stream at once to within 2 LSB, whatever the push sizes', () => {
    const input = chirp(24_000 * 3 + 1, 24_000);
    const whole = resample(input, 24_000, 16_000); // 3m + 1 samples: output j is input 1.5 j
    const history = new PcmHistory();
    const frames: Float32Array[] = [];
    let nextFrame = 0;
    const sizes = [480, 2_400, 17, 960, 1_200, 5];
    for (let offset = 0, index = 0; offset < input.length; index++) {
      const size = sizes[index % sizes.length]!;
      history.append(input.subarray(offset, offset + size));
      offset += size;
      const count = framesReady(history.end, nextFrame);
      if (count > 0) {
        frames.push(downsampleFrames(history, nextFrame, count));
        nextFrame += count;
      }
    }
    expect(nextFrame).toBe(Math.floor((input.length - LOOKAHEAD_SAMPLES - 1) / INPUT_FRAME_SAMPLES));
    const streamed = new Float32Array(nextFrame * FRAME_SAMPLES);
    let offset = 0;
    for (const frame of frames) {
      streamed.set(frame, offset);
      offset += frame.length;
    }
    let maxError = 0;
    // The whole-stream reference has its own edge transient in the first and last few ms.
    for (let i = 256; i < streamed.length - 256; i++) {
      maxError = Math.max(maxError, Math.abs(Math.round(streamed[i]! * 0x8000) - whole[i]!));
    }
    expect(maxError).toBeLessThanOrEqual(2);

    // What the overlap buys: the same stream resampled in bare 32 ms blocks clicks at every edge.
    let bareError = 0;
    for (let frame = 0; frame < nextFrame; frame++) {
      const block = resample(input.subarray(frame * INPUT_FRAME_SAMPLES, (frame + 1) * INPUT_FRAME_SAMPLES + 1), 24_000, 16_000);
      for (let i = 0; i < FRAME_SAMPLES; i++) {
        const index = frame * FRAME_SAMPLES + i;
        if (index >= 256 && index < streamed.length - 256) bareError = Math.max(bareError, Math.abs(block[i]! - whole[index]!));
      }
    }
    expect(bareError).toBeGreaterThan(500);
  });
});
