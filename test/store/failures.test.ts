/**
 * The database locked, full or corrupt: a clear StoreError, nothing saved is damaged, and SafeStore
 * keeps the conversation going (writes queue, then save once the cause is gone).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SafeStore, type StoreLogger, type StoreStatus } from '../../src/store/safe-store.js';
import { StoreError, storeErrorCode } from '../../src/store/store-error.js';
import { Store } from '../../src/store/store.js';
import { tempDir } from './helpers.js';

let dir: ReturnType<typeof tempDir>;
let path: string;
beforeEach(() => {
  dir = tempDir();
  path = join(dir.path, 'localchat.db');
});
afterEach(() => dir.remove());

function catchStoreError(action: () => unknown): StoreError {
  try {
    action();
  } catch (error) {
    if (StoreError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a StoreError');
}

function fakeLogger() {
  return { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
}

/** A database with some turns, closed (checkpointed): several pages long. */
function databaseWithData(): void {
  const store = Store.open({ path });
  store.createConversation({ id: 'c' });
  for (let i = 0; i < 200; i++) store.appendTurn({ conversationId: 'c', id: `t${i}`, role: 'user', text: `saved turn ${i} `.repeat(10) });
  store.close();
}

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('StoreError codes', () => {
  it('maps SQLite extended codes and errnos', () => {
    expect(storeErrorCode('SQLITE_BUSY')).toBe('locked');
    expect(storeErrorCode('SQLITE_BUSY_SNAPSHOT')).toBe('locked');
    expect(storeErrorCode('SQLITE_FULL')).toBe('full');
    expect(storeErrorCode('ENOSPC')).toBe('full');
    expect(storeErrorCode('SQLITE_CORRUPT_VTAB')).toBe('corrupt');
    expect(storeErrorCode('SQLITE_NOTADB')).toBe('corrupt');
    expect(storeErrorCode('SQLITE_READONLY_DBMOVED')).toBe('readonly');
    expect(storeErrorCode('EACCES')).toBe('readonly');
    expect(storeErrorCode('SQLITE_IOERR_SHORT_READ')).toBe('io');
    expect(storeErrorCode('SQLITE_CANTOPEN')).toBe('io');
    expect(storeErrorCode('SQLITE_CONSTRAINT_UNIQUE')).toBe('constraint');
    expect(storeErrorCode('SQLITE_ERROR')).toBe('unknown');
  });

  it('throws `closed` after close', () => {
    const store = Store.open({ path });
    store.close();
    expect(catchStoreError(() => store.listConversations()).code).toBe('closed');
  });
});

describe('locked', () => {
  it('fails with `locked` after busy_timeout while another connection holds the write lock, then works again', () => {
    const store = Store.open({ path, busyTimeoutMs: 100 });
    store.createConversation({ id: 'c' });
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    const start = performance.now();
    const error = catchStoreError(() => store.appendTurn({ conversationId: 'c', id: 't1', role: 'user', text: 'hello' }));
    expect(performance.now() - start).toBeGreaterThanOrEqual(90);
    expect(error.code).toBe('locked');
    expect(error.retryable).toBe(true);
    expect(error.sqliteCode).toMatch(/^SQLITE_BUSY/);
    expect(error.message).toContain(path);
    // Reads still work in WAL mode.
    expect(store.getConversation('c')!.turns).toEqual([]);
    other.exec('COMMIT');
    other.close();
    store.appendTurn({ conversationId: 'c', id: 't1', role: 'user', text: 'hello' });
    expect(store.getConversation('c')!.turnCount).toBe(1);
    store.close();
  });

  it('SafeStore: the conversation goes on, the failure is logged once, and the queued writes are saved in order once the lock is released', async () => {
    const logger = fakeLogger();
    const safe = SafeStore.open({ path, busyTimeoutMs: 30, retryMinMs: 20, retryMaxMs: 40, logger: logger as unknown as StoreLogger });
    const statuses: StoreStatus[] = [];
    safe.on('status', (status) => statuses.push(status));
    const conversationId = safe.createConversation();
    expect(safe.appendTurn({ conversationId, id: 'u1', role: 'user', text: 'first' })).toBe(true);

    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    expect(safe.appendTurn({ conversationId, id: 'a1', role: 'assistant', text: 'reply one' })).toBe(false);
    expect(safe.updateTurn(conversationId, 'a1', { text: 'reply', interrupted: true })).toBe(false);
    expect(safe.appendTurn({ conversationId, id: 'u2', role: 'user', text: 'second' })).toBe(false);
    expect(safe.saveCorrection({ conversationId, turnId: 'u2', original: 'second', corrected: 'second', errors: [] })).toBe(false);
    const status = safe.status();
    expect(status).toMatchObject({ ok: false, code: 'locked', pendingWrites: 4 });
    expect(!status.ok && status.message).toMatch(/locked by another program/);
    await new Promise((resolve) => setTimeout(resolve, 150)); // a few retries fail meanwhile
    expect(logger.error).toHaveBeenCalledTimes(1);

    other.exec('COMMIT');
    other.close();
    await until(() => safe.status().ok);
    expect(logger.info).toHaveBeenCalledTimes(1);
    expect(statuses.map((entry) => entry.ok)).toEqual([false, true]);
    const turns = safe.store!.getConversation(conversationId)!.turns;
    expect(turns.map((turn) => [turn.id, turn.text, turn.interrupted])).toEqual([['u1', 'first', false], ['a1', 'reply', true], ['u2', 'second', false]]);
    expect(turns[2]!.correction).not.toBeNull();
    expect(safe.appendTurn({ conversationId, id: 'a2', role: 'assistant', text: 'after' })).toBe(true);
    safe.close();
  });

  it('SafeStore drops (and logs) a write the database refuses for its content, and stays ok', () => {
    const logger = fakeLogger();
    const safe = SafeStore.open({ path, logger: logger as unknown as StoreLogger });
    expect(safe.appendTurn({ conversationId: 'unknown', id: 'x', role: 'user', text: 'hi' })).toBe(false);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(JSON.stringify(logger.warn.mock.calls[0])).not.toContain('"hi"'); // no transcript in logs
    expect(safe.status().ok).toBe(true);
    safe.close();
  });
});

