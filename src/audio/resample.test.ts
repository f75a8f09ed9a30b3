import { describe, expect, it } from 'vitest';

import { resample, resampleChunk } from './resample.js';

function sine(frequency: number, sampleRate: number, seconds: number, amplitude = 0.5): Float32Array {
  const samples = new Float32Array(Math.round(sampleRate * seconds));
  for (let i = 0; i < samples.length; i++) samples[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  return samples;
}

function toPcm16(samples: Float32Array): Int16Array {
  return Int16Array.from(samples, (value) => Math.round(value * 32767));
}

/** Frequency estimated from sign changes, skipping `margin` samples at each end (filter start-up). */
function zeroCrossingFrequency(samples: ArrayLike<number>, sampleRate: number, margin = 500): number {
  let crossings = 0;
  for (let i = margin + 1; i < samples.length - margin; i++) {
    if ((samples[i - 1]! < 0) !== (samples[i]! < 0)) crossings++;
  }
  return crossings / 2 / ((samples.length - 2 * margin - 1) / sampleRate);
}

function rms(samples: ArrayLike<number>, margin = 500): number {
  let sum = 0;
  for (let i = margin; i < samples.length - margin; i++) sum += samples[i]! ** 2;
  return Math.sqrt(sum / (samples.length - 2 * margin));
}

describe('resample', () => {
  it('keeps the length ratio and the frequency of a PCM16 sine, 22,050 -> 24,000 Hz', () => {
    const input = toPcm16(sine(440, 22_050, 2));
    const output = resample(input, 22_050, 24_000);
    expect(output).toBeInstanceOf(Int16Array);
    expect(output.length).toBe(Math.floor((input.length * 24_000) / 22_050));
    expect(zeroCrossingFrequency(output, 24_000)).toBeCloseTo(440, -1);
    expect(rms(output) / rms(input)).toBeGreaterThan(0.95);
    expect(rms(output) / rms(input)).toBeLessThan(1.05);
  });

  it('keeps the frequency of a float sine when downsampling 24,000 -> 16,000 Hz', () => {
    const input = sine(1000, 24_000, 1);
    const output = resample(input, 24_000, 16_000);
    expect(output).toBeInstanceOf(Float32Array);
    expect(output.length).toBe(16_000);
    expect(zeroCrossingFrequency(output, 16_000)).toBeCloseTo(1000, -1);
    expect(rms(output)).toBeCloseTo(0.5 / Math.SQRT2, 1);
  });

  it('removes what the new rate cannot carry (low-pass against aliasing)', () => {
    const output = resample(sine(10_000, 24_000, 1), 24_000, 16_000);
    expect(rms(output)).toBeLessThan(0.01);
  });

  it('returns the input when the rates are equal, and empty for empty input', () => {
    const input = new Int16Array([1, 2, 3]);
    expect(resample(input, 24_000, 24_000)).toBe(input);
    expect(resample(new Int16Array(0), 22_050, 24_000)).toHaveLength(0);
    expect(resample(new Float32Array(0), 22_050, 24_000)).toHaveLength(0);
  });

  it('rejects invalid rates', () => {
    expect(() => resample(new Int16Array(10), 0, 24_000)).toThrow(RangeError);
    expect(() => resample(new Int16Array(10), 22_050, Number.NaN)).toThrow(RangeError);
  });
});

describe('resampleChunk', () => {
  it('converts a chunk to the wanted rate and leaves one already there alone', () => {
    const chunk = { samples: toPcm16(sine(300, 22_050, 0.5)), sampleRate: 22_050 };
    const converted = resampleChunk(chunk, 24_000);
    expect(converted.sampleRate).toBe(24_000);
    expect(converted.samples.length).toBe(12_000);
    expect(resampleChunk(converted, 24_000)).toBe(converted);
  });
});
