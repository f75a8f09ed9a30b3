import { describe, expect, it } from 'vitest';
import { SAMPLE_RATE, concatChunks, sentenceRanges, splitSentences, timeStretch } from './listening.js';

function tone(frequency: number, seconds: number, amplitude = 12_000): Int16Array {
  const samples = new Int16Array(Math.round(seconds * SAMPLE_RATE));
  for (let index = 0; index < samples.length; index++) samples[index] = Math.round(amplitude * Math.sin((2 * Math.PI * frequency * index) / SAMPLE_RATE));
  return samples;
}

/** Upward zero crossings per second: the frequency of a pure tone. */
function frequencyOf(samples: Int16Array, from = 0.1, to = 0.9): number {
  const start = Math.floor(samples.length * from);
  const end = Math.floor(samples.length * to);
  let crossings = 0;
  for (let index = start + 1; index < end; index++) if ((samples[index - 1] ?? 0) < 0 && (samples[index] ?? 0) >= 0) crossings++;
  return crossings / ((end - start) / SAMPLE_RATE);
}

describe('timeStretch', () => {
  it('makes a reply 4/3 as long at 0.75x and keeps its pitch', () => {
    const input = tone(220, 2);
    const slow = timeStretch(input, 0.75);
    expect(slow.length).toBe(Math.ceil(input.length / 0.75));
    expect(frequencyOf(slow)).toBeGreaterThan(215);
    expect(frequencyOf(slow)).toBeLessThan(225);
    // No dropouts: the level stays up in the middle.
    let peak = 0;
    for (let index = slow.length / 2; index < slow.length / 2 + 2400; index++) peak = Math.max(peak, Math.abs(slow[index] ?? 0));
    expect(peak).toBeGreaterThan(9000);
  });

  it('returns a copy at normal speed or for very short input', () => {
    const input = tone(220, 0.01);
    expect(timeStretch(input, 0.75)).toEqual(input);
    expect(timeStretch(tone(220, 1), 1).length).toBe(SAMPLE_RATE);
  });
});

describe('splitSentences', () => {
  it('splits at sentence ends and keeps the offsets', () => {
    const text = 'Oh, you went to the park! That sounds fun. What did you do there?';
    const sentences = splitSentences(text);
    expect(sentences.map((sentence) => sentence.text)).toEqual(['Oh, you went to the park!', 'That sounds fun.', 'What did you do there?']);
    for (const sentence of sentences) expect(text.slice(sentence.start, sentence.end)).toBe(sentence.text);
  });

  it('keeps a text without a full stop, and ignores stray punctuation', () => {
    expect(splitSentences('Hello there').map((sentence) => sentence.text)).toEqual(['Hello there']);
    expect(splitSentences('Really?! ...').map((sentence) => sentence.text)).toEqual(['Really?! ...']);
    expect(splitSentences('')).toEqual([]);
  });
});

describe('sentenceRanges', () => {
  it('shares the audio out by letters', () => {
    const ranges = sentenceRanges(splitSentences('Aaaa. Bbbbbbbbbbbb.'), 16_000);
    expect(ranges[0]?.[0]).toBe(0);
    expect(ranges[1]?.[1]).toBe(16_000);
    // About a quarter for the first sentence (4 of 16 letters), give or take the padding.
    expect(ranges[0]?.[1]).toBeGreaterThan(3900);
    expect(ranges[0]?.[1]).toBeLessThan(5100);
  });

  it('moves each cut into the pause between sentences', () => {
    // 1 s of speech, 0.3 s of silence, 1 s of speech; the letters say the cut is at 0.4 s... of 2.3 s.
    const speech = tone(200, 1);
    const audio = concatChunks([speech, new Int16Array(Math.round(0.3 * SAMPLE_RATE)), speech]);
    const ranges = sentenceRanges(splitSentences('Hello there my friend. How are you?'), audio.length, audio);
    const cut = (ranges[1]?.[0] ?? 0) + Math.round(0.04 * SAMPLE_RATE);
    expect(cut).toBeGreaterThan(SAMPLE_RATE);
    expect(cut).toBeLessThan(1.3 * SAMPLE_RATE);
  });
});
