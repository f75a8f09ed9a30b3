/** Backup while in use, and import: validation, migration of an older backup, atomic swap keeping `.bak`. */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { SCHEMA_VERSION } from '../../src/store/migrations.js';
import { StoreError } from '../../src/store/store-error.js';
import { Store } from '../../src/store/store.js';
import { tempDir } from './helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeEach(() => (dir = tempDir()));
afterEach(() => dir.remove());

function codeOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (StoreError.isInstance(error)) return error.code;
    throw error;
  }
  return 'no error';
}

describe('backup and import', () => {
  it('round-trips: back up, change things, import the backup, the old file is kept as .bak', async () => {
    const store = Store.open({ dataDir: join(dir.path, 'data') });
    store.createConversation({ id: 'before', title: 'Before the backup' });
    store.appendTurn({ conversationId: 'before', id: 'u1', role: 'user', text: 'I am learning English' });
    store.addWord({ word: 'learn', meaning: 'get to know' });
    store.updateProfile({ level: 'B2' });

    await expect(store.backup(store.path)).rejects.toMatchObject({ code: 'constraint' });
    const result = await store.backup(join(dir.path, 'backups', 'localchat-backup.db'));
    expect(result.bytes).toBeGreaterThan(0);
    const backupBytes = readFileSync(result.path);

    store.createConversation({ id: 'after', title: 'After the backup' });
    store.deleteConversation('before');

    const imported = store.importBackup(result.path);
    expect(imported).toMatchObject({ path: store.path, previousPath: `${store.path}.bak`, fromVersion: SCHEMA_VERSION, schemaVersion: SCHEMA_VERSION });
    // The store now reads the imported data.
    expect(store.listConversations().map((c) => c.id)).toEqual(['before']);
    expect(store.getConversation('before')!.turns[0]!.text).toBe('I am learning English');
    expect(store.listVocabulary().map((w) => w.word)).toEqual(['learn']);
    expect(store.getProfile().level).toBe('B2');
    expect(store.listConversations({ search: 'learning' }).map((c) => c.id)).toEqual(['before']);
    store.appendTurn({ conversationId: 'before', id: 'u2', role: 'user', text: 'writes work after the import' });
    // The backup file was not written; the previous database is in .bak, whole.
    expect(readFileSync(result.path).equals(backupBytes)).toBe(true);
    const previous = Store.open({ path: imported.previousPath! });
    expect(previous.listConversations().map((c) => c.id)).toEqual(['after']);
    previous.close();
    store.close();
  });

  it('backs up while another connection keeps writing', async () => {
    const store = Store.open({ dataDir: dir.path });
    const writer = Store.open({ dataDir: dir.path });
    writer.createConversation({ id: 'busy' });
    let i = 0;
    const timer = setInterval(() => {
      for (let n = 0; n < 20; n++, i++) writer.appendTurn({ conversationId: 'busy', id: `t${i}`, role: 'user', text: `turn ${i}` });
    }, 1);
    for (let n = 0; n < 200; n++) writer.appendTurn({ conversationId: 'busy', id: `t${i++}`, role: 'user', text: 'x'.repeat(2000) });
    const result = await store.backup(join(dir.path, 'backup.db'));
    clearInterval(timer);
    const copy = Store.open({ path: result.path });
    expect(copy.database.pragma('integrity_check', { simple: true })).toBe('ok');
    const turns = copy.getConversation('busy')!.turns;
    expect(turns.map((turn) => turn.seq)).toEqual(turns.map((_, index) => index + 1));
    copy.close();
    writer.close();
    store.close();
  });

  it('imports a backup of the previous schema, migrating a copy', () => {
    const old = join(dir.path, 'old.db');
    const v1 = openDatabase(old, { schemaVersion: 1 });
    v1.db.exec(`INSERT INTO vocabulary (word, meaning, created_at) VALUES ('queue', 'a line of people', 42)`);
    v1.db.close();
    const before = readFileSync(old);
    const store = Store.open({ dataDir: join(dir.path, 'data') });
    const result = store.importBackup(old);
    expect(result.fromVersion).toBe(1);
    expect(store.listVocabulary()[0]).toMatchObject({ word: 'queue', dueAt: 42, ease: 2.5 });
    expect(readFileSync(old).equals(before)).toBe(true);
    store.close();
  });

  it('refuses what is not a usable backup and changes nothing', () => {
    const store = Store.open({ dataDir: join(dir.path, 'data') });
    store.createConversation({ id: 'mine' });
    const garbage = join(dir.path, 'garbage.db');
    writeFileSync(garbage, 'this is not a database, just text that is long enough to have a header'.repeat(10));
    const empty = join(dir.path, 'empty.db');
    writeFileSync(empty, '');
    const newer = join(dir.path, 'newer.db');
    const newerDb = openDatabase(newer);
    newerDb.db.pragma('user_version = 99');
    newerDb.db.close();

    expect(codeOf(() => store.importBackup(garbage))).toBe('corrupt');
    expect(codeOf(() => store.importBackup(empty))).toBe('foreign');
    expect(codeOf(() => store.importBackup(newer))).toBe('version');
    expect(codeOf(() => store.importBackup(join(dir.path, 'missing.db')))).toBe('io');
    expect(store.listConversations().map((c) => c.id)).toEqual(['mine']);
    expect(existsSync(`${store.path}.bak`)).toBe(false);
    // No temporary copies left behind.
    expect(readdirSync(join(dir.path, 'data')).sort()).toEqual(['localchat.db', 'localchat.db-shm', 'localchat.db-wal']);
    store.close();
  });

  it('refuses to import while another connection has the database open', async () => {
    const store = Store.open({ dataDir: dir.path });
    store.createConversation({ id: 'mine' });
    const backup = await store.backup(join(dir.path, 'backup.db'));
    const other = Store.open({ dataDir: dir.path });
    expect(codeOf(() => store.importBackup(backup.path))).toBe('locked');
    // Still usable, still the same data.
    store.createConversation({ id: 'still-here' });
    expect(other.listConversations().map((c) => c.id).sort()).toEqual(['mine', 'still-here']);
    other.close();
    store.close();
  });
});
