import { describe, expect, it } from 'vitest';
import { FRAME_SAMPLES } from '../audio/capture-dsp.js';
import { FrameRing, UtteranceStream } from './utterance.js';

const frame = (value: number): Int16Array => new Int16Array(FRAME_SAMPLES).fill(value);

describe('FrameRing', () => {
  it('keeps the last `capacity` frames by number', () => {
    const ring = new FrameRing(4);
    for (let index = 0; index < 10; index++) ring.push(index, frame(index));
    expect(ring.get(5)).toBeUndefined();
    expect(ring.get(6)?.[0]).toBe(6);
    expect(ring.get(9)?.[0]).toBe(9);
    expect(ring.get(10)).toBeUndefined();
    expect(ring.range(2, 8).map((pcm) => pcm[0])).toEqual([6, 7, 8]);
    ring.clear();
    expect(ring.range(0, 9)).toEqual([]);
  });
});

describe('UtteranceStream', () => {
  it('sends speech in batches of at most `batchFrames` frames, in order', () => {
    const sent: Int16Array[] = [];
    const stream = new UtteranceStream((samples) => sent.push(samples), { batchFrames: 3, trailingFrames: 2 });
    for (let index = 1; index <= 7; index++) stream.add(frame(index));
    expect(sent.map((samples) => samples.length / FRAME_SAMPLES)).toEqual([3, 3]);
    stream.end();
    expect(sent.map((samples) => samples.length / FRAME_SAMPLES)).toEqual([3, 3, 1]);
    expect(sent.flatMap((samples) => [...samples.filter((_, index) => index % FRAME_SAMPLES === 0)])).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(stream.samples).toBe(7 * FRAME_SAMPLES);
    stream.add(frame(8));
    expect(sent).toHaveLength(3);
  });

  it('holds silence back until speech resumes, and keeps only `trailingFrames` of it at the end', () => {
    const sent: number[] = [];
    const stream = new UtteranceStream((samples) => sent.push(...samples.filter((_, index) => index % FRAME_SAMPLES === 0)), { batchFrames: 3, trailingFrames: 2 });
    stream.add(frame(1));
    stream.add(frame(0), false);
    stream.add(frame(0), false);
    expect(sent).toEqual([]);
    stream.add(frame(2));
    expect(sent).toEqual([1, 0, 0, 2]);
    for (let index = 0; index < 20; index++) stream.add(frame(-1), false);
    expect(stream.durationMs).toBe((4 + 2) * 32);
    stream.end();
    expect(sent).toEqual([1, 0, 0, 2, -1, -1]);
  });

  it('aborts without sending what is left', () => {
    const sent: Int16Array[] = [];
    const stream = new UtteranceStream((samples) => sent.push(samples), { batchFrames: 3, trailingFrames: 2 });
    stream.add(frame(1));
    stream.abort();
    stream.end();
    expect(sent).toEqual([]);
  });
});
