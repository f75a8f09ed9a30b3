import wavefile from 'wavefile';
import { describe, expect, it } from 'vitest';

import { LocalChatError } from '../core/errors.js';
import { decodeWav, encodeWav } from './wav.js';

const { WaveFile } = wavefile;

describe('encodeWav / decodeWav', () => {
  it('round-trips mono PCM16 exactly, with a 44-byte header', () => {
    const samples = Int16Array.from({ length: 1000 }, (_, i) => Math.round(20_000 * Math.sin(i / 9)));
    samples[0] = -32768;
    samples[1] = 32767;
    const bytes = encodeWav(samples, 24_000);
    expect(bytes).toBeInstanceOf(Buffer);
    expect(bytes.length).toBe(44 + 2 * samples.length);
    expect(bytes.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(bytes.subarray(8, 12).toString('ascii')).toBe('WAVE');
    const decoded = decodeWav(bytes);
    expect(decoded.sampleRate).toBe(24_000);
    expect(decoded.samples).toEqual(samples);
  });

  it('mixes stereo to mono', () => {
    const wav = new WaveFile();
    wav.fromScratch(2, 16_000, '16', [new Int16Array([1000, -2000, 3000]), new Int16Array([3000, 2000, 3000])]);
    expect(decodeWav(wav.toBuffer())).toEqual({ samples: new Int16Array([2000, 0, 3000]), sampleRate: 16_000 });
  });

  it('converts float, 24-bit, 8-bit and mu-law files to PCM16', () => {
    const float = new WaveFile();
    float.fromScratch(1, 44_100, '32f', new Float32Array([0.5, -0.5, 1, -1]));
    expect(Array.from(decodeWav(float.toBuffer()).samples)).toEqual([16_383, -16_384, 32_767, -32_768]);

    const pcm24 = new WaveFile();
    pcm24.fromScratch(1, 16_000, '24', [8_388_607, -8_388_608, 0]);
    expect(Array.from(decodeWav(pcm24.toBuffer()).samples)).toEqual([32_767, -32_768, 0]);

    const pcm8 = new WaveFile();
    pcm8.fromScratch(1, 8000, '8', new Uint8Array([128, 255, 0]));
    expect(Array.from(decodeWav(pcm8.toBuffer()).samples)).toEqual([0, 32_767, -32_768]);

    const muLaw = new WaveFile();
    muLaw.fromScratch(1, 8000, '16', new Int16Array([1000, -1000, 20_000]));
    muLaw.toMuLaw();
    const decoded = decodeWav(muLaw.toBuffer()).samples;
    expect(Math.abs(decoded[0]! - 1000)).toBeLessThan(50);
    expect(Math.abs(decoded[1]! + 1000)).toBeLessThan(50);
    expect(Math.abs(decoded[2]! - 20_000)).toBeLessThan(1000);
  });

  it('throws invalid_wav for bytes that are not a WAV file', () => {
    expect(() => decodeWav(new Uint8Array([1, 2, 3, 4]))).toThrow(LocalChatError);
    expect(() => decodeWav(Buffer.from('RIFF....WAVEnope'))).toThrow(/Not a readable WAV file/);
  });
});
