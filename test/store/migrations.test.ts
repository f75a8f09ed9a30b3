/** Schema migrations: from an empty file, from the previous schema (v1), and refusing what this code must not touch. */
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from '../../src/store/migrations.js';
import { openDatabase } from '../../src/store/database.js';
import { StoreError } from '../../src/store/store-error.js';
import { Store } from '../../src/store/store.js';
import { tempDir } from './helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

function columns(db: Database.Database, table: string): string[] {
  return (db.pragma(`table_info(${table})`) as { name: string }[]).map((column) => column.name);
}

function expectStoreError(action: () => unknown, code: string): StoreError {
  try {
    action();
  } catch (error) {
    expect(StoreError.isInstance(error)).toBe(true);
    expect((error as StoreError).code).toBe(code);
    return error as StoreError;
  }
  throw new Error(`expected StoreError ${code}`);
}

describe('migrations', () => {
  it('has one step per version, in order', () => {
    expect(MIGRATIONS.map((migration) => migration.version)).toEqual(MIGRATIONS.map((_, index) => index + 1));
    expect(SCHEMA_VERSION).toBe(2);
  });

  it('creates the current schema in an empty data directory, with WAL and foreign keys on', () => {
    const store = Store.open({ dataDir: join(dir.path, 'nested', 'data') });
    const db = store.database;
    expect(store.path).toBe(join(dir.path, 'nested', 'data', 'localchat.db'));
    expect(store.migratedFrom).toBe(0);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1000);
    expect(columns(db, 'vocabulary')).toEqual(expect.arrayContaining(['due_at', 'interval_days', 'ease', 'repetitions', 'reviews', 'lapses']));
    store.close();
    // Opening again migrates nothing.
    const again = Store.open({ dataDir: join(dir.path, 'nested', 'data') });
    expect(again.migratedFrom).toBe(SCHEMA_VERSION);
    again.close();
  });

  it('migrates a database of the previous schema (v1) and keeps its data', () => {
    const path = join(dir.path, 'localchat.db');
    const v1 = openDatabase(path, { schemaVersion: 1 });
    expect(v1.schemaVersion).toBe(1);
    expect(columns(v1.db, 'vocabulary')).not.toContain('due_at');
    v1.db.exec(`
      INSERT INTO conversations (id, title, mode, created_at, updated_at) VALUES ('c1', 'At the café', 'scenario', 1000, 1000);
      INSERT INTO turns (conversation_id, id, seq, role, text, source, word_count, speech_ms, created_at)
        VALUES ('c1', 'item_1', 1, 'user', 'I would like a coffee', 'spoken', 5, 2000, 1100);
      INSERT INTO corrections (turn_pk, original, corrected, errors, created_at) VALUES (1, 'I would like a coffee', 'I would like a coffee', '[]', 1200);
      INSERT INTO vocabulary (word, meaning, conversation_id, created_at) VALUES ('latte', 'coffee with milk', 'c1', 5000);
      INSERT INTO profile (id, name, level, updated_at) VALUES (1, 'Ana', 'B1', 900);
      INSERT INTO settings (key, value, updated_at) VALUES ('voice', '"af_heart"', 900);
    `);
    v1.db.close();

    const store = Store.open({ path });
    expect(store.migratedFrom).toBe(1);
    expect(store.schemaVersion).toBe(SCHEMA_VERSION);
    expect(columns(store.database, 'vocabulary')).toEqual(expect.arrayContaining(['due_at', 'interval_days', 'ease', 'repetitions', 'reviews', 'lapses', 'reviewed_at']));
    const conversation = store.getConversation('c1')!;
    expect(conversation.title).toBe('At the café');
    expect(conversation.turns).toHaveLength(1);
    expect(conversation.turns[0]).toMatchObject({ id: 'item_1', text: 'I would like a coffee', speechMs: 2000, correction: { errors: [] } });
    const [word] = store.listVocabulary();
    expect(word).toMatchObject({ word: 'latte', meaning: 'coffee with milk', dueAt: 5000, intervalDays: 0, ease: 2.5, repetitions: 0, reviews: 0, lapses: 0 });
    expect(store.dueForReview(5000).map((entry) => entry.word)).toEqual(['latte']);
    expect(store.getProfile()).toMatchObject({ name: 'Ana', level: 'B1', correctionStyle: 'recast' });
    expect(store.getSetting('voice')).toBe('af_heart');
    // Search works on data indexed by v1's triggers.
    expect(store.listConversations({ search: 'coffee' }).map((c) => c.id)).toEqual(['c1']);
    expect(store.database.pragma('integrity_check', { simple: true })).toBe('ok');
    store.close();
  });

  it('rolls a failed migration back whole', () => {
    const path = join(dir.path, 'localchat.db');
    const v1 = openDatabase(path, { schemaVersion: 1 });
    // A column v2 is about to add already exists: v2's ALTER TABLE fails halfway.
    v1.db.exec('ALTER TABLE vocabulary ADD COLUMN lapses INTEGER');
    v1.db.close();
    expectStoreError(() => Store.open({ path }), 'unknown');
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(columns(db, 'vocabulary')).not.toContain('due_at');
    db.close();
  });

  it('refuses a database from a newer version and leaves it byte for byte as it was', () => {
    const path = join(dir.path, 'localchat.db');
    Store.open({ path }).close();
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    const before = readFileSync(path);
    const error = expectStoreError(() => Store.open({ path }), 'version');
    expect(error.message).toContain('schema version 99');
    expect(error.message).toContain(path);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it("refuses another program's SQLite database", () => {
    const path = join(dir.path, 'localchat.db');
    const raw = new Database(path);
    raw.exec('CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES (\'mine\')');
    raw.close();
    const before = readFileSync(path);
    expectStoreError(() => Store.open({ path }), 'foreign');
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('migrates once when two stores open a new file at the same time', () => {
    const path = join(dir.path, 'localchat.db');
    writeFileSync(path, '');
    const first = Store.open({ path });
    const second = Store.open({ path });
    expect([first.migratedFrom, second.migratedFrom]).toEqual([0, SCHEMA_VERSION]);
    first.close();
    second.close();
  });
});
