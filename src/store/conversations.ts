/**
 * Conversations, their turns and the corrections of learner turns: create, list and search, read
 * one whole, rename, end, delete; append and update turns; save corrections.
 *
 * A turn is identified by its conversation and its realtime item id (`conversationId`, `id`): item
 * ids may be chosen by the client, so they are only unique within a conversation.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Connection } from './connection.js';
import { ftsQuery } from './fts-query.js';
import { StoreError } from './store-error.js';
import { countWords } from './word-count.js';

/** `free` conversation, a role-play `scenario`, or the `topic` of the day. Other strings are kept as they are. */
export type ConversationMode = 'free' | 'scenario' | 'topic' | (string & {});
export type TurnRole = 'user' | 'assistant';
/** User turns: typed or spoken. Assistant turns: `spoken` when voiced, `typed` when text only. */
export type TurnSource = 'typed' | 'spoken';

export interface NewConversation {
  /** Default: a random UUID. */
  id?: string;
  title?: string | null;
  scenarioId?: string | null;
  /** Default `free`. */
  mode?: ConversationMode;
  /** ms since the epoch; default now. */
  createdAt?: number;
}

export interface ConversationSummary {
  id: string;
  title: string | null;
  scenarioId: string | null;
  mode: ConversationMode;
  /** ms since the epoch. */
  createdAt: number;
  /** Last change: creation, a new turn, a rename. ms since the epoch. */
  updatedAt: number;
  /** Set by `endConversation`; null while it may go on. */
  endedAt: number | null;
  turnCount: number;
  /** The first learner message, up to 160 characters (a title for untitled conversations). */
  preview: string | null;
  /** With a search: the best-matching text around the hit (turn text or title), `…` where cut. */
  snippet?: string;
}

export interface NewTurn {
  conversationId: string;
  /** The realtime item id. */
  id: string;
  role: TurnRole;
  text: string;
  source?: TurnSource | null;
  /** The reply was cut short (barge-in, cancel): `text` is what was produced or heard. */
  interrupted?: boolean;
  /** Time to the reply's first token, ms (assistant turns). */
  ttftMs?: number | null;
  /** Time to the reply's first audio, ms (assistant turns). */
  ttfaMs?: number | null;
  /** Whole reply, ms (assistant turns). */
  totalMs?: number | null;
  /** How long the learner spoke, ms (spoken user turns): the basis of words per minute. */
  speechMs?: number | null;
  /** ms since the epoch; default now. */
  createdAt?: number;
}

export interface Turn {
  conversationId: string;
  id: string;
  /** 1, 2, 3, ... in the order turns were appended. */
  seq: number;
  role: TurnRole;
  text: string;
  source: TurnSource | null;
  interrupted: boolean;
  wordCount: number;
  ttftMs: number | null;
  ttfaMs: number | null;
  totalMs: number | null;
  speechMs: number | null;
  createdAt: number;
}

/** Fields `updateTurn` may change; absent fields stay as they are. */
export type TurnPatch = Partial<Pick<Turn, 'text' | 'source' | 'interrupted' | 'ttftMs' | 'ttfaMs' | 'totalMs' | 'speechMs'>>;

/** One error in a learner's sentence. Offsets are UTF-16 code units into the correction's `original`, `end` exclusive. */
export const correctionErrorSchema = z.object({
  start: z.number().int().min(0),
  end: z.number().int().min(0),
  /** grammar, word choice, tense, article, preposition, word order, ... */
  category: z.string().min(1).max(64),
  original: z.string(),
  correction: z.string(),
  /** One line. */
  rule: z.string(),
  example: z.string(),
}).refine((error) => error.end >= error.start, { message: 'end must not be before start' });
export type CorrectionError = z.infer<typeof correctionErrorSchema>;

export interface NewCorrection {
  conversationId: string;
  /** The learner turn's item id. */
  turnId: string;
  original: string;
  corrected: string;
  /** Empty for a correct sentence. */
  errors: CorrectionError[];
  createdAt?: number;
}

export type Correction = Required<NewCorrection>;

export interface TurnWithCorrection extends Turn {
  correction: Correction | null;
}

export interface ConversationDetail extends ConversationSummary {
  turns: TurnWithCorrection[];
}

export interface ListConversationsOptions {
  /** Words to find in titles and turn text (each as a word prefix, all of them). */
  search?: string;
  /** Default 50, at most 500. */
  limit?: number;
  offset?: number;
}

