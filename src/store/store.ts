/**
 * `Store`: LocalChat's persistent data behind one typed API (plain objects in and out, times in ms
 * since the epoch). One Store is one SQLite connection; every method is synchronous and commits
 * before it returns (better-sqlite3), so a turn is on disk, durable against a process kill, once
 * `appendTurn` returns. Every failure is a StoreError. For a store whose writes never throw, see
 * SafeStore.
 *
 * @example
 * const store = Store.open({ dataDir: config.dataDir });
 * const { id } = store.createConversation({ mode: 'free' });
 * store.appendTurn({ conversationId: id, id: 'item_1', role: 'user', text: 'Hello!', source: 'typed' });
 * store.getConversation(id)?.turns.length; // 1
 */
import type Database from 'better-sqlite3';
import { type BackupResult, backupDatabase, prepareImport, removeDatabaseFiles, swapDatabaseFile } from './backup.js';
import { type Connection, createConnection } from './connection.js';
import {
  type ConversationDetail,
  ConversationRepository,
  type ConversationSummary,
  type Correction,
  type ListConversationsOptions,
  type NewConversation,
  type NewCorrection,
  type NewTurn,
  type Turn,
  type TurnPatch,
} from './conversations.js';
import type { CsvSeparator } from './csv.js';
import { type OpenDatabaseOptions, databasePath, openDatabase } from './database.js';
import { type ConversationExport, buildConversationExport } from './export.js';
import { type LearnerProfile, type ProfilePatch, ProfileRepository } from './profile.js';
import { type Progress, type ProgressOptions, computeProgress } from './progress.js';
import { ReportRepository, type SessionReportRecord } from './reports.js';
import { SettingsRepository } from './settings.js';
import { StoreError, toStoreError } from './store-error.js';
import { vocabularyCsv } from './vocabulary-csv.js';
import { type ListVocabularyOptions, type NewWord, type VocabularyEntry, VocabularyRepository, type WordPatch } from './vocabulary.js';

export interface StoreOptions extends OpenDatabaseOptions {
  /** The data directory: the database is `<dataDir>/localchat.db` (config `dataDir`). */
  dataDir?: string;
  /** Or the database file itself (tests, benchmarks). One of `dataDir` and `path` is required. */
  path?: string;
  /** Current time in ms since the epoch (tests). Default Date.now. */
  clock?: () => number;
}

export interface ImportResult {
  /** The live database, now holding the imported data. */
  path: string;
  /** The previous database, kept as `<path>.bak`; null when there was none. */
  previousPath: string | null;
  /** The backup's schema version, before it was migrated. */
  fromVersion: number;
  schemaVersion: number;
}

interface Open {
  db: Database.Database;
  connection: Connection;
  conversations: ConversationRepository;
  vocabulary: VocabularyRepository;
  profile: ProfileRepository;
  settings: SettingsRepository;
  reports: ReportRepository;
  schemaVersion: number;
  migratedFrom: number;
}

export class Store {
  /** The database file. */
  readonly path: string;
  private state: Open | undefined;

  private constructor(path: string, private readonly options: StoreOptions) {
    this.path = path;
    this.state = this.connect();
  }

  /**
   * Opens (or creates) the database and migrates it; see openDatabase for the checks.
   * @throws StoreError `corrupt` | `version` | `foreign` | `locked` | `readonly` | `io`: the file is left as it was
   */
  static open(options: StoreOptions): Store {
    const path = options.path ?? (options.dataDir !== undefined ? databasePath(options.dataDir) : undefined);
    if (!path) throw new StoreError('io', 'Store.open needs a dataDir or a path.');
    return new Store(path, options);
  }

  /** The better-sqlite3 handle (tests and maintenance); it changes after importBackup. */
  get database(): Database.Database {
    return this.open().db;
  }

  /** The schema version the file was at when opened (0: created now). */
  get migratedFrom(): number {
    return this.open().migratedFrom;
  }

  get schemaVersion(): number {
    return this.open().schemaVersion;
  }

  // ---- Conversations and turns ------------------------------------------------------------

  /** Starts a conversation. @throws StoreError `constraint` when `id` exists */
  createConversation(input: NewConversation = {}): ConversationSummary {
    return this.run((open) => open.conversations.create(input));
  }

  /**
   * Conversations, most recently updated first. With `search`, only those whose title or turns
   * hold every word of it (FTS5, word prefixes), each with a `snippet` of the best hit.
   */
  listConversations(options: ListConversationsOptions = {}): ConversationSummary[] {
    return this.run((open) => open.conversations.list(options));
  }

