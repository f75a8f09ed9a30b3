/**
 * Backing up the database while it is in use, and preparing a backup file for import. The swap
 * of the live file itself is in Store.importBackup, which owns the connection.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { type OpenDatabaseOptions, openDatabase } from './database.js';
import { StoreError, toStoreError } from './store-error.js';

/** SQLite's files beside a database in WAL mode. */
export const SIDE_FILES = ['-wal', '-shm', '-journal'] as const;

export interface BackupResult {
  path: string;
  bytes: number;
}

/**
 * A consistent copy of the open database at `destination`, made with SQLite's online backup API
 * (better-sqlite3 `db.backup()`, https://www.sqlite.org/backup.html): writes may go on meanwhile.
 * The copy is written beside `destination` (its folder is created if needed) and renamed over it
 * when complete, so `destination` is never a half-written file. The pages are copied in one step
 * after the first (a read transaction: the event loop waits while they are copied, a few ms per MB).
 * @throws StoreError (`full`, `readonly`, `io`, ...) naming `destination`
 */
export async function backupDatabase(db: Database.Database, livePath: string, destination: string): Promise<BackupResult> {
  const target = resolve(destination);
  if (target === resolve(livePath)) throw new StoreError('constraint', `A backup cannot overwrite the database itself (${target}).`, { path: target });
  const partial = `${target}.partial-${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    // All pages in one step: SQLite restarts a backup whose source another connection changed
    // between steps, which under steady writes would never end (https://www.sqlite.org/c3ref/backup_finish.html).
    await db.backup(partial, { progress: ({ totalPages }) => Math.max(totalPages, 100) });
    renameSync(partial, target);
    return { path: target, bytes: statSync(target).size };
  } catch (error) {
    removeDatabaseFiles(partial);
    throw toStoreError(error, target);
  }
}

export interface PreparedImport {
  /** A migrated copy of the backup, in the live file's folder, ready to be renamed over it. */
  path: string;
  /** The backup's schema version before migration. */
  fromVersion: number;
  schemaVersion: number;
}

/**
 * Copies `source` (and its `-wal`, if one lies beside it) next to `livePath`, then opens the copy
 * with openDatabase: the same checks as at start-up (a SQLite file, LocalChat's, not corrupt, not
 * newer) and the migrations. `source` itself is never written.
 * @throws StoreError: `corrupt`, `foreign`, `version` for a file that is no usable backup; `io`
 *   when `source` cannot be read
 */
export function prepareImport(source: string, livePath: string, options: OpenDatabaseOptions): PreparedImport {
  const from = resolve(source);
  if (!existsSync(from)) throw new StoreError('io', `There is no backup file at ${from}.`, { path: from });
  const copy = join(dirname(livePath), `.import-${randomBytes(4).toString('hex')}.db`);
  try {
    copyFileSync(from, copy);
    if (existsSync(`${from}-wal`)) copyFileSync(`${from}-wal`, `${copy}-wal`);
  } catch (error) {
    removeDatabaseFiles(copy);
    throw toStoreError(error, from);
  }
  try {
    const opened = openDatabase(copy, options);
    opened.db.close();
    if (opened.migratedFrom === 0) throw new StoreError('foreign', 'it holds no LocalChat data (an empty database).', { path: copy });
    if (existsSync(`${copy}-wal`)) throw new StoreError('io', `The imported copy ${copy} could not be checkpointed.`, { path: copy });
    return { path: copy, fromVersion: opened.migratedFrom, schemaVersion: opened.schemaVersion };
  } catch (error) {
    removeDatabaseFiles(copy);
    const storeError = toStoreError(error, from);
    // The checks name the temporary copy; the learner chose `source`.
    throw new StoreError(storeError.code, `Cannot import ${from}: ${storeError.message.replaceAll(copy, from)}`, { path: from, sqliteCode: storeError.sqliteCode, cause: error });
  }
}

/**
 * Puts `prepared` in place of `livePath`, which must be closed by every connection. The old file
 * becomes `<livePath>.bak` (a hard link, else a copy), then the rename of `prepared` over
 * `livePath` is atomic (rename(2)): at every moment `livePath` is the old or the new database.
 * @returns the path of the old file's copy, or null when there was no old file
 * @throws StoreError `locked` when a `-wal` file shows another connection still has it open
 */
export function swapDatabaseFile(prepared: string, livePath: string): string | null {
  if (existsSync(`${livePath}-wal`)) {
    throw new StoreError('locked', `Another program (another LocalChat?) has ${livePath} open; stop it, then import again. Nothing was changed.`, { path: livePath });
  }
  let previous: string | null = null;
  if (existsSync(livePath)) {
    previous = `${livePath}.bak`;
    removeDatabaseFiles(previous);
    try {
      linkSync(livePath, previous);
    } catch {
      copyFileSync(livePath, previous);
    }
  }
  rmSync(`${livePath}-shm`, { force: true });
  renameSync(prepared, livePath);
  return previous;
}

/** Removes a database file and its side files, ignoring missing ones. */
export function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', ...SIDE_FILES]) rmSync(`${path}${suffix}`, { force: true });
}