interface ConversationRow {
  id: string;
  title: string | null;
  scenario_id: string | null;
  mode: string;
  created_at: number;
  updated_at: number;
  ended_at: number | null;
  turn_count: number;
  preview: string | null;
  snippet?: string | null;
}

interface TurnRow {
  conversation_id: string;
  id: string;
  seq: number;
  role: TurnRole;
  text: string;
  source: TurnSource | null;
  interrupted: number;
  word_count: number;
  ttft_ms: number | null;
  ttfa_ms: number | null;
  total_ms: number | null;
  speech_ms: number | null;
  created_at: number;
}

interface TurnCorrectionRow extends TurnRow {
  c_original: string | null;
  c_corrected: string | null;
  c_errors: string | null;
  c_created_at: number | null;
}

const SUMMARY_COLUMNS = `c.id, c.title, c.scenario_id, c.mode, c.created_at, c.updated_at, c.ended_at,
  (SELECT count(*) FROM turns t WHERE t.conversation_id = c.id) AS turn_count,
  (SELECT substr(t.text, 1, 160) FROM turns t WHERE t.conversation_id = c.id AND t.role = 'user' AND t.text <> '' ORDER BY t.seq LIMIT 1) AS preview`;

const TURN_COLUMNS = 't.conversation_id, t.id, t.seq, t.role, t.text, t.source, t.interrupted, t.word_count, t.ttft_ms, t.ttfa_ms, t.total_ms, t.speech_ms, t.created_at';

