/**
 * The end-of-session report: figures computed from the transcript and
 * its corrections (pure, exact), then a short written part from the LLM under a JSON schema (a
 * CEFR level estimate with a reason, one thing to practise next, highlights). When the LLM fails
 * the report keeps the figures and a practice hint taken from the most frequent error category.
 *
 * @example
 * const stats = computeSessionStats(turns, corrections);
 * const report = await writeSessionReport(llm, stats, turns, profile, { signal, newWords: ['reluctant'] });
 */
import { z } from 'zod';
import type { LLM } from '../core/llm.js';
import { type Correction, ERROR_CATEGORIES, type ErrorCategory } from './corrections.js';
import { CEFR_LEVELS, type CefrLevel, type LearnerProfile, effectiveLevel, levelIndex } from './profile.js';
import { type TutorCallOptions, generateStructured } from './structured-output.js';

/** One turn of the session, as the report needs it. */
export interface SessionTurn {
  /** `user` is the learner, `assistant` the tutor. */
  role: 'user' | 'assistant';
  text: string;
  /**
   * For a spoken learner turn: how long the learner spoke, in ms (speech start to speech end, from
   * the VAD). Absent for typed turns: a turn is spoken exactly when this is set.
   */
  speechMs?: number;
}

/** Errors of one category, with the first few examples. */
export interface CategoryErrors {
  category: ErrorCategory;
  count: number;
  /** Up to {@link MAX_CATEGORY_EXAMPLES} distinct examples, in the order they were made. */
  examples: Array<{ original: string; correction: string; rule: string }>;
}

/**
 * The session's figures. Speaking time and words per minute come from spoken turns only (a typed
 * turn has no speaking time); word and error counts cover every learner turn, spoken or typed,
 * since both get corrections.
 */
export interface SessionStats {
  /** Learner turns, spoken and typed. */
  turns: number;
  spokenTurns: number;
  typedTurns: number;
  tutorTurns: number;
  /** Total speech of spoken learner turns, in ms. */
  speakingMs: number;
  /** Words in all learner turns ({@link countWords}). */
  words: number;
  /** Words in spoken learner turns. */
  spokenWords: number;
  /** `spokenWords` per minute of `speakingMs`, rounded to 0.1; `null` without speaking time. */
  wordsPerMinute: number | null;
  /** Errors in all corrections. */
  errors: number;
  /** `errors` per 100 of `words`, rounded to 0.1; `null` when no words. */
  errorsPer100Words: number | null;
  /** Categories with at least one error, most frequent first (ties in {@link ERROR_CATEGORIES} order). */
  errorsByCategory: CategoryErrors[];
}

/** Examples kept per error category. */
export const MAX_CATEGORY_EXAMPLES = 3;

const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;

/**
 * Words in `text`: runs of letters or digits, with inner apostrophes and hyphens (`don't`,
 * `well-known` and `3` are one word each). Filler words (`um`) count: they were spoken.
 */
export function countWords(text: string): number {
  return text.match(WORD)?.length ?? 0;
}

function roundTenth(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * The session's figures from its turns and the corrections of its learner turns (`null` entries,
 * for turns whose correction failed, are skipped). Pure and exact.
 */