  /** One conversation with its turns in order, each with its correction (or null); undefined when unknown. */
  getConversation(id: string): ConversationDetail | undefined {
    return this.run((open) => open.conversations.get(id));
  }

  /** @returns false when the conversation is unknown */
  renameConversation(id: string, title: string | null): boolean {
    return this.run((open) => open.conversations.rename(id, title));
  }

  /** Marks the conversation ended at `endedAt` (ms since the epoch, default now). @returns false when unknown */
  endConversation(id: string, endedAt?: number): boolean {
    return this.run((open) => open.conversations.end(id, endedAt));
  }

  /** Deletes the conversation with its turns, corrections and report; saved words stay, unlinked. @returns false when unknown */
  deleteConversation(id: string): boolean {
    return this.run((open) => open.conversations.delete(id));
  }

  /**
   * Saves a completed turn (or a learner message as soon as it is received), committed before this
   * returns. `seq` is the next in the conversation. Word count is computed here.
   * @throws StoreError `constraint` when the conversation is unknown or the turn id is taken in it
   */
  appendTurn(input: NewTurn): Turn {
    return this.run((open) => open.conversations.appendTurn(input));
  }

  /** Changes a saved turn: e.g. after a barge-in, `{ text: heard, interrupted: true }`. @returns false when unknown */
  updateTurn(conversationId: string, turnId: string, patch: TurnPatch): boolean {
    return this.run((open) => open.conversations.updateTurn(conversationId, turnId, patch));
  }

  /** Removes a turn (e.g. a spoken turn whose transcription failed). @returns false when unknown */
  deleteTurn(conversationId: string, turnId: string): boolean {
    return this.run((open) => open.conversations.deleteTurn(conversationId, turnId));
  }

  getTurn(conversationId: string, turnId: string): Turn | undefined {
    return this.run((open) => open.conversations.getTurn(conversationId, turnId));
  }

  /**
   * Saves (or replaces) the correction of a learner turn. `errors` are validated
   * (correctionErrorSchema).
   * @throws StoreError `constraint` when the turn is unknown or an error is malformed
   */
  saveCorrection(input: NewCorrection): Correction {
    return this.run((open) => open.conversations.saveCorrection(input));
  }

  // ---- Vocabulary ----------------------------------------------------------------------------

  /**
   * Saves a word, due for review at once. A word already saved (compared case-insensitively) is
   * updated instead: a non-empty meaning, a native meaning and an example replace the old ones.
   * @throws StoreError `constraint` for an empty word or an unknown conversation
   */
  addWord(input: NewWord): VocabularyEntry {
    return this.run((open) => open.vocabulary.add(input));
  }

  getWord(id: number): VocabularyEntry | undefined {
    return this.run((open) => open.vocabulary.get(id));
  }

  /** Saved words, newest first. */
  listVocabulary(options: ListVocabularyOptions = {}): VocabularyEntry[] {
    return this.run((open) => open.vocabulary.list(options));
  }

  /** @returns the updated word, or undefined when unknown */
  updateWord(id: number, patch: WordPatch): VocabularyEntry | undefined {
    return this.run((open) => open.vocabulary.update(id, patch));
  }

  /** @returns false when unknown */
  deleteWord(id: number): boolean {
    return this.run((open) => open.vocabulary.delete(id));
  }

  /** Words due for review at `now` (ms since the epoch, default now), most overdue first. */
  dueForReview(now?: number, limit = 20): VocabularyEntry[] {
    return this.run((open) => open.vocabulary.due(now ?? open.connection.now(), limit));
  }

  /**
   * Records a review graded 0-5 (SM-2; REVIEW_GRADES maps again/hard/good/easy) and schedules the
   * next one: see `schedule` in sm2.ts (Wozniak 1990).
   * @returns the rescheduled word, or undefined when unknown
   * @throws StoreError `constraint` when `grade` is not an integer 0-5
   */
  recordReview(id: number, grade: number, now?: number): VocabularyEntry | undefined {
    return this.run((open) => open.vocabulary.recordReview(id, grade, now ?? open.connection.now()));
  }

  /** Every saved word as Anki-importable CSV (RFC 4180, CRLF): word, meaning, example, native meaning. */
  exportVocabularyCsv(separator: CsvSeparator = ','): string {
    return this.run((open) => vocabularyCsv(open.vocabulary.all(), separator));
  }

  // ---- Profile and settings --------------------------------------------------------------------

  /** The learner profile; DEFAULT_PROFILE (with `updatedAt: null`) until first updated. */
  getProfile(): LearnerProfile & { updatedAt: number | null } {
    return this.run((open) => open.profile.get());
  }

