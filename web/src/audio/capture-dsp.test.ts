import { describe, expect, it } from 'vitest';
import { CaptureFramer, FRAME_SAMPLES, StreamResampler, VAD_FRAME_SAMPLES, downsample24To16, floatToPcm16, levelFromRms } from './capture-dsp.js';

function sine(rate: number, frequency: number, seconds: number, amplitude = 0.5): Float32Array {
  const samples = new Float32Array(Math.round(rate * seconds));
  for (let index = 0; index < samples.length; index++) samples[index] = amplitude * Math.sin((2 * Math.PI * frequency * index) / rate);
  return samples;
}

function rms(samples: Float32Array): number {
  return Math.sqrt(samples.reduce((sum, sample) => sum + sample * sample, 0) / samples.length);
}

/** Feeds `input` in render-quantum-sized pieces, as a worklet does. */
function streamed(resampler: StreamResampler, input: Float32Array, piece = 128): Float32Array {
  const parts: Float32Array[] = [];
  for (let offset = 0; offset < input.length; offset += piece) parts.push(resampler.process(input.subarray(offset, offset + piece)));
  const out = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let position = 0;
  for (const part of parts) {
    out.set(part, position);
    position += part.length;
  }
  return out;
}

describe('StreamResampler', () => {
  it.each([48_000, 44_100, 32_000, 24_000, 16_000, 8_000])('converts %i Hz to 24 kHz with the right length, streamed in pieces', (rate) => {
    const input = sine(rate, 440, 1);
    const output = streamed(new StreamResampler(rate, 24_000), input);
    // Upsampling lags one input sample behind (it interpolates towards the next one).
    expect(Math.abs(output.length - 24_000)).toBeLessThanOrEqual(Math.ceil(24_000 / rate) + 1);
  });

  it('keeps the level of speech-band tones and a DC offset', () => {
    for (const rate of [48_000, 44_100]) {
      const output = streamed(new StreamResampler(rate, 24_000), sine(rate, 1000, 0.5));
      expect(rms(output)).toBeCloseTo(0.5 / Math.SQRT2, 1);
      const dc = streamed(new StreamResampler(rate, 24_000), new Float32Array(rate).fill(0.25));
      expect(Math.max(...dc.subarray(2).map((sample) => Math.abs(sample - 0.25)))).toBeLessThan(1e-6);
    }
  });

  it('gives the same output however the input is split', () => {
    const input = sine(44_100, 300, 0.2);
    const whole = new StreamResampler(44_100, 24_000).process(input);
    const pieces = streamed(new StreamResampler(44_100, 24_000), input, 37);
    expect(pieces.length).toBe(whole.length);
    for (let index = 0; index < whole.length; index++) expect(pieces[index]).toBeCloseTo(whole[index]!, 6);
  });

  it('rejects a zero rate', () => {
    expect(() => new StreamResampler(0, 24_000)).toThrow(RangeError);
  });
});

describe('CaptureFramer', () => {
  it('cuts the stream into 32 ms frames: PCM16 at 24 kHz and floats at 16 kHz, from the same audio', () => {
    const framer = new CaptureFramer(48_000);
    const input = sine(48_000, 500, 1, 0.5);
    const frames = [];
    for (let offset = 0; offset < input.length; offset += 128) frames.push(...framer.push(input.subarray(offset, offset + 128)));
    // 1 s = 31.25 frames of 32 ms.
    expect(frames).toHaveLength(31);
    for (const frame of frames) {
      expect(frame.pcm).toHaveLength(FRAME_SAMPLES);
      expect(frame.vad).toHaveLength(VAD_FRAME_SAMPLES);
      expect(frame.rms).toBeCloseTo(0.5 / Math.SQRT2, 1);
      expect(frame.peak).toBeGreaterThan(0.45);
      expect(frame.peak).toBeLessThanOrEqual(0.5);
    }
    const pcmRms = Math.sqrt(frames[5]!.pcm.reduce((sum, sample) => sum + (sample / 32768) ** 2, 0) / FRAME_SAMPLES);
    expect(pcmRms).toBeCloseTo(0.5 / Math.SQRT2, 1);
    expect(rms(frames[5]!.vad)).toBeCloseTo(0.5 / Math.SQRT2, 1);
  });

  it('averages 24 kHz into 16 kHz exactly (two outputs per three inputs)', () => {
    const out = downsample24To16(Float32Array.from([0.3, 0.6, 0.9, 0, 0, 0]));
    expect([...out].map((value) => Number(value.toFixed(6)))).toEqual([0.4, 0.8, 0, 0]);
  });
});

describe('floatToPcm16 and levelFromRms', () => {
  it('clips and scales', () => {
    expect([floatToPcm16(2), floatToPcm16(1), floatToPcm16(0), floatToPcm16(-1), floatToPcm16(-3)]).toEqual([32767, 32767, 0, -32768, -32768]);
  });

  it('maps -60..-6 dBFS to 0..1', () => {
    expect(levelFromRms(0)).toBe(0);
    expect(levelFromRms(0.001)).toBe(0);
    expect(levelFromRms(0.6)).toBe(1);
    expect(levelFromRms(10 ** (-33 / 20))).toBeCloseTo(0.5, 2);
  });
});
