/** The learner profile, settings and session reports. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ftsQuery } from '../../src/store/fts-query.js';
import { DEFAULT_PROFILE } from '../../src/store/profile.js';
import { StoreError } from '../../src/store/store-error.js';
import { Store } from '../../src/store/store.js';
import { tempDir } from './helpers.js';

let dir: ReturnType<typeof tempDir>;
let store: Store;
beforeEach(() => {
  dir = tempDir();
  store = Store.open({ dataDir: dir.path, clock: () => 5000 });
});
afterEach(() => {
  store.close();
  dir.remove();
});

describe('profile', () => {
  it('starts with the defaults, updates given fields, validates, and survives a reopen', () => {
    expect(store.getProfile()).toEqual({ ...DEFAULT_PROFILE, updatedAt: null });
    expect(store.updateProfile({ name: 'Ana', level: 'B1', nativeLanguage: 'Spanish' })).toEqual({ ...DEFAULT_PROFILE, name: 'Ana', level: 'B1', nativeLanguage: 'Spanish', updatedAt: 5000 });
    store.updateProfile({ correctionStyle: 'explicit', speakingSpeed: 0.8, goals: 'job interviews' });
    for (const bad of [{ level: 'D1' }, { speakingSpeed: 3 }, { correctionStyle: 'loud' }, { unknown: 1 }]) {
      try {
        store.updateProfile(bad as never);
        expect.unreachable();
      } catch (error) {
        expect(StoreError.isInstance(error) && error.code).toBe('constraint');
      }
    }
    store.close();
    store = Store.open({ dataDir: dir.path });
    expect(store.getProfile()).toEqual({ name: 'Ana', level: 'B1', nativeLanguage: 'Spanish', goals: 'job interviews', correctionStyle: 'explicit', speakingSpeed: 0.8, updatedAt: 5000 });
  });

  it('falls back to the default for a value it does not know (written by a later version)', () => {
    store.updateProfile({ level: 'C1' });
    store.database.exec("UPDATE profile SET level = 'C3', correction_style = 'sing'");
    expect(store.getProfile()).toMatchObject({ level: 'auto', correctionStyle: 'recast' });
  });
});

describe('settings', () => {
  it('keeps JSON values by key', () => {
    expect(store.getSetting('voice')).toBeUndefined();
    store.setSetting('voice', 'af_heart');
    store.setSetting('replay', { speed: 0.75, showText: false });
    store.setSetting('voice', 'bf_emma');
    expect(store.getSetting('voice')).toBe('bf_emma');
    expect(store.getSettings()).toEqual({ replay: { speed: 0.75, showText: false }, voice: 'bf_emma' });
    expect(() => store.setSetting('bad', undefined)).toThrow(StoreError);
    expect(store.deleteSetting('voice')).toBe(true);
    expect(store.getSetting('voice')).toBeUndefined();
  });
});

describe('session reports', () => {
  it('saves one report per conversation, replacing the previous one', () => {
    store.createConversation({ id: 'c' });
    expect(store.getReport('c')).toBeUndefined();
    store.saveReport('c', { wordsPerMinute: 80 });
    store.saveReport('c', { wordsPerMinute: 95, practise: 'articles' }, 7000);
    expect(store.getReport('c')).toEqual({ conversationId: 'c', report: { wordsPerMinute: 95, practise: 'articles' }, createdAt: 7000 });
    expect(() => store.saveReport('unknown', {})).toThrow(/No conversation/);
  });
});

describe('search query', () => {
  it('quotes every word as a prefix and ignores operators and punctuation', () => {
    expect(ftsQuery('Where is "the" café?')).toBe('"Where"* "is"* "the"* "café"*');
    expect(ftsQuery('NEAR(a OR b)')).toBe('"NEAR"* "a"* "OR"* "b"*');
    expect(ftsQuery('!?')).toBeUndefined();
  });
});
