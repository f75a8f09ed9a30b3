/** Progress aggregates computed from a known set of turns and corrections. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CorrectionError } from '../../src/store/conversations.js';
import { Store } from '../../src/store/store.js';
import { countWords } from '../../src/store/word-count.js';
import { tempDir } from './helpers.js';

let dir: ReturnType<typeof tempDir>;
let store: Store;
beforeEach(() => {
  dir = tempDir();
  store = Store.open({ dataDir: dir.path });
});
afterEach(() => {
  store.close();
  dir.remove();
});

function error(category: string): CorrectionError {
  return { start: 0, end: 1, category, original: 'x', correction: 'y', rule: 'r', example: 'e' };
}

describe('word count', () => {
  it('counts words, keeping contractions and hyphenated words whole', () => {
    expect(countWords("I don't like it -- well-known!")).toBe(5);
    expect(countWords('  ')).toBe(0);
    expect(countWords('Café au lait, s’il vous plaît.')).toBe(6);
    expect(countWords('It costs 3.50 dollars')).toBe(4);
  });
});

describe('progress', () => {
  it('aggregates speaking time, words, words per minute and errors per 100 words by category, oldest session first', () => {
    // Session 1: two spoken turns (10 words in 6 s, 10 words in 4 s), one typed (5 words), one reply.
    store.createConversation({ id: 's1', title: 'First', createdAt: 1000 });
    store.appendTurn({ conversationId: 's1', id: 'u1', role: 'user', text: 'one two three four five six seven eight nine ten', source: 'spoken', speechMs: 6000 });
    store.appendTurn({ conversationId: 's1', id: 'a1', role: 'assistant', text: 'a reply with words that do not count', source: 'spoken', ttfaMs: 300 });
    store.appendTurn({ conversationId: 's1', id: 'u2', role: 'user', text: 'one two three four five six seven eight nine ten', source: 'spoken', speechMs: 4000 });
    store.appendTurn({ conversationId: 's1', id: 'u3', role: 'user', text: 'I typed five words here', source: 'typed' });
    store.saveCorrection({ conversationId: 's1', turnId: 'u1', original: '', corrected: '', errors: [error('tense'), error('article')] });
    store.saveCorrection({ conversationId: 's1', turnId: 'u2', original: '', corrected: '', errors: [error('tense')] });
    store.saveCorrection({ conversationId: 's1', turnId: 'u3', original: '', corrected: '', errors: [] });
    store.endConversation('s1', 9000);

    // Session 2: one spoken turn, 3 words in 1.5 s, one preposition error.
    store.createConversation({ id: 's2', scenarioId: 'hotel-check-in', mode: 'scenario', createdAt: 2000 });
    store.appendTurn({ conversationId: 's2', id: 'u1', role: 'user', text: 'Check in please', source: 'spoken', speechMs: 1500 });
    store.saveCorrection({ conversationId: 's2', turnId: 'u1', original: '', corrected: '', errors: [error('preposition')] });

    // A conversation without learner turns is no session.
    store.createConversation({ id: 'silent', createdAt: 3000 });
    store.appendTurn({ conversationId: 'silent', id: 'a1', role: 'assistant', text: 'Hello?' });

    const progress = store.progress();
    expect(progress.categories).toEqual(['tense', 'article', 'preposition']);
    expect(progress.sessions).toEqual([
      {
        conversationId: 's1', title: 'First', scenarioId: null, mode: 'free', startedAt: 1000, endedAt: 9000,
        turns: 3, words: 25, spokenWords: 20, speakingMs: 10_000,
        wordsPerMinute: 120, // 20 words / (10 s / 60)
        errors: 3, errorsPer100Words: 12, // 3 / 25 * 100
        errorsByCategory: { tense: { count: 2, per100Words: 8 }, article: { count: 1, per100Words: 4 } },
      },
      {
        conversationId: 's2', title: null, scenarioId: 'hotel-check-in', mode: 'scenario', startedAt: 2000, endedAt: null,
        turns: 1, words: 3, spokenWords: 3, speakingMs: 1500,
        wordsPerMinute: 120,
        errors: 1, errorsPer100Words: 33.3,
        errorsByCategory: { preposition: { count: 1, per100Words: 33.3 } },
      },
    ]);
    expect(store.progress({ since: 1500 }).sessions.map((session) => session.conversationId)).toEqual(['s2']);
    expect(store.progress({ until: 1500 }).categories).toEqual(['tense', 'article']);
  });

  it('gives null rates when nothing was spoken', () => {
    store.createConversation({ id: 'typed' });
    store.appendTurn({ conversationId: 'typed', id: 'u1', role: 'user', text: '', source: 'typed' });
    expect(store.progress().sessions[0]).toMatchObject({ words: 0, wordsPerMinute: null, errorsPer100Words: null, errors: 0, errorsByCategory: {} });
  });
});
