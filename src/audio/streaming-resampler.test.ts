import { describe, expect, it } from 'vitest';
import { StreamingResampler } from './streaming-resampler.js';

function tone(rate: number, seconds: number, frequency: number, offset = 0): Int16Array {
  const samples = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(10_000 * Math.sin((2 * Math.PI * frequency * (i + offset)) / rate));
  return samples;
}

describe('StreamingResampler', () => {
  it('converts 22,050 Hz to 24 kHz in pieces that join without a seam', async () => {
    const resampler = await StreamingResampler.create(22_050, 24_000);
    const input = tone(22_050, 2, 1000);
    const parts: Int16Array[] = [];
    for (let offset = 0; offset < input.length; offset += 5_000) parts.push(resampler.push(input.subarray(offset, offset + 5_000)));
    resampler.dispose();
    const output = new Int16Array(parts.reduce((sum, part) => sum + part.length, 0));
    let position = 0;
    for (const part of parts) {
      output.set(part, position);
      position += part.length;
    }
    // All but the filter's few ms of delay come out.
    expect(output.length).toBeGreaterThan(48_000 - 240);
    expect(output.length).toBeLessThanOrEqual(48_000);
    // A clean 1 kHz tone at 24 kHz: compare with the ideal one after the filter's delay, which we
    // find by cross-correlation; a seam between pieces would show as a large error.
    const ideal = tone(24_000, 2, 1000);
    let bestDelay = 0;
    let bestScore = -Infinity;
    for (let delay = 0; delay < 200; delay++) {
      let score = 0;
      for (let i = 2_000; i < 4_000; i++) score += output[i + delay]! * ideal[i]!;
      if (score > bestScore) [bestScore, bestDelay] = [score, delay];
    }
    let worst = 0;
    for (let i = 1_000; i < output.length - bestDelay - 1_000; i++) worst = Math.max(worst, Math.abs(output[i + bestDelay]! - ideal[i]!));
    expect(worst).toBeLessThan(400);
  });

  it('rejects invalid rates', async () => {
    await expect(StreamingResampler.create(0, 24_000)).rejects.toThrow(RangeError);
  });
});
