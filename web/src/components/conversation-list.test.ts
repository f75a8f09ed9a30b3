import { describe, expect, it } from 'vitest';
import { titleTags } from './conversation-list.js';

const at = (day: number, hour: number, minute: number) => Date.UTC(2026, 11, day, hour, minute);

describe('titleTags', () => {
  it('tags conversations whose titles begin alike with when they started, and leaves the others alone', () => {
    const tags = titleTags([
      { id: 'a', title: null, preview: 'Hello there! I would like to practise talking about my weekend plans with my family.', createdAt: at(5, 9, 30) },
      { id: 'b', title: null, preview: 'Hello there! I would like to practise talking about my weekend plans with my friends.', createdAt: at(6, 14, 5) },
      { id: 'c', title: 'My job', preview: 'I work in an office', createdAt: at(6, 15, 0) },
    ], at(6, 16, 0));
    expect(tags.has('c')).toBe(false);
    expect(tags.get('a')).toBeDefined();
    expect(tags.get('b')).toBeDefined();
    expect(tags.get('a')).not.toBe(tags.get('b'));
    // Today: the time; before: the day.
    expect(tags.get('b')).toMatch(/^\d\d:\d\d$/);
    expect(tags.get('a')).toMatch(/^5 Dec$/);
  });

  it('numbers conversations that also started in the same minute', () => {
    const tags = titleTags([
      { id: 'x', title: 'Same words', preview: null, createdAt: at(6, 14, 5) + 2000 },
      { id: 'y', title: 'Same words', preview: null, createdAt: at(6, 14, 5) + 1000 },
    ]);
    expect(tags.get('y')).toMatch(/#1$/);
    expect(tags.get('x')).toMatch(/#2$/);
  });
});