const SQL = {
  insertConversation: `INSERT INTO conversations (id, title, scenario_id, mode, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
  summary: `SELECT ${SUMMARY_COLUMNS} FROM conversations c WHERE c.id = ?`,
  list: `SELECT ${SUMMARY_COLUMNS} FROM conversations c ORDER BY c.updated_at DESC, c.pk DESC LIMIT ? OFFSET ?`,
  // Best hit per conversation, turn text before titles (the title is shown anyway): SQLite returns the bare column `snippet` of the row holding min(rank)
  // (https://www.sqlite.org/lang_select.html#bare_columns_in_an_aggregate_query).
  search: `WITH hits AS (
      SELECT t.conversation_id AS cid, snippet(turns_fts, 0, '', '', '…', 12) AS snippet, bm25(turns_fts) AS rank
        FROM turns_fts JOIN turns t ON t.pk = turns_fts.rowid WHERE turns_fts MATCH @query
      UNION ALL
      SELECT c.id, snippet(conversations_fts, 0, '', '', '…', 12), bm25(conversations_fts) + 1000
        FROM conversations_fts JOIN conversations c ON c.pk = conversations_fts.rowid WHERE conversations_fts MATCH @query
    ), best AS (SELECT cid, snippet, min(rank) AS rank FROM hits GROUP BY cid)
    SELECT ${SUMMARY_COLUMNS}, best.snippet FROM best JOIN conversations c ON c.id = best.cid
    ORDER BY c.updated_at DESC, c.pk DESC LIMIT @limit OFFSET @offset`,
  rename: `UPDATE conversations SET title = ?, updated_at = max(updated_at, ?) WHERE id = ?`,
  end: `UPDATE conversations SET ended_at = ? WHERE id = ?`,
  delete: `DELETE FROM conversations WHERE id = ?`,
  insertTurn: `INSERT INTO turns (conversation_id, id, seq, role, text, source, interrupted, word_count, ttft_ms, ttfa_ms, total_ms, speech_ms, created_at)
    VALUES (@conversationId, @id, (SELECT coalesce(max(seq), 0) + 1 FROM turns WHERE conversation_id = @conversationId),
      @role, @text, @source, @interrupted, @wordCount, @ttftMs, @ttfaMs, @totalMs, @speechMs, @createdAt)
    RETURNING seq`,
  updateTurn: `UPDATE turns SET
      text = CASE WHEN @setText THEN @text ELSE text END,
      word_count = CASE WHEN @setText THEN @wordCount ELSE word_count END,
      source = CASE WHEN @setSource THEN @source ELSE source END,
      interrupted = CASE WHEN @setInterrupted THEN @interrupted ELSE interrupted END,
      ttft_ms = CASE WHEN @setTtftMs THEN @ttftMs ELSE ttft_ms END,
      ttfa_ms = CASE WHEN @setTtfaMs THEN @ttfaMs ELSE ttfa_ms END,
      total_ms = CASE WHEN @setTotalMs THEN @totalMs ELSE total_ms END,
      speech_ms = CASE WHEN @setSpeechMs THEN @speechMs ELSE speech_ms END
    WHERE conversation_id = @conversationId AND id = @id`,
  deleteTurn: `DELETE FROM turns WHERE conversation_id = ? AND id = ?`,
  getTurn: `SELECT ${TURN_COLUMNS} FROM turns t WHERE t.conversation_id = ? AND t.id = ?`,
  turns: `SELECT ${TURN_COLUMNS}, k.original AS c_original, k.corrected AS c_corrected, k.errors AS c_errors, k.created_at AS c_created_at
    FROM turns t LEFT JOIN corrections k ON k.turn_pk = t.pk WHERE t.conversation_id = ? ORDER BY t.seq`,
  saveCorrection: `INSERT INTO corrections (turn_pk, original, corrected, errors, created_at)
    SELECT pk, @original, @corrected, @errors, @createdAt FROM turns WHERE conversation_id = @conversationId AND id = @turnId
    ON CONFLICT (turn_pk) DO UPDATE SET original = excluded.original, corrected = excluded.corrected, errors = excluded.errors, created_at = excluded.created_at`,
} as const;

const TURN_PATCH_KEYS = ['text', 'source', 'interrupted', 'ttftMs', 'ttfaMs', 'totalMs', 'speechMs'] as const;

/** Conversations, turns and corrections on one connection; used through Store, which documents each call. */
export class ConversationRepository {
  constructor(private readonly connection: Connection) {}

  create(input: NewConversation = {}): ConversationSummary {
    const now = input.createdAt ?? this.connection.now();
    const id = input.id ?? randomUUID();
    this.connection.statement(SQL.insertConversation).run(id, input.title ?? null, input.scenarioId ?? null, input.mode ?? 'free', now, now);
    return this.summary(id)!;
  }

  summary(id: string): ConversationSummary | undefined {
    const row = this.connection.statement<ConversationRow>(SQL.summary).get(id);
    return row && toSummary(row);
  }

  list(options: ListConversationsOptions = {}): ConversationSummary[] {
    const limit = Math.min(Math.max(Math.trunc(options.limit ?? 50), 0), 500);
    const offset = Math.max(Math.trunc(options.offset ?? 0), 0);
    if (options.search !== undefined && options.search.trim() !== '') {
      const query = ftsQuery(options.search);
      if (!query) return [];
      return this.connection.statement<ConversationRow>(SQL.search).all({ query, limit, offset }).map(toSummary);
    }
    return this.connection.statement<ConversationRow>(SQL.list).all(limit, offset).map(toSummary);
  }

  get(id: string): ConversationDetail | undefined {
    const read = this.connection.db.transaction(() => {
      const summary = this.summary(id);
      if (!summary) return undefined;
      const rows = this.connection.statement<TurnCorrectionRow>(SQL.turns).all(id);
      return { ...summary, turns: rows.map(toTurnWithCorrection) };
    });
    // One read transaction: the turns match the summary even while another connection writes.
    return read();
  }

  rename(id: string, title: string | null): boolean {
    return this.connection.statement(SQL.rename).run(title, this.connection.now(), id).changes > 0;
  }

  end(id: string, endedAt?: number): boolean {
    return this.connection.statement(SQL.end).run(endedAt ?? this.connection.now(), id).changes > 0;
  }

  delete(id: string): boolean {
    return this.connection.statement(SQL.delete).run(id).changes > 0;
  }

  appendTurn(input: NewTurn): Turn {
    const createdAt = input.createdAt ?? this.connection.now();
    const row = {
      conversationId: input.conversationId,
      id: input.id,
      role: input.role,
      text: input.text,
      source: input.source ?? null,
      interrupted: input.interrupted ? 1 : 0,
      wordCount: countWords(input.text),
      ttftMs: input.ttftMs ?? null,
      ttfaMs: input.ttfaMs ?? null,
      totalMs: input.totalMs ?? null,
      speechMs: input.speechMs ?? null,
      createdAt,
    };
    if (!this.summaryExists(input.conversationId)) {
      throw new StoreError('constraint', `No conversation "${input.conversationId}" to add turn "${input.id}" to.`, { path: this.connection.path });
    }
    // `.all()`, not `.get()`: `.get()` stops after the first row, and the statement's implicit
    // commit then fails unseen (SQLITE_FULL at commit is lost); `.all()` runs it to the end, so a
    // failed commit throws. https://www.sqlite.org/lang_returning.html ("processing ... is done
    // when the statement is first stepped", the commit when it finishes).
    const { seq } = this.connection.statement<{ seq: number }>(SQL.insertTurn).all(row)[0]!;
    return {
      conversationId: row.conversationId,
      id: row.id,
      seq,
      role: row.role,
      text: row.text,
      source: row.source,
      interrupted: row.interrupted === 1,
      wordCount: row.wordCount,
      ttftMs: row.ttftMs,
      ttfaMs: row.ttfaMs,
      totalMs: row.totalMs,
      speechMs: row.speechMs,
      createdAt,
    };
  }

  updateTurn(conversationId: string, turnId: string, patch: TurnPatch): boolean {
    const parameters: Record<string, unknown> = { conversationId, id: turnId, wordCount: countWords(patch.text ?? '') };
    for (const key of TURN_PATCH_KEYS) {
      const value = patch[key];
      parameters[`set${key[0]!.toUpperCase()}${key.slice(1)}`] = value === undefined ? 0 : 1;
      parameters[key] = typeof value === 'boolean' ? (value ? 1 : 0) : (value ?? null);
    }
    return this.connection.statement(SQL.updateTurn).run(parameters).changes > 0;
  }

  deleteTurn(conversationId: string, turnId: string): boolean {
    return this.connection.statement(SQL.deleteTurn).run(conversationId, turnId).changes > 0;
  }

  getTurn(conversationId: string, turnId: string): Turn | undefined {
    const row = this.connection.statement<TurnRow>(SQL.getTurn).get(conversationId, turnId);
    return row && toTurn(row);
  }

  saveCorrection(input: NewCorrection): Correction {
    const errors = z.array(correctionErrorSchema).safeParse(input.errors);
    if (!errors.success) {
      throw new StoreError('constraint', `Invalid correction for turn "${input.turnId}": ${errors.error.issues[0]?.message ?? 'bad errors'}.`, { path: this.connection.path });
    }
    const createdAt = input.createdAt ?? this.connection.now();
    const result = this.connection.statement(SQL.saveCorrection).run({
      conversationId: input.conversationId,
      turnId: input.turnId,
      original: input.original,
      corrected: input.corrected,
      errors: JSON.stringify(errors.data),
      createdAt,
    });
    if (result.changes === 0) {
      throw new StoreError('constraint', `No turn "${input.turnId}" in conversation "${input.conversationId}" to attach a correction to.`, { path: this.connection.path });
    }
    return { conversationId: input.conversationId, turnId: input.turnId, original: input.original, corrected: input.corrected, errors: errors.data, createdAt };
  }

  private summaryExists(id: string): boolean {
    return this.connection.statement('SELECT 1 FROM conversations WHERE id = ?').get(id) !== undefined;
  }
}

function toSummary(row: ConversationRow): ConversationSummary {
  const summary: ConversationSummary = {
    id: row.id,
    title: row.title,
    scenarioId: row.scenario_id,
    mode: row.mode,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    endedAt: row.ended_at,
    turnCount: row.turn_count,
    preview: row.preview,
  };
  if (row.snippet !== undefined) summary.snippet = row.snippet ?? '';
  return summary;
}

function toTurn(row: TurnRow): Turn {
  return {
    conversationId: row.conversation_id,
    id: row.id,
    seq: row.seq,
    role: row.role,
    text: row.text,
    source: row.source,
    interrupted: row.interrupted === 1,
    wordCount: row.word_count,
    ttftMs: row.ttft_ms,
    ttfaMs: row.ttfa_ms,
    totalMs: row.total_ms,
    speechMs: row.speech_ms,
    createdAt: row.created_at,
  };
}

function toTurnWithCorrection(row: TurnCorrectionRow): TurnWithCorrection {
  const correction: Correction | null = row.c_original === null
    ? null
    : {
        conversationId: row.conversation_id,
        turnId: row.id,
        original: row.c_original,
        corrected: row.c_corrected ?? '',
        errors: JSON.parse(row.c_errors ?? '[]') as CorrectionError[],
        createdAt: row.c_created_at ?? row.created_at,
      };
  return { ...toTurn(row), correction };
}
