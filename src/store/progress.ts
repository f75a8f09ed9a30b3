/**
 * Progress over sessions, for the progress page's charts: per conversation, the learner's
 * speaking time, words, words per minute and errors per 100 words by category. Sums are computed
 * in SQL; the ratios in TypeScript.
 */
import type { Connection } from './connection.js';

export interface ProgressOptions {
  /** Only conversations started at or after this time, ms since the epoch. */
  since?: number;
  /** Only conversations started before this time, ms since the epoch. */
  until?: number;
}

export interface CategoryErrors {
  count: number;
  /** count / words * 100; null when the learner said no words. */
  per100Words: number | null;
}

/** One session (conversation with at least one learner turn), oldest first. */
export interface SessionProgress {
  conversationId: string;
  title: string | null;
  scenarioId: string | null;
  mode: string;
  /** ms since the epoch. */
  startedAt: number;
  endedAt: number | null;
  /** Learner turns, typed and spoken. */
  turns: number;
  /** Words in learner turns, typed and spoken (word-count.ts). */
  words: number;
  /** Words in spoken learner turns that have a speaking time. */
  spokenWords: number;
  /** The learner's speaking time: the sum of spoken turns' `speechMs`, ms. */
  speakingMs: number;
  /** spokenWords / (speakingMs in minutes); null when nothing was spoken. */
  wordsPerMinute: number | null;
  /** Errors found in learner turns' corrections. */
  errors: number;
  /** errors / words * 100; null when the learner said no words. */
  errorsPer100Words: number | null;
  /** By category (grammar, tense, ...): only categories with errors in this session. */
  errorsByCategory: Record<string, CategoryErrors>;
}

export interface Progress {
  sessions: SessionProgress[];
  /** Every category found in the sessions, most frequent first (the charts' series). */
  categories: string[];
}

interface SessionRow {
  id: string;
  title: string | null;
  scenario_id: string | null;
  mode: string;
  created_at: number;
  ended_at: number | null;
  turns: number;
  words: number;
  spoken_words: number;
  speaking_ms: number;
}

interface CategoryRow {
  conversation_id: string;
  category: string;
  n: number;
}

const SQL = {
  sessions: `SELECT c.id, c.title, c.scenario_id, c.mode, c.created_at, c.ended_at,
      count(*) AS turns,
      sum(t.word_count) AS words,
      coalesce(sum(CASE WHEN t.source = 'spoken' AND t.speech_ms > 0 THEN t.word_count END), 0) AS spoken_words,
      coalesce(sum(CASE WHEN t.source = 'spoken' AND t.speech_ms > 0 THEN t.speech_ms END), 0) AS speaking_ms
    FROM conversations c JOIN turns t ON t.conversation_id = c.id AND t.role = 'user'
    WHERE c.created_at >= @since AND c.created_at < @until
    GROUP BY c.pk ORDER BY c.created_at, c.pk`,
  categories: `SELECT t.conversation_id, coalesce(json_extract(e.value, '$.category'), 'other') AS category, count(*) AS n
    FROM conversations c
      JOIN turns t ON t.conversation_id = c.id AND t.role = 'user'
      JOIN corrections k ON k.turn_pk = t.pk, json_each(k.errors) e
    WHERE c.created_at >= @since AND c.created_at < @until
    GROUP BY t.conversation_id, category`,
} as const;

/** Per-session aggregates, oldest first. Numbers are rounded to 0.1. */
export function computeProgress(connection: Connection, options: ProgressOptions = {}): Progress {
  const range = { since: options.since ?? 0, until: options.until ?? Number.MAX_SAFE_INTEGER };
  const read = connection.db.transaction(() => ({
    sessions: connection.statement<SessionRow>(SQL.sessions).all(range),
    categories: connection.statement<CategoryRow>(SQL.categories).all(range),
  }));
  const { sessions, categories } = read();

  const byConversation = new Map<string, CategoryRow[]>();
  const totals = new Map<string, number>();
  for (const row of categories) {
    byConversation.set(row.conversation_id, [...(byConversation.get(row.conversation_id) ?? []), row]);
    totals.set(row.category, (totals.get(row.category) ?? 0) + row.n);
  }
  const per100 = (count: number, words: number) => (words > 0 ? round((count / words) * 100) : null);

  return {
    sessions: sessions.map((row) => {
      const rows = byConversation.get(row.id) ?? [];
      const errors = rows.reduce((sum, entry) => sum + entry.n, 0);
      return {
        conversationId: row.id,
        title: row.title,
        scenarioId: row.scenario_id,
        mode: row.mode,
        startedAt: row.created_at,
        endedAt: row.ended_at,
        turns: row.turns,
        words: row.words,
        spokenWords: row.spoken_words,
        speakingMs: round(row.speaking_ms),
        wordsPerMinute: row.speaking_ms > 0 ? round(row.spoken_words / (row.speaking_ms / 60_000)) : null,
        errors,
        errorsPer100Words: per100(errors, row.words),
        errorsByCategory: Object.fromEntries(rows.map((entry) => [entry.category, { count: entry.n, per100Words: per100(entry.n, row.words) }])),
      };
    }),
    categories: [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([category]) => category),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
