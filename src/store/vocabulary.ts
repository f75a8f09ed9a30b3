/**
 * The learner's saved words: save (once per word, case-insensitive), list, edit, delete, and the
 * review schedule (SM-2, sm2.ts): which words are due, and recording a review.
 */
import type { Connection } from './connection.js';
import { type ReviewState, schedule } from './sm2.js';
import { StoreError } from './store-error.js';

export interface NewWord {
  word: string;
  /** In simple English. */
  meaning?: string;
  /** In the learner's native language. */
  meaningNative?: string | null;
  example?: string | null;
  /** Where the word was met. */
  conversationId?: string | null;
  turnId?: string | null;
  /** ms since the epoch; default now. The word is due for its first review at once. */
  createdAt?: number;
}

export interface VocabularyEntry extends ReviewState {
  id: number;
  word: string;
  meaning: string;
  meaningNative: string | null;
  example: string | null;
  conversationId: string | null;
  turnId: string | null;
  createdAt: number;
  /** Next review, ms since the epoch. */
  dueAt: number;
  /** Last review, ms since the epoch; null when never reviewed. */
  reviewedAt: number | null;
}

export type WordPatch = Partial<Pick<VocabularyEntry, 'word' | 'meaning' | 'meaningNative' | 'example'>>;

export interface ListVocabularyOptions {
  /** Text to find in the word or its meanings (case-insensitive substring). */
  search?: string;
  /** Default 500, at most 10,000. */
  limit?: number;
  offset?: number;
}

interface VocabularyRow {
  id: number;
  word: string;
  meaning: string;
  meaning_native: string | null;
  example: string | null;
  conversation_id: string | null;
  turn_id: string | null;
  created_at: number;
  due_at: number;
  interval_days: number;
  ease: number;
  repetitions: number;
  reviews: number;
  lapses: number;
  reviewed_at: number | null;
}

const COLUMNS = 'id, word, meaning, meaning_native, example, conversation_id, turn_id, created_at, due_at, interval_days, ease, repetitions, reviews, lapses, reviewed_at';

const SQL = {
  add: `INSERT INTO vocabulary (word, meaning, meaning_native, example, conversation_id, turn_id, created_at, due_at)
    VALUES (@word, @meaning, @meaningNative, @example, @conversationId, @turnId, @createdAt, @createdAt)
    ON CONFLICT (word) DO UPDATE SET
      meaning = CASE WHEN excluded.meaning <> '' THEN excluded.meaning ELSE meaning END,
      meaning_native = coalesce(excluded.meaning_native, meaning_native),
      example = coalesce(excluded.example, example)
    RETURNING ${COLUMNS}`,
  get: `SELECT ${COLUMNS} FROM vocabulary WHERE id = ?`,
  list: `SELECT ${COLUMNS} FROM vocabulary
    WHERE @pattern IS NULL OR word LIKE @pattern ESCAPE '\\' OR meaning LIKE @pattern ESCAPE '\\' OR meaning_native LIKE @pattern ESCAPE '\\'
    ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset`,
  all: `SELECT ${COLUMNS} FROM vocabulary ORDER BY created_at, id`,
  update: `UPDATE vocabulary SET
      word = CASE WHEN @setWord THEN @word ELSE word END,
      meaning = CASE WHEN @setMeaning THEN @meaning ELSE meaning END,
      meaning_native = CASE WHEN @setMeaningNative THEN @meaningNative ELSE meaning_native END,
      example = CASE WHEN @setExample THEN @example ELSE example END
    WHERE id = @id RETURNING ${COLUMNS}`,
  delete: 'DELETE FROM vocabulary WHERE id = ?',
  due: `SELECT ${COLUMNS} FROM vocabulary WHERE due_at <= ? ORDER BY due_at, id LIMIT ?`,
  review: `UPDATE vocabulary SET due_at = @dueAt, interval_days = @intervalDays, ease = @ease, repetitions = @repetitions,
      reviews = @reviews, lapses = @lapses, reviewed_at = @now
    WHERE id = @id RETURNING ${COLUMNS}`,
} as const;

