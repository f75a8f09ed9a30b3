/** Conversations, turns and corrections: the typed API, search, cascades, export, and two writers at once. */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conversationToJson, conversationToMarkdown } from '../../src/store/export.js';
import { StoreError } from '../../src/store/store-error.js';
import { Store } from '../../src/store/store.js';
import { tempDir } from './helpers.js';

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

const goed = { start: 2, end: 6, category: 'tense', original: 'goed', correction: 'went', rule: 'The past of "go" is irregular: "went".', example: 'We went home.' };

describe('conversations', () => {
  it('creates, appends turns in order, reads back with corrections and timings', () => {
    const conversation = store.createConversation({ title: null, mode: 'scenario', scenarioId: 'ordering-food' });
    expect(conversation).toMatchObject({ title: null, mode: 'scenario', scenarioId: 'ordering-food', createdAt: now, updatedAt: now, endedAt: null, turnCount: 0 });
    now += 1000;
    const user = store.appendTurn({ conversationId: conversation.id, id: 'item_u1', role: 'user', text: 'I goed to the market, yesterday.', source: 'spoken', speechMs: 2400 });
    expect(user).toMatchObject({ seq: 1, wordCount: 6, interrupted: false, createdAt: now });
    store.saveCorrection({ conversationId: conversation.id, turnId: 'item_u1', original: 'I goed to the market, yesterday.', corrected: 'I went to the market yesterday.', errors: [goed] });
    now += 1000;
    store.appendTurn({ conversationId: conversation.id, id: 'item_a1', role: 'assistant', text: 'Oh, you went to the market! What did you buy?', source: 'spoken', ttftMs: 120.5, ttfaMs: 310, totalMs: 2900 });

    const detail = store.getConversation(conversation.id)!;
    expect(detail.updatedAt).toBe(now);
    expect(detail.turnCount).toBe(2);
    expect(detail.preview).toBe('I goed to the market, yesterday.');
    expect(detail.turns.map((turn) => [turn.seq, turn.id, turn.role])).toEqual([[1, 'item_u1', 'user'], [2, 'item_a1', 'assistant']]);
    expect(detail.turns[0]!.correction).toMatchObject({ corrected: 'I went to the market yesterday.', errors: [goed] });
    expect(detail.turns[1]).toMatchObject({ correction: null, ttftMs: 120.5, ttfaMs: 310, totalMs: 2900, speechMs: null });
    expect(store.getConversation('nope')).toBeUndefined();
  });

  it('updates a turn after a barge-in, renames, ends, lists newest first', () => {
    const a = store.createConversation({ id: 'a' });
    now += 10;
    const b = store.createConversation({ id: 'b' });
    store.appendTurn({ conversationId: 'a', id: 'r1', role: 'assistant', text: 'Once upon a time there was a very long story' });
    expect(store.updateTurn('a', 'r1', { text: 'Once upon a time', interrupted: true })).toBe(true);
    expect(store.getTurn('a', 'r1')).toMatchObject({ text: 'Once upon a time', interrupted: true, wordCount: 4, ttfaMs: null });
    expect(store.updateTurn('a', 'r1', { ttfaMs: 250 })).toBe(true);
    expect(store.getTurn('a', 'r1')).toMatchObject({ text: 'Once upon a time', ttfaMs: 250 });
    expect(store.updateTurn('a', 'missing', { text: 'x' })).toBe(false);

    now += 10;
    expect(store.renameConversation(b.id, 'Job interview')).toBe(true);
    expect(store.listConversations().map((c) => c.id)).toEqual(['b', 'a']);
    now += 10;
    store.appendTurn({ conversationId: 'a', id: 'u2', role: 'user', text: 'hello' });
    expect(store.listConversations().map((c) => c.id)).toEqual(['a', 'b']);
    expect(store.listConversations({ limit: 1, offset: 1 }).map((c) => c.id)).toEqual(['b']);
    expect(store.endConversation('a', now + 5)).toBe(true);
    expect(store.getConversation('a')!.endedAt).toBe(now + 5);
    expect(store.renameConversation('nope', 'x')).toBe(false);
    expect(a.id).toBe('a');
  });

  it('refuses a turn for an unknown conversation and a turn id used twice in one conversation', () => {
    store.createConversation({ id: 'c1' });
    store.createConversation({ id: 'c2' });
    expect(() => store.appendTurn({ conversationId: 'nope', id: 'x', role: 'user', text: 'hi' })).toThrowError(StoreError);
    store.appendTurn({ conversationId: 'c1', id: 'msg_1', role: 'user', text: 'hi' });
    // Client-chosen item ids only need to be unique within a conversation.
    store.appendTurn({ conversationId: 'c2', id: 'msg_1', role: 'user', text: 'hi' });
    try {
      store.appendTurn({ conversationId: 'c1', id: 'msg_1', role: 'user', text: 'again' });
      expect.unreachable();
    } catch (error) {
      expect(StoreError.isInstance(error) && error.code).toBe('constraint');
    }
    expect(() => store.saveCorrection({ conversationId: 'c1', turnId: 'nope', original: '', corrected: '', errors: [] })).toThrowError(/No turn/);
    expect(() => store.saveCorrection({ conversationId: 'c1', turnId: 'msg_1', original: '', corrected: '', errors: [{ ...goed, end: 1 }] })).toThrowError(/Invalid correction/);
  });

  it('deletes a conversation with its turns, corrections and report; saved words stay, unlinked', () => {
    store.createConversation({ id: 'gone', title: 'Doctor appointment' });
    store.appendTurn({ conversationId: 'gone', id: 'u1', role: 'user', text: 'My stomach hurts' });
    store.saveCorrection({ conversationId: 'gone', turnId: 'u1', original: 'My stomach hurts', corrected: 'My stomach hurts', errors: [] });
    store.saveReport('gone', { wordsPerMinute: 90 });
    const word = store.addWord({ word: 'stomach', meaning: 'the organ where food goes', conversationId: 'gone', turnId: 'u1' });
    expect(store.deleteConversation('gone')).toBe(true);
    expect(store.deleteConversation('gone')).toBe(false);
    const db = store.database;
    for (const table of ['turns', 'corrections', 'session_reports']) {
      expect((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n).toBe(0);
    }
    expect(store.getWord(word.id)).toMatchObject({ word: 'stomach', conversationId: null });
    expect(store.listConversations({ search: 'stomach' })).toEqual([]);
    expect(db.pragma('foreign_key_check')).toEqual([]);
  });

  it('searches titles and turn text by word prefix, with a snippet, and follows edits', () => {
    store.createConversation({ id: 'cafe', title: 'At the café' });
    store.appendTurn({ conversationId: 'cafe', id: 'u1', role: 'user', text: 'Can I have a cappuccino, please?' });
    now += 1;
    store.createConversation({ id: 'job', title: 'Job interview' });
    store.appendTurn({ conversationId: 'job', id: 'u1', role: 'user', text: 'I have five years of experience in a restaurant.' });
    now += 1;
    store.createConversation({ id: 'empty' });

    expect(store.listConversations({ search: 'cappu' }).map((c) => c.id)).toEqual(['cafe']);
    expect(store.listConversations({ search: 'CAFE' }).map((c) => c.id)).toEqual(['cafe']); // case and accents folded
    expect(store.listConversations({ search: 'interview' }).map((c) => c.id)).toEqual(['job']);
    expect(store.listConversations({ search: 'have' }).map((c) => c.id)).toEqual(['job', 'cafe']);
    expect(store.listConversations({ search: 'five restaurant' })[0]!.snippet).toContain('five years of experience');
    expect(store.listConversations({ search: 'five pizza' })).toEqual([]);
    // FTS5 syntax in the search box is plain text.
    expect(store.listConversations({ search: '"have" * -' }).map((c) => c.id).sort()).toEqual(['cafe', 'job']);
    expect(store.listConversations({ search: 'NEAR(have OR' })).toEqual([]);
    expect(store.listConversations({ search: '?!' })).toEqual([]);
    expect(store.listConversations({ search: '   ' })).toHaveLength(3);

    store.renameConversation('empty', 'Hotel check-in');
    expect(store.listConversations({ search: 'hotel' }).map((c) => c.id)).toEqual(['empty']);
    store.updateTurn('cafe', 'u1', { text: 'A latte, please.' });
    expect(store.listConversations({ search: 'cappuccino' })).toEqual([]);
    expect(store.listConversations({ search: 'latte' }).map((c) => c.id)).toEqual(['cafe']);
    store.deleteTurn('job', 'u1');
    expect(store.listConversations({ search: 'restaurant' })).toEqual([]);
    // FTS5's own check of the index against the content tables (throws SQLITE_CORRUPT_VTAB on a mismatch).
    for (const table of ['turns_fts', 'conversations_fts']) {
      expect(() => store.database.prepare(`INSERT INTO ${table} (${table}, rank) VALUES ('integrity-check', 1)`).run()).not.toThrow();
    }
  });

  it('keeps two conversations apart in one store', () => {
    store.createConversation({ id: 'one' });
    store.createConversation({ id: 'two' });
    for (let i = 0; i < 20; i++) {
      store.appendTurn({ conversationId: i % 2 ? 'one' : 'two', id: `t${i}`, role: 'user', text: `turn ${i}` });
    }
    expect(store.getConversation('one')!.turns.map((turn) => turn.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(store.getConversation('two')!.turns.map((turn) => turn.id)).toEqual(['t0', 't2', 't4', 't6', 't8', 't10', 't12', 't14', 't16', 't18']);
  });

  it('takes interleaved writes from two stores on the same file (two sessions)', () => {
    const other = Store.open({ dataDir: dir.path });
    try {
      store.createConversation({ id: 'shared' });
      other.createConversation({ id: 'mine' });
      for (let i = 0; i < 50; i++) {
        const writer = i % 2 ? store : other;
        writer.appendTurn({ conversationId: 'shared', id: `s${i}`, role: i % 3 ? 'assistant' : 'user', text: `shared ${i}` });
        writer.appendTurn({ conversationId: 'mine', id: `m${i}`, role: 'user', text: `mine ${i}` });
      }
      const shared = other.getConversation('shared')!;
      expect(shared.turns.map((turn) => turn.id)).toEqual(Array.from({ length: 50 }, (_, i) => `s${i}`));
      expect(shared.turns.map((turn) => turn.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(store.getConversation('mine')!.turnCount).toBe(50);
      expect(store.listConversations({ search: 'shared 49' }).map((c) => c.id)).toEqual(['shared']);
    } finally {
      other.close();
    }
    expect(store.database.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('exports a conversation as JSON and Markdown with its corrections', () => {
    store.createConversation({ id: 'c', title: 'Small talk *with* a neighbour' });
    store.appendTurn({ conversationId: 'c', id: 'u1', role: 'user', text: 'I goed to the park.', source: 'typed' });
    store.saveCorrection({ conversationId: 'c', turnId: 'u1', original: 'I goed to the park.', corrected: 'I went to the park.', errors: [goed] });
    store.appendTurn({ conversationId: 'c', id: 'a1', role: 'assistant', text: 'Nice! Which park did you', interrupted: true });
    store.appendTurn({ conversationId: 'c', id: 'u2', role: 'user', text: 'The big one.' });
    store.saveCorrection({ conversationId: 'c', turnId: 'u2', original: 'The big one.', corrected: 'The big one.', errors: [] });
    store.saveReport('c', { turns: 3 });
    now = Date.UTC(2025, 0, 2, 3, 4);
    const data = store.exportConversation('c')!;
    expect(JSON.parse(conversationToJson(data))).toMatchObject({
      format: 'localchat.conversation',
      version: 1,
      exportedAt: '2025-01-02T03:04:00.000Z',
      conversation: { id: 'c', turns: [{ id: 'u1', correction: { errors: [goed] } }, { id: 'a1', interrupted: true }, { id: 'u2' }] },
      report: { turns: 3 },
    });
    const markdown = conversationToMarkdown(data);
    expect(markdown).toContain('# Small talk \\*with\\* a neighbour');
    expect(markdown).toContain('**You** (typed): I goed to the park.');
    expect(markdown).toContain('> ✏️ **I went to the park.**');
    expect(markdown).toContain('> - *tense*: "goed" → "went" — The past of "go" is irregular: "went". Example: _We went home._');
    expect(markdown).toContain('**Tutor**: Nice! Which park did you _(interrupted)_');
    expect(markdown).toContain('> ✓ Correct.');
    expect(markdown).toContain('## Session report');
    expect(store.exportConversation('nope')).toBeUndefined();
  });

  it('reads a 1,000-turn conversation back whole', () => {
    store.createConversation({ id: 'long' });
    const insert = store.database.transaction(() => {
      for (let i = 0; i < 1000; i++) store.appendTurn({ conversationId: 'long', id: `t${i}`, role: i % 2 ? 'assistant' : 'user', text: `sentence number ${i}` });
    });
    insert();
    const detail = store.getConversation('long')!;
    expect(detail.turns).toHaveLength(1000);
    expect(detail.turns.at(-1)).toMatchObject({ seq: 1000, id: 't999' });
    expect(join(dir.path, 'localchat.db')).toBe(store.path);
  });
});