export function computeSessionStats(
  turns: readonly SessionTurn[],
  corrections: readonly (Correction | null | undefined)[],
): SessionStats {
  let learnerTurns = 0;
  let spokenTurns = 0;
  let tutorTurns = 0;
  let speakingMs = 0;
  let words = 0;
  let spokenWords = 0;
  for (const turn of turns) {
    if (turn.role === 'assistant') {
      tutorTurns++;
      continue;
    }
    learnerTurns++;
    const count = countWords(turn.text);
    words += count;
    if (turn.speechMs !== undefined) {
      spokenTurns++;
      spokenWords += count;
      speakingMs += Math.max(0, turn.speechMs);
    }
  }

  const byCategory = new Map<ErrorCategory, CategoryErrors>();
  let errors = 0;
  for (const correction of corrections) {
    for (const error of correction?.errors ?? []) {
      errors++;
      let entry = byCategory.get(error.category);
      if (!entry) {
        entry = { category: error.category, count: 0, examples: [] };
        byCategory.set(error.category, entry);
      }
      entry.count++;
      const duplicate = entry.examples.some(
        (example) => example.original === error.original && example.correction === error.correction,
      );
      if (!duplicate && entry.examples.length < MAX_CATEGORY_EXAMPLES) {
        entry.examples.push({ original: error.original, correction: error.correction, rule: error.rule });
      }
    }
  }
  const errorsByCategory = [...byCategory.values()].sort(
    (a, b) => b.count - a.count || ERROR_CATEGORIES.indexOf(a.category) - ERROR_CATEGORIES.indexOf(b.category),
  );

  return {
    turns: learnerTurns,
    spokenTurns,
    typedTurns: learnerTurns - spokenTurns,
    tutorTurns,
    speakingMs,
    words,
    spokenWords,
    wordsPerMinute: speakingMs > 0 ? roundTenth(spokenWords / (speakingMs / 60_000)) : null,
    errors,
    errorsPer100Words: words > 0 ? roundTenth((errors / words) * 100) : null,
    errorsByCategory,
  };
}

/** The session report shown at the end of a conversation. */
export interface SessionReport {
  stats: SessionStats;
  /** Words the learner saved during the session (as the caller passed them). */
  newWords: string[];
  /** The LLM's CEFR estimate from this session; `null` when it was not written. */
  levelEstimate: CefrLevel | null;
  /** Why that level, one or two sentences; `null` with no estimate. */
  reason: string | null;
  /** One thing to practise next; from the LLM, else from the most frequent error category, else `null`. */
  practiseNext: string | null;
  /** Things the learner did well (0-2). */
  highlights: string[];
  /** `llm` when the written part came from the LLM, `stats` when it fell back to the figures. */
  source: 'llm' | 'stats';
}

/** Options of {@link writeSessionReport}. */
export interface SessionReportOptions extends TutorCallOptions {
  /** Words saved during the session, copied into the report. */
  newWords?: readonly string[];
}

/**
 * JSON schema of the written part. Its strings are bounded (~560 characters of JSON at most), so
 * the default `maxTokens` of 300 holds any answer the grammar allows, even at ~2 characters a
 * token.
 */
export const REPORT_JSON_SCHEMA: Record<string, unknown> = Object.freeze({
  type: 'object',
  properties: {
    levelEstimate: { type: 'string', enum: [...CEFR_LEVELS] },
    reason: { type: 'string', minLength: 1, maxLength: 160 },
    practiseNext: { type: 'string', minLength: 1, maxLength: 120 },
    highlights: { type: 'array', maxItems: 2, items: { type: 'string', minLength: 1, maxLength: 100 } },
  },
  required: ['levelEstimate', 'reason', 'practiseNext', 'highlights'],
  additionalProperties: false,
});

const modelReportSchema = z.object({
  levelEstimate: z.preprocess((value) => (typeof value === 'string' ? value.trim().toUpperCase() : value), z.enum(CEFR_LEVELS)),
  reason: z.string().trim().min(1),
  practiseNext: z.string().trim().min(1),
  highlights: z.array(z.string().trim()).max(4).transform((items) => items.filter(Boolean).slice(0, 2)),
});

/** Characters of the learner's words sent to the LLM at most (~600 tokens; the most recent turns are kept). */
export const REPORT_TRANSCRIPT_CHARS = 2400;

/**
 * The report's system prompt: a compact CEFR scale (Council of Europe 2001, Table 1), the task,
 * and wording for the learner: very simple English below B1 (or when the level is unknown).
 */
