/**
 * Opening LocalChat's SQLite database (better-sqlite3): checks that never write, then the
 * connection settings, then the migrations in migrations.ts.
 *
 * Durability: WAL with `synchronous = NORMAL`. A transaction is committed when its frames are
 * written to the `-wal` file with write(2): they are then in the operating system's page cache, so
 * a crash or `kill -9` of the process loses nothing that was committed; only a power cut or an OS
 * crash can lose the last commits before the next checkpoint's fsync, and even then the database
 * stays consistent (https://www.sqlite.org/pragma.html#pragma_synchronous, "WAL mode ... NORMAL":
 * "durable across application crashes"). `FULL` adds an fsync of the WAL to every commit, which
 * covers power cuts too; bench/store.ts measures both (see `DEFAULT_SYNCHRONOUS`).
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { StoreError, storeErrorMessage, toStoreError } from './store-error.js';

/** The database's file name inside the data directory. */
export const DATABASE_FILE = 'localchat.db';

/**
 * `NORMAL`: no committed transaction is lost when the process dies (kill -9 included: the issue's
 * requirement, tested in test/store/durability.test.ts). `FULL` would also survive power cuts, at
 * the cost of an fsync on every commit, and the learner's message is committed on the way to the
 * reply's first audio. Measured with `npx tsx bench/store.ts --turns 5000` (ext4 on a virtual disk,
 * 2 cores, 20,000 turns of history): appendTurn p50 / p99 was 0.07 / 0.33-0.41 ms with NORMAL and
 * 0.37-0.39 / 5.6-6.8 ms with FULL, over the p99 < 5 ms target; on a laptop disk an fsync
 * is often slower still. With NORMAL a power cut may lose the last turns since the last
 * checkpoint, never the database's consistency.
 */
export const DEFAULT_SYNCHRONOUS = 'NORMAL';

/**
 * How long a write waits for another connection's lock before failing with `locked`, in ms.
 * better-sqlite3 is synchronous: the wait blocks the event loop, so it is kept short; SafeStore
 * retries later instead of waiting longer.
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 1000;

export interface OpenDatabaseOptions {
  /** See DEFAULT_BUSY_TIMEOUT_MS. */
  busyTimeoutMs?: number;
  /** `PRAGMA synchronous` in WAL mode; default DEFAULT_SYNCHRONOUS. */
  synchronous?: 'NORMAL' | 'FULL';
  /** `quick`: run `PRAGMA quick_check` on an existing file before writing to it (default); `none`: skip it. */
  integrityCheck?: 'quick' | 'none';
  /** Migrate up to this version only (tests of older schemas). Default: SCHEMA_VERSION. */
  schemaVersion?: number;
}

export interface OpenedDatabase {
  db: Database.Database;
  path: string;
  /** The schema version the file was at before this open (0: new). */
  migratedFrom: number;
  /** The schema version it is at now. */
  schemaVersion: number;
}

/** `<dataDir>/localchat.db`. */
export function databasePath(dataDir: string): string {
  return join(dataDir, DATABASE_FILE);
}

/**
 * Opens (creating when missing) the database at `path` and migrates it to the current schema.
 *
 * Before anything is written, an existing file is checked: from its header, without SQLite, that it
 * is a whole SQLite file of LocalChat's of a known schema version; then, through SQLite, the same
 * and `PRAGMA quick_check`. A file that fails is left as it is. Each migration runs in its own
 * `BEGIN IMMEDIATE` transaction, so two processes opening an old file at once migrate it once.
 * @throws StoreError `corrupt` (bad header, truncated, quick_check failed: the message says where
 *   the file is and what to do), `version` (newer schema than this code), `foreign` (another
 *   program's database), `locked`, `readonly`, `io`
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): OpenedDatabase {
  const target = options.schemaVersion ?? SCHEMA_VERSION;
  const timeout = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  try {
    // Conversations are private: a new data directory is the owner's alone (0700), and so is the
    // database (0600; SQLite gives its -wal and -shm files the database's permissions:
    // https://www.sqlite.org/src/doc/trunk/src/os_unix.c, findCreateFileMode).
    mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
    if (!existsSync(path)) closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
    restrictToOwner(path);
  } catch (error) {
    throw toStoreError(error, path);
  }
  const existed = statSync(path).size > 0;
  if (existed) checkHeader(path);

  let db: Database.Database | undefined;
  try {
    db = new Database(path, { timeout });
    // Nothing before `journal_mode` writes: a file refused here is closed as it was.
    const migratedFrom = assertOpenable(db, path);
    if (existed && migratedFrom > 0 && options.integrityCheck !== 'none') quickCheck(db, path);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? DEFAULT_SYNCHRONOUS}`);
    db.pragma('foreign_keys = OFF');
    runMigrations(db, path, target);
    db.pragma('foreign_keys = ON');
    return { db, path, migratedFrom, schemaVersion: userVersion(db) };
  } catch (error) {
    db?.close();
    throw toStoreError(error, path);
  }
}

/** Mode of a data directory LocalChat creates: owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** Mode of the database file (and, through SQLite, its -wal and -shm files): owner read/write. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Takes group and other permissions off an existing database file (and its -wal, -shm), e.g. one
 * written by an older LocalChat as 0644 or restored from a backup. Windows has no such modes.
 */