describe('corrupt', () => {
  it('refuses a file of random bytes and leaves it byte for byte as it was', () => {
    const bytes = randomBytes(64 * 1024);
    writeFileSync(path, bytes);
    const error = catchStoreError(() => Store.open({ path }));
    expect(error.code).toBe('corrupt');
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/has not changed it.*backup.*move the file aside/s);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(existsSync(`${path}-wal`) || existsSync(`${path}-shm`)).toBe(false);
  });

  it('refuses a truncated copy of a real database, untouched', () => {
    databaseWithData();
    const size = statSync(path).size;
    truncateSync(path, Math.floor(size / 2));
    const before = readFileSync(path);
    const error = catchStoreError(() => Store.open({ path }));
    expect(error.code).toBe('corrupt');
    expect(error.message).toMatch(/truncated/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a database with damaged pages inside (quick_check), untouched', () => {
    databaseWithData();
    const bytes = readFileSync(path);
    const pageSize = bytes.readUInt16BE(16);
    randomBytes(pageSize).copy(bytes, pageSize * 3); // page 4: inside the turns table
    writeFileSync(path, bytes);
    const error = catchStoreError(() => Store.open({ path }));
    expect(error.code).toBe('corrupt');
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('SafeStore on a corrupt file: says so, keeps writes in memory, never throws, and saves them once the file is moved aside', () => {
    const bytes = randomBytes(8192);
    writeFileSync(path, bytes);
    const logger = fakeLogger();
    const safe = SafeStore.open({ path, logger: logger as unknown as StoreLogger, retryMinMs: 60_000 });
    expect(safe.store).toBeUndefined();
    expect(safe.status()).toMatchObject({ ok: false, code: 'corrupt' });
    const conversationId = safe.createConversation({ title: 'kept in memory' });
    expect(safe.appendTurn({ conversationId, id: 'u1', role: 'user', text: 'still talking' })).toBe(false);
    expect(safe.flush()).toBe(false);
    expect(readFileSync(path).equals(bytes)).toBe(true);

    renameSync(path, `${path}.damaged`);
    expect(safe.flush()).toBe(true);
    expect(safe.status().ok).toBe(true);
    expect(safe.store!.getConversation(conversationId)!.turns.map((turn) => turn.text)).toEqual(['still talking']);
    expect(readFileSync(`${path}.damaged`).equals(bytes)).toBe(true);
    safe.close();
  });
});

describe('full', () => {
  it('fails with `full` when SQLite runs out of pages (max_page_count), keeps what was saved, and works again when there is room', () => {
    const store = Store.open({ path });
    store.createConversation({ id: 'c' });
    store.appendTurn({ conversationId: 'c', id: 'kept', role: 'user', text: 'saved before the disk filled' });
    const pages = store.database.pragma('page_count', { simple: true }) as number;
    store.database.pragma(`max_page_count = ${pages}`);
    const error = catchStoreError(() => {
      for (let i = 0; i < 100; i++) store.appendTurn({ conversationId: 'c', id: `big${i}`, role: 'user', text: 'x'.repeat(20_000) });
    });
    expect(error.code).toBe('full');
    expect(error.message).toMatch(/full/);
    expect(store.getConversation('c')!.turns[0]!.text).toBe('saved before the disk filled');
    expect(store.database.pragma('integrity_check', { simple: true })).toBe('ok');
    store.database.pragma(`max_page_count = ${pages * 100}`);
    store.appendTurn({ conversationId: 'c', id: 'room-again', role: 'user', text: 'x'.repeat(20_000) });
    store.close();
  });

  it('SafeStore queues through a full disk and saves once there is room', () => {
    const safe = SafeStore.open({ path, retryMinMs: 60_000 });
    const conversationId = safe.createConversation();
    const db = safe.store!.database;
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    let saved = 0;
    for (let i = 0; i < 20; i++) if (safe.appendTurn({ conversationId, id: `t${i}`, role: 'user', text: 'y'.repeat(10_000) })) saved++;
    expect(saved).toBeLessThan(20);
    expect(safe.status()).toMatchObject({ ok: false, code: 'full', pendingWrites: 20 - saved });
    db.pragma(`max_page_count = ${pages * 1000}`);
    expect(safe.flush()).toBe(true);
    expect(safe.store!.getConversation(conversationId)!.turns.map((turn) => turn.id)).toEqual(Array.from({ length: 20 }, (_, i) => `t${i}`));
    safe.close();
  });
});