export function buildReportPrompt(profile: LearnerProfile): string {
  const level = effectiveLevel(profile);
  const wording = level && levelIndex(level) >= levelIndex('B1') ? 'clear' : 'very simple';
  return [
    'You are an English teacher writing a short report after a speaking session.',
    'CEFR levels: A1 basic phrases; A2 simple sentences on familiar topics; B1 connected speech on familiar topics, some errors; B2 fluent on many topics, few errors; C1 flexible, precise, complex sentences; C2 near-native ease and nuance.',
    'From what the learner said and the figures, answer in JSON: "levelEstimate", "reason" (one sentence), "practiseNext" (one concrete thing), "highlights" (up to 2 things done well).',
    `Write ${wording} English and speak to the learner as "you".`,
  ].join('\n');
}

/** The user message: the figures, then the learner's most recent turns within {@link REPORT_TRANSCRIPT_CHARS}. */
export function buildReportMessage(stats: SessionStats, transcript: readonly SessionTurn[]): string {
  const lines: string[] = [];
  let budget = REPORT_TRANSCRIPT_CHARS;
  for (let index = transcript.length - 1; index >= 0 && budget > 0; index--) {
    const turn = transcript[index]!;
    if (turn.role !== 'user') continue;
    const text = turn.text.replace(/\s+/g, ' ').trim();
    if (!text) continue;
    const line = `- ${text.length > budget ? `${text.slice(0, budget)}...` : text}`;
    budget -= line.length;
    lines.unshift(line);
  }
  const categories = stats.errorsByCategory.map((entry) => `${entry.category} ${entry.count}`).join(', ') || 'none';
  const figures = [
    `Words: ${stats.words}`,
    ...(stats.wordsPerMinute !== null ? [`words per minute: ${stats.wordsPerMinute}`] : []),
    `errors per 100 words: ${stats.errorsPer100Words ?? 0}`,
    `errors by category: ${categories}`,
  ].join('; ');
  return `Figures: ${figures}.\nThe learner said:\n${lines.join('\n')}`;
}

/** A practice hint from the figures alone: the most frequent category and its first example. */
export function practiseNextFromStats(stats: SessionStats): string | null {
  const top = stats.errorsByCategory[0];
  if (!top) return null;
  const example = top.examples[0];
  const hint = example ? ` For example, say "${example.correction}" instead of "${example.original}".` : '';
  return `Practise ${top.category}: it was your most frequent kind of mistake (${top.count}).${hint}`;
}

/**
 * The session report: `stats` plus a written part from `llm` (JSON schema output, validated,
 * retried once; see {@link generateStructured}). When the LLM fails, or the learner said nothing,
 * the report has no level estimate, and `practiseNext` comes from {@link practiseNextFromStats}
 * (`source: 'stats'`). Default `maxTokens`: 300.
 * @param transcript the session's turns (only the learner's are sent)
 * @param profile sets the wording's simplicity ({@link buildReportPrompt}); the chosen level is not
 *   told to the model, so the estimate is not biased by it
 * @returns never rejects for model or engine failures or aborts
 */
export async function writeSessionReport(
  llm: LLM,
  stats: SessionStats,
  transcript: readonly SessionTurn[],
  profile: LearnerProfile,
  options: SessionReportOptions,
): Promise<SessionReport> {
  const newWords = [...(options.newWords ?? [])];
  const written =
    stats.words > 0
      ? await generateStructured(
          llm,
          {
            name: 'session_report',
            messages: [
              { role: 'system', content: buildReportPrompt(profile) },
              { role: 'user', content: buildReportMessage(stats, transcript) },
            ],
            schema: REPORT_JSON_SCHEMA,
            validator: modelReportSchema,
            maxTokens: 300,
          },
          options,
        )
      : null;
  if (!written) {
    return {
      stats, newWords, levelEstimate: null, reason: null, practiseNext: practiseNextFromStats(stats), highlights: [], source: 'stats',
    };
  }
  return {
    stats, newWords, levelEstimate: written.levelEstimate, reason: written.reason, practiseNext: written.practiseNext,
    highlights: written.highlights, source: 'llm',
  };
}
