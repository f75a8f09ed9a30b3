import { describe, expect, it } from 'vitest';
import { spokenText } from './spoken-text.js';

const chunks = [
  { text: 'Oh, you went to the park!', samples: 24_000 },
  { text: 'That sounds like a lot of fun.', samples: 36_000 },
  { text: 'What did you do there?', samples: 24_000 },
];

describe('spokenText', () => {
  it('keeps whole chunks that were played', () => {
    expect(spokenText(chunks, 24_000)).toBe('Oh, you went to the park!');
    expect(spokenText(chunks, 60_000)).toBe('Oh, you went to the park! That sounds like a lot of fun.');
    expect(spokenText(chunks, 10_000_000)).toBe('Oh, you went to the park! That sounds like a lot of fun. What did you do there?');
  });
  it('keeps the played share of the words of the chunk that was playing', () => {
    // Half of the second chunk's 7 words: 3.
    expect(spokenText(chunks, 24_000 + 18_000)).toBe('Oh, you went to the park! That sounds like');
  });
  it('keeps nothing when nothing was played', () => {
    expect(spokenText(chunks, 0)).toBe('');
    expect(spokenText([], 5000)).toBe('');
  });
  it('passes chunks without audio once playback went beyond them', () => {
    expect(spokenText([{ text: 'Silent.', samples: 0 }, { text: 'Heard part.', samples: 100 }], 100)).toBe('Silent. Heard part.');
  });
});