  /** Changes the given fields (profilePatchSchema). @throws StoreError `constraint` for an invalid value */
  updateProfile(patch: ProfilePatch): LearnerProfile & { updatedAt: number } {
    return this.run((open) => open.profile.update(patch));
  }

  /** A setting's JSON value, or undefined when unset. */
  getSetting<T = unknown>(key: string): T | undefined {
    return this.run((open) => open.settings.get<T>(key));
  }

  /** Every setting, key -> value. */
  getSettings(): Record<string, unknown> {
    return this.run((open) => open.settings.all());
  }

  /** @throws StoreError `constraint` when `value` is not JSON-serializable */
  setSetting(key: string, value: unknown): void {
    this.run((open) => open.settings.set(key, value));
  }

  deleteSetting(key: string): boolean {
    return this.run((open) => open.settings.delete(key));
  }

  // ---- Reports, progress, export -----------------------------------------------------------

  /** Saves (replaces) the conversation's session report, any JSON value. @throws StoreError `constraint` when the conversation is unknown */
  saveReport<T>(conversationId: string, report: T, createdAt?: number): SessionReportRecord<T> {
    return this.run((open) => open.reports.save(conversationId, report, createdAt));
  }

  getReport<T = unknown>(conversationId: string): SessionReportRecord<T> | undefined {
    return this.run((open) => open.reports.get<T>(conversationId));
  }

  /** Per-session aggregates for the progress charts (progress.ts). */
  progress(options: ProgressOptions = {}): Progress {
    return this.run((open) => computeProgress(open.connection, options));
  }

  /**
   * The conversation with turns, corrections and report, ready for conversationToJson or
   * conversationToMarkdown (export.ts); undefined when unknown.
   */
  exportConversation(id: string): ConversationExport | undefined {
    return this.run((open) => {
      const conversation = open.conversations.get(id);
      return conversation && buildConversationExport(conversation, open.reports.get(id)?.report ?? null, open.connection.now());
    });
  }

  // ---- Backup and import ---------------------------------------------------------------------

  /**
   * Writes a consistent copy of the whole database to `destination` while it stays in use (SQLite
   * online backup). @throws StoreError `full` | `readonly` | `io` naming `destination`
   */
  async backup(destination: string): Promise<BackupResult> {
    const open = this.open();
    return backupDatabase(open.db, this.path, destination);
  }

  /**
   * Replaces the database with the backup at `source`: it must be a LocalChat database of a known
   * version (an older one is migrated, on a copy: `source` is not written). The current file is
   * kept as `<path>.bak`; the swap is an atomic rename. This store reconnects to the new file.
   * No other connection (another Store, another process) may have the database open.
   * @throws StoreError `corrupt` | `foreign` | `version` (a bad backup: nothing changed), `locked`
   *   (another connection: nothing changed), `io`
   */
  importBackup(source: string): ImportResult {
    const open = this.open();
    const prepared = prepareImport(source, this.path, this.options);
    open.db.close();
    this.state = undefined;
    let previousPath: string | null;
    try {
      previousPath = swapDatabaseFile(prepared.path, this.path);
    } catch (error) {
      removeDatabaseFiles(prepared.path);
      this.state = this.connect();
      throw toStoreError(error, this.path);
    }
    this.state = this.connect();
    return { path: this.path, previousPath, fromVersion: prepared.fromVersion, schemaVersion: this.state.schemaVersion };
  }

  /** Closes the connection (SQLite checkpoints the WAL into the file). Later calls throw StoreError `closed`. */
  close(): void {
    this.state?.db.close();
    this.state = undefined;
  }

  get closed(): boolean {
    return this.state === undefined;
  }

  private connect(): Open {
    const opened = openDatabase(this.path, this.options);
    const connection = createConnection(opened.db, this.path, this.options.clock ?? Date.now);
    return {
      db: opened.db,
      connection,
      conversations: new ConversationRepository(connection),
      vocabulary: new VocabularyRepository(connection),
      profile: new ProfileRepository(connection),
      settings: new SettingsRepository(connection),
      reports: new ReportRepository(connection),
      schemaVersion: opened.schemaVersion,
      migratedFrom: opened.migratedFrom,
    };
  }

  private open(): Open {
    if (!this.state) throw new StoreError('closed', `The database ${this.path} is closed.`, { path: this.path });
    return this.state;
  }

  private run<T>(operation: (open: Open) => T): T {
    const open = this.open();
    try {
      return operation(open);
    } catch (error) {
      throw toStoreError(error, this.path);
    }
  }
}
