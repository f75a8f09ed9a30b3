/**
 * `StoreError`: the database could not do what was asked, with a `code` the server can act on and a
 * message a learner can act on (what happened, where the file is, what to do). Built from SQLite's
 * extended result codes (https://www.sqlite.org/rescode.html) and Node's file-system errors.
 */
import { LocalChatError } from '../core/errors.js';

/**
 * - `locked`: another connection holds the write lock longer than `busy_timeout` (SQLITE_BUSY, SQLITE_LOCKED)
 * - `full`: the disk, or the database's `max_page_count`, is full (SQLITE_FULL, ENOSPC)
 * - `corrupt`: the file is damaged or is not a database (SQLITE_CORRUPT, SQLITE_NOTADB, a bad header)
 * - `readonly`: the file or its folder cannot be written (SQLITE_READONLY, SQLITE_PERM, EACCES, EROFS)
 * - `io`: the operating system failed a read or write, or the file cannot be opened (SQLITE_IOERR, SQLITE_CANTOPEN)
 * - `version`: the schema is newer than this code knows (`PRAGMA user_version`)
 * - `foreign`: a SQLite database, but not LocalChat's (`PRAGMA application_id`, or unknown tables)
 * - `constraint`: the data broke a rule: unknown conversation, a turn id used twice (SQLITE_CONSTRAINT)
 * - `closed`: the store was closed
 * - `unknown`: anything else
 */
export type StoreErrorCode = 'locked' | 'full' | 'corrupt' | 'readonly' | 'io' | 'version' | 'foreign' | 'constraint' | 'closed' | 'unknown';

/** The storage conditions that may go away by themselves or by the learner's action (retry later). */
const RETRYABLE: ReadonlySet<StoreErrorCode> = new Set(['locked', 'full', 'corrupt', 'readonly', 'io', 'version', 'foreign', 'closed']);

/** A database operation failed. `path` is the database file; `sqliteCode` SQLite's own code, when there is one. */
export class StoreError extends LocalChatError {
  declare readonly code: StoreErrorCode;
  readonly path: string | undefined;
  readonly sqliteCode: string | undefined;
  /** True for conditions outside the data itself (lock, disk, file): the same write may work later. */
  readonly retryable: boolean;

  constructor(code: StoreErrorCode, message: string, options?: { path?: string; sqliteCode?: string; cause?: unknown }) {
    super(code, message, { cause: options?.cause });
    this.name = 'StoreError';
    this.path = options?.path;
    this.sqliteCode = options?.sqliteCode;
    this.retryable = RETRYABLE.has(code);
  }

  static isInstance(error: unknown): error is StoreError {
    return error instanceof Error && error.name === 'StoreError';
  }
}

/** Our code for a SQLite extended result code (`SQLITE_BUSY_SNAPSHOT` -> `locked`) or a Node errno. */
export function storeErrorCode(code: string | undefined): StoreErrorCode {
  if (!code) return 'unknown';
  const primary = code.startsWith('SQLITE_') ? code.split('_').slice(0, 2).join('_') : code;
  switch (primary) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return 'locked';
    case 'SQLITE_FULL':
    case 'ENOSPC':
    case 'EDQUOT':
      return 'full';
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return 'corrupt';
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return 'readonly';
    case 'SQLITE_IOERR':
    case 'SQLITE_CANTOPEN':
    case 'SQLITE_PROTOCOL':
    case 'SQLITE_NOLFS':
    case 'EIO':
    case 'ENOENT':
    case 'EISDIR':
    case 'ENOTDIR':
      return 'io';
    case 'SQLITE_CONSTRAINT':
    case 'SQLITE_MISMATCH':
      return 'constraint';
    default:
      return 'unknown';
  }
}

/** What the learner reads for each condition; the conversation itself goes on in memory. */
export function storeErrorMessage(code: StoreErrorCode, path: string, detail: string): string {
  switch (code) {
    case 'locked':
      return `The database ${path} is locked by another program (${detail}). Close the other program; LocalChat saves again once the lock is released.`;
    case 'full':
      return `The disk holding ${path} is full (${detail}). Free some space; LocalChat saves again once there is room.`;
    case 'corrupt':
      return `The database ${path} is damaged (${detail}). LocalChat has not changed it. Restore a backup (import it), or move the file aside to start with a new one.`;
    case 'readonly':
      return `The database ${path} cannot be written (${detail}). Check the permissions of the file and its folder.`;
    case 'io':
      return `The database ${path} could not be read or written (${detail}). Check the disk and the data directory.`;
    case 'version':
    case 'foreign':
    case 'constraint':
    case 'closed':
    case 'unknown':
      return `Database ${path}: ${detail}`;
  }
}

/**
 * Wraps anything thrown by better-sqlite3 or `node:fs` in a StoreError (a StoreError passes
 * through unchanged). better-sqlite3's `SqliteError.code` is SQLite's extended code as a string.
 */
export function toStoreError(error: unknown, path: string): StoreError {
  if (StoreError.isInstance(error)) return error;
  const raw = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  const sqliteCode = typeof raw === 'string' ? raw : undefined;
  const detail = error instanceof Error ? error.message : String(error);
  let code = storeErrorCode(sqliteCode);
  if (code === 'unknown' && error instanceof TypeError && /database connection is not open/i.test(detail)) code = 'closed';
  return new StoreError(code, storeErrorMessage(code, path, detail), { path, sqliteCode, cause: error });
}
