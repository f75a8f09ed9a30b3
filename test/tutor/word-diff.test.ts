/** Word diff for the correction card's highlighting. */
import { describe, expect, it } from 'vitest';
import { diffWords, type DiffPart } from '../../src/tutor/corrections.js';

/** The corrected sentence rebuilt from the parts, and the original (up to case and punctuation). */
function rebuild(parts: DiffPart[], keep: DiffPart['type']): string {
  return parts.filter((part) => part.type === 'same' || part.type === keep).map((part) => part.text).join(' ');
}

describe('diffWords', () => {
  it('marks a replaced word and an inserted word', () => {
    expect(diffWords('yesterday I go to park', 'Yesterday I went to the park.')).toEqual([
      { type: 'same', text: 'Yesterday I' },
      { type: 'removed', text: 'go' },
      { type: 'added', text: 'went' },
      { type: 'same', text: 'to' },
      { type: 'added', text: 'the' },
      { type: 'same', text: 'park.' },
    ]);
  });

  it('gives one same part for an unchanged sentence, ignoring case and end punctuation', () => {
    expect(diffWords('i like it', 'I like it.')).toEqual([{ type: 'same', text: 'I like it.' }]);
    expect(diffWords('  two   spaces ', 'two spaces')).toEqual([{ type: 'same', text: 'two spaces' }]);
  });

  it('handles removals, word order, and empty sides', () => {
    expect(diffWords('I am agree with you', 'I agree with you')).toEqual([
      { type: 'same', text: 'I' },
      { type: 'removed', text: 'am' },
      { type: 'same', text: 'agree with you' },
    ]);
    const reordered = diffWords('I like very much pizza', 'I like pizza very much');
    expect(rebuild(reordered, 'added')).toBe('I like pizza very much');
    expect(rebuild(reordered, 'removed')).toBe('I like very much pizza');
    expect(diffWords('', '')).toEqual([]);
    expect(diffWords('', 'Hello')).toEqual([{ type: 'added', text: 'Hello' }]);
    expect(diffWords('Hello', '')).toEqual([{ type: 'removed', text: 'Hello' }]);
  });

  it('always rebuilds both sentences', () => {
    const pairs: Array<[string, string]> = [
      ['he go to school by foot every days', 'He goes to school on foot every day.'],
      ['she have two childs and one dog', 'She has two children and one dog.'],
      ['a b c d e f', 'f e d c b a'],
    ];
    for (const [original, corrected] of pairs) {
      const parts = diffWords(original, corrected);
      expect(rebuild(parts, 'added')).toBe(corrected);
      expect(rebuild(parts, 'removed').toLowerCase().replace(/[.,]/g, '')).toBe(original);
      for (let index = 1; index < parts.length; index++) expect(parts[index]!.type).not.toBe(parts[index - 1]!.type);
    }
  });

  it('stays fast on a long utterance', () => {
    const words = Array.from({ length: 400 }, (_, index) => `w${index % 37}`);
    const started = performance.now();
    const parts = diffWords(words.join(' '), words.toReversed().join(' '));
    expect(performance.now() - started).toBeLessThan(200);
    expect(rebuild(parts, 'added')).toBe(words.toReversed().join(' '));
  });
});