/** Saved words and their review schedule on one connection; used through Store. */
export class VocabularyRepository {
  constructor(private readonly connection: Connection) {}

  add(input: NewWord): VocabularyEntry {
    const word = input.word.trim();
    if (!word) throw new StoreError('constraint', 'A saved word cannot be empty.', { path: this.connection.path });
    // `.all()`, not `.get()`, on INSERT ... RETURNING: see ConversationRepository.appendTurn (a
    // commit that fails after the first row is only seen when the statement runs to its end).
    const row = this.connection.statement<VocabularyRow>(SQL.add).all({
      word,
      meaning: input.meaning?.trim() ?? '',
      meaningNative: input.meaningNative ?? null,
      example: input.example ?? null,
      conversationId: input.conversationId ?? null,
      turnId: input.turnId ?? null,
      createdAt: input.createdAt ?? this.connection.now(),
    })[0]!;
    return toEntry(row);
  }

  get(id: number): VocabularyEntry | undefined {
    const row = this.connection.statement<VocabularyRow>(SQL.get).get(id);
    return row && toEntry(row);
  }

  list(options: ListVocabularyOptions = {}): VocabularyEntry[] {
    const search = options.search?.trim();
    const pattern = search ? `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 500), 0), 10_000);
    const offset = Math.max(Math.trunc(options.offset ?? 0), 0);
    return this.connection.statement<VocabularyRow>(SQL.list).all({ pattern, limit, offset }).map(toEntry);
  }

  /** Every word, oldest first (for export). */
  all(): VocabularyEntry[] {
    return this.connection.statement<VocabularyRow>(SQL.all).all().map(toEntry);
  }

  update(id: number, patch: WordPatch): VocabularyEntry | undefined {
    if (patch.word !== undefined && !patch.word.trim()) throw new StoreError('constraint', 'A saved word cannot be empty.', { path: this.connection.path });
    const [row] = this.connection.statement<VocabularyRow>(SQL.update).all({
      id,
      setWord: patch.word === undefined ? 0 : 1,
      word: patch.word?.trim() ?? null,
      setMeaning: patch.meaning === undefined ? 0 : 1,
      meaning: patch.meaning ?? null,
      setMeaningNative: patch.meaningNative === undefined ? 0 : 1,
      meaningNative: patch.meaningNative ?? null,
      setExample: patch.example === undefined ? 0 : 1,
      example: patch.example ?? null,
    });
    return row && toEntry(row);
  }

  delete(id: number): boolean {
    return this.connection.statement(SQL.delete).run(id).changes > 0;
  }

  due(now: number, limit: number): VocabularyEntry[] {
    return this.connection.statement<VocabularyRow>(SQL.due).all(now, Math.max(0, Math.trunc(limit))).map(toEntry);
  }

  recordReview(id: number, grade: number, now: number): VocabularyEntry | undefined {
    const review = this.connection.db.transaction(() => {
      const entry = this.get(id);
      if (!entry) return undefined;
      let next;
      try {
        next = schedule(entry, grade, now);
      } catch (error) {
        throw new StoreError('constraint', (error as Error).message, { path: this.connection.path, cause: error });
      }
      return this.connection.statement<VocabularyRow>(SQL.review).get({ id, now, ...next });
    });
    const row = review.immediate();
    return row && toEntry(row);
  }
}

function toEntry(row: VocabularyRow): VocabularyEntry {
  return {
    id: row.id,
    word: row.word,
    meaning: row.meaning,
    meaningNative: row.meaning_native,
    example: row.example,
    conversationId: row.conversation_id,
    turnId: row.turn_id,
    createdAt: row.created_at,
    dueAt: row.due_at,
    intervalDays: row.interval_days,
    ease: row.ease,
    repetitions: row.repetitions,
    reviews: row.reviews,
    lapses: row.lapses,
    reviewedAt: row.reviewed_at,
  };
}
