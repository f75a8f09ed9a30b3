import { describe, expect, it } from 'vitest';
import { PcmQueue, pcm16ToFloat32 } from './pcm-queue.js';

const ramp = (start: number, count: number): Float32Array => Float32Array.from({ length: count }, (_, index) => start + index);

describe('PcmQueue', () => {
  it('waits for the prebuffer, then plays gaplessly across chunks', () => {
    const queue = new PcmQueue(1, 6);
    const out = new Float32Array(4);
    queue.push(ramp(0, 4));
    expect(queue.render(out)).toEqual({ played: 0, drained: false });
    expect([...out]).toEqual([0, 0, 0, 0]);
    expect(queue.state).toBe('buffering');
    queue.push(ramp(4, 4));
    expect(queue.render(out).played).toBe(4);
    expect([...out]).toEqual([0, 1, 2, 3]);
    expect(queue.state).toBe('playing');
    expect(queue.render(out).played).toBe(4);
    expect([...out]).toEqual([4, 5, 6, 7]);
  });

  it('plays a stream shorter than the prebuffer once it has ended, and reports the drain', () => {
    const queue = new PcmQueue(1, 100);
    const out = new Float32Array(4);
    queue.push(ramp(1, 3));
    queue.end();
    expect(queue.render(out)).toEqual({ played: 3, drained: true });
    expect([...out]).toEqual([1, 2, 3, 0]);
    expect(queue.state).toBe('idle');
  });

  it('rebuffers after an underrun instead of playing every late chunk at once', () => {
    const queue = new PcmQueue(1, 4);
    const out = new Float32Array(4);
    queue.push(ramp(0, 6));
    queue.render(out);
    expect(queue.render(out)).toEqual({ played: 2, drained: false });
    expect([...out]).toEqual([4, 5, 0, 0]);
    queue.push(ramp(6, 2));
    expect(queue.render(out).played).toBe(0);
    queue.push(ramp(8, 2));
    expect(queue.render(out).played).toBe(4);
    expect([...out]).toEqual([6, 7, 8, 9]);
  });

  it('drops everything on clear', () => {
    const queue = new PcmQueue(1, 2);
    const out = new Float32Array(4);
    queue.push(ramp(1, 8));
    queue.render(out);
    queue.clear();
    expect(queue.render(out)).toEqual({ played: 0, drained: false });
    expect([...out]).toEqual([0, 0, 0, 0]);
    expect(queue.state).toBe('idle');
  });

  it('resamples 24 kHz to 48 kHz by linear interpolation and counts source samples', () => {
    const queue = new PcmQueue(0.5, 1);
    const out = new Float32Array(8);
    queue.push(Float32Array.from([0, 2, 4, 6]));
    queue.end();
    const result = queue.render(out);
    expect([...out]).toEqual([0, 1, 2, 3, 4, 5, 6, 6]);
    expect(result).toEqual({ played: 4, drained: true });
  });

  it('resamples 24 kHz to 16 kHz', () => {
    const queue = new PcmQueue(1.5, 1);
    const out = new Float32Array(4);
    queue.push(ramp(0, 6));
    queue.end();
    const result = queue.render(out);
    expect([...out]).toEqual([0, 1.5, 3, 4.5]);
    expect(result.played).toBe(6);
  });
});

describe('pcm16ToFloat32', () => {
  it('maps the PCM16 range to -1..1', () => {
    expect([...pcm16ToFloat32(Int16Array.from([-32768, 0, 16384]))]).toEqual([-1, 0, 0.5]);
  });
});
