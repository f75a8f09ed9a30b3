import { describe, expect, it } from 'vitest';
import { decodePcm16Base64, encodePcm16Base64 } from './pcm.js';

describe('decodePcm16Base64', () => {
  it('reads little-endian signed 16-bit samples', () => {
    // 0x0001, 0xffff (-1), 0x8000 (-32768), 0x7fff
    const base64 = Buffer.from([0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f]).toString('base64');
    expect([...decodePcm16Base64(base64)]).toEqual([1, -1, -32768, 32767]);
  });

  it('round-trips with encodePcm16Base64', () => {
    const samples = Int16Array.from([0, 123, -456, 32767, -32768]);
    expect([...decodePcm16Base64(encodePcm16Base64(samples))]).toEqual([...samples]);
  });
});
