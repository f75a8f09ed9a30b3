/** Vocabulary: save, edit, review on the SM-2 schedule, and the Anki CSV export read back per RFC 4180. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { csvField, toCsv } from '../../src/store/csv.js';
import { NEW_WORD, RELEARN_DELAY_MS, REVIEW_GRADES, schedule } from '../../src/store/sm2.js';
import { StoreError } from '../../src/store/store-error.js';
import { Store } from '../../src/store/store.js';
import { parseCsv, tempDir } from './helpers.js';

const DAY = 24 * 60 * 60 * 1000;
let dir: ReturnType<typeof tempDir>;
let store: Store;
let now: number;
beforeEach(() => {
  dir = tempDir();
  now = 1_700_000_000_000;
  store = Store.open({ dataDir: dir.path, clock: () => now });
});
afterEach(() => {
  store.close();
  dir.remove();
});

describe('SM-2 schedule', () => {
  it('follows I(1) = 1, I(2) = 6, I(n) = ceil(I(n-1) * EF) and the E-Factor formula', () => {
    let state = schedule(NEW_WORD, 5, 0);
    expect(state).toMatchObject({ intervalDays: 1, repetitions: 1, ease: 2.6, dueAt: DAY });
    state = schedule(state, 4, 0);
    expect(state).toMatchObject({ intervalDays: 6, repetitions: 2, ease: 2.6 });
    state = schedule(state, 3, 0);
    // ceil(6 * 2.6) = 16; EF' = 2.6 + (0.1 - 2 * (0.08 + 2 * 0.02)) = 2.46
    expect(state).toMatchObject({ intervalDays: 16, repetitions: 3, ease: 2.46, reviews: 3, lapses: 0 });
  });

  it('starts a forgotten word again without changing its E-Factor, due again the same session', () => {
    const learned = schedule(schedule(schedule(NEW_WORD, 5, 0), 5, 0), 5, 0);
    const forgotten = schedule(learned, REVIEW_GRADES.again, 1000);
    expect(forgotten).toMatchObject({ intervalDays: 1, repetitions: 0, ease: learned.ease, lapses: 1, reviews: 4, dueAt: 1000 + RELEARN_DELAY_MS });
    expect(schedule(forgotten, 4, 0).intervalDays).toBe(1);
  });

  it('keeps the E-Factor at 1.3 or more', () => {
    let state = { ...NEW_WORD };
    for (let i = 0; i < 20; i++) state = schedule(state, 3, 0);
    expect(state.ease).toBe(1.3);
  });

  it('refuses grades outside 0-5', () => {
    expect(() => schedule(NEW_WORD, 6, 0)).toThrow(RangeError);
    expect(() => schedule(NEW_WORD, 2.5, 0)).toThrow(RangeError);
  });
});

describe('vocabulary', () => {
  it('saves a word once (case-insensitive), edits and deletes it', () => {
    store.createConversation({ id: 'c' });
    const saved = store.addWord({ word: ' Queue ', meaning: 'a line of people waiting', example: 'We stood in a queue.', conversationId: 'c', turnId: 'a1' });
    expect(saved).toMatchObject({ word: 'Queue', meaning: 'a line of people waiting', meaningNative: null, conversationId: 'c', turnId: 'a1', createdAt: now, dueAt: now, reviews: 0 });
    now += 1000;
    const again = store.addWord({ word: 'queue', meaningNative: 'cola' });
    expect(again).toMatchObject({ id: saved.id, word: 'Queue', meaning: 'a line of people waiting', meaningNative: 'cola', example: 'We stood in a queue.' });
    store.addWord({ word: 'wait', meaning: 'stay until something happens' });
    expect(store.listVocabulary().map((entry) => entry.word)).toEqual(['wait', 'Queue']);
    expect(store.listVocabulary({ search: 'COLA' }).map((entry) => entry.word)).toEqual(['Queue']);
    expect(store.listVocabulary({ search: '%' })).toEqual([]);
    expect(store.updateWord(saved.id, { example: null, meaning: 'a line' })).toMatchObject({ meaning: 'a line', example: null, meaningNative: 'cola' });
    expect(store.updateWord(999, { meaning: 'x' })).toBeUndefined();
    expect(() => store.addWord({ word: '  ' })).toThrow(StoreError);
    expect(store.deleteWord(saved.id)).toBe(true);
    expect(store.deleteWord(saved.id)).toBe(false);
    expect(store.getWord(saved.id)).toBeUndefined();
  });

  it('schedules reviews: due words, recording grades, and words coming back', () => {
    const a = store.addWord({ word: 'apple', meaning: 'a fruit' });
    now += 1;
    const b = store.addWord({ word: 'borrow', meaning: 'take and give back later' });
    expect(store.dueForReview().map((entry) => entry.word)).toEqual(['apple', 'borrow']);

    const reviewed = store.recordReview(a.id, REVIEW_GRADES.good)!;
    expect(reviewed).toMatchObject({ intervalDays: 1, repetitions: 1, reviews: 1, reviewedAt: now, dueAt: now + DAY });
    const failed = store.recordReview(b.id, REVIEW_GRADES.again)!;
    expect(failed).toMatchObject({ lapses: 1, dueAt: now + RELEARN_DELAY_MS });
    expect(store.dueForReview()).toEqual([]);
    expect(store.dueForReview(now + RELEARN_DELAY_MS).map((entry) => entry.word)).toEqual(['borrow']);
    expect(store.dueForReview(now + DAY).map((entry) => entry.word)).toEqual(['borrow', 'apple']);
    expect(store.dueForReview(now + DAY, 1)).toHaveLength(1);

    now += DAY;
    expect(store.recordReview(a.id, REVIEW_GRADES.easy)).toMatchObject({ intervalDays: 6, repetitions: 2, dueAt: now + 6 * DAY });
    expect(store.recordReview(999, 4)).toBeUndefined();
    try {
      store.recordReview(a.id, 7);
      expect.unreachable();
    } catch (error) {
      expect(StoreError.isInstance(error) && error.code).toBe('constraint');
    }
  });

  it('exports Anki-importable CSV that parses back per RFC 4180, 2+ fields on every line', () => {
    store.addWord({ word: 'however', meaning: 'but, in spite of that', example: 'It rained; however, we went out.' });
    store.addWord({ word: '"quote"', meaning: 'words said by someone "else"', meaningNative: 'cita' });
    store.addWord({ word: 'line break', meaning: 'first line\nsecond line', example: 'a\r\nb' });
    store.addWord({ word: 'plain', meaning: 'simple' });
    store.addWord({ word: 'semi;colon', meaning: ' padded ' });
    const csv = store.exportVocabularyCsv();
    expect(csv.endsWith('\r\n')).toBe(true);
    const records = parseCsv(csv);
    expect(records).toEqual([
      ['however', 'but, in spite of that', 'It rained; however, we went out.', ''],
      ['"quote"', 'words said by someone "else"', '', 'cita'],
      ['line break', 'first line\nsecond line', 'a\r\nb', ''],
      ['plain', 'simple', '', ''],
      ['semi;colon', 'padded', '', ''],
    ]);
    for (const record of records) expect(record.length).toBeGreaterThanOrEqual(2);

    const semicolons = parseCsv(store.exportVocabularyCsv(';'), ';');
    expect(semicolons.map((record) => record[0])).toEqual(['however', '"quote"', 'line break', 'plain', 'semi;colon']);
    expect(semicolons.every((record) => record.length === 4)).toBe(true);
  });
});

describe('csv', () => {
  it('quotes only what RFC 4180 needs (and edge spaces), doubling quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' edge')).toBe('" edge"');
    expect(csvField('a;b')).toBe('a;b');
    expect(csvField('a;b', ';')).toBe('"a;b"');
    expect(csvField(null)).toBe('');
    expect(csvField(3.5)).toBe('3.5');
    expect(toCsv([['a', 'b'], ['c', '']])).toBe('a,b\r\nc,\r\n');
  });
});