function restrictToOwner(path: string): void {
  if (process.platform === 'win32') return;
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (!existsSync(file)) continue;
    try {
      const mode = statSync(file).mode & 0o777;
      if (mode & 0o077) chmodSync(file, mode & 0o700);
    } catch {
      // Not the owner (EPERM): the file stays as it is; opening it decides whether it can be used.
    }
  }
}

/** `PRAGMA user_version` of an open database. */
export function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Runs the migrations after the file's version up to `target`, one transaction each (the
 * `user_version` bump included). `foreign_keys` must be OFF (as SQLite's "other kinds of table
 * schema changes" procedure asks); each step ends with `PRAGMA foreign_key_check`.
 * https://www.sqlite.org/lang_altertable.html#otheralter
 */
function runMigrations(db: Database.Database, path: string, target: number): void {
  for (const migration of MIGRATIONS) {
    if (migration.version > target) break;
    db.exec('BEGIN IMMEDIATE');
    try {
      // Read inside the write lock: another process may have migrated meanwhile.
      const current = userVersion(db);
      if (current < migration.version) {
        db.exec(migration.sql);
        const violations = db.pragma('foreign_key_check') as unknown[];
        if (violations.length > 0) {
          throw new StoreError('constraint', `Database ${path}: migration ${migration.version} (${migration.name}) left ${violations.length} broken references; nothing was changed.`, { path });
        }
        db.pragma(`user_version = ${migration.version}`);
      }
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }
}

/**
 * Refuses a database this code must not write: newer schema, or not LocalChat's.
 * @returns its schema version
 */
function assertOpenable(db: Database.Database, path: string): number {
  const version = userVersion(db);
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const objects = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").get() as { n: number }).n;
  assertKnown(version, applicationId, objects, path);
  return version;
}

/** `objects`: the number of tables, indexes, ... (undefined when unknown: header-only check). */
function assertKnown(version: number, applicationId: number, objects: number | undefined, path: string): void {
  if (version > SCHEMA_VERSION) {
    throw new StoreError('version', `The database ${path} has schema version ${version}, made by a newer LocalChat; this one knows versions up to ${SCHEMA_VERSION}. Update LocalChat, or restore a backup made by this version. The file was not changed.`, { path });
  }
  const ours = applicationId === APPLICATION_ID || (version === 0 && applicationId === 0 && (objects ?? 0) === 0);
  if (!ours) {
    throw new StoreError('foreign', `${path} is a SQLite database, but not LocalChat's (application_id ${applicationId}, schema version ${version}). Move it aside or point --data-dir elsewhere. The file was not changed.`, { path });
  }
}

function quickCheck(db: Database.Database, path: string): void {
  const rows = db.pragma('quick_check(5)', { simple: false }) as { quick_check: string }[];
  const problems = rows.map((row) => row.quick_check).filter((line) => line !== 'ok');
  if (problems.length > 0) {
    throw new StoreError('corrupt', storeErrorMessage('corrupt', path, `quick_check: ${problems.join('; ')}`), { path, sqliteCode: 'SQLITE_CORRUPT' });
  }
}

const MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Checks the 100-byte SQLite header without SQLite: the magic string, a valid page size, and
 * that the file is as long as the header's page count says (when that count is valid and no WAL
 * file holds newer pages). https://www.sqlite.org/fileformat.html#the_database_header
 * @throws StoreError `corrupt` naming the file and what to do
 */
function checkHeader(path: string): void {
  const header = Buffer.alloc(100);
  let bytesRead: number;
  let size: number;
  try {
    const fd = openSync(path, 'r');
    try {
      bytesRead = readSync(fd, header, 0, 100, 0);
      size = statSync(path).size;
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw toStoreError(error, path);
  }
  const corrupt = (detail: string) => new StoreError('corrupt', storeErrorMessage('corrupt', path, detail), { path, sqliteCode: 'SQLITE_NOTADB' });
  if (bytesRead < 100 || !header.subarray(0, 16).equals(MAGIC)) throw corrupt('not a SQLite database: bad header');
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  if (pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) throw corrupt(`invalid page size ${rawPageSize}`);
  const changeCounter = header.readUInt32BE(24);
  const pageCount = header.readUInt32BE(28);
  const validFor = header.readUInt32BE(92);
  const wal = `${path}-wal`;
  const walHasFrames = existsSync(wal) && statSync(wal).size > 32;
  if (walHasFrames) return; // The WAL may hold a newer page 1: SQLite itself checks the rest.
  if (pageCount > 0 && changeCounter === validFor && size < pageCount * pageSize) {
    throw corrupt(`truncated: ${size} bytes, the header says ${pageCount} pages of ${pageSize} bytes`);
  }
  // The same checks as assertOpenable, before SQLite opens the file (and creates its -wal and -shm).
  assertKnown(header.readUInt32BE(60), header.readInt32BE(68), undefined, path);
}
